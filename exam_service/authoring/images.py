"""Question images: checked and re-encoded like candidates' documents, then stored
under a random name in a folder of their own.

An image is bank content, not personal data: every signed-in user may load it
(candidates see it in their test). Only JPEG and PNG are accepted; the upload
checks (content sniffing, pixel cap, re-encoding without metadata) are
`core/uploads.py`'s, as for candidates' documents.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import IO

from flask import Response, current_app, send_file
from flask_babel import gettext as _

from ..core.errors import NotFound
from ..core.uploads import (
    EXTENSIONS,
    IMAGE,
    UnsupportedFile,
    read_limited,
    sanitize,
    write_atomically,
)

_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")
_ONE_DAY = 86_400
_MIME = {"jpg": "image/jpeg", "png": "image/png"}


def image_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "bank-images"


def store_image(stream: IO[bytes]) -> str:
    """Check and store an uploaded image; returns its new file name."""
    clean = sanitize(read_limited(stream), IMAGE, _not_an_image)
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[clean.content_type]}"
    write_atomically(image_folder(), name, clean.data)
    return name


def _not_an_image() -> UnsupportedFile:
    return UnsupportedFile(_("Gambar soal harus JPEG atau PNG."))


def is_stored(name: str | None) -> bool:
    """Whether `name` is an image the bank stores (the only names a question may use)."""
    return bool(name and _NAME.fullmatch(name) and (image_folder() / name).is_file())


def image_url(name: str | None) -> str | None:
    return f"/bank-images/{name}" if name else None


def send_image(name: str) -> Response:
    if not is_stored(name):
        raise NotFound(_("Gambar tidak ditemukan."))
    path = image_folder() / name
    # A name is never reused for other content, so a browser may keep the image.
    response = send_file(path, mimetype=_MIME[name.rsplit(".", 1)[1]], conditional=True)
    response.headers["Cache-Control"] = f"private, max-age={_ONE_DAY}, immutable"
    return response
