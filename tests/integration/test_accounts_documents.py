"""Document uploads (ASVS 5.2.x, 5.3.x, 8.2.2): content checks, re-encoding, private storage."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from exam_service.accounts.documents import document_file, store_document
from exam_service.accounts.models import Document, DocumentKind, Role
from exam_service.core import uploads
from exam_service.core.extensions import db
from tests.support.accounts import (
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    png_with_huge_dimensions,
    upload,
)
from tests.support.clients import csrf_from

HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9"/></svg>'
# How the page and the 415 message name the picture types (HEIC where pillow-heif is installed).
IMAGE_TYPES_TEXT = "JPEG, PNG, atau HEIC" if uploads.HEIC_SUPPORTED else "JPEG atau PNG"
IMAGE_OR_PDF_TEXT = "JPEG, PNG, HEIC, atau PDF" if uploads.HEIC_SUPPORTED else "JPEG, PNG, atau PDF"


@pytest.fixture
def folder(test_config) -> Path:
    path = Path(test_config["UPLOAD_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def candidate(make_user, login):
    return login(make_user())


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def stored_row(app, kind: str = "ktp") -> Document | None:
    with app.app_context():
        row = db.session.scalar(db.select(Document).where(Document.kind == kind))
        if row is not None:
            db.session.expunge(row)
        return row


def stored_bytes(folder: Path, row: Document) -> bytes:
    return (folder / row.storage_name).read_bytes()


def exif_with_location() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Pabrikan Ponsel Uji"  # Make
    exif[0x0110] = "Model Uji"  # Model
    exif[0x8825] = {1: "S", 2: (6.0, 54.0, 0.0)}  # GPS latitude
    return exif


# --- accepted files, sanitised -----------------------------------------------


def test_jpeg_is_reencoded_without_exif(app, candidate, folder):
    original = jpeg_bytes(exif=exif_with_location(), comment=b"komentar rahasia")
    assert Image.open(io.BytesIO(original)).getexif()  # the test file really has EXIF
    response = upload(candidate, "ktp", original, "ktp.jpg")
    assert response.status_code == 200, response.json
    assert response.json["content_type"] == "image/jpeg"
    assert set(response.json) == {"kind", "content_type", "size", "uploaded_at"}

    data = stored_bytes(folder, stored_row(app))
    assert data != original
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
        assert not image.getexif()
        assert "comment" not in image.info
    assert b"Exif" not in data
    assert b"Pabrikan" not in data
    assert b"komentar rahasia" not in data


def test_png_is_reencoded_without_text_chunks(app, candidate, folder):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    response = upload(candidate, "photo", png_bytes(pnginfo=info), "foto.png")
    assert response.status_code == 200, response.json
    assert response.json["content_type"] == "image/png"
    data = stored_bytes(folder, stored_row(app, "photo"))
    assert b"<script>" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert "Comment" not in image.info


def test_pdf_is_stored(app, candidate, folder):
    original = pdf_bytes()
    response = upload(candidate, "cv", original, "cv.pdf")
    assert response.status_code == 200, response.json
    assert response.json["content_type"] == "application/pdf"
    assert stored_bytes(folder, stored_row(app, "cv")) == original


def test_jpeg_html_polyglot_loses_the_html(app, candidate, folder):
    # HTML inside a JPEG comment and after the end-of-image marker.
    polyglot = jpeg_bytes(comment=HTML) + HTML
    response = upload(candidate, "ktp", polyglot, "ktp.html")
    assert response.status_code == 200, response.json
    data = stored_bytes(folder, stored_row(app))
    assert b"<script>" not in data
    assert b"<html>" not in data


# --- refused files: a clear 4xx and nothing stored ------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "status", "code"),
    [
        (HTML, "ktp.jpg", "image/jpeg", 415, "unsupported_file_type"),
        (SVG, "ktp.svg", "image/svg+xml", 415, "unsupported_file_type"),
        (SVG, "ktp.png", "image/png", 415, "unsupported_file_type"),
        (b"", "ktp.jpg", "image/jpeg", 422, "empty_file"),
        (b"GIF89a" + b"\x00" * 40, "ktp.gif", "image/gif", 415, "unsupported_file_type"),
        (jpeg_bytes()[:200], "ktp.jpg", "image/jpeg", 422, "invalid_file"),  # truncated
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "ktp.jpg", "image/jpeg", 422, "invalid_file"),
        (b"%PDF-1.4\nbukan pdf", "ktp.pdf", "application/pdf", 422, "invalid_file"),
        (pdf_bytes(password="rahasia"), "ktp.pdf", "application/pdf", 422, "invalid_file"),
        (png_with_huge_dimensions(30000, 30000), "ktp.png", "image/png", 422, "image_too_large"),
        (png_with_huge_dimensions(7000, 7000), "ktp.png", "image/png", 422, "image_too_large"),
    ],
    ids=[
        "html-named-jpg",
        "svg",
        "svg-named-png",
        "zero-bytes",
        "gif",
        "truncated-jpeg",
        "jpeg-magic-only",
        "broken-pdf",
        "encrypted-pdf",
        "png-30000x30000",
        "png-49-megapixels",
    ],
)
def test_refused_upload(app, candidate, folder, data, filename, content_type, status, code):
    before = files_in(folder)
    response = candidate.put(
        "/api/v1/me/documents/ktp",
        data={"file": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    assert stored_row(app) is None
    assert files_in(folder) == before


def test_pixel_cap_comes_from_config(app, candidate, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 100 * 100 - 1)
    response = upload(candidate, "photo", png_bytes(size=(100, 100)), "foto.png")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "image_too_large"
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 100 * 100)
    assert upload(candidate, "photo", png_bytes(size=(100, 100))).status_code == 200


def test_20_mb_upload_is_413(app, candidate, folder):
    before = files_in(folder)
    response = upload(candidate, "ktp", b"\xff\xd8\xff" + b"A" * (20 * 1024 * 1024), "ktp.jpg")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert stored_row(app) is None
    assert files_in(folder) == before


def test_just_over_the_upload_limit_is_413(app, candidate):
    # Under the request limit (MAX_CONTENT_LENGTH), over the file limit.
    limit = app.config["MAX_UPLOAD_BYTES"]
    response = upload(candidate, "ktp", b"%PDF-" + b"0" * (limit - 4), "ktp.pdf")
    assert response.status_code == 413
    assert response.json["error"]["code"] == "file_too_large"
    assert stored_row(app) is None


def test_missing_file_field_is_422(candidate):
    response = candidate.put(
        "/api/v1/me/documents/ktp", data={"other": "x"}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "file" in response.json["error"]["details"]


def test_unknown_kind_is_refused(candidate):
    assert upload(candidate, "passport", png_bytes()).status_code == 422
    assert candidate.get("/api/v1/me/documents/passport").status_code == 422


# --- storage --------------------------------------------------------------------


def test_client_file_name_has_no_effect_on_storage(app, candidate, folder):
    before = files_in(folder)
    response = upload(candidate, "ktp", jpeg_bytes(), "../../x.jpg")
    assert response.status_code == 200
    row = stored_row(app)
    assert re.fullmatch(r"[0-9a-f]{32}", row.storage_name)
    assert files_in(folder) - before == {row.storage_name}
    assert not (folder.parent / "x.jpg").exists()
    assert not (folder.parent.parent / "x.jpg").exists()
    assert "x.jpg" not in candidate.get("/api/v1/me/documents").get_data(as_text=True)
    assert "storage_name" not in candidate.get("/api/v1/me/documents").json["documents"][0]


def test_replacing_removes_the_old_file_after_the_new_one_is_stored(app, candidate, folder):
    upload(candidate, "ktp", jpeg_bytes())
    first = stored_row(app)
    assert upload(candidate, "ktp", png_bytes(), "ktp.png").status_code == 200
    second = stored_row(app)
    assert second.id == first.id
    assert second.content_type == "image/png"
    assert not (folder / first.storage_name).exists()
    assert (folder / second.storage_name).exists()


def test_a_refused_replacement_keeps_the_old_document(app, candidate, folder):
    upload(candidate, "ktp", jpeg_bytes())
    first = stored_row(app)
    assert upload(candidate, "ktp", HTML, "ktp.jpg").status_code == 415
    assert stored_row(app).storage_name == first.storage_name
    assert candidate.get("/api/v1/me/documents/ktp").data == stored_bytes(folder, first)


def test_list_shows_uploaded_and_missing(candidate):
    upload(candidate, "ktp", jpeg_bytes())
    upload(candidate, "cv", pdf_bytes(), "cv.pdf")
    listed = candidate.get("/api/v1/me/documents").json
    assert {d["kind"] for d in listed["documents"]} == {"ktp", "cv"}
    assert set(listed["missing"]) == {"photo", "diploma", "phone_spec", "application_letter"}
    for document in listed["documents"]:
        assert set(document) == {"kind", "content_type", "size", "uploaded_at"}


# --- downloads and object-level authorization ------------------------------------


def test_download_headers(app, candidate, folder):
    upload(candidate, "cv", pdf_bytes(), "riwayat hidup saya.pdf")
    response = candidate.get("/api/v1/me/documents/cv")
    assert response.status_code == 200
    assert response.data == stored_bytes(folder, stored_row(app, "cv"))
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename=cv.pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_candidate_cannot_read_another_candidates_document(app, make_user, login, folder):
    owner, other = make_user(), make_user()
    assert upload(login(owner), "ktp", jpeg_bytes()).status_code == 200
    intruder = login(other)
    assert intruder.get("/api/v1/me/documents/ktp").status_code == 404
    assert intruder.get("/dokumen/ktp/unduh").status_code == 404
    assert intruder.get("/api/v1/me/documents").json["documents"] == []
    with app.app_context():
        assert document_file(other.id, DocumentKind.KTP) is None
        assert document_file(owner.id, DocumentKind.KTP) is not None


def test_guessed_paths_are_404(app, candidate, folder):
    upload(candidate, "ktp", jpeg_bytes())
    name = stored_row(app).storage_name
    for path in (
        f"/uploads/{name}",
        f"/static/{name}",
        f"/static/../uploads/{name}",
        f"/static/..%2f..%2finstance/uploads/{name}",
        f"/instance/uploads/{name}",
        f"/api/v1/me/documents/{name}",
        f"/dokumen/{name}/unduh",
    ):
        response = candidate.get(path)
        assert response.status_code in (404, 422), path
        assert response.data != stored_bytes(folder, stored_row(app)), path


def test_only_candidates_upload(client, make_user, login, make_office):
    client.csrf_token = client.get("/api/v1/auth/csrf").json["csrf_token"]
    assert upload(client, "ktp", jpeg_bytes()).status_code == 401
    assert client.get("/api/v1/me/documents").status_code == 401
    admin = login(make_user(Role.ADMIN, office=make_office()))
    assert upload(admin, "ktp", jpeg_bytes()).status_code == 403


def test_upload_without_csrf_token_is_refused(app, candidate):
    response = candidate.raw.put(
        "/api/v1/me/documents/ktp",
        data={"file": (io.BytesIO(jpeg_bytes()), "ktp.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert stored_row(app) is None


def test_uploads_are_rate_limited_per_account(app, make_user, login, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_RATE_LIMIT", "2 per hour")
    first, second = login(make_user()), login(make_user())
    assert upload(first, "ktp", jpeg_bytes()).status_code == 200
    assert upload(first, "ktp", HTML).status_code == 415  # refusals count too
    assert upload(first, "photo", jpeg_bytes()).status_code == 429
    assert upload(second, "ktp", jpeg_bytes()).status_code == 200


# --- the page -------------------------------------------------------------------


def post_page(client, kind: str, data: bytes, filename: str = "berkas.jpg", token=True):
    page = client.get("/dokumen").get_data(as_text=True)
    form = {"file": (io.BytesIO(data), filename)}
    if token:
        form["csrf_token"] = csrf_from(page)
    return client.raw.post(f"/dokumen/{kind}", data=form, content_type="multipart/form-data")


def test_documents_page_upload_and_download(app, candidate):
    page = candidate.get("/dokumen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('enctype="multipart/form-data"') == len(DocumentKind)
    assert 'accept="image/*,application/pdf"' in html
    assert "Surat lamaran tulisan tangan" in html

    response = post_page(candidate, "diploma", pdf_bytes(), "ijazah.pdf")
    assert response.status_code == 303
    html = candidate.get("/dokumen").get_data(as_text=True)
    assert "Ijazah tersimpan." in html
    assert "/dokumen/diploma/unduh" in html
    download = candidate.get("/dokumen/diploma/unduh")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == "attachment; filename=diploma.pdf"


def test_documents_page_shows_errors(app, candidate):
    response = post_page(candidate, "ktp", HTML, "ktp.jpg")
    assert response.status_code == 415
    assert "Jenis berkas tidak didukung" in response.get_data(as_text=True)
    big = post_page(candidate, "ktp", b"A" * (20 * 1024 * 1024), "ktp.jpg")
    assert big.status_code == 413
    assert "Berkas terlalu besar" in big.get_data(as_text=True)
    assert stored_row(app) is None


def test_documents_page_needs_csrf_token(app, candidate):
    assert post_page(candidate, "ktp", jpeg_bytes(), token=False).status_code == 400
    assert stored_row(app) is None


def test_rolled_back_upload_leaves_no_file_and_keeps_the_old_one(
    app, make_user, make_documents, folder
):
    user = make_user()
    make_documents(user, kinds=[DocumentKind.KTP])
    old = stored_row(app)
    before = files_in(folder)
    with app.app_context():
        store_document(user.id, DocumentKind.KTP, io.BytesIO(jpeg_bytes()))
        assert len(files_in(folder) - before) == 1
        db.session.rollback()
    assert files_in(folder) == before
    assert stored_row(app).storage_name == old.storage_name


# --- probe, issue 12: active content in PDFs ------------------------------------------

# Alphanumeric markers: pypdf escapes punctuation in strings, these stay greppable.
ACTIVE_CONTENT_MARKERS = (
    b"/JavaScript",
    b"/JS",
    b"/OpenAction",
    b"/AA",
    b"/Launch",
    b"/EmbeddedFile",
    b"/EF",
    b"/FileAttachment",
    b"/SubmitForm",
    b"MarkerOpenAction",
    b"MarkerDocumentAA",
    b"MarkerPageAA",
    b"MarkerNameTree",
    b"MarkerLinkJS",
    b"MarkerEmbeddedPayload",
    b"MarkerLaunchExe",
    b"MarkerAnnotationAttachment",
    b"MarkerWidgetAA",
    b"MarkerSubmitForm",
    b"MarkerNextJS",
    b"javascript",
    b"PenulisRahasia",
)


def _pdf_with_active_content() -> bytes:
    """A one-page PDF carrying every kind of active content a viewer might run or open."""
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        StreamObject,
        TextStringObject,
    )

    def name(value: str) -> NameObject:
        return NameObject(value)

    def js(code: str, **more) -> DictionaryObject:
        action = DictionaryObject(
            {name("/S"): name("/JavaScript"), name("/JS"): TextStringObject(code)}
        )
        action.update({name(k): v for k, v in more.items()})
        return action

    def rect() -> ArrayObject:
        return ArrayObject([FloatObject(v) for v in (10, 10, 100, 100)])

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    root = writer.root_object
    writer.add_metadata({"/Author": "PenulisRahasia"})
    # Document level: /OpenAction, /AA, /Names /JavaScript and /Names /EmbeddedFiles.
    root[name("/OpenAction")] = js("MarkerOpenAction", **{"/Next": js("MarkerNextJS")})
    root[name("/AA")] = DictionaryObject({name("/WC"): js("MarkerDocumentAA")})
    writer.add_attachment("MarkerEmbeddedPayload.exe", b"MZ MarkerEmbeddedPayload")
    root["/Names"][name("/JavaScript")] = DictionaryObject(
        {
            name("/Names"): ArrayObject(
                [TextStringObject("x"), writer._add_object(js("MarkerNameTree"))]
            )
        }
    )
    # Page level: /AA, and annotations whose actions run script, launch or submit.
    page[name("/AA")] = DictionaryObject({name("/O"): js("MarkerPageAA")})
    embedded = StreamObject()
    embedded.set_data(b"MarkerAnnotationAttachment")
    embedded[name("/Type")] = name("/EmbeddedFile")
    annotations = [
        {"/Subtype": name("/Link"), "/A": js("MarkerLinkJS")},
        {
            "/Subtype": name("/Link"),
            "/A": DictionaryObject(
                {name("/S"): name("/Launch"), name("/F"): TextStringObject("MarkerLaunchExe")}
            ),
        },
        {
            "/Subtype": name("/Link"),
            "/A": DictionaryObject(
                {name("/S"): name("/URI"), name("/URI"): TextStringObject("javascript:alert(1)")}
            ),
        },
        {
            # Indirect, as a hostile file may write it: it must still be recognised.
            "/Subtype": writer._add_object(name("/FileAttachment")),
            "/FS": DictionaryObject(
                {
                    name("/Type"): name("/Filespec"),
                    name("/F"): TextStringObject("lampiran.exe"),
                    name("/EF"): DictionaryObject({name("/F"): writer._add_object(embedded)}),
                }
            ),
        },
        {
            "/Subtype": name("/Widget"),
            "/FT": name("/Btn"),
            "/T": TextStringObject("tombol"),
            "/AA": DictionaryObject({name("/U"): js("MarkerWidgetAA")}),
            "/A": DictionaryObject(
                {
                    name("/S"): name("/SubmitForm"),
                    name("/F"): TextStringObject("https://penyerang.example/MarkerSubmitForm"),
                }
            ),
        },
        # A harmless link stays: CVs link to a portfolio.
        {
            "/Subtype": name("/Link"),
            "/A": DictionaryObject(
                {
                    name("/S"): name("/URI"),
                    name("/URI"): TextStringObject("https://contoh.example/"),
                }
            ),
        },
    ]
    page[name("/Annots")] = writer._add_object(
        ArrayObject(
            writer._add_object(
                DictionaryObject(
                    {
                        name("/Type"): name("/Annot"),
                        name("/Rect"): rect(),
                        name("/F"): NumberObject(4),
                        **{name(k): v for k, v in annotation.items()},
                    }
                )
            )
            for annotation in annotations
        )
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_active_content_is_removed_before_storing(app, candidate, folder):
    original = _pdf_with_active_content()
    for marker in ACTIVE_CONTENT_MARKERS:
        assert marker in original, marker  # the test file really carries it

    response = upload(candidate, "cv", original, "cv.pdf")
    assert response.status_code == 200, response.json
    assert response.json["content_type"] == "application/pdf"
    stored = stored_bytes(folder, stored_row(app, "cv"))
    downloaded = candidate.get("/api/v1/me/documents/cv")
    assert downloaded.status_code == 200
    assert downloaded.data == stored
    for marker in ACTIVE_CONTENT_MARKERS:
        assert marker not in stored, marker

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1  # the pages are kept
    assert not reader.attachments
    for key in ("/OpenAction", "/AA", "/Names", "/AcroForm"):
        assert key not in reader.trailer["/Root"], key
    annotations = [a.get_object() for a in reader.pages[0].get("/Annots", [])]
    uris = [a["/A"]["/URI"] for a in annotations if "/A" in a]
    assert uris == ["https://contoh.example/"]


def test_pdf_download_has_a_sandboxing_csp(app, candidate):
    assert upload(candidate, "cv", pdf_bytes(), "cv.pdf").status_code == 200
    for path in ("/api/v1/me/documents/cv", "/dokumen/cv/unduh"):
        response = candidate.get(path)
        assert response.status_code == 200, path
        policy = {
            part.strip().split(" ", 1)[0]: part.strip()
            for part in response.headers["Content-Security-Policy"].split(";")
            if part.strip()
        }
        assert policy["default-src"] == "default-src 'none'", path
        assert "sandbox" in policy, path
        assert response.headers["Content-Disposition"].startswith("attachment;"), path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path


def test_truncated_pdf_is_refused_clearly(app, candidate):
    data = _pdf_with_active_content()
    response = upload(candidate, "cv", data[: len(data) // 3], "cv.pdf")
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_file"
    assert "PDF" in response.json["error"]["message"]
    assert stored_row(app, "cv") is None


# --- probe, issue 12: each kind has its own file types -----------------------------------


@pytest.mark.parametrize("kind", ["photo", "phone_spec"])
def test_pdf_is_refused_where_an_image_is_required(app, candidate, folder, kind):
    before = files_in(folder)
    response = upload(candidate, kind, pdf_bytes(), "berkas.pdf")
    assert response.status_code == 415, response.json
    assert response.json["error"]["code"] == "unsupported_file_type"
    message = response.json["error"]["message"]
    assert IMAGE_TYPES_TEXT in message
    assert "PDF" not in message
    assert stored_row(app, kind) is None
    assert files_in(folder) == before


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("photo", jpeg_bytes()),
        ("photo", png_bytes()),
        ("phone_spec", png_bytes()),
        ("ktp", jpeg_bytes()),
        ("ktp", pdf_bytes()),
        ("diploma", pdf_bytes()),
        ("diploma", jpeg_bytes()),
        ("cv", pdf_bytes()),
        ("cv", png_bytes()),
        ("application_letter", pdf_bytes()),
        ("application_letter", jpeg_bytes()),
    ],
)
def test_allowed_types_per_kind_still_pass(candidate, kind, data):
    assert upload(candidate, kind, data).status_code == 200


def test_documents_page_says_per_kind_what_it_accepts(app, candidate):
    html = candidate.get("/dokumen").get_data(as_text=True)

    def section(kind: str) -> str:
        start = html.index(f'id="dokumen-{kind}"')
        end = html.find("</section>", start)
        return html[start:end]

    # Any picture (phones then offer the camera; the page turns other pictures into
    # JPEG before sending), and PDF where the kind takes it.
    for kind in ("photo", "phone_spec"):
        assert 'accept="image/*"' in section(kind), kind
        assert IMAGE_TYPES_TEXT in section(kind), kind
    for kind in ("ktp", "diploma", "cv", "application_letter"):
        assert 'accept="image/*,application/pdf"' in section(kind), kind
        assert IMAGE_OR_PDF_TEXT in section(kind), kind

    response = post_page(candidate, "photo", pdf_bytes(), "foto.pdf")
    assert response.status_code == 415
    refused = response.get_data(as_text=True)
    start = refused.index('id="dokumen-photo"')
    assert IMAGE_TYPES_TEXT in refused[start : refused.find("</section>", start)]
    assert 'role="alert"' in refused[start : refused.find("</section>", start)]
    assert stored_row(app, "photo") is None


# --- issue 16: photos from a phone (HEIC) and the documents page on a phone -----------


def heic_bytes(size: tuple[int, int] = (80, 40), exif: Image.Exif | None = None) -> bytes:
    """An invented HEIC photo, encoded by pillow-heif (skips the test without it)."""
    pytest.importorskip("pillow_heif")  # its opener and saver: registered by core.uploads
    image = Image.new("RGB", size, (30, 120, 200))
    image.paste((220, 40, 40), (0, 0, size[0] // 2, size[1] // 2))  # a red corner, top left
    out = io.BytesIO()
    options = {"exif": exif.tobytes()} if exif is not None else {}
    image.save(out, format="HEIF", quality=60, **options)
    return out.getvalue()


def test_heic_from_an_iphone_is_stored_as_an_upright_jpeg_without_exif(app, candidate, folder):
    exif = exif_with_location()
    exif[0x0112] = 6  # Orientation: the camera was held upright, the sensor saw it sideways
    original = heic_bytes((80, 40), exif)
    assert original[4:12] == b"ftypheic"  # really a HEIC file
    response = upload(candidate, "photo", original, "IMG_0001.HEIC")
    assert response.status_code == 200, response.json
    assert response.json["content_type"] == "image/jpeg"

    row = stored_row(app, "photo")
    assert row.content_type == "image/jpeg"
    data = stored_bytes(folder, row)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert image.size == (40, 80)  # turned upright
        assert not image.getexif()
    assert b"Exif" not in data
    assert b"Pabrikan" not in data
    download = candidate.get("/dokumen/photo/unduh")
    assert download.headers["Content-Disposition"] == "attachment; filename=photo.jpg"


@pytest.mark.parametrize("kind", ["ktp", "diploma", "cv", "phone_spec", "application_letter"])
def test_heic_is_taken_wherever_jpeg_is(app, candidate, folder, kind):
    response = upload(candidate, kind, heic_bytes(), "foto.heic")
    assert response.status_code == 200, response.json
    assert response.json["content_type"] == "image/jpeg"
    with Image.open(io.BytesIO(stored_bytes(folder, stored_row(app, kind)))) as image:
        assert image.format == "JPEG"


def test_heic_through_the_page_without_javascript(app, candidate):
    response = post_page(candidate, "ktp", heic_bytes(), "ktp.heic")
    assert response.status_code == 303
    assert stored_row(app).content_type == "image/jpeg"


def test_heic_is_refused_clearly_where_the_server_cannot_convert_it(
    app, candidate, folder, monkeypatch
):
    data = heic_bytes()
    monkeypatch.setattr(uploads, "HEIC_SUPPORTED", False)  # as without pillow-heif
    before = files_in(folder)
    response = upload(candidate, "photo", data, "foto.heic")
    assert response.status_code == 415, response.json
    assert response.json["error"]["code"] == "heic_unsupported"
    message = response.json["error"]["message"]
    assert "HEIC" in message
    assert "JPEG" in message
    assert stored_row(app, "photo") is None
    assert files_in(folder) == before
    html = candidate.get("/dokumen").get_data(as_text=True)
    assert "HEIC" not in html  # the page no longer promises it


def test_heic_over_the_pixel_cap_is_refused(app, candidate, monkeypatch):
    data = heic_bytes((80, 40))
    monkeypatch.setitem(app.config, "MAX_IMAGE_PIXELS", 80 * 40 - 1)
    response = upload(candidate, "photo", data, "foto.heic")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "image_too_large"
    assert stored_row(app, "photo") is None


def test_broken_heic_is_refused(app, candidate):
    pytest.importorskip("pillow_heif")
    fake = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 200
    response = upload(candidate, "photo", fake, "foto.heic")
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid_file"
    assert stored_row(app, "photo") is None


def test_avif_is_not_taken_for_heic(app, candidate):
    avif_header = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64
    response = upload(candidate, "photo", avif_header, "foto.avif")
    assert response.status_code == 415
    assert response.json["error"]["code"] == "unsupported_file_type"


def test_page_forms_come_back_to_their_own_document(app, candidate):
    """Without JavaScript the form's #fragment survives the 303 redirect (browsers keep
    the request's fragment when the Location has none), so the page opens at the row."""
    html = candidate.get("/dokumen").get_data(as_text=True)
    for kind in DocumentKind:
        assert f'action="/dokumen/{kind.value}#dokumen-{kind.value}"' in html
        assert f'id="dokumen-{kind.value}"' in html
    response = post_page(candidate, "cv", pdf_bytes(), "cv.pdf")
    assert response.status_code == 303
    assert "#" not in response.headers["Location"]


