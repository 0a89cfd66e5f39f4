"""Uploaded files: content checks, sanitising and atomic writes, for every upload.

What a file is, is judged by its content, never by its name or the declared
content type: the magic bytes must say one of the types the caller accepts
(candidates' documents take JPEG, PNG or PDF per kind, question images JPEG or
PNG), and the file must then really open as one. Images are opened by Pillow
restricted to JPEG and PNG, under a pixel cap (decompression bombs), and
re-encoded from their pixels, so EXIF (GPS position), comments and anything
appended to the image (an HTML or script polyglot) are gone.

HEIC/HEIF photos (iPhones and some Android cameras) are taken wherever JPEG is,
when pillow-heif is installed: opened by its decoder only, under the same pixel
cap, turned upright and re-encoded as JPEG on the same path, so what is stored
is always a JPEG. Without pillow-heif they are refused with a message that says
how to send a JPEG instead. (The documents page shrinks big photos in the
browser before sending them; this module still judges whatever arrives.)

PDFs get the same treatment: they must open with pypdf and not be encrypted,
and are rewritten from their pages only. The new file has none of the original
document catalog (its /OpenAction, /AA, /Names with /JavaScript and
/EmbeddedFiles, /AcroForm with XFA, outlines, metadata) and nothing appended or
left unreferenced; inside the pages, script, additional actions, embedded files
and actions other than "go to a page" or "open an http(s)/mailto link" are
removed. The result is read back and checked once more; a PDF that still has
active content after that is refused.

Files are written to a temporary file in their folder, synced and renamed into
place, so a reader never sees half a file.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject

from .errors import ServiceError

try:  # HEIC support is optional: pillow-heif ships libheif in its wheels.
    import pillow_heif
except ImportError:  # pragma: no cover - depends on the installation
    pillow_heif = None
else:
    # Only the primary picture is ever read: no thumbnails, depth or auxiliary images.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)

log = logging.getLogger(__name__)

JPEG, PNG, PDF, HEIC = "image/jpeg", "image/png", "application/pdf", "image/heic"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
TYPE_NAMES = {JPEG: "JPEG", PNG: "PNG", PDF: "PDF", HEIC: "HEIC"}
PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", HEIC: "HEIF"}
# Types that are accepted where another one is, and stored as that one.
CONVERTED_TO = {HEIC: JPEG}
HEIC_SUPPORTED = pillow_heif is not None
# The ISO-BMFF brands of HEIF images coded with HEVC (not AVIF): the major brand, or a
# compatible brand beside the general "mif1"/"msf1" ones.
_HEIC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_HEIF_GENERAL_BRANDS = frozenset({b"mif1", b"msf1"})
SAVE_OPTIONS: dict[str, dict] = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
}
IMAGE = (JPEG, PNG)
IMAGE_OR_PDF = (JPEG, PNG, PDF)

# A CV or a diploma has a few pages; rewriting a PDF costs time per page.
MAX_PDF_PAGES = 50


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


def accepted_types(allowed: tuple[str, ...]) -> tuple[str, ...]:
    """What a caller that stores `allowed` takes in: HEIC too where JPEG is (when supported)."""
    extra = tuple(
        source
        for source, target in CONVERTED_TO.items()
        if target in allowed and source not in allowed and (source != HEIC or HEIC_SUPPORTED)
    )
    return allowed + extra


def sanitize(
    data: bytes, allowed: tuple[str, ...], refusal: Callable[[], UnsupportedFile]
) -> CleanFile:
    """Check what the bytes really are and that it is one of the `allowed` content
    types (else `refusal()`, the caller's message); images come back re-encoded
    without metadata, PDFs rewritten without active content. A HEIC photo comes
    back as a JPEG where JPEG is allowed.
    """
    if not data:
        raise InvalidFile(_("Berkas kosong."), code="empty_file")
    content_type = _sniffed_type(data)
    if content_type == HEIC and JPEG in allowed:
        if not HEIC_SUPPORTED:
            raise _heic_unsupported()
        return _reencoded_image(data, HEIC, JPEG)
    # Before any parser runs: a type the caller does not take is refused unread.
    if content_type not in allowed:
        raise refusal()
    if content_type == PDF:
        if not data.startswith(b"%PDF-"):
            raise refusal()
        return _cleaned_pdf(data)
    return _reencoded_image(data, content_type, content_type)


def _sniffed_type(data: bytes) -> str | None:
    """The content type the bytes say, by their magic bytes only."""
    if _is_heic(data):
        return HEIC
    guessed = filetype.guess(data)
    return guessed.mime if guessed else None


def _is_heic(data: bytes) -> bool:
    """An ISO-BMFF file whose `ftyp` box names a HEVC-coded HEIF brand."""
    if data[4:8] != b"ftyp":
        return False
    size = int.from_bytes(data[:4], "big")
    if size < 16 or size > min(len(data), 4096) or size % 4:
        return False
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, size, 4)}
    if major in _HEIC_BRANDS:
        return True
    return major in _HEIF_GENERAL_BRANDS and bool(compatible & _HEIC_BRANDS)


def _heic_unsupported() -> UnsupportedFile:
    return UnsupportedFile(
        _(
            "Foto HEIC belum dapat diterima. Kirim foto sebagai JPEG: di iPhone pilih "
            'Pengaturan > Kamera > Format > "Paling Kompatibel", atau ambil tangkapan layar '
            "foto tersebut, lalu unggah lagi."
        ),
        code="heic_unsupported",
    )


def _reencoded_image(data: bytes, content_type: str, stored_type: str) -> CleanFile:
    """Open `data` as `content_type` only and re-encode its pixels as `stored_type`."""
    pillow_format = PILLOW_FORMATS[stored_type]
    try:
        with Image.open(io.BytesIO(data), formats=(PILLOW_FORMATS[content_type],)) as image:
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
    return CleanFile(out.getvalue(), stored_type)


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


def _cleaned_pdf(data: bytes) -> CleanFile:
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        pages = 0 if encrypted else len(reader.pages)
    except Exception:
        # As for images: any failure of the parser on hostile input is a broken file.
        raise _broken_pdf() from None
    if encrypted:
        raise InvalidFile(_("PDF terkunci kata sandi. Unggah PDF tanpa kata sandi."))
    if pages == 0:
        raise InvalidFile(_("PDF tidak berisi halaman."))
    if pages > MAX_PDF_PAGES:
        raise InvalidFile(
            _("PDF terlalu banyak halaman (maksimal %(pages)d).", pages=MAX_PDF_PAGES),
            code="too_many_pages",
        )
    try:
        cleaned, removed = _rewritten_pdf(reader)
        remaining = _active_content(PdfReader(io.BytesIO(cleaned)))
    except Exception:
        raise _broken_pdf() from None
    if remaining:
        log.warning("PDF upload refused: active content left after cleaning: %s", remaining)
        raise InvalidFile(
            _(
                "PDF berisi skrip atau lampiran yang tidak dapat dibersihkan. Simpan ulang "
                'dokumen sebagai PDF biasa (misalnya dengan "Cetak ke PDF"), lalu unggah lagi.'
            ),
            code="pdf_active_content",
        )
    if removed:
        # Only names of PDF entries: nothing of the document's content or its owner.
        log.info("PDF upload: active content removed: %s", ", ".join(sorted(removed)))
    return CleanFile(cleaned, PDF)


def _broken_pdf() -> InvalidFile:
    return InvalidFile(_("PDF rusak atau tidak dapat dibuka."))


# Entries that run script, act on an event or carry files, wherever they occur.
_ACTIVE_KEYS = frozenset(
    {
        "/JS",  # the script of a JavaScript action
        "/JavaScript",  # the name tree of document-level scripts
        "/OpenAction",  # run when the document opens
        "/AA",  # additional actions: on page open/close, on mouse events, on fields
        "/EmbeddedFiles",  # the name tree of attached files
        "/EF",  # the embedded file streams of a file specification
        "/XFA",  # XML forms, which carry their own scripts
        "/RichMediaContent",  # Flash, video, 3D with their scripts
    }
)
# Keys that hold an action a viewer runs when a link or an annotation is used.
_ACTION_KEYS = ("/A", "/PA")
# Actions kept: jump to a page of the same document, open a web or mail link.
_SAFE_ACTIONS = frozenset({"/GoTo", "/URI"})
_SAFE_URI_SCHEMES = (b"http://", b"https://", b"mailto:")
_URI_IGNORED = re.compile(rb"[\x00-\x20]")  # viewers skip blanks and controls in URIs
# Annotations that are only there to carry a file or play media.
_ACTIVE_ANNOTATIONS = frozenset(
    {"/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"}
)


def _rewritten_pdf(reader: PdfReader) -> tuple[bytes, set[str]]:
    """The pages of `reader` in a new PDF without active content, and what was removed.

    Only the pages are copied (with what they refer to), so nothing of the old
    catalog or trailer comes along. The pages are cleaned in a first copy and
    copied once more, so that what the cleaning cut off (an attachment
    annotation, a script action) is not even left in the file unreferenced.
    """
    first = PdfWriter()
    for page in reader.pages:
        first.add_page(page)
    removed: set[str] = set()
    for dictionary in _dictionaries(first.root_object):
        removed |= _strip_active_entries(dictionary)
    second = PdfWriter()
    for page in first.pages:
        second.add_page(page)
    out = io.BytesIO()
    second.write(out)
    return out.getvalue(), removed


def _active_content(reader: PdfReader) -> set[str]:
    """What active content a PDF still has, looking at every object in the file."""
    size = int(reader.trailer.get("/Size", 0))
    every_object = [IndirectObject(number, 0, reader) for number in range(1, size)]
    found: set[str] = set()
    for dictionary in _dictionaries(reader.trailer, *every_object):
        found |= _active_entries(dictionary)
    return found


def _dictionaries(*roots: PdfObject) -> Iterator[DictionaryObject]:
    """Every dictionary (streams included) reachable from `roots`, each once.

    Iterative, and indirect objects are visited once: a hostile file may nest
    deeply or refer to itself in a loop.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject] = list(reversed(roots))
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            yield obj
            # After the caller is done with it: entries it removed are not followed.
            stack.extend(dict.values(obj))
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)


