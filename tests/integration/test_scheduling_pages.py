"""The candidate's pages (choose, confirm with the irreversibility warning, my session)
and the admin's session pages, through the test client."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

import pytest

from exam_service.accounts.models import Role
from exam_service.core.clock import WIB, to_local, utcnow
from exam_service.recruitment.models import ApplicationStatus
from tests.support.clients import csrf_from
from tests.support.mail import mails
from tests.support.scheduling import booking_rows, session_row

CHANGE_WORDS = re.compile(r"ubah|ganti|batal|hapus|pilih sesi ini", re.IGNORECASE)


@pytest.fixture
def office(make_office):
    return make_office()


@pytest.fixture
def activity_id(office, make_booking_activity) -> int:
    return make_booking_activity(office)


@pytest.fixture
def admin(office, make_user):
    return make_user(Role.ADMIN, office=office)


def main_of(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def confirm(client, session_id: int, understood: bool = True):
    data = {"understood": "y"} if understood else {}
    return client.submit_form(f"/sesi/{session_id}/konfirmasi", data)


# --- candidates --------------------------------------------------------------------------


def test_candidate_chooses_confirms_and_sees_a_final_booking(
    app, activity_id, accepted_candidate, make_session, login, outbox
):
    session_id = make_session(activity_id, capacity=5, place="Aula BPS Kota Uji")
    full_id = make_session(activity_id, capacity=1)
    client = login(accepted_candidate(activity_id))
    other = accepted_candidate(activity_id)
    assert login(other).post("/api/v1/me/bookings", json={"session_id": full_id}).status_code == 201

    choose = client.get("/sesi").get_data(as_text=True)
    assert f'href="/sesi/{session_id}/konfirmasi"' in choose
    assert f'href="/sesi/{full_id}/konfirmasi"' not in choose  # full: shown, not choosable
    assert "Sisa 5 kursi" in choose
    assert "Penuh" in choose
    starts = to_local(session_row(app, session_id).starts_at, WIB).strftime("%d-%m-%Y %H:%M WIB")
    assert starts in choose

    page = client.get(f"/sesi/{session_id}/konfirmasi")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    warning = html.split('class="warning-box"', 1)[1].split("</div>", 1)[0]
    assert "tidak dapat diubah" in warning
    assert "oleh admin" in warning
    assert "Saya mengerti pilihan ini tidak dapat diubah" in html

    refused = confirm(client, session_id, understood=False)
    assert refused.status_code == 422
    assert booking_rows(app, session_id) == []

    done = confirm(client, session_id)
    assert done.status_code == 303
    assert done.headers["Location"].endswith("/sesi/saya")
    assert len(booking_rows(app, session_id)) == 1
    assert len(mails(outbox)) == 2

    for path in ("/sesi/saya", "/sesi"):
        main = main_of(client.get(path).get_data(as_text=True))
        assert "Aula BPS Kota Uji" in main
        assert "<form" not in main
        assert "<button" not in main
        assert "/konfirmasi" not in main
        assert not CHANGE_WORDS.search(" ".join(re.findall(r"<a[^>]*>([^<]*)</a>", main)))


def test_confirming_again_leads_to_the_booking_already_held(
    app, activity_id, accepted_candidate, make_session, login
):
    first, second = make_session(activity_id), make_session(activity_id)
    client = login(accepted_candidate(activity_id))
    assert confirm(client, first).status_code == 303

    page = client.raw.get(f"/sesi/{second}/konfirmasi")
    assert page.status_code == 303
    assert page.headers["Location"].endswith("/sesi/saya")
    # A form posted from a page opened before the first booking is refused the same way.
    token = csrf_from(client.get("/sesi/saya").get_data(as_text=True))
    posted = client.raw.post(
        f"/sesi/{second}/konfirmasi", data={"csrf_token": token, "understood": "y"}
    )
    assert posted.status_code == 303
    assert posted.headers["Location"].endswith("/sesi/saya")
    assert "tidak dapat diubah" in client.get("/sesi/saya").get_data(as_text=True)
    assert session_row(app, second).booked == 0


def test_a_session_that_filled_up_sends_the_candidate_back_to_the_list(
    app, activity_id, accepted_candidates, make_session, login
):
    first, second = accepted_candidates(activity_id, 2)
    session_id = make_session(activity_id, capacity=1)
    late = login(second)
    token = csrf_from(late.get(f"/sesi/{session_id}/konfirmasi").get_data(as_text=True))
    assert confirm(login(first), session_id).status_code == 303

    response = late.raw.post(
        f"/sesi/{session_id}/konfirmasi", data={"csrf_token": token, "understood": "y"}
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith("/sesi")
    assert "sudah penuh" in late.get("/sesi").get_data(as_text=True)
    assert len(booking_rows(app)) == 1


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (ApplicationStatus.SUBMITTED, "masih dalam seleksi administrasi"),
        (ApplicationStatus.REJECTED, "tidak lolos seleksi administrasi"),
    ],
)
def test_the_list_says_why_a_candidate_cannot_choose(
    app, activity_id, accepted_candidate, make_session, login, status, text
):
    session_id = make_session(activity_id)
    client = login(accepted_candidate(activity_id, status=status))

    html = client.get("/sesi").get_data(as_text=True)

    assert text in html
    assert "/konfirmasi" not in html
    assert client.raw.get(f"/sesi/{session_id}/konfirmasi").status_code == 303


def test_the_list_says_when_the_choice_opens(
    app, office, make_booking_activity, accepted_candidate, make_session, login
):
    now = utcnow()
    activity_id = make_booking_activity(
        office, booking_opens_at=now + timedelta(days=1), booking_closes_at=now + timedelta(days=5)
    )
    make_session(activity_id, starts_at=now + timedelta(days=2))

    html = login(accepted_candidate(activity_id)).get("/sesi").get_data(as_text=True)

    assert "Pemilihan sesi dibuka" in html
    assert "/konfirmasi" not in html


def test_without_an_application_the_list_says_so(app, complete_candidate, login):
    html = login(complete_candidate()).get("/sesi").get_data(as_text=True)

    assert "Anda belum memiliki lamaran" in html


def test_candidate_pages_are_for_candidates(app, admin, activity_id, make_session, login, client):
    session_id = make_session(activity_id)

    assert client.raw.get("/sesi").status_code == 302  # to the login page
    assert login(admin).get("/sesi").status_code == 403
    assert login(admin).get(f"/sesi/{session_id}/konfirmasi").status_code == 403


# --- admins ------------------------------------------------------------------------------


def test_admin_adds_a_session_in_wib(app, admin, activity_id, login):
    client = login(admin)
    starts_wib = to_local(utcnow() + timedelta(days=3), WIB).replace(second=0, microsecond=0)

    response = client.submit_form(
        f"/admin/kegiatan/{activity_id}/sesi",
        {
            "starts_at": starts_wib.strftime("%Y-%m-%dT%H:%M"),
            "capacity": "25",
            "place": "Aula BPS",
        },
    )

    assert response.status_code == 303
    (session,) = client.get(f"/api/v1/activities/{activity_id}/sessions").json["items"]
    assert session["capacity"] == 25
    assert session["starts_at"] == starts_wib.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    html = client.get(f"/admin/kegiatan/{activity_id}/sesi").get_data(as_text=True)
    assert starts_wib.strftime("%d-%m-%Y %H:%M WIB") in html
    assert "0 / 25" in html


def test_admin_form_shows_the_rules_broken(app, admin, activity_id, login):
    yesterday = to_local(utcnow() - timedelta(days=1), WIB).strftime("%Y-%m-%dT%H:%M")

    response = login(admin).submit_form(
        f"/admin/kegiatan/{activity_id}/sesi",
        {"starts_at": yesterday, "capacity": "0", "place": ""},
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Kapasitas harus antara 1 dan 10000" in html


def test_admin_edits_closes_reopens_and_deletes_on_the_page(
    app, admin, activity_id, make_session, accepted_candidate, login
):
    client = login(admin)
    booked_id, empty_id = make_session(activity_id), make_session(activity_id)
    candidate = login(accepted_candidate(activity_id))
    assert candidate.post("/api/v1/me/bookings", json={"session_id": booked_id}).status_code == 201
    page = f"/admin/kegiatan/{activity_id}/sesi"
    token = csrf_from(client.get(page).get_data(as_text=True))

    def post(path: str, **data: str):
        return client.raw.post(path, data={"csrf_token": token, **data})

    assert post(f"/admin/sesi/{booked_id}/ubah", capacity="30", place="Ruang 2").status_code == 303
    assert session_row(app, booked_id).capacity == 30
    assert session_row(app, booked_id).place == "Ruang 2"
    post(f"/admin/sesi/{booked_id}/ubah", capacity="0", place="")
    assert session_row(app, booked_id).capacity == 30
    post(f"/admin/sesi/{booked_id}/tutup")
    assert session_row(app, booked_id).closed_at is not None
    post(f"/admin/sesi/{booked_id}/buka")
    assert session_row(app, booked_id).closed_at is None

    refused = post(f"/admin/sesi/{booked_id}/hapus")
    assert refused.status_code == 303
    assert session_row(app, booked_id) is not None
    assert "tidak dapat dihapus" in client.get(page).get_data(as_text=True)
    assert post(f"/admin/sesi/{empty_id}/hapus").status_code == 303
    assert session_row(app, empty_id) is None
    assert len(booking_rows(app)) == 1


def test_admin_pages_of_another_office_are_not_found(
    app, make_office, make_user, activity_id, make_session, login
):
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    session_id = make_session(activity_id)
    token = stranger.csrf_token

    assert stranger.get(f"/admin/kegiatan/{activity_id}/sesi").status_code == 404
    assert stranger.get(f"/admin/sesi/{session_id}/peserta").status_code == 404
    for action in ("ubah", "tutup", "buka", "hapus"):
        response = stranger.raw.post(
            f"/admin/sesi/{session_id}/{action}",
            data={"csrf_token": token, "capacity": "5"},
        )
        assert response.status_code == 404, action
    assert session_row(app, session_id).capacity == 10
