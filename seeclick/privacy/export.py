"""What is held under an address, as the JSON document its owner downloads: theirs alone, nobody else's.

Their reports with the contact details they gave and their answers (to private questions too), the
words a moderator took out of what they wrote, what they follow and watch, and the mail sent to them.
Not in it: other people's follows of the same reports, staff's internal notes, names and reasons, and
anything else about anyone else.
"""

from datetime import datetime

from flask_babel import gettext as _

from seeclick.geo import from_db, latlon
from seeclick.notifications.mail import public_url_for
from seeclick.reports.answers import describe


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def document(address: str, reports, follows, watches, mails, now: datetime, as_written=None) -> dict:
    """`as_written`: by report id, the description and address as written where a moderator redacted them."""
    as_written = as_written or {}
    return {
        "about": _("What this service holds under the email address below, as it was when this file was made."),
        "email": address,
        "made_at": _time(now),
        "reports": [_report(report, as_written.get(report.id)) for report in reports],
        "following": [_follow(follower) for follower in follows],
        "watching": [_watch(watch) for watch in watches],
        "mail": [_mail(notification) for notification in mails],
    }


def _report(report, as_written: dict | None) -> dict:
    where = latlon(from_db(report.location))
    return {
        "number": report.public_id,
        "page": public_url_for("reports.show", public_id=report.public_id),
        "category": report.category.name,
        "description": report.description,
        "address": report.address,
        "as_you_wrote_it": as_written,  # before a moderator took words out of it for the public; else null
        "latitude": where.lat, "longitude": where.lon, "placed_without_the_map": report.location_approximate,
        "answers": [{"question": question, "answer": answer}
                    for question, answer in describe(report.category.questions, report.answers or {})],
        "photos": [public_url_for("photos.show", token=photo.token) for photo in report.photos],
        "department": report.department.name,
        "status": report.status.value,
        "made_at": _time(report.created_at), "closed_at": _time(report.closed_at),
        "channel": report.channel.value, "language": report.reporter_locale,
        "contact": {"name": report.reporter_name, "email": report.reporter_email, "phone": report.reporter_phone,
                    "name_shown_publicly": report.show_name},
        # Only a keyed hash of the browser's cookie is kept, which says nothing to anyone but this site.
        "browser_remembered": report.reporter_browser is not None,
    }


def _follow(follower) -> dict:
    return {"report": follower.report.public_id,
            "page": public_url_for("reports.show", public_id=follower.report.public_id),
            "asked_at": _time(follower.created_at), "confirmed_at": _time(follower.confirmed_at),
            "stopped_at": _time(follower.stopped_at), "language": follower.locale}


def _watch(watch) -> dict:
    centre = latlon(from_db(watch.centre)) if watch.centre is not None else None
    return {"neighbourhood": watch.neighbourhood.name if watch.neighbourhood else None,
            "centre": {"latitude": centre.lat, "longitude": centre.lon} if centre else None,
            "radius_m": watch.radius_m,
            "asked_at": _time(watch.created_at), "confirmed_at": _time(watch.confirmed_at),
            "stopped_at": _time(watch.stopped_at), "language": watch.locale}


def _mail(notification) -> dict:
    return {"subject": notification.subject, "body": notification.body,
            "written_at": _time(notification.created_at), "sent_at": _time(notification.sent_at)}
