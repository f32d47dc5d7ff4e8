"""Words a person reads for lengths of time and shares, as template filters.

Written in Python rather than as Jinja macros: a macro call costs tens of microseconds, and the
response-time dashboard shows about 2,000 durations.
"""

from flask_babel import gettext, ngettext


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


def register(app) -> None:
    app.add_template_filter(duration, "duration")
    app.add_template_filter(percent, "percent")
