"""A realistic recruitment for the admin's activity page and the reachability crawl:
applications in every state, two sessions, attempts finished and running, a
published final selection with a review request and a webhook.

Not a plugin: `seed_activity` takes the fixtures it builds on, so a test file asks
for them and calls it (tests/integration/test_journey_funnel.py,
tests/integration/test_admin_reachability.py, tests/browser/test_admin_activity_browser.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from exam_service.accounts.models import DocumentKind, Office
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.feeds.dispatcher import ResultsDispatcher
from exam_service.feeds.models import WebhookSubscription
from exam_service.recruitment.models import Activity, ApplicationStatus

from .accounts import pdf_bytes
from .factories import build_application, build_documents, build_profile, build_user
from .feeds import schedule_quota_selection
from .recruitment import write_document_file

REGION = "3171"  # the activity's office recruits here; booked candidates live elsewhere


@dataclass
class SeededActivity:
    activity_id: int
    office_id: int
    admin: Any  # a logged-in ApiClient of the office's admin
    admin_user: Any
    first_session_id: int
    second_session_id: int
    webhook_id: int


# What `seed_activity` makes, as the activity page must count it.
EXPECTED = {
    "registered_in_region": 3,  # submitted, rejected, never applied (not the disabled one)
    "applied": 6,  # submitted, rejected, Ani, Budi, absent, running
    "documents_complete": 2,  # submitted and running have all six documents
    "submitted": 1,
    "accepted": 4,  # Ani, Budi, absent, running (accepted, then passed or not)
    "rejected": 1,
    "booked": 4,
    "started": 3,  # Ani, Budi, running
    "finished": 2,
    "graded": 2,
    "passed": 1,
    "reviews": 1,
}


def seed_activity(request: pytest.FixtureRequest, *, publish: bool = True) -> SeededActivity:
    """Build the recruitment with the fixtures of tests/support (taken from `request`)."""
    app: Flask = request.getfixturevalue("app")
    login = request.getfixturevalue("login")
    activity_admin = request.getfixturevalue("activity_admin")
    exam_activity = request.getfixturevalue("exam_activity")
    scored_attempt = request.getfixturevalue("scored_attempt")
    graded_attempt = request.getfixturevalue("graded_attempt")
    book_candidate = request.getfixturevalue("book_candidate")
    activity_id = exam_activity()
    ani = scored_attempt(activity_id, {"hitung": ("3", "3")}, full_name="Ani Lestari")
    first = ani.session_id
    # Graded by the real grading: the activity's items get statistics (and rulings a page).
    graded_attempt(activity_id, {1: "A"}, session_id=first)
    book_candidate(activity_id, session_id=first)  # booked, never came
    running = book_candidate(activity_id)  # a second session, test under way
    with app.app_context():
        exam.start(running.user.id)
        db.session.commit()
        activity = db.session.get_one(Activity, activity_id)
        office_id = activity.office_id
        db.session.get_one(Office, office_id).region_code = REGION
        build_documents(running.user.id)

        waiting = build_user(name="Calon Menunggu")
        rejected = build_user(name="Calon Ditolak")
        idle = build_user(name="Calon Belum Melamar")
        disabled = build_user(name="Calon Nonaktif", disabled_at=utcnow())
        db.session.flush()
        for user in (waiting, rejected, idle, disabled):
            build_profile(user, regency_code=REGION)
        build_documents(waiting.id)
        build_documents(rejected.id, [DocumentKind.KTP, DocumentKind.PHOTO])
        documents = {
            running.user.id: list(DocumentKind),
            waiting.id: list(DocumentKind),
            rejected.id: [DocumentKind.KTP, DocumentKind.PHOTO],
        }
        build_application(activity_id, waiting.id)
        build_application(
            activity_id, rejected.id, ApplicationStatus.REJECTED, decision_reason="Ijazah kurang"
        )
        db.session.commit()

    for user_id, kinds in documents.items():  # their files, for the admin to open
        for kind in kinds:
            write_document_file(app, user_id, kind, pdf_bytes())
    admin_user = activity_admin(activity_id)
    admin = login(admin_user)
    if publish:
        _, at = schedule_quota_selection(admin, activity_id)
        with app.app_context():
            at = db.session.get_one(Activity, activity_id).announcement_at
            ResultsDispatcher(app).tick(at + timedelta(seconds=1))
        candidate = login(ani.user)
        [mine] = candidate.get("/api/v1/me/applications").json["items"]
        review = candidate.post(
            f"/api/v1/me/applications/{mine['application_id']}/review-request",
            json={"reason": "Saya yakin jawaban nomor 3 saya benar."},
        )
        assert review.status_code == 201, review.json
    with app.app_context():
        # Written directly (the API would resolve the host name), after the publication:
        # nothing to deliver.
        webhook = WebhookSubscription(
            office_id=office_id,
            name="Sistem SDM",
            url="https://sdm.uji.example/kait",
            secret="0" * 64,
            events=["result.published"],
        )
        db.session.add(webhook)
        db.session.commit()
        webhook_id = webhook.id
    return SeededActivity(
        activity_id=activity_id,
        office_id=office_id,
        admin=admin,
        admin_user=admin_user,
        first_session_id=first,
        second_session_id=running.session_id,
        webhook_id=webhook_id,
    )
