"""What a change read from the city's system does to a report here, and when a failing send alerts staff.
Pure: no app, no database."""

from dataclasses import dataclass

from seeclick.open311.client import Incoming
from seeclick.open311.serialize import FROM_FMS
from seeclick.reports.models import Status

# A send failing this many times in a row tells the department's staff (once); after GIVE_UP_AFTER it
# stops until someone sends it again from the ticket.
ALERT_AFTER = 5
GIVE_UP_AFTER = 36


@dataclass(frozen=True)
class Change:
    """What to write: a new status (with the words as its note), or only the words as a public note."""

    status: Status | None
    note: str
    media_urls: tuple[str, ...] = ()


def target_status(current: Status, incoming: Incoming) -> Status | None:
    """The status the city's change moves the report to; None when it leaves it as it is.

    The city's own status, when it is one of ours (external_status_code, as a seeclick city gives it),
    is taken exactly. Otherwise its word: mySociety's words mean one of ours; the standard's "open"
    and "closed" say only which kind, so an open report stays as it is on "open" and a closed one is
    reopened (acknowledged), and "closed" closes an open report as fixed.
    """
    code = incoming.external_status_code.strip().lower()
    if code in Status._value2member_map_:
        wanted = Status(code)
    else:
        word = incoming.status.strip().lower().replace(" ", "_")
        if word in ("open", "reopen"):
            wanted = current if current.is_open else Status.ACKNOWLEDGED
        elif word == "closed":
            wanted = current if not current.is_open else Status.FIXED
        elif word in FROM_FMS:
            wanted = Status(FROM_FMS[word])
        else:
            return None  # unchanged, internal_referral, for_triage, or a word we do not know
    return None if wanted == current else wanted


def change_for(current: Status, latest_note: str | None, incoming: Incoming) -> Change | None:
    """What the city's change writes here, or None when it says nothing new.

    Words the timeline already ends with are not written again (GET requests gives the latest note each
    time the request changes); a change of status is written with its words.
    """
    status = target_status(current, incoming)
    note = incoming.description.strip()
    if status is None and (not note or note == (latest_note or "").strip()) and not incoming.media_urls:
        return None
    return Change(status, note, incoming.media_urls)


def alert_now(attempts: int, alerted: bool) -> bool:
    """Whether this failed attempt is the one that tells staff: the ALERT_AFTER-th in a row, once."""
    return attempts >= ALERT_AFTER and not alerted
