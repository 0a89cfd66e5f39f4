"""Outgoing mail through an outbox table: queued in the caller's transaction,
delivered after the commit, retried by the worker.

A mail is a row of `outgoing_mails` written in the same transaction as the work
that causes it, so a decision that rolls back mails nothing and a mail server
that is down never fails a registration or a decision: it only delays the mail.
Mails a person waits for (activation, password reset) are tried once right after
the commit; every mail that is not sent then is sent by the worker
(`deliver_due_mail`), with growing pauses, until `MAIL_MAX_ATTEMPTS`.

Delivery is SMTP when configured, otherwise an `.eml` file in MAIL_OUTBOX, which
lets a person (or a test) open the activation link without a mail server. Mail
bodies may hold links with tokens: a body is dropped from the table once sent,
and nothing here logs a body or an address.
"""

from __future__ import annotations

import logging
import re
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from markupsafe import Markup, escape
from sqlalchemy import LargeBinary, String, and_, or_
from sqlalchemy.orm import Mapped, mapped_column

from .clock import utcnow
from .database import UTCDateTime, after_commit
from .extensions import db

log = logging.getLogger(__name__)

# While one delivery is under way its row is not due (so two workers, or a worker
# and the request that queued it, never send it twice); a crash frees it after this.
_DELIVERY_LEASE = timedelta(minutes=2)
_FIRST_RETRY = timedelta(seconds=30)
_LONGEST_PAUSE = timedelta(hours=1)
# A link in a sentence: the full stop or comma after it is not part of it.
_URL = re.compile(r"https?://[^\s<>]*[^\s<>.,;:!?)]")


class OutgoingMail(db.Model):
    """One mail of the outbox; `message` is the whole MIME message until it is sent."""

    __tablename__ = "outgoing_mails"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The exception's type name only: messages of mail libraries may hold addresses.
    last_error: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str  # "text/calendar" and the like


def send_mail(
    to: str,
    subject: str,
    text: str,
    attachments: tuple[Attachment, ...] = (),
    *,
    at_once: bool = True,
) -> OutgoingMail:
    """Queue a mail (plain text, with an HTML twin) in the current transaction.

    `at_once`: try to deliver it right after the commit (a person is waiting for
    it); otherwise the worker sends it on its next round.
    """
    mail = OutgoingMail(
        subject=subject[:200],
        message=bytes(_message(to, subject, text, attachments)),
        next_attempt_at=utcnow(),
    )
    db.session.add(mail)
    db.session.flush()
    if at_once:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        mail_id = mail.id
        after_commit(lambda: deliver(app, mail_id))
    return mail


def _message(to: str, subject: str, text: str, attachments: tuple[Attachment, ...]) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4()}@exam-service>"
    message.set_content(text)
    message.add_alternative(_html(subject, text), subtype="html")
    for attachment in attachments:
        maintype, subtype = attachment.mimetype.split("/", 1)
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def _html(subject: str, text: str) -> str:
    """The HTML twin of a plain-text mail: its paragraphs, with links that can be tapped."""
    paragraphs = [linked(p) for p in text.strip().split("\n\n")]
    return render_template("mail/message.html", subject=subject, paragraphs=paragraphs)


def linked(paragraph: str) -> Markup:
    """Text as HTML with its addresses as links and its line breaks kept (mails, notices)."""
    parts: list[Markup] = []
    position = 0
    for match in _URL.finditer(paragraph):
        parts.append(escape(paragraph[position : match.start()]))
        url = escape(match.group())
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        position = match.end()
    parts.append(escape(paragraph[position:]))
    return Markup("").join(parts).replace("\n", Markup("<br>"))


def mail_link(endpoint: str, **values: Any) -> str:
    """The absolute address of a page, for a mail: built from BASE_URL, so it works
    in a request and in the worker alike (no request, no SERVER_NAME there)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"] + path


def deliver_due_mail(app: Any, limit: int = 50, now: datetime | None = None) -> int:
    """Send the mails that are due (the worker's step); returns how many were sent.

    `now` is for tests that simulate the passing of time.
    """
    with app.app_context():
        now = now or utcnow()
        due = db.session.scalars(
            db.select(OutgoingMail.id)
            .where(_is_due(now))
            .order_by(OutgoingMail.next_attempt_at)
            .limit(limit)
        ).all()
        db.session.remove()
    return sum(deliver(app, mail_id, now) for mail_id in due)


def _is_due(now: datetime) -> Any:
    return and_(
        OutgoingMail.sent_at.is_(None),
        OutgoingMail.given_up_at.is_(None),
        or_(OutgoingMail.next_attempt_at.is_(None), OutgoingMail.next_attempt_at <= now),
    )


def deliver(app: Any, mail_id: int, now: datetime | None = None) -> bool:
    """Try to send one mail, on connections of its own (this runs after a commit).

    The row is claimed first by a conditional update, so it is sent by one
    deliverer only; a failure leaves it for a later round, a success drops its body.
    """
    with app.app_context():
        mails = OutgoingMail.__table__
        now = now or utcnow()
        with db.engine.begin() as conn:
            claimed = conn.execute(
                mails.update()
                .where(mails.c.id == mail_id, _is_due(now))
                .values(attempts=mails.c.attempts + 1, next_attempt_at=now + _DELIVERY_LEASE)
                .returning(mails.c.message, mails.c.attempts)
            ).first()
        if claimed is None:
            return False
        message, attempts = claimed
        try:
            _send(bytes(message))
        except (smtplib.SMTPException, OSError) as e:
            log.warning("mail not sent (attempt %d): %s", attempts, type(e).__name__)
            with db.engine.begin() as conn:
                conn.execute(
                    mails.update()
                    .where(mails.c.id == mail_id)
                    .values(**_failed(attempts, type(e).__name__, now))
                )
            return False
        with db.engine.begin() as conn:
            conn.execute(
                mails.update().where(mails.c.id == mail_id).values(sent_at=now, message=b"")
            )
        return True


def _failed(attempts: int, error: str, now: datetime) -> dict[str, Any]:
    if attempts >= current_app.config["MAIL_MAX_ATTEMPTS"]:
        log.error("mail given up after %d attempts: %s", attempts, error)
        return {"given_up_at": now, "last_error": error}
    pause = min(_FIRST_RETRY * 2 ** (attempts - 1), _LONGEST_PAUSE)
    return {"next_attempt_at": now + pause, "last_error": error}


def _send(raw: bytes) -> None:
    config = current_app.config
    if not config["SMTP_HOST"]:
        _write_outbox(raw, Path(config["MAIL_OUTBOX"]))
        return
    message = message_from_bytes(raw, policy=policy.default)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
    log.info("mail sent")


def _write_outbox(raw: bytes, outbox: Path) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    temporary = outbox / (name + ".part")
    temporary.write_bytes(raw)
    temporary.rename(outbox / name)  # readers never see half a mail
