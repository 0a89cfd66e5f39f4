"""Documents from a phone, in Chromium at 360x740 against the live server: a photo
straight from the camera (far over the server's limit) is shrunk by the page, sent
with a progress bar and listed as uploaded, without the page moving; after the sixth
document the page offers the next step, "Lanjut melamar"."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from exam_service.accounts.models import Document, DocumentKind
from exam_service.core.extensions import db
from tests.support.accounts import PASSWORD, jpeg_bytes

pytestmark = pytest.mark.browser

CAMERA_SIZE = (4000, 3000)  # a 12-megapixel phone camera, the sensor's landscape pixels
EXIF_ORIENTATION = 0x0112
ROTATE_90_CLOCKWISE = 6  # the phone was held upright: the picture is shown portrait


def camera_jpeg(path: Path) -> int:
    """An invented camera photo: 4000x3000 noisy pixels that no JPEG setting of the
    server's would squeeze under its limit, with the EXIF orientation of an upright
    phone. Returns its size in bytes."""
    noise = Image.effect_noise(CAMERA_SIZE, 24)
    shade = Image.linear_gradient("L").resize(CAMERA_SIZE)
    red = Image.blend(shade, noise, 0.5)
    green = Image.blend(shade.transpose(Image.Transpose.ROTATE_90).resize(CAMERA_SIZE), noise, 0.5)
    photo = Image.merge("RGB", (red, green, noise))
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_90_CLOCKWISE
    exif[0x010F] = "Pabrikan Ponsel Uji"  # Make
    photo.save(path, "JPEG", quality=90, exif=exif)
    return path.stat().st_size


def log_in(page: Page, email: str) -> None:
    page.goto("/login?next=/dokumen")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/dokumen")


def slow_upload(page: Page, bytes_per_second: int) -> None:
    """Throttle the page's uploads like a weak mobile connection (Chromium's DevTools
    network emulation), so the progress bar has time to be seen."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 20,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def record_progress(page: Page) -> None:
    """Keep every value the page's progress bars take, in window.seenProgress; and a
    marker that a full page load would lose."""
    page.evaluate(
        """() => {
          window.stillThisPage = true;
          window.seenProgress = [];
          new MutationObserver((changes) => {
            for (const change of changes) {
              if (change.target.closest('.doc-progress')) {
                window.seenProgress.push(Number(change.target.getAttribute('value')));
              }
            }
          }).observe(document.querySelector('main'),
                     {attributes: true, attributeFilter: ['value'], subtree: true});
        }"""
    )


def row_top(page: Page, kind: str) -> float:
    return page.evaluate(f"document.getElementById('dokumen-{kind}').getBoundingClientRect().top")


def stored(app, user_id: int, kind: DocumentKind) -> tuple[Document, bytes]:
    with app.app_context():
        row = db.session.scalar(
            db.select(Document).where(Document.user_id == user_id, Document.kind == kind)
        )
        assert row is not None, f"{kind} not stored"
        db.session.expunge(row)
    data = (Path(app.config["UPLOAD_FOLDER"]) / row.storage_name).read_bytes()
    return row, data


