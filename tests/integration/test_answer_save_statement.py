"""The answer save's one statement (gate + seq-guarded upsert) and the attempt id the
signed session carries to it: only the candidate's own attempt, open for answers, is
ever written, whatever attempt the session names."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam import service
from exam_service.exam.models import Answer, Attempt, AttemptStatus
from exam_service.exam.routes import ATTEMPT_IN_SESSION


@pytest.fixture
def two_candidates(exam_activity, book_candidate, login):
    """Two candidates of the same session, each with an attempt in progress."""
    activity = exam_activity()
    started = []
    for _ in range(2):
        booked = book_candidate(activity)
        client = login(booked.user)
        attempt_id = client.post("/api/v1/me/attempt").json["attempt_id"]
        started.append((booked.user.id, attempt_id, client))
    return started


def answer(client, position, choice, seq):
    return client.put(f"/api/v1/me/attempt/answers/{position}", json={"choice": choice, "seq": seq})


def stored(app, attempt_id: int) -> dict[int, tuple[int, str | None]]:
    with app.app_context():
        rows = db.session.scalars(db.select(Answer).where(Answer.attempt_id == attempt_id))
        return {row.position: (row.seq, row.choice) for row in rows}


def test_the_gate_writes_only_the_users_open_attempt(app, two_candidates):
    (owner, attempt_id, _), (other, _other_attempt, _) = two_candidates
    now = utcnow()
    with app.test_request_context():
        assert service._gate_and_upsert(attempt_id, other, 1, "A", 1, now) is None
        deadline, written = service._gate_and_upsert(attempt_id, owner, 1, "A", 5, now)
        assert written == 5
        # A seq not newer than the stored one changes nothing, the gate still opens.
        assert service._gate_and_upsert(attempt_id, owner, 1, "B", 5, now) == (deadline, None)
        assert service._gate_and_upsert(attempt_id, owner, 1, "B", 4, now) == (deadline, None)
        # Past deadline + grace the gate is closed.
        late = deadline + service._grace() + timedelta(seconds=1)
        assert service._gate_and_upsert(attempt_id, owner, 2, "C", 6, late) is None
        db.session.commit()
    assert stored(app, attempt_id) == {1: (5, "A")}


def test_the_session_carries_the_attempt_to_the_next_save(two_candidates):
    (user_id, attempt_id, client), _ = two_candidates
    assert answer(client, 1, "A", 1).status_code == 200
    with client.raw.session_transaction() as session:
        assert session[ATTEMPT_IN_SESSION] == [user_id, attempt_id]


def test_an_attempt_named_for_another_user_is_ignored(app, two_candidates):
    """The session names an attempt only for the user it was found for: another
    user's entry (a shared browser) never reaches the save."""
    (owner, attempt_id, owner_client), (other, other_attempt, other_client) = two_candidates
    assert answer(owner_client, 1, "A", 3).status_code == 200
    with other_client.raw.session_transaction() as session:
        session[ATTEMPT_IN_SESSION] = [owner, attempt_id]

    saved = answer(other_client, 1, "B", 1)

    assert saved.status_code == 200
    assert saved.json["choice"] == "B"
    assert stored(app, attempt_id) == {1: (3, "A")}
    assert stored(app, other_attempt) == {1: (1, "B")}
    with other_client.raw.session_transaction() as session:
        assert session[ATTEMPT_IN_SESSION] == [other, other_attempt]


def test_a_hint_the_gate_refuses_falls_back_to_the_users_open_attempt(app, two_candidates):
    """The database's gate, not the hint, decides: an attempt id that is not this
    user's (only a server bug could sign one into the session) writes nothing there,
    and the save lands in the user's attempt in progress."""
    (user_id, attempt_id, client), (_other, other_attempt, _) = two_candidates
    with client.raw.session_transaction() as session:
        session[ATTEMPT_IN_SESSION] = [user_id, other_attempt]  # not this user's: refused

    saved = answer(client, 2, "C", 1)

    assert saved.status_code == 200
    assert stored(app, attempt_id) == {2: (1, "C")}
    assert stored(app, other_attempt) == {}


def test_a_finished_attempt_still_refuses_through_the_session(app, two_candidates):
    (_user_id, attempt_id, client), _ = two_candidates
    assert answer(client, 1, "A", 1).status_code == 200  # the session now names it
    with app.app_context():
        db.session.execute(
            db.update(Attempt)
            .where(Attempt.id == attempt_id)
            .values(status=AttemptStatus.FINISHED, finished_at=utcnow())
        )
        db.session.commit()

    refused = answer(client, 1, "B", 2)

    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "attempt_finished"
    assert stored(app, attempt_id) == {1: (1, "A")}
