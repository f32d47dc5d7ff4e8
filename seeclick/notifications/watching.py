"""Watching a neighbourhood or a circle around a point: confirmed by a link, then a digest of new reports."""

from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects.postgresql import insert

from seeclick import languages
from seeclick.extensions import db
from seeclick.geo import LatLon, to_db
from seeclick.neighbourhoods.models import Neighbourhood
from seeclick.notifications import mail, queries, subscriptions
from seeclick.notifications.models import Event, Notification, Watch

RADII = (250, 500, 1000)
DIGEST_LIMIT = 50


def watch_neighbourhood(neighbourhood: Neighbourhood, email: str) -> Watch:
    found = queries.watch_of_neighbourhood(neighbourhood.id, email)
    return _ask(found or Watch(neighbourhood=neighbourhood, email=email.strip()))


def watch_circle(where: LatLon, radius_m: int, email: str) -> Watch:
    if radius_m not in RADII:
        raise ValueError(_l("Choose a distance of %(radii)s metres.", radii=", ".join(map(str, RADII))))
    return _ask(Watch(centre=to_db(where.to_point()), radius_m=radius_m, email=email.strip()))


def _ask(watch: Watch) -> Watch:
    """Send a confirmation link, unless the address already gets this digest (answered the same either way).

    The mail, and the digests after it, are in the language of the page they asked from.
    """
    watch.locale = languages.current()
    if subscriptions.ask(watch):
        _mail(Event.CONFIRM, f"watch-confirm:{watch.id}:{watch.token[:12]}", watch, "email/watch_confirm.txt")
    return watch


def confirm(token: str) -> Watch | None:
    watch, first = subscriptions.confirm(Watch, token)
    if first:
        watch.covered_until = watch.confirmed_at  # news from now on, not the past year
    return watch


def stop(token: str) -> Watch | None:
    return subscriptions.stop(Watch, token)


def send_digests(now: datetime | None = None) -> int:
    """Write a digest for every confirmed watch with new reports; each period is covered once."""
    now = now or datetime.now(UTC)
    written = 0
    for watch in queries.active_watches():
        reports = queries.new_reports(watch, now, DIGEST_LIMIT + 1)
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
    return _l("%(radius)d m around a point", radius=watch.radius_m)


def _mail(event, key, watch, template, **context):
    subject, body = mail.render(template, watch.locale, watch=watch, place=place_name(watch), **context)
    db.session.execute(insert(Notification).values(
        event=event, event_key=key, recipient=watch.email, report_id=None, subject=subject, body=body,
    ).on_conflict_do_nothing())