def test_page_counts_documents_and_offers_the_next_step_after_the_sixth(
    app, make_user, make_profile, make_documents, login
):
    user = make_user()
    make_profile(user)
    make_documents(user, kinds=list(DocumentKind)[:5])
    candidate = login(user)
    html = candidate.get("/dokumen").get_data(as_text=True)
    assert "5 dari 6 dokumen sudah diunggah." in html
    assert "Lanjut melamar" not in html

    last = list(DocumentKind)[5]
    assert post_page(candidate, last.value, pdf_bytes(), "surat.pdf").status_code == 303
    html = candidate.get("/dokumen").get_data(as_text=True)
    assert "Semua 6 dokumen sudah diunggah." in html
    start = html.index('id="dokumen-lanjut"')
    bar = html[start : html.index("</div>", start)]
    assert 'href="/lamaran"' in bar
    assert "Lanjut melamar" in bar


def test_complete_documents_without_a_profile_lead_to_the_profile(
    app, make_user, make_documents, login
):
    user = make_user()
    make_documents(user)
    html = login(user).get("/dokumen").get_data(as_text=True)
    start = html.index('id="dokumen-lanjut"')
    bar = html[start : html.index("</div>", start)]
    assert "Lanjut melamar" not in bar
    assert 'href="/profil"' in bar
    assert "Lengkapi profil" in bar


def test_page_gives_its_script_the_limit_and_the_api(app, candidate):
    html = candidate.get("/dokumen").get_data(as_text=True)
    assert f'data-max-bytes="{app.config["MAX_UPLOAD_BYTES"]}"' in html
    assert 'data-api="/api/v1/me/documents/photo"' in html
    assert '<script src="/static/documents.js" defer></script>' in html
    assert 'capture="environment"' in html  # a camera shortcut, beside the gallery
    assert 'name="file" accept="image/*"' in html  # the main input does not force the camera
