"""The practice test: a practice bank authors mark, attempts kept in Redis only (never in a
feed, a result, the statistics or an export), the real test's clock rules, one's own only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from exam_service.accounts.models import Role
from exam_service.authoring import bank
from exam_service.authoring.models import Category, Question, QuestionStatus, QuestionVersion
from exam_service.core.clock import utcnow
from exam_service.core.errors import Conflict
from exam_service.core.extensions import db, redis_store
from exam_service.exam import service as exam
from exam_service.exam.models import Answer, Attempt, AttemptItem
from exam_service.feeds.models import OutboxEvent
from exam_service.practice import routes as practice_routes
from exam_service.practice import service as practice
from exam_service.practice import store
from exam_service.practice.questions import PRACTICE_QUESTIONS, ensure_practice_questions
from tests.support.factories import build_category, build_question
from tests.support.feeds import bearer
from tests.support.practice import EXPLANATION, add_practice_bank, practice_keys

API = "/api/v1/me/practice"


@pytest.fixture
def practice_bank(app) -> list[int]:
    with app.app_context():
        ids = add_practice_bank()
        db.session.commit()
        return ids


@pytest.fixture
def candidate(make_user, login):
    return login(make_user(Role.CANDIDATE))


def answer(client, position: int, choice: str | None, seq: int):
    return client.put(f"{API}/answers/{position}", json={"choice": choice, "seq": seq})


# --- the candidate's practice test ----------------------------------------------------------


def test_start_answer_submit_shows_the_score_and_the_keys(app, practice_bank, make_user, login):
    user = make_user(Role.CANDIDATE)
    client = login(user)
    assert client.get(API).status_code == 404  # nothing started yet
    started = client.post(API)
    assert started.status_code == 200, started.json
    body = started.json
    assert body["status"] == "in_progress"
    assert body["practice"] is True
    assert body["question_count"] == practice.QUESTION_COUNT == 5
    assert 590 <= body["remaining_seconds"] <= 600
    assert body["attempt_id"] >= 2**40  # never a real attempt's id (the page's storage)
    assert body["receipt"] is None
    assert body["result"] is None
    assert not re.search(r"points|correct|keep_last|explanation", str(body["questions"]))
    assert {q["text"].split(" nomor")[0] for q in body["questions"]} <= {
        "Soal latihan hitung",
        "Soal latihan konsep",
    }
    with app.app_context():
        keys = practice_keys(user.id)
        assert store.load(user.id).id == body["attempt_id"]
    wrong = "B" if keys[2] != "B" else "C"
    assert answer(client, 1, keys[1], 1).status_code == 200
    saved = answer(client, 2, wrong, 1)
    assert saved.status_code == 200
    assert (saved.json["saved"], saved.json["choice"], saved.json["seq"]) == (True, wrong, 1)
    # An older write arriving late changes nothing and reports the stored answer.
    late = answer(client, 2, keys[2], 1)
    assert (late.json["choice"], late.json["seq"]) == (wrong, 1)
    assert client.get(API).json["answers"] == {"1": keys[1], "2": wrong}

    submitted = client.post(f"{API}/submit")
    assert submitted.status_code == 200
    done = submitted.json
    assert (done["status"], done["finish_reason"], done["questions"]) == (
        "finished",
        "submitted",
        [],
    )
    result = done["result"]
    assert (result["score"], result["max_score"], result["answered"]) == ("1", "5", 2)
    assert sum(int(c["max_score"]) for c in result["categories"]) == 5
    assert {c["name"] for c in result["categories"]} <= {"Hitung", "Konsep"}
    first, second, third = result["items"][:3]
    assert (first["chosen"], first["correct_keys"], first["points"]) == (keys[1], [keys[1]], "1")
    assert (second["chosen"], second["correct_keys"], second["points"]) == (wrong, [keys[2]], "0")
    assert (third["chosen"], third["points"]) == (None, "0")
    assert [o["key"] for o in first["options"]] == ["A", "B", "C", "D"]
    explained = [i for i in result["items"] if i["explanation"]]
    assert all(i["explanation"] == EXPLANATION for i in explained)
    # Finished: answers are refused, a repeated submit changes nothing, the result stays.
    refused = answer(client, 3, "A", 1)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "attempt_finished")
    assert client.post(f"{API}/submit").json["result"] == result
    assert client.get(API).json["result"] == result


def test_restart_and_resume(app, practice_bank, candidate):
    first = candidate.post(API).json
    answer(candidate, 1, "A", 1)
    # Starting again while under way resumes (another device, a reload).
    again = candidate.post(API).json
    assert again["attempt_id"] == first["attempt_id"]
    assert again["answers"] == {"1": "A"}
    assert again["questions"] == first["questions"]
    # Restart: a new attempt, nothing carried over.
    restarted = candidate.post(f"{API}/restart").json
    assert restarted["attempt_id"] != first["attempt_id"]
    assert (restarted["status"], restarted["answers"]) == ("in_progress", {})
    stale = answer(candidate, 1, "B", 1)  # seq 1 again: a fresh attempt takes it
    assert (stale.json["choice"], stale.json["seq"]) == ("B", 1)
    # After a submit, starting gives a new attempt.
    candidate.post(f"{API}/submit")
    fresh = candidate.post(API).json
    assert fresh["attempt_id"] != restarted["attempt_id"]
    assert fresh["status"] == "in_progress"


def test_the_server_enforces_the_timer(app, practice_bank, candidate, monkeypatch):
    """The deadline is fixed at the start; after deadline + grace answers are refused and
    the attempt ends at its deadline. The clock is replaced, no sleeping."""
    started_at = utcnow().replace(microsecond=0)
    now = {"t": started_at}
    monkeypatch.setattr(practice, "utcnow", lambda: now["t"])
    monkeypatch.setattr(practice_routes, "utcnow", lambda: now["t"])
    grace = timedelta(seconds=app.config["ANSWER_GRACE_SECONDS"])

    body = candidate.post(API).json
    deadline = started_at + practice.DURATION
    assert body["remaining_seconds"] == 600
    now["t"] = deadline - timedelta(seconds=1)
    assert answer(candidate, 1, "A", 1).json["remaining_seconds"] == 1
    now["t"] = deadline + grace  # in flight at the deadline: still accepted
    assert answer(candidate, 2, "A", 1).status_code == 200
    assert candidate.get(API).json["status"] == "in_progress"
    now["t"] = deadline + grace + timedelta(milliseconds=5)
    late = answer(candidate, 3, "A", 1)
    assert (late.status_code, late.json["error"]["code"]) == (409, "time_over")
    state = candidate.get(API).json
    assert (state["status"], state["finish_reason"]) == ("finished", "time_over")
    assert state["remaining_seconds"] == 0
    assert state["result"]["answered"] == 2
    # A late submit does not move the end to now.
    assert candidate.post(f"{API}/submit").json["finish_reason"] == "time_over"
    assert candidate.post(API).json["attempt_id"] != body["attempt_id"]


def test_a_late_submit_ends_at_the_deadline(app, practice_bank, candidate, monkeypatch):
    started_at = utcnow()
    now = {"t": started_at}
    monkeypatch.setattr(practice, "utcnow", lambda: now["t"])
    candidate.post(API)
    now["t"] = started_at + practice.DURATION + timedelta(minutes=5)
    assert candidate.post(f"{API}/submit").json["finish_reason"] == "time_over"


def test_another_users_practice_is_not_reachable(app, practice_bank, make_user, login, client):
    ani, budi = make_user(Role.CANDIDATE), make_user(Role.CANDIDATE)
    ani_client, budi_client = login(ani), login(budi)
    mine = ani_client.post(API).json
    assert answer(ani_client, 1, "A", 1).status_code == 200
    assert budi_client.get(API).status_code == 404
    assert answer(budi_client, 1, "B", 2).status_code == 404
    assert budi_client.post(f"{API}/submit").status_code == 404
    theirs = budi_client.post(API).json
    assert theirs["attempt_id"] != mine["attempt_id"]
    budi_client.post(f"{API}/submit")
    still = ani_client.get(API).json
    assert (still["status"], still["answers"]) == ("in_progress", {"1": "A"})
    # Not signed in, or not a candidate: no practice test.
    assert client.get(API).status_code == 401
    assert client.get("/ujian-latihan").status_code in (302, 401)
    author = login(make_user(Role.AUTHOR))
    assert author.post(API).status_code == 403


def test_writes_need_the_csrf_token(practice_bank, candidate):
    candidate.post(API)
    without = candidate.raw.put(f"{API}/answers/1", json={"choice": "A", "seq": 1})
    assert (without.status_code, without.json["error"]["code"]) == (400, "csrf_failed")
    assert candidate.raw.post(f"{API}/restart").status_code == 400
    assert candidate.raw.post(f"{API}/submit").status_code == 400


@pytest.mark.parametrize(
    ("position", "choice"), [(0, "A"), (6, "A"), (1, "E"), (1, "a"), (1, "AB"), (999, "A")]
)
def test_a_bad_position_or_choice_is_422(practice_bank, candidate, position, choice):
    candidate.post(API)
    assert answer(candidate, position, choice, 1).status_code == 422
    assert candidate.get(API).json["answers"] == {}


def test_events_are_accepted_and_kept_nowhere(app, practice_bank, candidate):
    candidate.post(API)
    assert candidate.post(f"{API}/events", json={"kind": "hidden"}).status_code == 201
    assert candidate.post(f"{API}/events", json={"kind": "nonsense"}).status_code == 422


def test_without_practice_questions_there_is_no_practice(app, candidate, exam_activity):
    exam_activity()  # a real bank, no practice questions
    refused = candidate.post(API)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "no_practice_questions")


def test_a_small_practice_bank_gives_a_shorter_test(app, candidate):
    with app.app_context():
        category = build_category("kecil")
        db.session.flush()
        build_question(category.id, practice=True)
        build_question(category.id, practice=True)
        db.session.commit()
    assert candidate.post(API).json["question_count"] == 2


# --- never in a real form, a feed, a result, the statistics or an export -----------------------


def test_practice_questions_are_never_drawn_into_a_real_form(app, exam_activity, book_candidate):
    """Many forms drawn from a bank where the practice questions outnumber the real ones:
    the draw prefers the least shown questions, so any leak would show at once."""
    activity_id = exam_activity()
    first = book_candidate(activity_id)
    for _ in range(39):
        book_candidate(activity_id, session_id=first.session_id)
    with app.app_context():
        for _ in range(5):  # more practice questions than real ones in every category
            add_practice_bank()
        db.session.commit()
        drawn = exam.prepare_session_forms(first.session_id)
        db.session.commit()
        assert drawn == 40
        practice_versions = set(
            db.session.scalars(
                db.select(QuestionVersion.id)
                .join(Question, Question.id == QuestionVersion.question_id)
                .where(Question.practice.is_(True))
            )
        )
        shown = set(db.session.scalars(db.select(AttemptItem.question_version_id)))
        assert len(practice_versions) == 40
        assert len(shown) == 12  # every real question, and only those
        assert not shown & practice_versions
        assert {q.id for q in bank.active_questions()}.isdisjoint(
            {str(v) for v in practice_versions}
        )


def test_a_question_becomes_practice_only_if_no_real_form_held_it(
    app, exam_activity, book_candidate, make_user, login
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    with app.app_context():
        exam.prepare_session_forms(booked.session_id)
        db.session.commit()
        shown = db.session.scalar(
            db.select(QuestionVersion.question_id)
            .join(AttemptItem, AttemptItem.question_version_id == QuestionVersion.id)
            .limit(1)
        )
        unseen = db.session.scalar(
            db.select(Question.id)
            .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
            .where(QuestionVersion.frozen.is_(False))
            .limit(1)
        )
    author = login(make_user(Role.AUTHOR))

    def mark(question_id: int, practice_flag: bool):
        current = author.get(f"/api/v1/bank/questions/{question_id}").json
        payload = {
            "category_id": current["category_id"],
            "difficulty": current["version"]["difficulty"],
            "stem": current["version"]["stem"],
            "options": [
                {"text": o["text"], "points": str(o["points"])}
                for o in current["version"]["options"]
            ],
            "practice": practice_flag,
        }
        return author.put(f"/api/v1/bank/questions/{question_id}", json=payload)

    refused = mark(shown, True)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "practice_after_real_form")
    marked = mark(unseen, True)
    assert marked.status_code == 200
    assert marked.json["practice"] is True
    # Active and shown with its key in practice: it stays a practice question.
    locked = mark(unseen, False)
    assert (locked.status_code, locked.json["error"]["code"]) == (409, "practice_locked")
    # A draft may change its mind.
    draft = author.post(
        "/api/v1/bank/questions",
        json={
            "category_id": marked.json["category_id"],
            "difficulty": "easy",
            "stem": "Soal draf",
            "options": [{"text": "Ya", "points": "1"}, {"text": "Tidak", "points": "0"}],
            "practice": True,
            "explanation": "Alasannya <b>jelas</b>.<script>x</script>",
        },
    ).json
    assert (draft["status"], draft["practice"]) == ("draft", True)
    assert draft["explanation"] == "Alasannya <b>jelas</b>."
    assert mark(draft["id"], False).json["practice"] is False
    listed = author.get("/api/v1/bank/questions?practice=true").json
    assert [q["id"] for q in listed["items"]] == [unseen]
    # A form drawn while a question became practice is refused, not frozen with it.
    with app.app_context():
        version_id = db.session.get_one(Question, unseen).current_version_id
        with pytest.raises(Conflict) as refused_draw:
            bank.freeze({version_id})
        assert refused_draw.value.code == "bank_changed"
        db.session.rollback()


def test_practice_never_reaches_the_database_the_feeds_or_the_statistics(
    app, practice_bank, make_user, login, exam_activity, api_key, activity_admin
):
    activity_id = exam_activity()
    user = make_user(Role.CANDIDATE)
    client = login(user)
    client.post(API)
    for position in range(1, 6):
        answer(client, position, "A", 1)
    client.post(f"{API}/submit")
    with app.app_context():
        for table in (Attempt, AttemptItem, Answer, OutboxEvent):
            assert db.session.scalar(db.select(db.func.count()).select_from(table)) == 0
        frozen = db.session.scalar(
            db.select(db.func.count()).select_from(QuestionVersion).where(QuestionVersion.frozen)
        )
        assert frozen == 0
        # The rate limiter's counters aside, Redis holds the practice test and nothing else.
        # Besides the rate limiter's and the login cache's (accounts.auth) keys.
        keys = sorted(
            k for k in redis_store.client.keys("*") if not k.startswith(("LIMITS", "{login:"))
        )
        assert keys == [f"{{practice:{user.id}}}:answers", f"{{practice:{user.id}}}:attempt"]
        for key in keys:
            assert 0 < redis_store.client.ttl(key) <= 2 * 3600
    feed = client.raw.get("/api/v1/results", headers=bearer(api_key()))
    assert feed.status_code == 200
    assert feed.json["items"] == []
    author = login(make_user(Role.AUTHOR))
    statistics = author.get("/api/v1/bank/statistics").json
    assert (statistics["attempts"], statistics["items"]) == (0, [])
    admin = login(activity_admin(activity_id))
    export = admin.get(f"/api/v1/admin/activities/{activity_id}/results.csv")
    assert len(export.data.decode("utf-8-sig").strip().splitlines()) == 1  # the header only
    data = client.get("/api/v1/me/data-export").get_data(as_text=True)
    assert "Soal latihan" not in data


# --- the page, the navigation, the API document, the demo's questions ---------------------------


def test_the_page_is_the_test_page_on_the_practice_api(practice_bank, candidate):
    page = candidate.get("/ujian-latihan")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'data-api-base="{API}"' in html
    assert "exam.js" in html
    assert "practice.js" in html
    assert "Ujian latihan" in html
    home = candidate.get("/lamaran").get_data(as_text=True)
    assert 'href="/ujian-latihan"' in home


def test_the_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (API, f"{API}/restart", f"{API}/answers/{{position}}", f"{API}/submit"):
        assert path in paths


def test_ensure_practice_questions_is_idempotent(app, app_ctx):
    assert ensure_practice_questions() == len(PRACTICE_QUESTIONS)
    db.session.commit()
    assert ensure_practice_questions() == 0
    questions = db.session.scalars(db.select(Question)).all()
    assert all(q.practice and q.status == QuestionStatus.ACTIVE for q in questions)
    assert all(q.explanation for q in questions)
    assert len(bank.practice_questions()) == len(PRACTICE_QUESTIONS)
    assert bank.active_questions() == []


def test_the_editor_marks_practice_questions_and_the_list_filters_them(
    app, practice_bank, make_user, login
):
    author = login(make_user(Role.AUTHOR))
    with app.app_context():
        category_id = db.session.scalar(db.select(Category.id).where(Category.slug == "hitung"))
    page = author.submit_form(
        "/bank/soal/baru",
        {
            "category_id": str(category_id),
            "difficulty": "easy",
            "stem": "Soal latihan baru dari editor",
            "options-0-text": "Benar",
            "options-0-points": "1",
            "options-1-text": "Salah",
            "options-1-points": "0",
            **{f"options-{i}-points": "0" for i in range(2, 6)},
            "practice": "y",
            "explanation": "Pembahasan dari editor.",
        },
    )
    assert page.status_code == 303, page.get_data(as_text=True)[:2000]
    with app.app_context():
        created = db.session.scalar(db.select(Question).order_by(Question.id.desc()).limit(1))
        assert (created.practice, created.explanation) == (True, "Pembahasan dari editor.")
    listed = author.get("/bank/soal?practice=latihan").get_data(as_text=True)
    assert "Soal latihan baru dari editor" in listed
    assert author.get("/bank/soal?practice=ujian").get_data(as_text=True).count("Latihan<") == 0
    editor = author.get(f"/bank/soal/{practice_bank[0]}").get_data(as_text=True)
    assert 'id="practice-locked"' in editor  # an active practice question stays one
