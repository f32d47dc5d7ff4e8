"""Writing and sending one email: the text from its template, with links to the public site; sent through
SMTP, or, in development, into a directory a developer can read."""

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale

from seeclick import languages


def public_url_for(endpoint: str, **values) -> str:
    """The full address of a page on the public site (SEECLICK_PUBLIC_URL), for links that leave the site.

    Built from the application's own URL rules, like url_for(..., _external=True), but always on
    the public address: mail is written in requests, workers and commands alike, and a request may
    have reached this process by an internal name.
    """
    public = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(public.netloc, script_name=public.path or "/", url_scheme=public.scheme)
    return adapter.build(endpoint, values, force_external=True)


def render(template: str, locale: str | None, **context) -> tuple[str, str]:
    """The subject and body of a mail from its template, in the recipient's language (None: the city's
    default): the first paragraph is the subject.

    The template alone, not render_template: mail is written outside requests too (workers, commands),
    and in a request for someone else than the reader of the page (a follower, a department).
    """
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(languages.locale_of(locale)):
        text = current_app.jinja_env.get_template(template).render(link=public_url_for, **context)
    subject, _, body = text.partition("\n\n")
    return subject.strip(), body


def send(message: EmailMessage) -> None:
    """Send through the configured SMTP server, or write an .eml file when none is configured."""
    config = current_app.config
    if config.get("MAIL_SMTP_HOST"):
        with smtplib.SMTP(config["MAIL_SMTP_HOST"], config["MAIL_SMTP_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config.get("MAIL_SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("MAIL_SMTP_USER"):
                smtp.login(config["MAIL_SMTP_USER"], config["MAIL_SMTP_PASSWORD"])
            smtp.send_message(message, to_addrs=[message["To"]])  # exactly one recipient
        return
    directory = Path(config["MAIL_DIRECTORY"])
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{message['Message-ID'].strip('<>').split('@')[0]}.eml"
    (directory / name).write_bytes(bytes(message))
