"""Words a person reads for lengths of time, shares and statuses, for every template.

Written in Python rather than as Jinja macros: a macro call costs tens of microseconds, and the
response-time dashboard shows about 2,000 durations.
"""

from flask_babel import gettext, ngettext

from seeclick.reports.models import Status


def duration(seconds: float | None) -> str:
    """A length of time as people say it: minutes under an hour, hours under two days, then days."""
    if seconds is None:
        return gettext("not yet")
    if seconds < 3600:
        return ngettext("%(num)d minute", "%(num)d minutes", int(seconds // 60) or 1)
    if seconds < 172800:
        return ngettext("%(num)d hour", "%(num)d hours", int(seconds // 3600))
    return ngettext("%(num)d day", "%(num)d days", int(seconds // 86400))


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def status_label(status: Status | str) -> str:
    """A report's status (or its value) in the reader's language."""
    return str(Status(status).label)


def register(app) -> None:
    for function in (duration, percent, status_label):
        app.add_template_filter(function)
        app.add_template_global(function)
