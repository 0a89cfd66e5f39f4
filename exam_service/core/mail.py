"""Outgoing mail: SMTP when configured, otherwise `.eml` files in MAIL_OUTBOX.

The outbox lets a person (or a test) open the activation link without a mail
server. Mail bodies may hold links with tokens, so nothing here logs a body or an
address. A mail server that cannot be reached is `MailUnavailable` (503): the
caller's transaction rolls back, so nothing half-done stays behind, and the person
is told to try again.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from .clock import utcnow
from .errors import ServiceError

log = logging.getLogger(__name__)


class MailUnavailable(ServiceError):
    status, code = 503, "mail_unavailable"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # "text/calendar" and the like


def send_mail(to: str, subject: str, text: str, attachments: tuple[Attachment, ...] = ()) -> None:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@exam-service>"
    message.set_content(text)
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    if config["SMTP_HOST"]:
        try:
            _send_smtp(message)
        except (smtplib.SMTPException, OSError) as e:
            log.warning("mail not sent: %s", type(e).__name__)
            raise MailUnavailable(
                _("Surel tidak dapat dikirim saat ini. Silakan coba lagi beberapa menit lagi.")
            ) from None
    else:
        _write_outbox(message, Path(config["MAIL_OUTBOX"]))


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
    log.info("mail sent", extra={"subject": message["Subject"]})


def _write_outbox(message: EmailMessage, outbox: Path) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    (outbox / name).write_bytes(bytes(message))
