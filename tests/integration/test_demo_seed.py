"""`seed-demo`: the embedded default's data works, and seeding twice is harmless."""

from __future__ import annotations

import re
from datetime import timedelta

from exam_service.authoring.models import Question
from exam_service.core.extensions import db
from exam_service.scheduling.models import TestSession


def test_seed_demo_twice_and_take_the_demo_test(app, make_client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    # A day later (`make run` again): the demo's session open now must still take a
    # first start, although late entry closed long ago for its first times.
    with app.app_context():
        for session in db.session.scalars(db.select(TestSession)):
            session.starts_at -= timedelta(days=1)
            session.ends_at -= timedelta(days=1)
        db.session.commit()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Question)) == 212
    password = re.search(r"kandidat1@demo\.example\s+(\S+)", second.output).group(1)
    client = make_client()
    assert client.login("kandidat1@demo.example", password).status_code == 200
    started = client.post("/api/v1/me/attempt")
    assert started.status_code == 200, started.json
    assert started.json["question_count"] == 30
