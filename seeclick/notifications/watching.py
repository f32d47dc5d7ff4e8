"""Watching a neighbourhood or a circle around a point: confirmed by a link, then a digest of new reports."""

from datetime import UTC, datetime

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert

from seeclick.extensions import db
from seeclick.geo import LatLon, from_db, latlon, to_db
from seeclick.models import Category, Event, Neighbourhood, Notification, Report, Watch
from seeclick.notifications.models import new_token
from seeclick.reports.queries import box_degrees

RADII = (250, 500, 1000)
DIGEST_LIMIT = 50


def watch_neighbourhood(neighbourhood: Neighbourhood, email: str) -> Watch:
    found = db.session.scalar(select(Watch).where(Watch.neighbourhood_id == neighbourhood.id,
                                                  func.lower(Watch.email) == email.strip().lower()))
    return _ask(found or Watch(neighbourhood=neighbourhood, email=email.strip()))


def watch_circle(where: LatLon, radius_m: int, email: str) -> Watch:
    if radius_m not in RADII:
        raise ValueError(f"radius must be one of {RADII}")
    return _ask(Watch(centre=to_db(where.to_point()), radius_m=radius_m, email=email.strip()))


def _ask(watch: Watch) -> Watch:
    """Send a confirmation link, unless the address already gets this digest (answered the same either way)."""
    if watch.id is not None and watch.active:
        return watch
    if watch.id is None:
        db.session.add(watch)
    watch.confirmed_at, watch.stopped_at, watch.token = None, None, new_token()
    db.session.flush()
    _mail(Event.CONFIRM, f"watch-confirm:{watch.id}:{watch.token[:12]}", watch, "email/watch_confirm.txt")
    return watch


def by_token(token: str) -> Watch | None:
    return db.session.scalar(select(Watch).where(Watch.token == token))


def confirm(token: str) -> Watch | None:
    watch = by_token(token)
    if watch is not None and watch.confirmed_at is None:
        watch.confirmed_at = watch.covered_until = datetime.now(UTC)  # news from now on, not the past year
    return watch


def stop(token: str) -> Watch | None:
    watch = by_token(token)
    if watch is not None and watch.stopped_at is None:
        watch.stopped_at = datetime.now(UTC)
    return watch


def new_reports(watch: Watch, until: datetime) -> list:
    """Reports made in the watched place since the last digest, newest first."""
    query = (select(Report.public_id, Report.created_at, Category.name.label("category"), Report.status)
             .join(Category, Category.id == Report.category_id)
             .where(Report.created_at > watch.covered_until, Report.created_at <= until))
    if watch.neighbourhood_id is not None:
        query = query.where(Report.neighbourhood_id == watch.neighbourhood_id)
    else:
        centre = latlon(from_db(watch.centre))
        point = to_db(centre.to_point())
        degrees = box_degrees(watch.radius_m, centre.lat)
        query = query.where(Report.location.intersects(func.ST_Expand(point, degrees)),
                            func.ST_DistanceSphere(Report.location, point) <= watch.radius_m)
    return db.session.execute(query.order_by(Report.created_at.desc()).limit(DIGEST_LIMIT + 1)).all()


def send_digests(now: datetime | None = None) -> int:
    """Write a digest for every confirmed watch with new reports; each period is covered once."""
    now = now or datetime.now(UTC)
    written = 0
    for watch in db.session.scalars(select(Watch).where(Watch.confirmed_at.is_not(None), Watch.stopped_at.is_(None))
                                    .order_by(Watch.id)):
        reports = new_reports(watch, now)
        if reports:
            _mail(Event.DIGEST, f"digest:{watch.id}:{watch.covered_until.isoformat()}", watch, "email/digest.txt",
                  reports=reports[:DIGEST_LIMIT], more=len(reports) > DIGEST_LIMIT)
            written += 1
        watch.covered_until = now
    db.session.flush()
    return written


def place_name(watch: Watch) -> str:
    if watch.neighbourhood is not None:
        return watch.neighbourhood.name
    return f"{watch.radius_m} m around a point"


def _mail(event, key, watch, template, **context):
    public = current_app.config["PUBLIC_URL"]
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = current_app.jinja_env.get_template(template).render(
            watch=watch, place=place_name(watch), public_url=public,
            confirm_url=f"{public}/watch/{watch.token}/confirm", stop_url=f"{public}/watch/{watch.token}/stop",
            **context)
    subject, _, body = text.partition("\n\n")
    db.session.execute(insert(Notification).values(
        event=event, event_key=key, recipient=watch.email, report_id=None, subject=subject.strip(), body=body,
    ).on_conflict_do_nothing())
