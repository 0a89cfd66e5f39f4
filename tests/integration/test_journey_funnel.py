"""The admin's activity page (/admin/kegiatan/<id>): the funnel's counts on a seeded
recruitment, its phases, its links, office scoping, and a constant number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.journey import funnel
from exam_service.recruitment.models import ApplicationStatus
from tests.support.factories import (
    build_application,
    build_booking,
    build_documents,
    build_profile,
    build_test_session,
    build_user,
)
from tests.support.funnel import EXPECTED, seed_activity
from tests.support.queries import statements_sent


@pytest.fixture
def seeded(request):
    return seed_activity(request)


def _counts(html: str) -> dict[str, str]:
    """The funnel as shown: label -> count text."""
    section = html.split('id="funnel"', 1)[1].split("</ol>", 1)[0]
    rows = re.findall(
        r'<span class="label">([^<]+)(?:<small>.*?</small>)?</span>\s*'
        r'<span class="count">([^<]+)',
        section,
        re.S,
    )
    return {label.strip(): count.strip() for label, count in rows}


def test_the_funnel_counts_a_seeded_activity(app, seeded):
    with app.app_context():
        admin = db.session.merge(seeded.admin_user)
        figures = funnel.activity_funnel(admin, seeded.activity_id)
        got = {
            "registered_in_region": figures.registered_in_region,
            "applied": figures.applied,
            "documents_complete": figures.documents_complete,
            "submitted": figures.by_status["submitted"],
            "accepted": figures.accepted,
            "rejected": figures.by_status["rejected"],
            "booked": figures.booked,
            "started": figures.started,
            "finished": figures.finished,
            "graded": figures.graded,
            "passed": figures.passed,
            "reviews": figures.reviews,
        }
        assert got == EXPECTED
        assert figures.published
        assert figures.not_passed == 3
        per_session = {
            s.session.id: (s.booked, s.started, s.finished, s.graded) for s in figures.sessions
        }
        assert per_session == {
            seeded.first_session_id: (3, 2, 2, 2),
            seeded.second_session_id: (1, 1, 0, 0),
        }
        states = {p.key: p.state for p in figures.phases}
        assert states == {
            "registration": funnel.PhaseState.OVER,
            # No decision deadline: the selection runs until the session choice closes.
            "selection": funnel.PhaseState.OPEN,
            "booking": funnel.PhaseState.OPEN,
            "tests": funnel.PhaseState.OPEN,
            "announcement": funnel.PhaseState.OVER,
        }

    page = seeded.admin.get(f"/admin/kegiatan/{seeded.activity_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    shown = _counts(html)
    assert shown["Terdaftar di wilayah kantor"] == "3"
    assert shown["Melamar"] == "6"
    assert shown["Dokumen lengkap"] == "2"
    assert shown["Diterima"] == "4"
    assert shown["Memilih sesi ujian"] == "4"
    assert shown["Mulai ujian"] == "3"
    assert shown["Lulus"] == "1"
    assert shown["Tidak lulus"] == "3"
    assert "Sedang berlangsung:" in html
    assert "Pemilihan sesi" in html
    # Counts link to the filtered lists (plain query parameters) and every page of the activity.
    a = seeded.activity_id
    for href in (
        f"/admin/lamaran?activity_id={a}&amp;status=accepted",
        f"/admin/lamaran?activity_id={a}&amp;status=rejected",
        f"/admin/lamaran?activity_id={a}&amp;documents=complete",
        f"/admin/kegiatan/{a}/sesi",
        f"/admin/kegiatan/{a}/hasil",
        f"/admin/kegiatan/{a}/seleksi-akhir",
        f"/admin/kegiatan/{a}/peninjauan",
        f"/pengumuman/{a}",
        f"/admin/sesi/{seeded.first_session_id}/pantau",
        f"/admin/sesi/{seeded.second_session_id}/peserta",
        f"/api/v1/admin/activities/{a}/results.csv",
    ):
        assert f'href="{href}"' in html, href
    # The activity list links each activity's name to its page.
    listing = seeded.admin.get("/admin/kegiatan").get_data(as_text=True)
    assert f'href="/admin/kegiatan/{a}"' in listing


def test_another_offices_activity_is_not_found(app, seeded, login, exam_activity, make_user):
    other_activity = exam_activity()  # another office
    assert seeded.admin.get(f"/admin/kegiatan/{other_activity}").status_code == 404
    candidate = login(make_user(Role.CANDIDATE))
    assert candidate.get(f"/admin/kegiatan/{seeded.activity_id}").status_code == 403


def test_an_activity_without_anything_yet(app, login, activity_admin, exam_activity):
    activity_id = exam_activity()
    admin = login(activity_admin(activity_id))
    page = admin.get(f"/admin/kegiatan/{activity_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _counts(html)["Melamar"] == "0"
    assert "Belum ada sesi ujian." in html
    assert "Seleksi akhir belum dijadwalkan" in html


def _statements(app, admin, activity_id: int) -> int:
    with app.app_context():
        admin = db.session.merge(admin)
        with statements_sent(app) as sent:
            funnel.activity_funnel(admin, activity_id)
        db.session.remove()
    return len(sent)


def test_the_number_of_queries_does_not_grow_with_the_applications(app, seeded):
    before = _statements(app, seeded.admin_user, seeded.activity_id)
    with app.app_context():
        sessions = [
            build_test_session(
                seeded.activity_id, starts_at=utcnow() + timedelta(days=2, hours=n), capacity=100
            )
            for n in range(6)
        ]
        db.session.flush()
        for n in range(540):
            user = build_user(name="Pelamar Massal")
            db.session.flush()
            build_profile(user)
            if n % 2:
                build_documents(user.id)
            status = ApplicationStatus.ACCEPTED if n % 3 else ApplicationStatus.SUBMITTED
            application = build_application(seeded.activity_id, user.id, status)
            if status is ApplicationStatus.ACCEPTED:
                db.session.flush()
                build_booking(application.id, sessions[n % 6].id)
        db.session.commit()
    after = _statements(app, seeded.admin_user, seeded.activity_id)
    assert after == before
    with app.app_context():
        admin = db.session.merge(seeded.admin_user)
        figures = funnel.activity_funnel(admin, seeded.activity_id)
        assert figures.applied == EXPECTED["applied"] + 540
        assert figures.booked == EXPECTED["booked"] + 360
        assert figures.documents_complete == EXPECTED["documents_complete"] + 270
    page = seeded.admin.get(f"/admin/kegiatan/{seeded.activity_id}")
    assert _counts(page.get_data(as_text=True))["Melamar"] == "546"
