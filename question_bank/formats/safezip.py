"""Reading uploaded zip files (XLSX, QTI packages) without trusting them.

Nothing is ever extracted to disk; members are read into memory with caps that
hold even when a member's header lies about its size, and member names taken
from a file (QTI hrefs) are refused when they point outside the package.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from urllib.parse import unquote

from ..problems import Problem, problem
from .base import FileRefused

MAX_MEMBERS = 20_000
MAX_MEMBER_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
# Text compresses well, but not a thousandfold: beyond this a member is a zip bomb.
MAX_RATIO = 200
_RATIO_FLOOR = 1024 * 1024  # small members may compress as they like


def open_zip(data: bytes) -> zipfile.ZipFile:
    """Open `data` as a zip after checking its declared sizes; raises FileRefused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise FileRefused(problem("not_zip", "the file is not a zip package")) from None
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise FileRefused(
            problem(
                "zip_too_many_files",
                f"the package has more than {MAX_MEMBERS} files",
                max=MAX_MEMBERS,
            )
        )
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > MAX_MEMBER_BYTES or (
            member.file_size > _RATIO_FLOOR
            and member.file_size > MAX_RATIO * max(member.compress_size, 1)
        ):
            raise FileRefused(_member_too_large(member.filename))
    if total > MAX_TOTAL_BYTES:
        raise FileRefused(problem("zip_too_large", "the package is too large once unpacked"))
    return archive


def read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A member's bytes (KeyError when missing); never more than MAX_MEMBER_BYTES."""
    try:
        with archive.open(name) as member:
            data = member.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        # Bad checksums, broken streams, unknown compression methods, encryption.
        raise FileRefused(
            problem("zip_member_damaged", f"{name}: damaged or encrypted in the package", name=name)
        ) from None
    if len(data) > MAX_MEMBER_BYTES:
        raise FileRefused(_member_too_large(name))
    return data


def _member_too_large(name: str) -> Problem:
    return problem("zip_member_too_large", f"{name}: too large once unpacked", name=name)


def member_name(href: str) -> str | None:
    """The member a relative href names, or None for absolute, remote or escaping paths."""
    path = unquote(href.strip())
    if not path or path.startswith("/") or "\\" in path or ":" in path:
        return None
    path = posixpath.normpath(path)
    if path == ".." or path.startswith("../"):
        return None
    return path
