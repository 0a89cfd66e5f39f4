"""Reading the mails the service wrote into MAIL_OUTBOX."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path


def mails(outbox: Path) -> list[EmailMessage]:
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]  # type: ignore[misc]


def only_mail(outbox: Path) -> EmailMessage:
    found = mails(outbox)
    assert len(found) == 1, f"expected one mail, found {len(found)}"
    return found[0]


def body_text(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()