def _active_entries(dictionary: DictionaryObject) -> set[str]:
    """The keys of `dictionary` that make it active content."""
    found = {key for key in dictionary if key in _ACTIVE_KEYS}
    found |= {key for key in _ACTION_KEYS if key in dictionary and not _harmless(dictionary[key])}
    subtype = _annotation_subtype(dictionary)
    if subtype:
        found.add(subtype)
    if "/Next" in dictionary and _value(dictionary, "/S") in _SAFE_ACTIONS:
        found.add("/Next")  # a harmless action may chain to any other
    annotations = _value(dictionary, "/Annots")
    if isinstance(annotations, ArrayObject):
        found |= {subtype for subtype in map(_annotation_subtype, annotations) if subtype}
    return found


def _strip_active_entries(dictionary: DictionaryObject) -> set[str]:
    """Remove what `_active_entries` finds; returns what was removed."""
    found = _active_entries(dictionary)
    if _annotation_subtype(dictionary):
        # Dropped from /Annots below (by its page); still referred to from elsewhere
        # (a popup's /Parent), it stays as an empty, inert dictionary.
        dictionary.clear()
        return found
    for key in found & (_ACTIVE_KEYS | set(_ACTION_KEYS) | {"/Next"}):
        del dictionary[key]
    annotations = _value(dictionary, "/Annots")
    if isinstance(annotations, ArrayObject):
        dictionary[NameObject("/Annots")] = ArrayObject(
            annotation for annotation in annotations if not _annotation_subtype(annotation)
        )
    return found


