"""Regressions for the outside probe's auth findings (issue 12).

1. every address-keyed limit is keyed on the normalised address, and display-name
   forms (`Name <addr>`) are refused outright (ASVS 6.3.1, 2.4.1);
2. `next` after login is a path of this service or nothing (open redirect, ASVS 3.7.2);
3. registering a known and a new address does the same (argon2) work (ASVS 6.3.8);
4. each action has one budget, whichever door (API or page) it is asked through;
5. `consent: true` is required, documented and explained (UU 27/2022).
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

import pytest

from exam_service.accounts import passwords
from exam_service.accounts.models import User
from exam_service.core.extensions import db
from tests.support.accounts import PASSWORD
from tests.support.mail import mails

WRONG = "salah-sandi-sekali"
NEW_PASSWORD = "sandi-yang-cukup-panjang"
DISPLAY_NAME_FORMS = [
    "x0 <{email}>",
    '"Calon Mitra" <{email}>',
    "<{email}>",
]
# Tells the user to write the bare address (no display name): see service.canonical_email.
DISPLAY_NAME_HINT = "tanpa nama"


def _ip(n: int) -> dict[str, Any]:
    return {"environ_base": {"REMOTE_ADDR": f"192.0.2.{n}"}}


def _api_register(client, email: str, **kwargs: Any):
    body = {"email": email, "password": NEW_PASSWORD, "full_name": "Calon Mitra", "consent": True}
    return client.raw.post("/api/v1/auth/register", json=body, **kwargs)


def _page_register(client, email: str, **kwargs: Any):
    form = {"full_name": "Calon Mitra", "email": email, "password": NEW_PASSWORD, "consent": "y"}
    return client.submit_form("/register", form, **kwargs)


def _api_login(client, email: str, password: str, **kwargs: Any):
    body = {"email": email, "password": password}
    return client.raw.post("/api/v1/auth/login", json=body, **kwargs)


def _page_login(client, email: str, password: str, **kwargs: Any):
    return client.submit_form("/login", {"email": email, "password": password}, **kwargs)


def _api_resend(client, email: str, **kwargs: Any):
    return client.raw.post("/api/v1/auth/resend", json={"email": email}, **kwargs)


def _page_resend(client, email: str, **kwargs: Any):
    return client.submit_form("/resend", {"email": email}, **kwargs)


# --- 1. limits keyed on the normalised address; display names refused ------------------

# One mailbox, spelled the ways the service treats as the same account: case, padding,
# a decomposed accent (NFC) and a full-width domain (IDNA mapping).
COMPOSED = "andr\u00e9@uji.example"
SPELLINGS = [
    COMPOSED,
    COMPOSED.upper(),
    f"  {COMPOSED}\t",
    "andre\u0301@uji.example",
    "andr\u00e9@\uff55\uff4a\uff49.example",
    "ANDRE\u0301@UJI.\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45",
]


def test_schema_form_service_and_limit_keys_share_one_normalised_form(app):
    # Imported here, so that this file also runs (and fails) against the code before the fix.
    from werkzeug.datastructures import MultiDict

    from exam_service.accounts.forms import ResendForm
    from exam_service.accounts.schemas import LoginIn
    from exam_service.accounts.service import canonical_email, normalize_email

    with app.test_request_context():
        for spelling in SPELLINGS:
            normalised = canonical_email(spelling)
            assert normalised == COMPOSED, spelling
            assert canonical_email(normalised) == normalised  # idempotent
            assert normalize_email(spelling) == normalised
            assert LoginIn(email=spelling, password="x").email == normalised
            form = ResendForm(formdata=MultiDict({"email": spelling}), meta={"csrf": False})
            assert form.validate(), form.errors


def test_login_account_limit_holds_for_every_spelling_of_the_address(client, make_user):
    make_user(email=COMPOSED)
    for n in range(10):
        spelling = SPELLINGS[n % len(SPELLINGS)]
        assert _api_login(client, spelling, WRONG).status_code == 401, spelling
    for spelling in SPELLINGS:
        assert _api_login(client, spelling, PASSWORD).status_code == 429, spelling


def test_the_probes_display_name_bypass_is_closed(client, make_user):
    user = make_user()
    for _ in range(10):
        assert _api_login(client, user.email, WRONG).status_code == 401
    assert _api_login(client, user.email, WRONG).status_code == 429
    for _ in range(15):
        response = _api_login(client, f"x0 <{user.email}>", WRONG)
        assert response.status_code in {422, 429}, response.json
    assert _api_login(client, f"x0 <{user.email}>", PASSWORD).status_code in {422, 429}
    assert _api_login(client, user.email, PASSWORD).status_code == 429


@pytest.mark.parametrize("form", DISPLAY_NAME_FORMS)
@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/login", {"password": PASSWORD}),
        ("/api/v1/auth/resend", {}),
        (
            "/api/v1/auth/register",
            {"password": NEW_PASSWORD, "full_name": "Calon Mitra", "consent": True},
        ),
    ],
    ids=["login", "resend", "register"],
)
def test_api_refuses_display_name_addresses(app, client, make_user, outbox, path, body, form):
    user = make_user()
    response = client.raw.post(path, json={"email": form.format(email=user.email), **body})
    assert response.status_code == 422, response.json
    assert DISPLAY_NAME_HINT in response.json["error"]["details"]["email"]
    assert mails(outbox) == []


@pytest.mark.parametrize(
    "submit",
    [
        lambda c, e: _page_login(c, e, PASSWORD),
        lambda c, e: _page_resend(c, e),
        lambda c, e: _page_register(c, e),
    ],
    ids=["login", "resend", "register"],
)
def test_pages_refuse_display_name_addresses(client, make_user, outbox, submit):
    user = make_user()
    response = submit(client, f"x0 <{user.email}>")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert DISPLAY_NAME_HINT in page
    assert "Keluar" not in page  # not logged in
    assert mails(outbox) == []


def test_resend_account_limit_holds_for_every_spelling(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "RESEND_RATE_LIMIT", "3 per hour")
    make_user(email=COMPOSED)
    # Each from its own address, so only the per-account budget can stop the fourth.
    for n, spelling in enumerate(SPELLINGS[3:6]):
        assert _api_resend(client, spelling, **_ip(n)).status_code == 200, spelling
    assert _api_resend(client, SPELLINGS[0], **_ip(9)).status_code == 429


def test_register_has_a_per_account_budget_for_every_spelling(app, client, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_ACCOUNT_RATE_LIMIT", "2 per hour")
    assert _api_register(client, SPELLINGS[3], **_ip(1)).status_code == 201
    assert _api_register(client, SPELLINGS[4], **_ip(2)).status_code == 201
    assert _api_register(client, SPELLINGS[1], **_ip(3)).status_code == 429
    assert len(mails(outbox)) == 2  # an activation mail, then "already registered"
    with app.app_context():
        (stored,) = db.session.scalars(db.select(User.email))
        assert stored == COMPOSED


# --- 2. no open redirect after login ---------------------------------------------------

HOME = "/"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        pytest.param("/\t/evil.example/phish", HOME, id="tab (the probe)"),
        pytest.param("/\n/evil.example", HOME, id="newline"),
        pytest.param("/\r\n/evil.example", HOME, id="crlf"),
        pytest.param("\t//evil.example", HOME, id="leading tab"),
        pytest.param(" /ujian", HOME, id="leading space"),
        pytest.param("/\x0b/evil.example", HOME, id="vertical tab"),
        pytest.param("/\\evil.example", HOME, id="slash backslash"),
        pytest.param("/\\/evil.example", HOME, id="slash backslash slash"),
        pytest.param("\\\\evil.example", HOME, id="two backslashes"),
        pytest.param("/%2F%2Fevil.example", HOME, id="encoded slashes after a slash"),
        pytest.param("%2F%2Fevil.example", HOME, id="encoded slashes"),
        pytest.param("/%2f/evil.example", HOME, id="encoded slash lower case"),
        pytest.param("/%5Cevil.example", HOME, id="encoded backslash"),
        pytest.param("/%09/evil.example", HOME, id="encoded tab"),
        pytest.param("/%252F%252Fevil.example", HOME, id="double-encoded slashes"),
        pytest.param("https://evil.example/", HOME, id="absolute URL"),
        pytest.param("http:/evil.example", HOME, id="scheme without slashes"),
        pytest.param("//evil.example", HOME, id="scheme-relative"),
        pytest.param("///evil.example", HOME, id="three slashes"),
        pytest.param("javascript:alert(1)", HOME, id="javascript"),
        pytest.param("/halaman-yang-tidak-ada", HOME, id="not a page of ours"),
        pytest.param("", HOME, id="empty"),
        pytest.param("/ujian", "/ujian", id="good: /ujian"),
        pytest.param("/dokumen?x=1", "/dokumen?x=1", id="good: a page with a query"),
    ],
)
def test_login_redirects_only_to_paths_of_this_service(client, make_user, target, expected):
    user = make_user()
    path = "/login?" + urlencode({"next": target})
    response = client.submit_form(path, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


# --- 3. register does the same work for known and new addresses --------------------------


class CountingHasher:
    """The real argon2 hasher, counting what it is asked to do."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.real, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


