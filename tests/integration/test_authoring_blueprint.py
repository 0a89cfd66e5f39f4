"""The blueprint editor: coverage of an activity's blueprint by ACTIVE questions, saving it,
and the lock once forms are drawn.

The exam fixtures give an activity of 5 questions (blueprint hitung 3, konsep 2) and
a bank of 6 active questions per category, 2 of each difficulty.
"""

from __future__ import annotations

import pytest

from exam_service.accounts.models import Office, Role
from exam_service.authoring import service
from exam_service.authoring.models import Category, QuestionStatus
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.recruitment.models import Activity
from exam_service.scheduling.models import Booking
from question_bank import Difficulty, Option, make_question


@pytest.fixture
def author(make_user, login):
    return login(make_user(Role.AUTHOR))


def url(activity_id: int) -> str:
    return f"/api/v1/bank/blueprints/{activity_id}"


def rows(body: dict) -> dict[str, dict]:
    return {row["category"]: row for row in body["categories"]}


def saved_blueprint(app, activity_id: int) -> dict | None:
    with app.app_context():
        return db.session.get_one(Activity, activity_id).blueprint


def add_inactive_questions(app) -> None:
    """A draft and a retired question in 'hitung': neither counts for coverage."""
    with app.app_context():
        category = db.session.scalars(db.select(Category).where(Category.slug == "hitung")).one()
        for status in (QuestionStatus.DRAFT, QuestionStatus.RETIRED):
            question = make_question(
                category="hitung",
                difficulty=Difficulty.EASY,
                stem=f"Soal {status}",
                options=[Option("1", 1), Option("2")],
            )
            service.add_question(question, category, status=status)
        db.session.commit()


def draw_a_form(app, book_candidate, activity_id: int) -> str:
    booked = book_candidate(activity_id)
    with app.app_context():
        exam.prepare_attempt(db.session.get_one(Booking, booked.booking_id))
        db.session.commit()
    return booked.user.full_name


def test_coverage_counts_the_active_questions_per_category_and_difficulty(
    app, author, exam_activity
):
    activity_id = exam_activity()
    add_inactive_questions(app)

    response = author.get(url(activity_id))

    assert response.status_code == 200
    body = response.json
    assert body["test_question_count"] == 5
    assert body["blueprint"] == {"categories": {"hitung": 3, "konsep": 2}, "difficulty_mix": None}
    assert (body["complete"], body["forms_drawn"]) == (True, False)
    by_category = rows(body)
    assert list(by_category) == ["hitung", "konsep"]
    hitung = by_category["hitung"]
    assert (hitung["needed"], hitung["active"], hitung["short"]) == (3, 6, 0)
    assert [(d["difficulty"], d["active"], d["needed"]) for d in hitung["difficulties"]] == [
        ("easy", 2, None),
        ("medium", 2, None),
        ("hard", 2, None),
    ]


def test_saving_a_blueprint_with_a_mix_shows_the_shares_and_shortages(app, author, exam_activity):
    activity_id = exam_activity()
    blueprint = {
        "categories": {"hitung": 4, "baru": 1},
        "difficulty_mix": {"easy": 0.5, "medium": 0.25, "hard": 0.25},
    }

    response = author.put(url(activity_id), json=blueprint)

    assert response.status_code == 200, response.json
    assert saved_blueprint(app, activity_id) == blueprint
    body = response.json
    assert body["complete"] is False
    by_category = rows(body)
    # The blueprint's categories first, in the author's order, then the bank's others.
    assert list(by_category) == ["hitung", "baru", "konsep"]
    assert list(author.get(url(activity_id)).json["blueprint"]["categories"]) == ["hitung", "baru"]
    hitung = by_category["hitung"]
    assert [(d["active"], d["needed"]) for d in hitung["difficulties"]] == [(2, 2), (2, 1), (2, 1)]
    baru = by_category["baru"]
    assert (baru["name"], baru["needed"], baru["active"], baru["short"]) == (None, 1, 0, 1)
    konsep = by_category["konsep"]
    assert (konsep["needed"], konsep["active"], konsep["short"]) == (0, 6, 0)


def test_a_difficulty_short_of_its_share_is_shown(app, author, exam_activity):
    activity_id = exam_activity()

    response = author.put(
        url(activity_id),
        json={"categories": {"hitung": 5}, "difficulty_mix": {"easy": 1.0}},
    )

    easy = rows(response.json)["hitung"]["difficulties"][0]
    assert (easy["active"], easy["needed"]) == (2, 5)
    assert rows(response.json)["hitung"]["short"] == 0


@pytest.mark.parametrize(
    "blueprint",
    [
        {"categories": {"hitung": 3, "konsep": 3}},
        {"categories": {"hitung": 5}, "difficulty_mix": {"easy": 0.5, "hard": 0.2}},
        {"categories": {}},
    ],
)
def test_an_invalid_blueprint_is_422_and_nothing_changes(app, author, exam_activity, blueprint):
    activity_id = exam_activity()
    before = saved_blueprint(app, activity_id)

    response = author.put(url(activity_id), json=blueprint)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert "blueprint" in response.json["error"]["details"]
    assert saved_blueprint(app, activity_id) == before


def test_the_blueprint_is_locked_once_a_form_is_drawn(app, author, exam_activity, book_candidate):
    activity_id = exam_activity()
    draw_a_form(app, book_candidate, activity_id)

    response = author.put(url(activity_id), json={"categories": {"hitung": 5}})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "forms_already_drawn"
    assert saved_blueprint(app, activity_id)["categories"] == {"hitung": 3, "konsep": 2}
    assert author.get(url(activity_id)).json["forms_drawn"] is True