def _annotation_subtype(annotation: PdfObject) -> str | None:
    """The subtype of an annotation that only carries a file or media, else None."""
    annotation = annotation.get_object()
    if isinstance(annotation, DictionaryObject):
        subtype = _value(annotation, "/Subtype")
        if subtype in _ACTIVE_ANNOTATIONS:
            return str(subtype)
    return None


def _value(dictionary: DictionaryObject, key: str) -> PdfObject | None:
    """An entry with an indirect reference resolved (`dict.get` would not resolve it)."""
    value = dict.get(dictionary, key)
    return None if value is None else value.get_object()


def _harmless(action: PdfObject) -> bool:
    """Whether an /A or /PA value may stay: a jump within the document or a web link."""
    action = action.get_object()
    if not isinstance(action, DictionaryObject) or "/S" not in action:
        return True  # not an action (other meanings of /A): nothing a viewer runs
    action_type = action["/S"]
    if action_type not in _SAFE_ACTIONS:
        return False
    if action_type == "/URI":
        uri = getattr(_value(action, "/URI"), "original_bytes", b"")
        return _URI_IGNORED.sub(b"", uri).lower().startswith(_SAFE_URI_SCHEMES)
    return True


# --- writing -------------------------------------------------------------------


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write `data` as `folder/name` (owner-only, synced), whole or not at all."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    return folder / name