@pytest.mark.parametrize("door", [_api_register, _page_register], ids=["api", "page"])
def test_register_hashes_alike_for_known_and_new_addresses(
    client, make_user, outbox, monkeypatch, door
):
    existing = make_user()
    spy = CountingHasher(passwords._hasher)
    monkeypatch.setattr(passwords, "_hasher", spy)

    known = door(client, existing.email)
    known_work = dict(spy.calls)
    known_mails = len(mails(outbox))
    spy.calls.clear()
    new = door(client, "baru@uji.example")

    assert known.status_code == new.status_code
    assert known_work == dict(spy.calls)
    assert known_work.get("hash") == 1
    # Each path sends exactly one mail: "already registered", or the activation link.
    assert known_mails == 1
    assert len(mails(outbox)) == 2


# --- 4. one budget per action, whichever door -------------------------------------------


def test_login_account_budget_is_shared_api_then_page(client, make_client, make_user):
    user = make_user()
    for _ in range(10):
        assert _api_login(client, user.email, WRONG).status_code == 401
    assert _page_login(make_client(), user.email, PASSWORD).status_code == 429


def test_login_account_budget_is_shared_page_then_api(client, make_client, make_user):
    user = make_user()
    for _ in range(10):
        assert _page_login(client, user.email, WRONG).status_code == 401
    assert _api_login(make_client(), user.email, PASSWORD).status_code == 429


