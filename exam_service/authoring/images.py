"""Question images: checked and re-encoded like candidates' documents, then stored
under a random name in a folder of their own.

An image is bank content, not personal data: every signed-in user may load it
(candidates see it in their test). Only JPEG and PNG are accepted; the upload
checks (content sniffing, pixel cap, re-encoding without metadata) are the
documents' own.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from pathlib import Path
from typing import IO

from flask import Response, current_app, send_file
from flask_babel import gettext as _

from ..accounts.documents import EXTENSIONS, PILLOW_FORMATS, UnsupportedFile, read_limited, sanitize
from ..core.errors import NotFound

_NAME = re.compile(r"[0-9a-f]{32}\.(jpg|png)")
_ONE_DAY = 86_400
_MIME = {"jpg": "image/jpeg", "png": "image/png"}


def image_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "bank-images"


def store_image(stream: IO[bytes]) -> str:
    """Check and store an uploaded image; returns its new file name."""
    clean = sanitize(read_limited(stream))
    if clean.content_type not in PILLOW_FORMATS:
        raise UnsupportedFile(_("Gambar soal harus JPEG atau PNG."))
    name = f"{secrets.token_hex(16)}.{EXTENSIONS[clean.content_type]}"
    folder = image_folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(clean.data)
        os.replace(temp_name, folder / name)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return name


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
