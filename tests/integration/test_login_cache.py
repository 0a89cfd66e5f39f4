"""The login cache (accounts.auth): a logged-in request costs no SELECT, and every way a
login ends (logout, disabling, a password change or reset, a changed user row) takes
effect on the very next request, cache or not."""

from __future__ import annotations

import json
import time

from flask import Flask

from exam_service.accounts import auth
from exam_service.accounts.models import User
from exam_service.accounts.service import disable_user
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db, redis_store
from tests.support.accounts import PASSWORD
from tests.support.queries import statements_sent

NEW_PASSWORD = "sandi-baru-yang-panjang"


def cached_logins(app: Flask, user_id: int) -> dict[str, str]:
    with app.app_context():
        return redis_store.client.hgetall(auth._logins_key(user_id))


def test_a_cached_login_costs_no_select(app, make_user, login):
    user = make_user()
    client = login(user)
    assert client.get("/api/v1/me").status_code == 200  # read from the database, cached
    assert len(cached_logins(app, user.id)) == 1

    with statements_sent(app) as sent:
        me = client.get("/api/v1/me")

    assert me.status_code == 200
    assert me.json == {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "role": "candidate",
    }
    assert sent == [], sent


def test_logout_ends_the_cached_login_and_keeps_the_others(app, make_user, login, make_client):
    user = make_user()
    leaving, staying = login(user), login(user)
    cookie = leaving.raw.get_cookie("session").value
    assert leaving.get("/api/v1/me").status_code == 200
    assert staying.get("/api/v1/me").status_code == 200
    assert len(cached_logins(app, user.id)) == 2

    assert leaving.logout().status_code == 200

    thief = make_client()
    thief.raw.set_cookie("session", cookie)
    assert thief.get("/api/v1/me").status_code == 401
    assert staying.get("/api/v1/me").status_code == 200


def test_disabling_ends_a_cached_login_on_the_next_request(app, make_user, login):
    user = make_user()
    client = login(user)
    assert client.get("/api/v1/me").status_code == 200
    assert cached_logins(app, user.id)

    with app.app_context():
        disable_user(db.session.get(User, user.id))
        db.session.commit()

    assert client.get("/api/v1/me").status_code == 401


def test_a_password_change_ends_the_other_cached_logins(make_user, login):
    user = make_user()
    here, elsewhere = login(user), login(user)
    assert elsewhere.get("/api/v1/me").status_code == 200
    assert here.get("/api/v1/me").status_code == 200

    changed = here.post(
        "/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )

    assert changed.status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert here.get("/api/v1/me").status_code == 200


def test_a_changed_user_row_is_read_again(app, make_user, login):
    user = make_user()
    client = login(user)
    assert client.get("/api/v1/me").json["full_name"] == user.full_name

    with app.app_context():
        db.session.get(User, user.id).full_name = "Nama Yang Baru"
        db.session.commit()

    assert client.get("/api/v1/me").json["full_name"] == "Nama Yang Baru"


def test_a_login_read_before_it_ended_is_not_cached_after(app, make_user, login):
    """A request that read a valid login from the database, then lost the race with a
    logout that committed meanwhile, must not store that login in the cache."""
    user = make_user()
    login(user)
    [session_id] = _login_ids(app, user.id)
    with app.test_request_context():
        generation = auth._generation(user.id)
        found = auth._load_from_database(user.id, session_id)
        assert found is not None
        auth._forget_now(user.id)  # the logout committed after the SELECT
        auth._remember(found[0], session_id, found[1], generation)
        assert redis_store.client.hget(auth._logins_key(user.id), session_id) is None
        # Without the race, the same read is cached.
        generation = auth._generation(user.id)
        auth._remember(found[0], session_id, found[1], generation)
        assert redis_store.client.hget(auth._logins_key(user.id), session_id) is not None


def _login_ids(app: Flask, user_id: int) -> list[str]:
    from exam_service.accounts.models import LoginSession

    with app.app_context():
        return list(
            db.session.scalars(db.select(LoginSession.id).where(LoginSession.user_id == user_id))
        )


def test_a_login_ended_while_redis_missed_it_is_believed_at_most_the_cache_time(
    app, make_user, login
):
    """The stated bound: a login revoked in the database whose cached copy Redis kept
    (it was unreachable when the login ended) is refused once the copy is
    LOGIN_CACHE_SECONDS old, however often the user's other logins renew the hash."""
    from exam_service.accounts.models import LoginSession

    user = make_user()
    client = login(user)
    assert client.get("/api/v1/me").status_code == 200
    [session_id] = _login_ids(app, user.id)
    with app.app_context():
        db.session.execute(
            db.update(LoginSession).where(LoginSession.id == session_id).values(revoked_at=utcnow())
        )
        db.session.commit()  # not through end_logins: the cache is not told
        key = auth._logins_key(user.id)
        entry = json.loads(redis_store.client.hget(key, session_id))

    assert client.get("/api/v1/me").status_code == 200  # the copy, within its time

    with app.app_context():
        entry["until"] = time.time() - 1  # its LOGIN_CACHE_SECONDS are over
        redis_store.client.hset(key, session_id, json.dumps(entry))
    assert client.get("/api/v1/me").status_code == 401