def test_camera_photo_is_shrunk_in_the_page_and_uploaded_in_place(
    app, phone_page: Page, make_user, make_profile, live_server, tmp_path
):
    user = make_user()
    make_profile(user)
    photo = tmp_path / "IMG_20261104_081500.jpg"
    original_size = camera_jpeg(photo)
    limit = app.config["MAX_UPLOAD_BYTES"]
    assert original_size > 2 * limit  # e.g. 5 MB against 2 MB: refused if sent as it is
    page = phone_page

    log_in(page, user.email)
    row = page.locator("#dokumen-cv")
    # The candidate has scrolled down to the CV, the fourth of six documents.
    page.evaluate("document.getElementById('dokumen-cv').scrollIntoView({block: 'center'})")
    scroll_before = page.evaluate("window.scrollY")
    assert scroll_before > 300
    top_before = row_top(page, "cv")
    record_progress(page)
    slow_upload(page, 200 * 1024)

    row.locator("#file-cv").set_input_files(str(photo))
    expect(row.locator(".doc-chosen")).to_contain_text("IMG_20261104_081500.jpg")
    row.get_by_role("button", name="Unggah").click()

    expect(row.locator(".doc-progress-text")).to_contain_text("Mengunggah", timeout=30_000)
    expect(row.locator(".doc-progress progress")).to_be_visible()
    expect(row.get_by_role("status")).to_contain_text(
        "Daftar riwayat hidup tersimpan.", timeout=60_000
    )
    expect(row.locator("h2 .badge")).to_have_text("Sudah diunggah")
    expect(row.get_by_role("link", name="Unduh")).to_be_visible()
    expect(row.get_by_role("button", name="Ganti")).to_be_visible()
    expect(page.locator("#dokumen-kelengkapan")).to_contain_text("1 dari 6 dokumen")

    # The upload ran inside the page: no new page load, and nothing moved.
    assert page.evaluate("window.stillThisPage") is True
    assert abs(page.evaluate("window.scrollY") - scroll_before) <= 2
    assert abs(row_top(page, "cv") - top_before) <= 2
    seen = page.evaluate("window.seenProgress")
    assert any(0 < value < 100 for value in seen), seen  # the bar moved, not just 0 and 100
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    document, data = stored(app, user.id, DocumentKind.CV)
    assert document.content_type == "image/jpeg"
    assert document.size <= limit
    with Image.open(io.BytesIO(data)) as image:
        # At most 2000 px on the longest side, and upright: the EXIF orientation was applied.
        assert image.size == (1500, 2000)
        assert not image.getexif()


def test_the_sixth_document_brings_the_offer_to_apply(
    app, phone_page: Page, make_user, make_profile, make_documents, live_server, tmp_path
):
    user = make_user()
    make_profile(user)
    kinds = list(DocumentKind)
    make_documents(user, kinds=kinds[:-1])
    last = kinds[-1].value  # the hand-written application letter, at the bottom
    letter = tmp_path / "surat.jpg"
    letter.write_bytes(jpeg_bytes(size=(900, 1200)))
    page = phone_page

    log_in(page, user.email)
    expect(page.locator("#dokumen-kelengkapan")).to_contain_text("5 dari 6 dokumen")
    expect(page.get_by_role("link", name="Lanjut melamar")).to_have_count(0)
    row = page.locator(f"#dokumen-{last}")
    row.scroll_into_view_if_needed()
    record_progress(page)

    row.locator(f"#file-{last}").set_input_files(str(letter))
    row.get_by_role("button", name="Unggah").click()
    expect(row.get_by_role("status")).to_contain_text("Semua dokumen sudah lengkap.")
    offer = page.get_by_role("link", name="Lanjut melamar")
    expect(offer).to_be_visible()
    expect(offer).to_be_in_viewport()  # where the thumb is, without scrolling
    expect(page.locator("#dokumen-kelengkapan")).to_contain_text("Semua 6 dokumen")
    assert page.evaluate("window.stillThisPage") is True

    offer.click()
    page.wait_for_url("**/lamaran")


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("ijazah-pindaian.pdf", "PDF ini terlalu besar (2,5 MB; maksimal 2 MB)"),
        # Chromium cannot decode HEIC, so the page cannot shrink it: it says so at once.
        ("IMG_0002.HEIC", "Foto HEIC ini terlalu besar (2,5 MB; maksimal 2 MB)"),
    ],
)
def test_a_file_too_big_to_shrink_is_explained_before_sending(
    app, phone_page: Page, make_user, live_server, tmp_path, name, says
):
    user = make_user()
    big = tmp_path / name
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (5 * 512 * 1024))  # 2.5 MB; only its size matters
    page = phone_page
    log_in(page, user.email)
    uploads = []
    page.on(
        "request", lambda request: uploads.append(request.url) if request.method != "GET" else None
    )

    row = page.locator("#dokumen-diploma")
    row.locator("#file-diploma").set_input_files(str(big))
    row.get_by_role("button", name="Unggah").click()
    expect(row.get_by_role("status")).to_contain_text(says)
    expect(row.locator("h2 .badge")).to_have_text("Belum diunggah")
    assert uploads == []  # nothing was sent
    assert (
        page.evaluate("document.querySelector('#dokumen-diploma button[type=submit]').disabled")
        is False
    )
