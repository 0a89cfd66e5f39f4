"""Candidate documents: content checks, sanitising and private storage.

What a file is, is judged by its content, never by its name or the declared
content type: the magic bytes must say JPEG, PNG or PDF, and the file must then
really open as one. Images are opened by Pillow restricted to JPEG and PNG,
under a pixel cap (decompression bombs), and re-encoded from their pixels, so
EXIF (GPS position), comments and anything appended to the image (an HTML or
script polyglot) are gone. PDFs must open with pypdf and not be encrypted.

Files live in UPLOAD_FOLDER (outside the web root) under random names chosen
here; the client's file name is never used. A new file is written to a
temporary file in the same folder and renamed into place; a replaced file is
removed only after the new row is committed, and a new file whose transaction
rolls back is removed again, so the folder matches the database.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from flask import Response, current_app, send_file
from flask_babel import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader
from sqlalchemy import select

from ..clock import utcnow
from ..database import after_commit, after_rollback
from ..errors import ServiceError
from ..extensions import db
from .models import Document, DocumentKind, User

log = logging.getLogger(__name__)

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
SAVE_OPTIONS: dict[str, dict] = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
}
ACCEPT = ",".join(EXTENSIONS)  # for <input type="file" accept=...>
_STORAGE_NAME = re.compile(r"[0-9a-f]{32}")


class FileTooLarge(ServiceError):
    status, code = 413, "file_too_large"


class UnsupportedFile(ServiceError):
    status, code = 415, "unsupported_file_type"


class InvalidFile(ServiceError):
    status, code = 422, "invalid_file"


@dataclass(frozen=True)
class CleanFile:
    data: bytes
    content_type: str


@dataclass(frozen=True)
class StoredFile:
    """A stored document, ready to be sent: see `send_document`."""

    path: Path
    content_type: str
    download_name: str


def too_large_error() -> FileTooLarge:
    limit_mb = current_app.config["MAX_UPLOAD_BYTES"] / (1024 * 1024)
    return FileTooLarge(_("Berkas terlalu besar (maksimal %(mb)s MB).", mb=f"{limit_mb:g}"))


# --- checking and sanitising ---------------------------------------------------


def read_limited(stream: IO[bytes]) -> bytes:
    """Read the upload, refusing it as soon as it passes MAX_UPLOAD_BYTES."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise too_large_error()
    return data


def sanitize(data: bytes) -> CleanFile:
    """Check what the bytes really are; images come back re-encoded without metadata."""
    if not data:
        raise InvalidFile(_("Berkas kosong."), code="empty_file")
    guessed = filetype.guess(data)
    content_type = guessed.mime if guessed else None
    if content_type == PDF:
        return _checked_pdf(data)
    if content_type in PILLOW_FORMATS:
        return _reencoded_image(data, content_type)
    raise UnsupportedFile(_("Jenis berkas tidak didukung. Unggah JPEG, PNG, atau PDF."))


def _reencoded_image(data: bytes, content_type: str) -> CleanFile:
    pillow_format = PILLOW_FORMATS[content_type]
    try:
        with Image.open(io.BytesIO(data), formats=(pillow_format,)) as image:
            _check_pixels(image.width * image.height)
            image.load()
            clean = _without_metadata(ImageOps.exif_transpose(image), pillow_format)
            out = io.BytesIO()
            clean.save(out, format=pillow_format, **SAVE_OPTIONS[pillow_format])
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _image_too_large() from None
    except Exception:
        # Hostile input can make a decoder fail in many ways (OSError, SyntaxError,
        # ValueError, struct.error...): every one of them means "not a usable image".
        raise InvalidFile(_("Gambar rusak atau tidak dapat dibuka.")) from None
    return CleanFile(out.getvalue(), content_type)


def _check_pixels(pixels: int) -> None:
    if pixels > current_app.config["MAX_IMAGE_PIXELS"]:
        raise _image_too_large()


def _image_too_large() -> InvalidFile:
    return InvalidFile(
        _("Ukuran gambar (jumlah piksel) terlalu besar. Perkecil resolusinya."),
        code="image_too_large",
    )


def _without_metadata(image: Image.Image, pillow_format: str) -> Image.Image:
    """A copy of the pixels only: no EXIF, ICC profile, text chunks or comments."""
    keep = ("L", "RGB") if pillow_format == "JPEG" else ("L", "RGB", "RGBA")
    if image.mode in keep:
        clean = image.copy()
    elif pillow_format == "PNG" and image.has_transparency_data:
        clean = image.convert("RGBA")
    else:
        clean = image.convert("RGB")
    clean.info = {}
    return clean


def _checked_pdf(data: bytes) -> CleanFile:
    if not data.startswith(b"%PDF-"):
        raise UnsupportedFile(_("Jenis berkas tidak didukung. Unggah JPEG, PNG, atau PDF."))
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception:
        # As for images: any failure of the parser on hostile input is a broken file.
        raise InvalidFile(_("PDF rusak atau tidak dapat dibuka.")) from None
    if encrypted:
        raise InvalidFile(_("PDF terkunci kata sandi. Unggah PDF tanpa kata sandi."))
    if pages == 0:
        raise InvalidFile(_("PDF tidak berisi halaman."))
    return CleanFile(data, PDF)


# --- storage -------------------------------------------------------------------


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store_document(user_id: int, kind: DocumentKind, stream: IO[bytes]) -> Document:
    """Check, sanitise and store an upload as the user's document of `kind` (replacing it)."""
    clean = sanitize(read_limited(stream))
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
    folder = upload_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    # mkstemp creates the file readable by the owner only (0600).
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, folder / name)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
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
