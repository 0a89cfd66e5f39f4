"""The candidate's profile: validation per field, NIK flags, one account per NIK."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from exam_service.accounts.models import DocumentKind, Gender, Profile, Role, User
from exam_service.accounts.nik import BIRTH_DATE_MISMATCH, GENDER_MISMATCH
from exam_service.accounts.profiles import NIK_UNAVAILABLE, missing_for_application
from exam_service.accounts.service import disable_user
from exam_service.core.extensions import db
from tests.support.accounts import profile_payload
from tests.support.factories import invented_nik

PROFILE = "/api/v1/me/profile"


def nik_flags(app, user) -> list[str]:
    with app.app_context():
        return db.session.get_one(Profile, user.id).nik_flags


def test_save_read_and_update(make_user, login):
    client = login(make_user())
    assert client.get(PROFILE).status_code == 404
    payload = profile_payload(phone="0812-3456 7890", regency_code="9999")
    saved = client.put(PROFILE, json=payload)
    assert saved.status_code == 200, saved.json
    assert saved.json["regency_code"] == payload["nik"][:4]  # from the NIK, not from the body
    assert saved.json["phone"] == "081234567890"
    assert "nik_flags" not in saved.json
    assert client.get(PROFILE).json == saved.json

    updated = client.put(PROFILE, json={**payload, "address": "Jl. Baru 2", "education": "D4/S1"})
    assert updated.status_code == 200
    again = client.get(PROFILE).json
    assert (again["address"], again["education"]) == ("Jl. Baru 2", "D4/S1")


def test_regency_code_follows_the_nik(app, make_user, login):
    client = login(make_user())
    nik = invented_nik(date(1995, 8, 15), regency="3201")
    assert client.put(PROFILE, json=profile_payload(nik=nik)).json["regency_code"] == "3201"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nik", "2073011508950001"),  # province 20
        ("nik", "3273013508950001"),  # day 35
        ("nik", "32730115089500"),  # 14 digits
        ("phone", "0712345678"),  # not a mobile number
        ("phone", "+6512345678901"),  # not Indonesia
        ("phone", "08123456"),  # 8 digits
        ("phone", "0812345678901234"),  # 16 digits
        ("phone", "08123abc901"),
        ("birth_date", (date.today() + timedelta(days=1)).isoformat()),  # noqa: DTZ011
        ("birth_date", (date.today() - timedelta(days=365 * 10)).isoformat()),  # noqa: DTZ011
        ("birth_date", "1900-01-01"),
        ("gender", "X"),
        ("education", "SMA"),
        ("full_name", ""),
        ("address", "x" * 301),
    ],
)
def test_invalid_field_gets_a_message_for_that_field(make_user, login, field, value):
    client = login(make_user())
    response = client.put(PROFILE, json=profile_payload(**{field: value}))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert field in response.json["error"]["details"]
    assert client.get(PROFILE).status_code == 404  # nothing saved


def test_missing_field_is_422(make_user, login):
    client = login(make_user())
    payload = profile_payload()
    del payload["village"]
    response = client.put(PROFILE, json=payload)
    assert response.status_code == 422
    assert "village" in response.json["error"]["details"]


def test_international_mobile_format_accepted(make_user, login):
    client = login(make_user())
    response = client.put(PROFILE, json=profile_payload(phone="+62 812 3456 7890"))
    assert response.status_code == 200
    assert response.json["phone"] == "+6281234567890"


def test_mismatches_are_accepted_and_flagged_for_admins_only(app, make_user, login):
    user = make_user()
    client = login(user)
    nik = invented_nik(date(1995, 8, 15), Gender.MALE)
    payload = profile_payload(nik=nik, birth_date=date(1995, 8, 16), gender=Gender.FEMALE)
    response = client.put(PROFILE, json=payload)
    assert response.status_code == 200
    assert nik_flags(app, user) == [BIRTH_DATE_MISMATCH, GENDER_MISMATCH]
    page = client.get("/profil").get_data(as_text=True)
    assert "mismatch" not in page
    assert "nik_flags" not in client.get(PROFILE).json

    # Corrected declarations clear the flags.
    client.put(PROFILE, json={**payload, "birth_date": "1995-08-15", "gender": "L"})
    assert nik_flags(app, user) == []


def test_one_account_per_nik_with_a_generic_message(app, make_user, login):
    first, disabled, second = make_user(), make_user(), make_user()
    taken = profile_payload()
    taken_by_disabled = profile_payload()
    assert login(first).put(PROFILE, json=taken).status_code == 200
    assert login(disabled).put(PROFILE, json=taken_by_disabled).status_code == 200
    with app.app_context():
        disable_user(db.session.get_one(User, disabled.id))
        db.session.commit()

    client = login(second)
    answers = [
        client.put(PROFILE, json={**profile_payload(), "nik": taken["nik"]}),
        client.put(PROFILE, json={**profile_payload(), "nik": taken_by_disabled["nik"]}),
    ]
    for answer in answers:
        assert answer.status_code == 409
        assert answer.json["error"]["code"] == "nik_unavailable"
        assert answer.json["error"]["message"] == NIK_UNAVAILABLE
        assert first.email not in answer.get_data(as_text=True)
    assert answers[0].json == answers[1].json
    assert client.get(PROFILE).status_code == 404

    # The owner saving their own NIK again is no conflict.
    assert login(first).put(PROFILE, json={**taken, "village": "Lain"}).status_code == 200


def test_only_candidates(make_user, login, client, make_office):
    assert client.get(PROFILE).status_code == 401
    client.csrf_token = client.get("/api/v1/auth/csrf").json["csrf_token"]
    assert client.put(PROFILE, json=profile_payload()).status_code == 401
    admin = login(make_user(Role.ADMIN, office=make_office()))
    assert admin.get(PROFILE).status_code == 403
    assert admin.put(PROFILE, json=profile_payload()).status_code == 403


def test_put_without_csrf_token_is_refused(make_user, login):
    client = login(make_user())
    response = client.raw.put(PROFILE, json=profile_payload())
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_failed"


def test_profile_page_saves_and_shows_errors_per_field(app, make_user, login):
    user = make_user(full_name="Nama Dari Akun")
    client = login(user)
    page = client.get("/profil")
    assert page.status_code == 200
    assert "Nama Dari Akun" in page.get_data(as_text=True)

    bad = client.submit_form("/profil", profile_payload(phone="12345"))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "Nomor ponsel harus diawali 08" in html
    assert "has-error" in html

    payload = profile_payload()
    saved = client.submit_form("/profil", payload)
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/profil")
    shown = client.get("/profil").get_data(as_text=True)
    assert payload["nik"] in shown
    assert "Profil tersimpan." in shown
    assert client.get(PROFILE).json["nik"] == payload["nik"]


def test_profile_page_duplicate_nik(make_user, login):
    taken = profile_payload()
    assert login(make_user()).put(PROFILE, json=taken).status_code == 200
    response = login(make_user()).submit_form("/profil", profile_payload(nik=taken["nik"]))
    assert response.status_code == 409
    assert NIK_UNAVAILABLE in response.get_data(as_text=True)


def test_profile_page_requires_a_candidate(client, make_user, login, make_office):
    assert client.raw.get("/profil").status_code == 302  # to the login page
    admin = login(make_user(Role.ADMIN, office=make_office()))
    assert admin.get("/profil").status_code == 403


def labels(items: list) -> list[str]:
    return [item.label for item in items]


def test_missing_for_application(app, make_user, make_profile, make_documents):
    user = make_user()
    with app.app_context():
        assert labels(missing_for_application(user.id)) == [
            "Profil",
            "Scan KTP",
            "Pas foto",
            "Ijazah",
            "Daftar riwayat hidup",
            "Tangkapan layar spesifikasi ponsel",
            "Surat lamaran tulisan tangan",
        ]
    make_profile(user)
    make_documents(user, kinds=[DocumentKind.KTP, DocumentKind.CV])
    with app.app_context():
        assert labels(missing_for_application(user.id)) == [
            "Pas foto",
            "Ijazah",
            "Tangkapan layar spesifikasi ponsel",
            "Surat lamaran tulisan tangan",
        ]
    make_documents(user)
    with app.app_context():
        assert labels(missing_for_application(user.id)) == []


# --- probe, issue 12: the same new NIK saved by several accounts at once ----------------


def test_same_new_nik_saved_at_once_gives_one_owner_and_clean_conflicts(app, make_user, login):
    """Accounts released together by a barrier PUT one new NIK, round after round.

    Exactly one wins each round; the others get the generic 409 of the duplicate-NIK
    path, and the database never reports a unique violation (PostgreSQL would write
    the NIK into its server log as the violation's detail). Half of the accounts have
    a profile already (a NIK change is an UPDATE), half do not (an INSERT).
    """
    users = [make_user() for _ in range(4)]
    clients = [login(user) for user in users]
    for client in clients[:2]:
        assert client.put(PROFILE, json=profile_payload()).status_code == 200
    with app.app_context():
        engine = db.engine
    database_errors: list[str] = []

    def on_error(context) -> None:
        database_errors.append(type(context.sqlalchemy_exception).__name__)

    event.listen(engine, "handle_error", on_error)
    try:
        for _ in range(6):
            payload = profile_payload()
            barrier = threading.Barrier(len(clients))
            answers: list = [None] * len(clients)

            def put(i: int, payload=payload, barrier=barrier, answers=answers) -> None:
                barrier.wait(timeout=60)
                answers[i] = clients[i].put(PROFILE, json=payload)

            threads = [threading.Thread(target=put, args=(i,)) for i in range(len(clients))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert all(answer is not None for answer in answers)

            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [200] + [409] * (len(clients) - 1), statuses
            (winner,) = [i for i, answer in enumerate(answers) if answer.status_code == 200]
            for answer in answers:
                if answer.status_code == 409:
                    assert answer.json["error"]["code"] == "nik_unavailable"
                    assert answer.json["error"]["message"] == NIK_UNAVAILABLE
                    assert answer.json["error"]["details"] == {"nik": NIK_UNAVAILABLE}
            with app.app_context():
                owners = db.session.scalars(
                    db.select(Profile.user_id).where(Profile.nik == payload["nik"])
                ).all()
            assert owners == [users[winner].id]
    finally:
        event.remove(engine, "handle_error", on_error)
    assert database_errors == []


# --- issue 16: a gentle hint where the NIK disagrees, no default education ---------------


def test_nik_disagreement_is_hinted_to_the_candidate_and_still_flagged(app, make_user, login):
    user = make_user()
    client = login(user)
    nik = invented_nik(date(1995, 3, 12), Gender.FEMALE)
    payload = profile_payload(nik=nik, birth_date=date(1995, 3, 13), gender=Gender.MALE)

    saved = client.put(PROFILE, json=payload)

    assert saved.status_code == 200, saved.json
    assert nik_flags(app, user) == [BIRTH_DATE_MISMATCH, GENDER_MISMATCH]  # as before
    hints = saved.json["nik_hints"]
    assert hints == [
        "Periksa kembali: NIK menunjukkan tanggal lahir 12 Maret 1995, "
        "sedangkan yang Anda isi 13 Maret 1995.",
        "Periksa kembali: NIK menunjukkan jenis kelamin perempuan, "
        "sedangkan yang Anda isi laki-laki.",
    ]
    assert client.get(PROFILE).json["nik_hints"] == hints
    page = client.get("/profil").get_data(as_text=True)
    assert 'id="nik-hints"' in page
    for hint in hints:
        assert hint in page

    # Only the gender corrected: the birth date's hint stays while it disagrees.
    fixed = client.put(PROFILE, json={**payload, "gender": Gender.FEMALE.value})
    assert fixed.json["nik_hints"] == hints[:1]
    assert nik_flags(app, user) == [BIRTH_DATE_MISMATCH]

    # Both corrected: no hint left, on the API or the page.
    client.put(PROFILE, json={**payload, "gender": "P", "birth_date": "1995-03-12"})
    assert client.get(PROFILE).json["nik_hints"] == []
    assert nik_flags(app, user) == []
    assert 'id="nik-hints"' not in client.get("/profil").get_data(as_text=True)


def test_profile_page_save_shows_the_nik_hint_after_saving(make_user, login):
    client = login(make_user())
    nik = invented_nik(date(1995, 8, 15), Gender.MALE)
    payload = profile_payload(nik=nik, birth_date=date(1995, 8, 16))

    saved = client.submit_form("/profil", payload)

    assert saved.status_code == 303  # saved all the same
    page = client.get("/profil").get_data(as_text=True)
    assert "Profil tersimpan." in page
    assert (
        "NIK menunjukkan tanggal lahir 15 Agustus 1995, sedangkan yang Anda isi 16 Agustus 1995."
        in page
    )
    assert "jenis kelamin" not in page.split('id="nik-hints"', 1)[1].split("</div>", 1)[0]


def test_matching_nik_has_no_hint(make_user, login):
    client = login(make_user())
    saved = client.put(PROFILE, json=profile_payload())
    assert saved.json["nik_hints"] == []
    assert 'id="nik-hints"' not in client.get("/profil").get_data(as_text=True)


def test_education_has_no_default_and_an_empty_choice_is_refused(make_user, login):
    client = login(make_user())
    html = client.get("/profil").get_data(as_text=True)
    select = html.split('<select id="education"', 1)[1].split("</select>", 1)[0]
    assert select.split("<option", 2)[1].startswith(' value="">Pilih pendidikan</option>')
    assert "selected" not in select  # nothing chosen for the candidate

    refused = client.submit_form("/profil", profile_payload(education=""))

    assert refused.status_code == 422
    assert "Pilih pendidikan terakhir Anda." in refused.get_data(as_text=True)
    assert client.get(PROFILE).status_code == 404  # nothing saved
    without = profile_payload()
    del without["education"]
    assert client.submit_form("/profil", without).status_code == 422
    assert client.get(PROFILE).status_code == 404


def test_required_fields_are_marked(make_user, login):
    html = login(make_user()).get("/profil").get_data(as_text=True)
    assert "Kolom bertanda" in html
    for label in ("NIK (16 angka, sesuai KTP)", "Pendidikan terakhir", "Jenis kelamin"):
        assert f'{label} <span class="req" aria-hidden="true">*</span>' in html