def test_an_unknown_activity_is_404(author):
    assert author.get(url(999_999)).status_code == 404
    assert author.put(url(999_999), json={"categories": {"hitung": 5}}).status_code == 404


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.ADMIN])
def test_only_authors_use_the_blueprint_editor(app, make_user, login, exam_activity, role):
    activity_id = exam_activity()
    client = login(make_user(role))

    assert client.get(url(activity_id)).status_code == 403
    assert client.put(url(activity_id), json={"categories": {"hitung": 5}}).status_code == 403
    assert client.get("/bank/kisi-kisi").status_code == 403
    assert client.get(f"/bank/kisi-kisi/{activity_id}").status_code == 403
    assert saved_blueprint(app, activity_id)["categories"] == {"hitung": 3, "konsep": 2}


# --- pages ------------------------------------------------------------------------------


def test_the_list_shows_activities_without_candidates_data(
    app, author, exam_activity, book_candidate
):
    activity_id = exam_activity()
    candidate_name = draw_a_form(app, book_candidate, activity_id)

    page = author.get("/bank/kisi-kisi")

    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Rekrutmen Mitra Uji" in html
    assert f"/bank/kisi-kisi/{activity_id}" in html
    assert "Terkunci" in html
    assert candidate_name not in html
    assert "3273011501" not in html  # the fixtures' NIKs


def test_the_edit_page_saves_counts_and_mix(app, author, exam_activity):
    activity_id = exam_activity()
    path = f"/bank/kisi-kisi/{activity_id}"
    form = author.get(path).get_data(as_text=True)
    assert 'value="hitung"' in form

    response = author.submit_form(
        path,
        {
            "rows-0-slug": "hitung",
            "rows-0-count": "2",
            "rows-1-slug": "konsep",
            "rows-1-count": "3",
            "mix_easy": "20",
            "mix_medium": "60",
            "mix_hard": "20",
        },
    )

    assert response.status_code == 303
    assert saved_blueprint(app, activity_id) == {
        "categories": {"hitung": 2, "konsep": 3},
        "difficulty_mix": {"easy": 0.2, "medium": 0.6, "hard": 0.2},
    }


def test_the_edit_page_explains_a_wrong_sum_and_warns_about_shortages(app, author, exam_activity):
    activity_id = exam_activity()
    path = f"/bank/kisi-kisi/{activity_id}"

    wrong_sum = author.submit_form(
        path, {"rows-0-slug": "hitung", "rows-0-count": "4", "rows-1-slug": "konsep"}
    )
    author.put(url(activity_id), json={"categories": {"hitung": 3, "lain": 2}})
    short = author.get(path)

    assert wrong_sum.status_code == 422
    assert "harus sama dengan jumlah soal ujian" in wrong_sum.get_data(as_text=True)
    assert saved_blueprint(app, activity_id)["categories"] == {"hitung": 3, "lain": 2}
    html = short.get_data(as_text=True)
    assert 'id="coverage-warning"' in html
    assert "Kurang 2 soal aktif" in html


def test_the_edit_page_is_read_only_once_forms_are_drawn(
    app, author, exam_activity, book_candidate
):
    activity_id = exam_activity()
    draw_a_form(app, book_candidate, activity_id)
    path = f"/bank/kisi-kisi/{activity_id}"

    page = author.get(path)
    refused = author.submit_form(path, {"rows-0-slug": "hitung", "rows-0-count": "5"})

    assert "sudah diundi" in page.get_data(as_text=True)
    assert "Simpan kisi-kisi" not in page.get_data(as_text=True)
    assert refused.status_code == 409
    assert saved_blueprint(app, activity_id)["categories"] == {"hitung": 3, "konsep": 2}


def test_an_admin_cannot_reshape_the_form_once_one_is_drawn_either(
    app, exam_activity, book_candidate, make_user, login
):
    """The activity form of the admins holds the blueprint too: same lock, same 409."""
    activity_id = exam_activity()
    with app.app_context():
        activity = db.session.get_one(Activity, activity_id)
        office = db.session.get_one(Office, activity.office_id)
        body = {
            "name": activity.name,
            **{
                field: getattr(activity, field).isoformat()
                for field in (
                    "registration_opens_at",
                    "registration_closes_at",
                    "booking_opens_at",
                    "booking_closes_at",
                )
            },
            "test_question_count": activity.test_question_count,
            "test_duration_seconds": activity.test_duration_seconds,
            "blueprint": activity.blueprint,
        }
    admin = login(make_user(Role.ADMIN, office=office))
    draw_a_form(app, book_candidate, activity_id)
    address = f"/api/v1/admin/activities/{activity_id}"

    reshaped = admin.put(address, json={**body, "blueprint": {"categories": {"hitung": 5}}})
    recounted = admin.put(
        address,
        json={**body, "test_question_count": 6, "blueprint": {"categories": {"hitung": 6}}},
    )
    renamed = admin.put(address, json={**body, "name": "Rekrutmen Mitra Uji (jadwal baru)"})

    assert (reshaped.status_code, reshaped.json["error"]["code"]) == (409, "forms_already_drawn")
    assert (recounted.status_code, recounted.json["error"]["code"]) == (409, "forms_already_drawn")
    assert renamed.status_code == 200, renamed.json
    assert saved_blueprint(app, activity_id)["categories"] == {"hitung": 3, "konsep": 2}
