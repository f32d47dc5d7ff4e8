"""Sending one email: through SMTP, or, in development, into a directory a developer can read."""

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


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
