"""Candidate documents: which types each kind takes, and private storage.

The upload checks and sanitising are `core/uploads.py`'s (shared with question
images); this module says what each kind of document may be (`ALLOWED_TYPES`)
and keeps the files.

Downloads are attachments that no browser renders inline, caches or sniffs;
like every attachment they carry a CSP that forbids everything and sandboxes
the response, should a browser ever render one anyway (`security.py`).

Files live in UPLOAD_FOLDER (outside the web root) under random names chosen
here; the client's file name is never used. A new file is written to a
temporary file in the same folder and renamed into place; a replaced file is
removed only after the new row is committed, and a new file whose transaction
rolls back is removed again, so the folder matches the database.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import Response, current_app, send_file
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.clock import utcnow
from ..core.database import after_commit, after_rollback
from ..core.extensions import db
from ..core.uploads import (
    EXTENSIONS,
    HEIC,
    IMAGE,
    IMAGE_OR_PDF,
    JPEG,
    PDF,
    PNG,
    TYPE_NAMES,
    CleanFile,
    UnsupportedFile,
    accepted_types,
    read_limited,
    sanitize,
    write_atomically,
)
from .models import Document, DocumentKind, User
from .profiles import DOCUMENT_LABELS

log = logging.getLogger(__name__)

# What each kind of document may be: the one table behind the upload check, the
# API's 415 message and the documents page (its text and each input's `accept`).
ALLOWED_TYPES: dict[DocumentKind, tuple[str, ...]] = {
    DocumentKind.KTP: IMAGE_OR_PDF,  # a photo of the card or a scan
    DocumentKind.PHOTO: IMAGE,  # a pas foto is a picture, shown as one
    DocumentKind.DIPLOMA: IMAGE_OR_PDF,  # a scan, or the school's e-ijazah PDF
    DocumentKind.CV: IMAGE_OR_PDF,  # written on a computer, or a photo of paper
    DocumentKind.PHONE_SPEC: IMAGE,  # a screenshot
    DocumentKind.APPLICATION_LETTER: IMAGE_OR_PDF,  # hand-written: photographed or scanned
}
_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")
# The order in which types are named to people: the photo formats first.
_TYPE_ORDER = (JPEG, PNG, HEIC, PDF)


def allowed_types(kind: DocumentKind) -> tuple[str, ...]:
    return ALLOWED_TYPES[DocumentKind(kind)]


def accept_attribute(kind: DocumentKind) -> str:
    """For <input type="file" accept=...>: any picture (so that phones offer the
    camera and the gallery; the page turns pictures the server does not take into
    JPEG before sending them), and PDF where the kind takes it."""
    return "image/*,application/pdf" if PDF in allowed_types(kind) else "image/*"


def allowed_types_text(kind: DocumentKind) -> str:
    """The kind's types for people, in Indonesian: "JPEG, PNG, atau HEIC",
    "JPEG, PNG, HEIC, atau PDF" (HEIC where the server can convert it)."""
    accepted = accepted_types(allowed_types(kind))
    names = [TYPE_NAMES[content_type] for content_type in _TYPE_ORDER if content_type in accepted]
    if len(names) == 1:
        return names[0]
    head = ", ".join(names[:-1]) + ("," if len(names) > 2 else "")
    return _("%(head)s atau %(last)s", head=head, last=names[-1])


def unsupported_file(kind: DocumentKind) -> UnsupportedFile:
    return UnsupportedFile(
        _(
            "Jenis berkas tidak didukung. %(label)s harus berupa %(types)s.",
            label=DOCUMENT_LABELS[DocumentKind(kind)],
            types=allowed_types_text(kind),
        )
    )


@dataclass(frozen=True)
class StoredFile:
    """A stored document, ready to be sent: see `send_document`."""

    path: Path
    content_type: str
    download_name: str


# --- storage -------------------------------------------------------------------


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store_document(user_id: int, kind: DocumentKind, stream: IO[bytes]) -> Document:
    """Check, sanitise and store an upload as the user's document of `kind` (replacing it)."""
    clean = sanitize(read_limited(stream), allowed_types(kind), lambda: unsupported_file(kind))
    name = _write_new_file(clean.data)
    path = upload_folder() / name
    try:
        document, old_name = _save_row(user_id, kind, name, clean)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    after_rollback(lambda: path.unlink(missing_ok=True))
    if old_name:
        old_path = upload_folder() / old_name
        after_commit(lambda: old_path.unlink(missing_ok=True))
    return document


def _write_new_file(data: bytes) -> str:
    name = secrets.token_hex(16)
    write_atomically(upload_folder(), name, data)
    return name


def _save_row(
    user_id: int, kind: DocumentKind, name: str, clean: CleanFile
) -> tuple[Document, str | None]:
    """Insert or update the row; returns it and the storage name it replaced."""
    # Concurrent uploads of one user queue up on the user's row (PostgreSQL), so
    # the second one sees the first one's row and file name instead of racing it.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())
    document = db.session.scalar(
        select(Document).where(Document.user_id == user_id, Document.kind == kind)
    )
    old_name = document.storage_name if document else None
    if document is None:
        document = Document(user_id=user_id, kind=kind)
        db.session.add(document)
    document.storage_name = name
    document.content_type = clean.content_type
    document.size = len(clean.data)
    document.sha256 = hashlib.sha256(clean.data).hexdigest()
    document.uploaded_at = utcnow()
    db.session.flush()
    return document, old_name


# --- reading -------------------------------------------------------------------


def list_documents(user_id: int) -> list[Document]:
    return list(
        db.session.scalars(
            select(Document).where(Document.user_id == user_id).order_by(Document.kind)
        )
    )


def document_file(user_id: int, kind: DocumentKind) -> StoredFile | None:
    """The stored file of a user's document, or None. The caller checks who may see it."""
    document = db.session.scalar(
        select(Document).where(Document.user_id == user_id, Document.kind == kind)
    )
    path = stored_path(document.storage_name) if document is not None else None
    if document is None or path is None:
        return None
    if not path.is_file():
        log.error("document %s is missing from the upload folder", document.id)
        return None
    extension = EXTENSIONS.get(document.content_type, "bin")
    return StoredFile(path, document.content_type, f"{DocumentKind(kind).value}.{extension}")


def stored_path(storage_name: str) -> Path | None:
    """Where a stored file lives; None for a name this module never chose."""
    if not _STORAGE_NAME.fullmatch(storage_name):
        return None
    return upload_folder() / storage_name


def send_document(stored: StoredFile) -> Response:
    """Send a document as a download that no browser renders inline or caches."""
    response = send_file(
        stored.path,
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.download_name,
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
