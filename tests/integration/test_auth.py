"""Registration, activation, login sessions, rate limits and CSRF (ASVS 6.x, 7.x, 3.5)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from exam_service.accounts import service
from exam_service.accounts.models import ActivationToken, User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from tests.support.accounts import PASSWORD
from tests.support.mail import body_text, only_mail

LINK = re.compile(r"/activate/([A-Za-z0-9_\-]+)")


def activation_token(outbox: Path) -> str:
    match = LINK.search(body_text(only_mail(outbox)))
    assert match, "no activation link in the mail"
    return match.group(1)


def register(client, email="calon@uji.example", password="sandi-yang-cukup-panjang"):
    return client.post(
        "/api/v1/auth/register",
        json={"email": email, "password": password, "full_name": "Calon Mitra", "consent": True},
    )


def test_register_activate_login(client, outbox):
    assert register(client).status_code == 201
    token = activation_token(outbox)
    # Not active yet: login refused with the same message as a wrong password.
    assert client.login("calon@uji.example", "sandi-yang-cukup-panjang").status_code == 401
    activated = client.post("/api/v1/auth/activate", json={"token": token})
    assert activated.status_code == 200
    login = client.login("calon@uji.example", "sandi-yang-cukup-panjang")
    assert login.status_code == 200
    assert login.json["user"]["role"] == "candidate"


def test_activation_page_posts_then_token_is_single_use(client, outbox):
    register(client)
    token = activation_token(outbox)
    page = client.get(f"/activate/{token}")
    assert page.status_code == 200  # a GET (mail scanners) does not use the token
    assert client.submit_form(f"/activate/{token}", {}).status_code == 302
    again = client.post("/api/v1/auth/activate", json={"token": token})
    assert again.status_code == 400
    assert again.json["error"]["code"] == "invalid_token"


def test_expired_token_is_refused(app, client, outbox):
    register(client)
    token = activation_token(outbox)
    with app.app_context():
        db.session.execute(
            db.update(ActivationToken).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    response = client.post("/api/v1/auth/activate", json={"token": token})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_token"


def test_register_does_not_reveal_existing_accounts(client, make_user, outbox):
    existing = make_user()
    known = register(client, email=existing.email)
    unknown = register(client, email="baru@uji.example")
    assert known.status_code == unknown.status_code == 201
    assert known.json == unknown.json


def test_resend_does_not_reveal_existing_accounts(client, make_user, outbox):
    existing = make_user()
    known = client.post("/api/v1/auth/resend", json={"email": existing.email})
    unknown = client.post("/api/v1/auth/resend", json={"email": "siapa@uji.example"})
    assert known.status_code == unknown.status_code == 200
    assert known.json == unknown.json


def test_login_does_not_reveal_existing_accounts(client, make_user):
    existing = make_user()
    known = client.login(existing.email, "salah-sandi-sekali")
    unknown = client.login("tidak-ada@uji.example", "salah-sandi-sekali")
    assert known.status_code == unknown.status_code == 401
    assert known.json == unknown.json


def test_the_password_is_checked_without_holding_a_database_connection(
    app, client, make_user, monkeypatch
):
    """argon2 takes long on a busy machine: no pooled connection (and no transaction,
    which PostgreSQL would end after idle_in_transaction_session_timeout) waits on it."""
    user = make_user()
    held_while_hashing = []
    real_verify = service.verify_password

    def verify_and_count(password_hash, password):
        held_while_hashing.append(db.engine.pool.checkedout())
        return real_verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_and_count)

    assert client.login(user.email, PASSWORD).status_code == 200
    assert client.login(user.email, "salah-sandi-sekali").status_code == 401
    assert held_while_hashing == [0, 0]


@pytest.mark.parametrize(
    ("password", "accepted"),
    [
        ("pendek", False),
        ("password123", False),
        ("rahasia123", False),
        ("x" * 129, False),
        ("kuda laut makan nasi goreng di tepi pantai setiap hari minggu!!", True),
        ("Sandi8ok", True),
    ],
)
def test_password_rules(client, outbox, password, accepted):
    response = register(client, password=password)
    assert (response.status_code == 201) is accepted, response.json


def test_password_hash_is_argon2id(app, make_user):
    user = make_user()
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.password_hash.startswith("$argon2id$")


def test_logout_kills_a_copied_cookie(make_user, login, make_client):
    user = make_user()
    client = login(user)
    cookie = client.raw.get_cookie("session").value
    assert client.get("/api/v1/me").status_code == 200
    assert client.logout().status_code == 200

    thief = make_client()
    thief.raw.set_cookie("session", cookie)
    # The copied cookie names a login session that the server has revoked.
    assert thief.get("/api/v1/me").status_code == 401


def test_session_cookie_changes_at_login(make_user, make_client):
    user = make_user()
    client = make_client()
    client.get("/login")
    before = client.raw.get_cookie("session").value
    client.login(user.email, "kata-sandi-uji-yang-panjang")
    assert client.raw.get_cookie("session").value != before


def test_session_cookie_attributes(make_user, make_client):
    user = make_user()
    client = make_client()
    response = client.login(user.email, "kata-sandi-uji-yang-panjang")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(make_user, login):
    client = login(make_user())
    response = client.raw.post("/api/v1/auth/logout")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "csrf_failed"


def test_login_page_without_csrf_token_is_refused(client, make_user):
    user = make_user()
    response = client.raw.post(
        "/login", data={"email": user.email, "password": "kata-sandi-uji-yang-panjang"}
    )
    assert response.status_code == 400


def test_login_page_logs_in(client, make_user):
    user = make_user()
    response = client.submit_form(
        "/login", {"email": user.email, "password": "kata-sandi-uji-yang-panjang"}
    )
    assert response.status_code == 302
    assert "Keluar" in client.raw.get("/", follow_redirects=True).get_data(as_text=True)


def test_eleventh_bad_password_is_rate_limited(app, client, make_user):
    user = make_user()
    for _ in range(10):
        assert client.login(user.email, "salah-sandi-sekali").status_code == 401
    assert client.login(user.email, "salah-sandi-sekali").status_code == 429
    # The limit is per account and per window, not a lockout of the address.
    other = make_user()
    assert client.login(other.email, "kata-sandi-uji-yang-panjang").status_code == 200


def test_rate_limit_ends_after_cool_down(app, make_user, make_client):
    user = make_user()
    client = make_client()
    app.config["LOGIN_RATE_LIMIT"] = "2 per 2 seconds"
    try:
        client.login(user.email, "salah-sandi-sekali")
        client.login(user.email, "salah-sandi-sekali")
        assert client.login(user.email, "kata-sandi-uji-yang-panjang").status_code == 429
        import time

        time.sleep(2.2)
        assert client.login(user.email, "kata-sandi-uji-yang-panjang").status_code == 200
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10 per 15 minutes"


def test_forged_forwarded_for_does_not_reset_the_limit(client, make_user):
    user = make_user()
    for n in range(10):
        client.raw.post(
            "/api/v1/auth/login",
            json={"email": user.email, "password": "salah-sandi-sekali"},
            headers={"X-Forwarded-For": f"10.0.0.{n}"},
        )
    forged = client.raw.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": "salah-sandi-sekali"},
        headers={"X-Forwarded-For": "10.9.9.9"},
    )
    assert forged.status_code == 429


def test_disabled_user_loses_the_session(app, make_user, login):
    from exam_service.accounts.service import disable_user

    user = make_user()
    client = login(user)
    with app.app_context():
        disable_user(db.session.get(User, user.id))
        db.session.commit()
    assert client.get("/api/v1/me").status_code == 401


def test_register_with_consent_and_other_fields_wrong_names_each_limit(client):
    """A missing consent must not blur the other fields' messages (their limits)."""
    response = client.post(
        "/api/v1/auth/register",
        json={"email": "bukan-alamat", "password": "x" * 2000, "consent": "ya"},
    )

    assert response.status_code == 422
    details = response.json["error"]["details"]
    assert details["email"] == "Alamat surel tidak valid."
    assert details["password"] == "Paling banyak 1.024 karakter."
    assert details["full_name"] == "Wajib diisi."
    assert "UU 27/2022" in details["consent"]
