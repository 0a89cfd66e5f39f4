"""A forgotten password, changing the password, changing the address (DESIGN section 5)."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from exam_service.accounts.models import LoginSession, PasswordResetToken, User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.core.observability import flush_logs
from tests.support.accounts import PASSWORD
from tests.support.clients import csrf_from
from tests.support.mail import body_text, mails

RESET_LINK = re.compile(r"/atur-ulang-sandi/([A-Za-z0-9_\-]+)")
CONFIRM_LINK = re.compile(r"/surel/konfirmasi/([A-Za-z0-9_\-]+)")
NEW_PASSWORD = "sandi-baru-yang-panjang"


def mails_to(outbox: Path, address: str) -> list:
    return [m for m in mails(outbox) if m["To"] == address]


def token_from(outbox: Path, address: str, link: re.Pattern[str]) -> str:
    found = [link.search(body_text(m)) for m in mails_to(outbox, address)]
    tokens = [m.group(1) for m in found if m]
    assert len(tokens) == 1, f"expected one link to {address}, found {len(tokens)}"
    return tokens[0]


def request_reset(client, email: str):
    return client.post("/api/v1/auth/password-reset", json={"email": email})


def test_reset_sets_the_password_and_ends_every_login(app, client, make_user, login, outbox):
    user = make_user()
    other_device = login(user)
    assert other_device.get("/api/v1/me").status_code == 200

    assert request_reset(client, user.email).status_code == 202
    token = token_from(outbox, user.email, RESET_LINK)
    confirmed = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )

    assert confirmed.status_code == 200, confirmed.json
    assert other_device.get("/api/v1/me").status_code == 401
    assert client.login(user.email, PASSWORD).status_code == 401
    assert client.login(user.email, NEW_PASSWORD).status_code == 200
    with app.app_context():
        live = db.session.scalar(
            db.select(db.func.count())
            .select_from(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.revoked_at.is_(None))
        )
    assert live == 1  # only the login made after the reset


def test_a_reset_token_works_once(client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    token = token_from(outbox, user.email, RESET_LINK)
    body = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 200

    again = client.post("/api/v1/auth/password-reset/confirm", json=body)

    assert again.status_code == 400
    assert again.json["error"]["code"] == "invalid_token"


def test_an_expired_reset_token_is_400(app, client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    token = token_from(outbox, user.email, RESET_LINK)
    with app.app_context():
        db.session.execute(
            db.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()

    response = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )

    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_token"


def test_a_weak_new_password_is_422_and_keeps_the_token(client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    token = token_from(outbox, user.email, RESET_LINK)

    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "pendek"}
    )
    good = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )

    assert weak.status_code == 422
    assert "password" in weak.json["error"]["details"]
    assert good.status_code == 200


def test_the_answer_is_the_same_whether_or_not_the_account_exists(client, make_user, outbox):
    user = make_user()
    known = request_reset(client, user.email)
    unknown = request_reset(client, "tidak-ada@uji.example")

    assert (
        (known.status_code, known.json)
        == (unknown.status_code, unknown.json)
        == (
            202,
            known.json,
        )
    )
    # The same work on both paths: one mail each; only the owner's holds a link.
    assert len(mails_to(outbox, user.email)) == 1
    [no_account] = mails_to(outbox, "tidak-ada@uji.example")
    assert RESET_LINK.search(body_text(no_account)) is None
    assert "tidak ada akun" in body_text(no_account)


def test_reset_requests_are_rate_limited_per_address(client, make_user):
    user = make_user()
    answers = [request_reset(client, user.email).status_code for _ in range(6)]
    assert answers == [202] * 5 + [429]


def test_reset_through_the_pages(app, make_client, make_user, outbox):
    user = make_user()
    browser = make_client()
    login_page = browser.get("/login").get_data(as_text=True)
    assert 'href="/lupa-sandi">Lupa kata sandi?' in login_page

    sent = browser.submit_form("/lupa-sandi", {"email": user.email})
    assert sent.status_code == 302
    token = token_from(outbox, user.email, RESET_LINK)
    path = f"/atur-ulang-sandi/{token}"
    assert browser.get(path).status_code == 200  # a GET does not use the token
    different = browser.submit_form(path, {"password": NEW_PASSWORD, "repeat": "lain-lagi-123"})
    assert different.status_code == 422
    assert "Kedua kata sandi tidak sama." in different.get_data(as_text=True)

    done = browser.submit_form(path, {"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})

    assert (done.status_code, done.location) == (302, "/login")
    assert make_client().login(user.email, NEW_PASSWORD).status_code == 200
    reused = browser.submit_form(path, {"password": "x" * 12, "repeat": "x" * 12})
    assert reused.status_code == 400
    assert "sudah dipakai" in reused.get_data(as_text=True)


def test_reset_mail_is_plain_text_and_html(client, make_user, outbox):
    user = make_user()
    request_reset(client, user.email)
    [mail] = mails_to(outbox, user.email)

    html = mail.get_body(preferencelist=("html",)).get_content()

    assert '<a href="http://127.0.0.1:5000/atur-ulang-sandi/' in html
    assert '<html lang="id">' in html


def test_change_password_keeps_this_login_and_ends_the_others(client, make_user, login):
    user = make_user()
    here, elsewhere = login(user), login(user)

    wrong = here.post(
        "/api/v1/me/password",
        json={"current_password": "bukan-sandinya", "new_password": NEW_PASSWORD},
    )
    changed = here.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert wrong.status_code == 422
    assert "current_password" in wrong.json["error"]["details"]
    assert changed.status_code == 200
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert client.login(user.email, NEW_PASSWORD).status_code == 200


def test_change_password_needs_the_csrf_token(make_user, login):
    client = login(make_user())
    response = client.post(
        "/api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"X-CSRFToken": "salah"},
    )
    assert response.status_code in (400, 403)


def test_change_email_takes_effect_when_the_new_address_confirms(
    app, client, make_user, login, outbox
):
    user = make_user()
    me = login(user)
    new = "alamat-baru@uji.example"

    asked = me.post("/api/v1/me/email", json={"password": PASSWORD, "new_email": new})

    assert asked.status_code == 202
    assert me.get("/api/v1/me").json["email"] == user.email  # not before the confirmation
    assert mails_to(outbox, user.email), "the old address is told too"
    token = token_from(outbox, new, CONFIRM_LINK)
    page = me.get(f"/surel/konfirmasi/{token}")
    assert page.status_code == 200
    confirmed = me.submit_form(f"/surel/konfirmasi/{token}", {})
    assert confirmed.status_code == 302
    assert me.get("/api/v1/me").json["email"] == new
    assert client.login(new, PASSWORD).status_code == 200


def test_change_email_to_a_taken_address_is_refused_at_confirmation(
    client, make_user, login, outbox
):
    user, other = make_user(), make_user()
    me = login(user)
    me.post("/api/v1/me/email", json={"password": PASSWORD, "new_email": other.email})
    token = token_from(outbox, other.email, CONFIRM_LINK)

    response = client.post("/api/v1/auth/email-change/confirm", json={"token": token})

    assert response.status_code == 409
    assert response.json["error"]["code"] == "email_taken"
    assert me.get("/api/v1/me").json["email"] == user.email


def test_change_email_needs_the_password(make_user, login):
    me = login(make_user())
    response = me.post(
        "/api/v1/me/email", json={"password": "bukan-ini", "new_email": "x@uji.example"}
    )
    assert response.status_code == 422
    assert "password" in response.json["error"]["details"]


def test_every_role_reaches_the_account_page_from_the_menu(make_user, login):
    from exam_service.accounts.models import Role

    for role in Role:
        page = login(make_user(role)).get("/akun").get_data(as_text=True)
        assert 'href="/akun"' in page
        assert "Ganti kata sandi" in page
        assert "Ganti alamat surel" in page


def test_the_account_page_forms_work(app, make_user, login):
    user = make_user()
    me = login(user)

    token = csrf_from(me.get("/akun").get_data(as_text=True))

    def change(current: str):
        form = {"current_password": current, "new_password": NEW_PASSWORD, "repeat": NEW_PASSWORD}
        return me.raw.post("/akun/sandi", data={"csrf_token": token, **form})

    wrong = change("salah-sekali")
    ok = change(PASSWORD)

    assert wrong.status_code == 422
    assert "Kata sandi saat ini salah." in wrong.get_data(as_text=True)
    assert ok.status_code == 303
    with app.app_context():
        from exam_service.accounts.passwords import verify_password

        stored = db.session.get_one(User, user.id).password_hash
        assert verify_password(stored, NEW_PASSWORD)


@pytest.mark.parametrize("path", ["/atur-ulang-sandi/{}", "/surel/konfirmasi/{}"])
def test_the_tokens_of_mailed_links_are_not_logged(client, capsys, caplog, path):
    caplog.set_level(logging.DEBUG, logger="exam_service.access")
    token = secrets.token_urlsafe(32)
    capsys.readouterr()

    assert client.get(path.format(token)).status_code == 200

    flush_logs()  # the log listener writes from its own thread: wait for it
    err = capsys.readouterr().err
    assert token not in err
    assert path.format("[redacted]") in err


def test_gunicorn_redacts_the_same_paths():
    """gunicorn.conf.py cannot import the app; its pattern must still match ours."""
    from exam_service.core.observability import redact_path

    source = (Path(__file__).parents[2] / "gunicorn.conf.py").read_text()
    namespace: dict = {}
    exec(compile(source, "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 (our file)
    logger = namespace["RedactingLogger"]
    for path in ("/activate/abc", "/atur-ulang-sandi/abc", "/surel/konfirmasi/abc"):
        assert logger.SECRET_IN_PATH.sub(r"\1[redacted]", path) == redact_path(path)
        assert "abc" not in redact_path(path)
