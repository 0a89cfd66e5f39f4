"""The candidate's application cards (issue 16): the next step after acceptance
("Pilih sesi", or the booked session and the test page), the disabled "Lamar" that
says why, and the block of notices on the candidate's home."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import render_template
from flask_login import login_user

from exam_service.accounts.models import User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.journey import service as journey
from exam_service.recruitment.models import ApplicationStatus
from tests.support.recruitment import add_booking

CHOOSE = '<a class="button" href="/sesi">Pilih sesi</a>'
TEST_PAGE = 'href="/ujian"'


@pytest.fixture
def office(make_office):
    return make_office()


def card(html: str, application_id: int) -> str:
    """The card of one application on /lamaran."""
    return html.split(f'data-application-id="{application_id}"', 1)[1].split("</section>", 1)[0]


def pages(client, application_id: int) -> list[str]:
    """The card on the list and the application's own page."""
    listing = client.get("/lamaran").get_data(as_text=True)
    detail = client.get(f"/lamaran/{application_id}").get_data(as_text=True)
    return [card(listing, application_id), detail.split("<main", 1)[1]]


def test_accepted_application_offers_pilih_sesi(
    office, make_booking_activity, make_session, accepted_candidate, login
):
    activity_id = make_booking_activity(office)
    make_session(activity_id)
    candidate = accepted_candidate(activity_id)
    client = login(candidate)

    for html in pages(client, candidate.application_id):
        assert CHOOSE in html
        assert TEST_PAGE not in html


def test_submitted_application_has_no_pilih_sesi(
    office, make_booking_activity, make_session, accepted_candidate, login
):
    activity_id = make_booking_activity(office)
    make_session(activity_id)
    candidate = accepted_candidate(activity_id, status=ApplicationStatus.SUBMITTED)
    client = login(candidate)

    for html in pages(client, candidate.application_id):
        assert "Pilih sesi" not in html
        assert TEST_PAGE not in html


@pytest.mark.parametrize(
    ("opens_in", "sessions", "reason"),
    [
        pytest.param(timedelta(days=2), 1, "Pemilihan sesi dibuka", id="not yet open"),
        pytest.param(None, 0, "Belum ada sesi ujian yang dapat dipilih", id="no session yet"),
    ],
)
def test_pilih_sesi_disabled_with_the_reason(
    office,
    make_booking_activity,
    make_session,
    accepted_candidate,
    login,
    opens_in,
    sessions,
    reason,
):
    overrides = {"booking_opens_at": utcnow() + opens_in} if opens_in else {}
    activity_id = make_booking_activity(office, **overrides)
    for _ in range(sessions):
        make_session(activity_id)
    candidate = accepted_candidate(activity_id)
    client = login(candidate)

    for html in pages(client, candidate.application_id):
        assert CHOOSE not in html
        button = html.split('data-next="choose-session"', 1)[1].split("</div>", 1)[0]
        assert "disabled" in button.split("Pilih sesi", 1)[0]
        why = f'id="why-session-{candidate.application_id}"'
        assert f'aria-describedby="why-session-{candidate.application_id}"' in button
        assert reason in button.split(why, 1)[1]


def test_booked_application_shows_the_session_and_the_test_page(
    app, office, make_activity, make_application, complete_candidate, login
):
    activity_id = make_activity(office)
    user = complete_candidate()
    application_id = make_application(activity_id, user, ApplicationStatus.ACCEPTED)
    add_booking(app, application_id, place="Aula Lantai 2")
    client = login(user)

    for html in pages(client, application_id):
        assert "Pilih sesi" not in html
        step = html.split('data-next="booked"', 1)[1].split("</div>", 1)[0]
        assert "Aula Lantai 2" in step
        assert "WIB" in step
        assert TEST_PAGE in step


def test_after_the_test_no_link_to_the_test_page(
    app, office, make_activity, make_application, complete_candidate, login
):
    activity_id = make_activity(office)
    user = complete_candidate()
    application_id = make_application(activity_id, user, ApplicationStatus.PASSED)
    add_booking(app, application_id, place="Aula Lantai 2")

    for html in pages(login(user), application_id):
        assert "Aula Lantai 2" in html
        assert TEST_PAGE not in html