def test_login_address_budget_is_shared(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "3 per hour")
    for n in range(3):
        assert _api_login(client, f"tebak{n}@uji.example", WRONG).status_code == 401
    assert _page_login(client, "tebak9@uji.example", WRONG).status_code == 429


@pytest.mark.parametrize(
    ("first", "then"),
    [(_api_register, _page_register), (_page_register, _api_register)],
    ids=["api then page", "page then api"],
)
def test_register_address_budget_is_shared(app, client, outbox, monkeypatch, first, then):
    monkeypatch.setitem(app.config, "REGISTER_RATE_LIMIT", "2 per hour")
    for n in range(2):
        assert first(client, f"calon{n}@uji.example").status_code in {201, 302}
    assert then(client, "calon9@uji.example").status_code == 429


def test_register_account_budget_is_shared(app, client, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTER_ACCOUNT_RATE_LIMIT", "2 per hour")
    assert _api_register(client, "calon@uji.example", **_ip(1)).status_code == 201
    assert _page_register(client, "calon@uji.example", **_ip(2)).status_code == 302
    assert _api_register(client, "calon@uji.example", **_ip(3)).status_code == 429
    assert _page_register(client, "calon@uji.example", **_ip(4)).status_code == 429


@pytest.mark.parametrize(
    ("first", "then"),
    [(_api_resend, _page_resend), (_page_resend, _api_resend)],
    ids=["api then page", "page then api"],
)
def test_resend_address_budget_is_shared(app, client, monkeypatch, first, then):
    monkeypatch.setitem(app.config, "RESEND_RATE_LIMIT", "2 per hour")
    for n in range(2):
        assert first(client, f"siapa{n}@uji.example").status_code in {200, 302}
    assert then(client, "siapa9@uji.example").status_code == 429


def test_resend_account_budget_is_shared(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "RESEND_RATE_LIMIT", "2 per hour")
    assert _api_resend(client, "siapa@uji.example", **_ip(1)).status_code == 200
    assert _page_resend(client, "siapa@uji.example", **_ip(2)).status_code == 302
    assert _api_resend(client, "siapa@uji.example", **_ip(3)).status_code == 429
    assert _page_resend(client, "siapa@uji.example", **_ip(4)).status_code == 429


# --- 5. consent: required, documented, explained ------------------------------------------


def test_openapi_documents_consent_as_required_and_true(client):
    spec = client.get("/api/v1/openapi.json").json
    body = spec["paths"]["/api/v1/auth/register"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "consent" in schema["required"]
    consent = schema["properties"]["consent"]
    assert consent["type"] == "boolean"
    assert consent["const"] is True
    assert "UU 27/2022" in consent["description"]
    assert "wajib" in consent["description"].lower()
    assert "true" in consent["description"]


MISSING = object()


@pytest.mark.parametrize(
    "consent", [MISSING, False, None, "true", 1], ids=["missing", "false", "null", "string", "1"]
)
def test_register_without_consent_true_is_422_on_consent(app, client, outbox, consent):
    body = {"email": "calon@uji.example", "password": NEW_PASSWORD, "full_name": "Calon Mitra"}
    if consent is not MISSING:
        body["consent"] = consent
    response = client.raw.post("/api/v1/auth/register", json=body)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"consent"}
    message = error["details"]["consent"]
    assert "Persetujuan pemrosesan data pribadi" in message
    assert "UU 27/2022" in message
    assert "true" in message
    assert mails(outbox) == []
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0
