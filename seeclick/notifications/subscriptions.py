"""Asking for mail, confirming it from a link and stopping it: the one flow of followers and watches alike.

Flush, never commit. Whoever asks, the address confirms from a link first; an address that already
gets the mail gets nothing more, and one that stopped must confirm again (a stranger typing it
cannot switch its mail back on). An address is sent one confirmation link a day at most, whoever
asks and from wherever (seeclick.ratelimits). Callers answer the same in every case, so a form never
tells who follows or watches what.
"""

from datetime import UTC, datetime

from seeclick import ratelimits
from seeclick.extensions import db
from seeclick.notifications import queries
from seeclick.notifications.models import Subscription, new_token


def ask(subscription: Subscription) -> bool:
    """Whether a confirmation link must be sent: not when the address already gets this mail, nor when
    it was sent a link today.

    A new subscription is added; an unconfirmed or stopped one gets a fresh token, so an old link
    stops working.
    """
    if subscription.id is not None and subscription.active:
        return False
    if subscription.id is None:
        db.session.add(subscription)
    subscription.confirmed_at, subscription.stopped_at, subscription.token = None, None, new_token()
    db.session.flush()
    return ratelimits.may_mail(subscription.email)


def confirm(model: type[Subscription], token: str) -> tuple[Subscription | None, bool]:
    """The subscription a link confirms, started (or started again), and whether this is its first start."""
    subscription = queries.by_token(model, token)
    if subscription is None:
        return None, False
    first = subscription.confirmed_at is None
    subscription.confirmed_at = subscription.confirmed_at or datetime.now(UTC)
    subscription.stopped_at = None
    return subscription, first


def stop(model: type[Subscription], token: str) -> Subscription | None:
    subscription = queries.by_token(model, token)
    if subscription is not None and subscription.stopped_at is None:
        subscription.stopped_at = datetime.now(UTC)
    return subscription