# --- the disabled "Lamar" ------------------------------------------------------------------


def apply_form(html: str) -> str:
    """The open activities' part of the page, with the "Lamar" button."""
    return html.split("Kegiatan yang sedang membuka pendaftaran", 1)[1]


@pytest.mark.parametrize(
    ("profile", "documents", "reason", "links"),
    [
        (False, False, "Lengkapi profil dan 6 dokumen lagi dulu.", ["/profil", "/dokumen"]),
        (True, False, "Unggah 6 dokumen lagi dulu.", ["/dokumen"]),
        (False, True, "Lengkapi profil dulu.", ["/profil"]),
    ],
)
def test_lamar_disabled_says_why_with_links(
    office, make_activity, complete_candidate, login, profile, documents, reason, links
):
    activity_id = make_activity(office)
    client = login(complete_candidate(profile=profile, documents=documents))

    form = apply_form(client.get("/lamaran").get_data(as_text=True))

    assert f'disabled aria-describedby="why-apply-{activity_id}"' in form
    assert f'href="/kegiatan/{activity_id}/lamar"' not in form
    why = form.split(f'id="why-apply-{activity_id}"', 1)[1]
    assert reason in why
    assert [href for href in ("/profil", "/dokumen") if f'href="{href}"' in why] == links


def test_lamar_enabled_when_complete(office, make_activity, complete_candidate, login):
    activity_id = make_activity(office)
    form = apply_form(login(complete_candidate()).get("/lamaran").get_data(as_text=True))
    assert f'href="/kegiatan/{activity_id}/lamar"' in form
    assert "disabled" not in form
    assert "why-apply" not in form


# --- notices on the candidate's home ----------------------------------------------------------


def render_home(app, user_id: int, **context) -> str:
    with app.test_request_context("/lamaran"):
        user = db.session.get_one(User, user_id)
        login_user(user)
        overview = journey.candidate_overview(user)
        return render_template("journey/my_applications.html", overview=overview, **context)


def test_notices_are_rendered_when_given(app, complete_candidate):
    user = complete_candidate()
    notices = [
        {
            "title": "Lamaran diterima",
            "body": "Silakan pilih sesi ujian di http://127.0.0.1:5000/sesi.\nBawa KTP asli.",
            "created_at": datetime(2026, 3, 1, 1, 30, tzinfo=UTC),
        }
    ]

    html = render_home(app, user.id, notices=notices)

    block = html.split('class="notices"', 1)[1].split("</section>", 1)[0]
    assert "Pemberitahuan" in block
    assert "Lamaran diterima" in block
    # Line breaks kept, the address a link without the sentence's full stop.
    assert (
        'Silakan pilih sesi ujian di <a href="http://127.0.0.1:5000/sesi">'
        "http://127.0.0.1:5000/sesi</a>.<br>Bawa KTP asli." in block
    )
    assert "01-03-2026 08:30 WIB" in block  # 01:30 UTC in WIB


def test_no_notices_no_block(app, complete_candidate):
    user = complete_candidate()
    assert 'class="notices"' not in render_home(app, user.id)
    assert 'class="notices"' not in render_home(app, user.id, notices=[])


def test_home_shows_the_candidates_own_notices(app, complete_candidate, login):
    from exam_service.notifications.models import Notice

    user, other = complete_candidate(), complete_candidate()
    with app.app_context():
        at = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
        db.session.add(
            Notice(user_id=user.id, kind="accepted", title="Milik saya", body="Isi", created_at=at)
        )
        db.session.add(
            Notice(user_id=other.id, kind="accepted", title="Milik orang lain", body="Isi")
        )
        db.session.commit()

    html = login(user).get("/lamaran").get_data(as_text=True)

    block = html.split('class="notices"', 1)[1].split("</section>", 1)[0]
    assert "Milik saya" in block
    assert "01-03-2026 08:30 WIB" in block
    assert "Milik orang lain" not in html
