"""Two dispatchers close the same ticket at once, on two real connections: one wins, the other is told."""

import pytest
from sqlalchemy import delete, select, text

from seeclick.accounts import services as accounts
from seeclick.accounts.models import Role, User
from seeclick.categories.models import Category
from seeclick.departments.models import Department
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.reports import services
from seeclick.reports.models import Report, Status, Update
from seeclick.routing import route


@pytest.fixture
def committed_ticket(app):
    """A committed report and two Brooklyn dispatchers; removed afterwards (the test DB keeps no reports)."""
    with app.app_context():
        pothole = db.session.scalar(select(Category).where(Category.code == "pothole"))
        where = LatLon(40.6782, -73.9442)
        report = Report(category=pothole, location=to_db(where.to_point()),
                        department_id=route(pothole.id, where).department_id)
        db.session.add(report)
        brooklyn = db.session.scalar(select(Department).where(Department.code == "dot-bk"))
        for name in ("ana", "ben"):
            accounts.create_user(f"{name}.race@city.example", "correct horse battery staple", Role.STAFF, brooklyn)
        db.session.commit()
        report_id = report.id
    yield report_id
    with app.app_context():
        db.session.execute(text("ALTER TABLE report_update DISABLE TRIGGER report_update_immutable"))
        db.session.execute(delete(Update).where(Update.report_id == report_id))
        db.session.execute(text("ALTER TABLE report_update ENABLE TRIGGER report_update_immutable"))
        db.session.execute(delete(Report).where(Report.id == report_id))
        db.session.execute(delete(User).where(User.email.like("%.race@city.example")))
        db.session.commit()


def dispatcher(name):
    return db.session.scalar(select(User).where(User.email == f"{name}.race@city.example"))


def test_two_dispatchers_close_at_once_one_wins_the_other_is_told(app, committed_ticket):
    with app.app_context():  # Ana opens the ticket...
        anas_copy = db.session.get(Report, committed_ticket)
        ana = dispatcher("ana")
        with app.app_context():  # ...Ben opens it too, closes it and saves first, on his own connection.
            services.close(db.session.get(Report, committed_ticket), dispatcher("ben"), Status.FIXED, "Patched.")
            db.session.commit()
        with pytest.raises(services.StaleReport, match="Someone else changed this report"):
            services.close(anas_copy, ana, Status.NOT_FIXABLE, "Cannot reach it.")
        db.session.rollback()

    with app.app_context():
        report = db.session.get(Report, committed_ticket)
        assert report.status is Status.FIXED  # Ben's close stands
        notes = db.session.scalars(select(Update.body).where(Update.report_id == committed_ticket)).all()
        assert notes == ["Patched."]  # and nothing of Ana's half-made change was kept
