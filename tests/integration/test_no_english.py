"""No English reaches a candidate, an author or an admin.

The crawl visits every route of `app.url_map` (so a new route cannot be
forgotten) as each role (anonymous, candidate, admin, author, and a machine
client with an API key), over realistic data: an activity with a bank, graded
attempts with decimal scores, a published selection, a review request, a
webhook with a failed delivery, API keys, a second candidate's submitted
application with documents.

- Pages: every GET (and every local link found on them, once), then every form
  found on them and every POST route posted empty and posted wrong (letters,
  a negative number, a very long value; a file that is no image).
- API: every operation of the OpenAPI document called with no body, an empty
  object, JSON that is not an object, wrong types and values out of every
  bound, in the body and in the query.

What counts is what a person reads: the visible text of HTML (without tags,
script/style contents and identifiers in <code>, with the attributes that are
shown or spoken: placeholder, title, alt, aria-label, a button's value), and in
JSON the `message`, `details`, `reason` and `problems` strings (without `code`
spans and lone identifiers). Machine outputs (CSV, XLSX, ICS, files, plain-text
probes) are not read; the routes left out are in SKIPPED_ROUTES with the reason.
Pages must also write numbers the Indonesian way ("37,5", never "37.5" or a score
"46.000"). Two more tests: the question bank's problems (editor preview and save,
import reports of broken files in every format), and the formatted scores,
durations and category names on the pages that show them. The text of the pages'
scripts (static/*.js) is not crawled.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from exam_service.accounts.models import DocumentKind, Role, User
from exam_service.authoring import images
from exam_service.authoring.models import Category, Question
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.exam import supervision
from exam_service.exam.models import Attempt
from exam_service.feeds import keys
from exam_service.feeds.dispatcher import ResultsDispatcher
from exam_service.feeds.models import WebhookDelivery, WebhookSubscription
from exam_service.feeds.webhooks import Outcome, record_outcome
from exam_service.recruitment.models import ApplicationStatus
from exam_service.scheduling.models import Booking
from exam_service.selection import service as selection
from tests.support.accounts import png_bytes
from tests.support.clients import ApiClient, csrf_from
from tests.support.english import ENGLISH_NUMBER, ENGLISH_PATTERN
from tests.support.exam import add_exam_activity
from tests.support.factories import (
    PASSWORD,
    build_activity,
    build_application,
    build_documents,
    build_profile,
    build_user,
)
from tests.support.feeds import bearer, schedule_quota_selection
from tests.support.recruitment import write_document_file

# What counts as English: tests/support/english.py (also the browser's check).

# Elements whose text is no language for people: code, identifiers and machinery.
SKIPPED_ELEMENTS = {"script", "style", "template", "code", "kbd", "samp"}
# Attributes a person sees or hears.
SHOWN_ATTRIBUTES = {"placeholder", "title", "alt", "aria-label"}
# JSON keys whose strings are words for people (messages, reasons, problems); in
# them, a code (`true`, a field's pattern) and a lone identifier ("passed") are
# no language, like <code> on a page.
JSON_TEXT_KEYS = {"message", "details", "reason", "problems"}
CODE_SPAN = re.compile(r"`[^`]*`")
IDENTIFIER = re.compile(r"[a-z0-9_.:-]+")

# --- routes not crawled, and why ---------------------------------------------------

SKIPPED_ROUTES = {
    "static": "the app's own static files (CSS, JS); no page",
    "openapi.static": "flask-openapi3's static files for its documentation UI",
    "openapi.doc_url": "the OpenAPI document: developers' reference, in English by design",
    "openapi.openapi": "flask-openapi3's index of documentation UIs (none installed)",
    "metrics.metrics_endpoint": "Prometheus text for the monitoring system",
    "main.healthz": "a probe for the load balancer: plain text 'ok'",
    "main.readyz": "a probe for the load balancer: plain text 'ready'",
}
# Routes that end the crawler's own login (crawled as anonymous only).
LOGOUTS = {"accounts.logout_page", "accounts_api.api_logout"}

# Path parameters the seed does not name: an id that no row has, or a word.
UNKNOWN_ID = 999_999
UNKNOWN_WORD = "tidak-ada"

WRONG_FIELD_VALUES = ("zz", "-1", "9" * 3000)
NOT_AN_IMAGE = b"bukan gambar, hanya teks"


# --- reading what a person reads ------------------------------------------------------


class _VisibleText(HTMLParser):
    """The visible text of a page and the forms on it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self.forms: list[dict[str, Any]] = []
        self._skipping = 0
        self._form: dict[str, Any] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in SKIPPED_ELEMENTS:
            self._skipping += 1
        for name in SHOWN_ATTRIBUTES & a.keys():
            self.parts.append(a[name])
        if tag == "input" and a.get("type") in {"submit", "button", "reset"}:
            self.parts.append(a.get("value", ""))
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "multipart": "multipart" in a.get("enctype", ""),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "select", "textarea"} and a.get("name"):
            kind = a.get("type", "text") if tag == "input" else tag
            self._form["fields"].setdefault(a["name"], kind)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_ELEMENTS and self._skipping:
            self._skipping -= 1
        if tag == "form":
            self._form = None

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def page_text(html: str) -> _VisibleText:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser


def json_texts(value: Any, counts: bool = False) -> Iterator[str]:
    """The strings of `value` that people read (under JSON_TEXT_KEYS, at any depth)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from json_texts(item, counts or key in JSON_TEXT_KEYS)
    elif isinstance(value, list):
        for item in value:
            yield from json_texts(item, counts)
    elif isinstance(value, str) and counts:
        yield value


# --- the crawl ------------------------------------------------------------------------


@dataclass
class Finding:
    english: str  # the run of English words, e.g. "Field required"
    context: str
    where: str


@dataclass
class Crawl:
    app: Flask
    findings: list[Finding] = field(default_factory=list)
    responses: int = 0

    def read(self, response: TestResponse, where: str) -> _VisibleText | None:
        """Check what a person reads in `response`; returns the parsed page for HTML."""
        self.responses += 1
        if "attachment" in response.headers.get("Content-Disposition", ""):
            return None
        mimetype = response.mimetype or ""
        if mimetype == "text/html":
            page = page_text(response.get_data(as_text=True))
            text = " ".join(" ".join(page.parts).split())
            self._check(text, where)
            for match in ENGLISH_NUMBER.finditer(text):
                context = text[max(match.start() - 40, 0) : match.end() + 40]
                self.findings.append(Finding(match.group(0), context, where))
            return page
        if mimetype == "application/json":
            for text in json_texts(response.get_json(silent=True)):
                if not IDENTIFIER.fullmatch(text):
                    self._check(CODE_SPAN.sub(" ", text), where)
        return None

    def _check(self, text: str, where: str) -> None:
        """One finding per run of English words (matches at most 25 characters apart)."""
        runs: list[list[int]] = []
        for match in ENGLISH_PATTERN.finditer(text):
            if runs and match.start() - runs[-1][1] <= 25:
                runs[-1][1] = match.end()
            else:
                runs.append([match.start(), match.end()])
        for start, end in runs:
            context = text[max(start - 40, 0) : end + 40].strip()
            self.findings.append(Finding(text[start:end], context, where))

    def report(self) -> str:
        """Each distinct run once, with where it was first seen and how often."""
        seen: dict[str, tuple[Finding, int]] = {}
        for f in self.findings:
            first, count = seen.get(f.english.lower(), (f, 0))
            seen[f.english.lower()] = (first, count + 1)
        lines = [
            f"- {first.english!r} ({count}x), e.g. in {first.context!r}\n    at {first.where}"
            for first, count in seen.values()
        ]
        return f"{len(seen)} English texts found:\n" + "\n".join(lines)


def rule_path(rule: Rule, values: dict[str, Any]) -> str:
    """The rule's path with the seed's values for its parameters."""
    path = rule.rule
    for name in rule.arguments:
        converter = type(rule._converters[name]).__name__
        if name in values:
            value = values[name]
        elif converter in {"IntegerConverter", "IdConverter"}:
            value = UNKNOWN_ID
        else:
            value = UNKNOWN_WORD
        path = re.sub(r"<(?:[^:<>]+:)?" + name + r">", str(value), path)
    return path


def _ints(rule: Rule, value: int) -> dict[str, int]:
    """`value` for every integer parameter of the rule."""
    return {
        name: value
        for name in rule.arguments
        if type(rule._converters[name]).__name__ in {"IntegerConverter", "IdConverter"}
    }


def crawled_rules(app: Flask) -> list[Rule]:
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED_ROUTES),
        key=lambda r: r.rule,
    )


def wrong_form(fields: dict[str, str], wrong: str, multipart: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, kind in fields.items():
        if name == "csrf_token":
            continue
        if kind == "file":
            if multipart:
                data[name] = (io.BytesIO(NOT_AN_IMAGE), "berkas.jpg")
        else:
            data[name] = wrong
    return data


def local(href: str, base: str) -> str | None:
    """A link of the app itself (path and query), or None for another site or a fragment."""
    url = urlsplit(urljoin("http://localhost" + base, href))
    if url.netloc != "localhost" or url.scheme not in {"http", "https"}:
        return None
    return url.path + (f"?{url.query}" if url.query else "")


# --- seeding a realistic world ----------------------------------------------------------


@dataclass
class World:
    values: dict[str, Any]
    users: dict[str, User]
    machine_key: str


@pytest.fixture
def world(app: Flask, book_candidate, scored_attempt, login) -> World:
    with app.app_context():
        activity = add_exam_activity(name="Rekrutmen Mitra Sensus Pertanian")
        db.session.flush()
        for category in db.session.scalars(db.select(Category)):
            category.name = {"hitung": "Berhitung", "konsep": "Konsep statistik"}[category.slug]
        office_id = activity.office_id
        admin = build_user(Role.ADMIN, name="Admin Kabupaten", office_id=office_id)
        author = build_user(Role.AUTHOR, name="Penulis Soal")
        db.session.flush()
        webhook = WebhookSubscription(
            office_id=office_id,
            name="Sistem kepegawaian",
            url="http://127.0.0.1:9/kait",
            secret="whsec_uji",
            events=["attempt.graded", "result.published"],
            created_by_id=admin.id,
        )
        db.session.add(webhook)
        db.session.commit()
        activity_id, webhook_id = activity.id, webhook.id
        db.session.refresh(admin)
        db.session.refresh(author)
        db.session.expunge_all()  # detached rows: the tests read their id and e-mail

    # The crawl's candidate sat the test (graded by the real grading); others have
    # decimal scores; one is still in the test, with extra time.
    candidate = book_candidate(activity_id)
    with app.app_context():
        exam.start(candidate.user.id)
        db.session.commit()
        for position, choice in {1: "A", 2: "B", 3: "A"}.items():
            exam.save_answer(candidate.user.id, position, choice, seq=1)
            db.session.commit()
        exam.submit(candidate.user.id)
        db.session.commit()
    scored_attempt(activity_id, {"hitung": ("2.5", "3"), "konsep": ("1.25", "2")})
    scored_attempt(activity_id, {"hitung": ("3", "3"), "konsep": ("2", "2")})
    sitting = book_candidate(activity_id, session_id=candidate.session_id)
    with app.app_context():
        attempt = exam.start(sitting.user.id)
        db.session.commit()
        admin_user = db.session.get_one(User, admin.id)
        supervision.extend(admin_user, attempt.id, 600, "Listrik padam di lokasi ujian")
        db.session.commit()

    admin_client = login(admin)
    _, announcement_at = schedule_quota_selection(admin_client, activity_id)
    with app.app_context():
        ResultsDispatcher(app).tick(announcement_at + timedelta(seconds=1))
        db.session.commit()
        user = db.session.get_one(User, candidate.user.id)
        application_id = db.session.get_one(Booking, candidate.booking_id).application_id
        review = selection.request_review(user, application_id, "Mohon nilai saya ditinjau.")
        db.session.flush()
        delivery = db.session.scalars(
            db.select(WebhookDelivery).where(WebhookDelivery.subscription_id == webhook_id)
        ).first()
        assert delivery is not None
        record_outcome(delivery.id, Outcome(None, "connection error", 12))
        record_outcome(delivery.id, Outcome(500, None, 40), now=utcnow() + timedelta(minutes=1))
        keys.create_key("Sistem rekrutmen pusat", [keys.RESULTS_READ], office_id=office_id)
        machine = keys.create_key("Dasbor kantor", [keys.RESULTS_READ], office_id=office_id)
        other = keys.create_key("Kunci lama", [keys.RESULTS_READ], office_id=office_id)
        # A second candidate's submitted application to an activity open for registration.
        applicant = build_user(name="Pelamar Baru")
        open_activity = build_activity(office_id, name="Survei Harga Konsumen")
        db.session.flush()
        build_profile(applicant)
        build_documents(applicant.id)
        build_application(open_activity.id, applicant.id, ApplicationStatus.SUBMITTED)
        question = db.session.scalars(db.select(Question).order_by(Question.id)).first()
        image = images.store_image(io.BytesIO(png_bytes()))
        values = {
            "activity_id": activity_id,
            "application_id": application_id,
            "session_id": candidate.session_id,
            "attempt_id": db.session.scalars(
                db.select(Attempt.id).where(Attempt.booking_id == candidate.booking_id)
            ).one(),
            "key_id": other.key.id,
            "webhook_id": webhook_id,
            "delivery_id": delivery.id,
            "review_id": review.id,
            "category_id": question.category_id,
            "question_id": question.id,
            "version_id": question.current_version_id,
            "kind": DocumentKind.KTP.value,
            "fmt": "csv",
            "token": "tautan-yang-sudah-tidak-berlaku",
            "name": image,
            "position": 1,
        }
        db.session.commit()
        applicant_id = applicant.id
    write_document_file(app, applicant_id, DocumentKind.KTP, png_bytes())
    return World(
        values,
        {"candidate": candidate.user, "admin": admin, "author": author},
        machine.secret,
    )


@pytest.fixture
def clients(app: Flask, world: World, make_client) -> dict[str, ApiClient]:
    """A client per role, logged in (the anonymous one holds a CSRF token too)."""
    clients = {"anonymous": make_client()}
    login_page = clients["anonymous"].raw.get("/login").get_data(as_text=True)
    clients["anonymous"].csrf_token = csrf_from(login_page)
    for role, user in world.users.items():
        client = make_client()
        assert client.login(user.email, PASSWORD).status_code == 200
        clients[role] = client
    return clients


# --- pages ---------------------------------------------------------------------------------


def _crawl_pages(crawl: Crawl, role: str, client: ApiClient, world: World) -> None:
    """GET every page rule and every local link found on the way, then post every form."""
    forms: dict[tuple[str, str], dict[str, Any]] = {}
    queue = [
        rule_path(rule, world.values)
        for rule in crawled_rules(crawl.app)
        if "GET" in rule.methods
        and not rule.rule.startswith("/api/")
        and not rule.arguments & {"filename"}
        and not (rule.endpoint in LOGOUTS and role != "anonymous")
    ]
    seen = set(queue)
    logouts = {rule_path(r, {}) for r in crawl.app.url_map.iter_rules() if r.endpoint in LOGOUTS}
    while queue:
        path = queue.pop(0)
        response = client.get(path, follow_redirects=True)
        page = crawl.read(response, f"{role} GET {path}")
        if page is None:
            continue
        for href in page.links:
            link = local(href, path)
            if (
                link
                and link not in seen
                and not link.startswith(("/api/", "/static/"))
                and urlsplit(link).path not in logouts
                and len(seen) < 400
            ):
                seen.add(link)
                queue.append(link)
        for form in page.forms:
            action = local(form["action"] or path, path)
            if action and urlsplit(action).path not in logouts:
                key = (form["method"], urlsplit(action).path)
                known = forms.setdefault(key, {"multipart": False, "fields": {}})
                known["multipart"] |= form["multipart"]
                known["fields"].update(form["fields"])

    # POST routes without a form on any page this role sees are posted too.
    for rule in crawled_rules(crawl.app):
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            if rule.endpoint in LOGOUTS:
                continue
            forms.setdefault(
                ("post", rule_path(rule, world.values)), {"multipart": False, "fields": {}}
            )

    for (method, action), form in sorted(forms.items()):
        where = f"{role} {method.upper()} {action}"
        if method == "get":
            for wrong in WRONG_FIELD_VALUES[:2]:
                query = urlencode(wrong_form(form["fields"], wrong, multipart=False))
                crawl.read(client.get(f"{action}?{query}", follow_redirects=True), where)
            continue
        variants = [("empty", {})] + [
            (f"wrong {wrong[:5]!r}", wrong_form(form["fields"], wrong, form["multipart"]))
            for wrong in WRONG_FIELD_VALUES
        ]
        for name, data in variants:
            data = {"csrf_token": client.csrf_token, **data}
            kwargs = {"content_type": "multipart/form-data"} if form["multipart"] else {}
            response = client.raw.post(action, data=data, follow_redirects=True, **kwargs)
            crawl.read(response, f"{where} ({name})")
            if response.status_code in {401, 403} or "/login" in response.request.path:
                break  # not this role's form: posting other values says the same


def test_no_english_on_any_page_for_any_role(app, world, clients):
    crawl = Crawl(app)
    for role, client in clients.items():
        _crawl_pages(crawl, role, client, world)
    assert crawl.responses > 300
    assert not crawl.findings, crawl.report()


# --- the API ---------------------------------------------------------------------------------


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = spec["components"]["schemas"][name]
    options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if options:
        return {**_resolve(options[0], spec), **{k: v for k, v in schema.items() if k != "anyOf"}}
    return schema


def _wrong_type(schema: dict[str, Any]) -> Any:
    """A value of another JSON type than the schema's."""
    kind = schema.get("type")
    if kind == "string":
        return 12345
    if kind in {"integer", "number", "boolean", "array", "object"}:
        return "bukan-ini"
    return {"tidak": "cocok"}


def _out_of_bounds(schema: dict[str, Any], spec: dict[str, Any]) -> Any:
    """A value of the schema's type that breaks its first bound (or its format, its enum)."""
    kind = schema.get("type")
    if "enum" in schema or "const" in schema:
        return "tidak-dikenal"
    if kind == "string":
        if schema.get("format") in {"date-time", "date", "email", "uri"}:
            return "kemarin sore"
        if "maxLength" in schema:
            return "x" * (schema["maxLength"] + 1)
        if "pattern" in schema:
            return "\u0000tidak cocok"
        return ""
    if kind == "integer":
        if "minimum" in schema:
            return schema["minimum"] - 1
        return schema.get("maximum", 2**63) + 1
    if kind == "number":
        return -1e12 if "minimum" in schema else 1.123456789
    if kind == "boolean":
        return "mungkin"
    if kind == "array":
        items = _resolve(schema.get("items", {}), spec)
        return [_out_of_bounds(items, spec)] if schema.get("minItems", 0) == 0 else []
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return {"x" * 300: _wrong_type(_resolve(extra, spec))}
        return {"tak_dikenal": 1}
    return None


def _bodies(schema: dict[str, Any], spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    properties = {k: _resolve(v, spec) for k, v in schema.get("properties", {}).items()}
    yield (
        "wrong types",
        {
            **{k: _wrong_type(v) for k, v in properties.items()},
            "tak_dikenal": 1,
        },
    )
    yield "out of bounds", {k: _out_of_bounds(v, spec) for k, v in properties.items()}


def _operations(spec: dict[str, Any], rule: Rule, method: str) -> dict[str, Any]:
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
    return spec["paths"].get(path, {}).get(method.lower(), {})


def _api_calls(
    operation: dict[str, Any], spec: dict[str, Any]
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The requests of one operation: (variant, keyword arguments for the client)."""
    yield "nothing", {}
    query = {
        p["name"]: _resolve(p.get("schema", {}), spec)
        for p in operation.get("parameters", [])
        if p.get("in") == "query"
    }
    if query:
        yield "query of wrong types", {"query_string": {k: "bukan-ini" for k in query}}
        yield (
            "query out of bounds",
            {
                "query_string": {
                    k: json.dumps(_out_of_bounds(v, spec)).strip('"') for k, v in query.items()
                }
            },
        )
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        schema = _resolve(content["application/json"]["schema"], spec)
        yield "JSON not an object", {"json": ["daftar"]}
        yield "JSON text that is no JSON", {"json": "{rusak"}
        yield "broken JSON", {"data": "{rusak", "content_type": "application/json"}
        yield "empty object", {"json": {}}
        for name, body in _bodies(schema, spec):
            yield name, {"json": body}
    if "multipart/form-data" in content:
        schema = _resolve(content["multipart/form-data"]["schema"], spec)
        binary = {
            k
            for k, v in schema.get("properties", {}).items()
            if _resolve(v, spec).get("format") == "binary"
        }
        yield "empty form", {"data": {}, "content_type": "multipart/form-data"}
        for name, body in _bodies(schema, spec):
            data: dict[str, Any] = {
                k: json.dumps(v) if not isinstance(v, str) else v
                for k, v in body.items()
                if k not in binary
            }
            for k in binary:
                data[k] = (io.BytesIO(NOT_AN_IMAGE), "berkas.jpg")
            yield name, {"data": data, "content_type": "multipart/form-data"}


def test_no_english_in_any_api_answer_for_any_role(app, world, clients):
    crawl = Crawl(app)
    spec = clients["anonymous"].get("/api/v1/openapi.json").json
    callers = dict(clients)
    machine = ApiClient(app.test_client())
    callers["machine"] = machine
    for rule in crawled_rules(app):
        if not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = _operations(spec, rule, method)
            path = rule_path(rule, world.values)
            for role, client in callers.items():
                if rule.endpoint in LOGOUTS and role != "anonymous":
                    continue
                headers = bearer(world.machine_key) if role == "machine" else {}
                for variant, kwargs in _api_calls(operation, spec):
                    response = client.open(method, path, headers=headers, **kwargs)
                    crawl.read(response, f"{role} {method} {path} ({variant})")
                    if response.status_code in {401, 403, 405}:
                        break  # refused before the input is read
                if rule.arguments and response.status_code not in {401, 403, 405}:
                    # Ids out of range in the path (`RowId`: 1 .. 2**31 - 1).
                    for wrong in (0, 2**40):
                        bad_path = rule_path(rule, {**world.values, **_ints(rule, wrong)})
                        response = client.open(method, bad_path, headers=headers, json={})
                        crawl.read(response, f"{role} {method} {bad_path} (id out of range)")
    assert crawl.responses > 300
    assert not crawl.findings, crawl.report()


# --- the bank's problems: the editor's preview and save, import reports --------------------

BROKEN_CSV = "\n".join(
    [
        "id,category,difficulty,stem,option_a,option_b,option_c,points_a,points_b,points_c,"
        "keep_last,image",
        "B-1,hitung,easy,,Satu,Dua,,1,0,,,",  # empty stem
        "B-2,hitung,easy,Berapa?,Satu,Dua,,0,0,,,",  # no option earns points
        "SOAL-LAMA,hitung,easy,Berapa?,Satu,Dua,,1,0,,,",  # an id the bank holds
        "B-4,Kategori Salah!,easy,Berapa?,Satu,Dua,,1,0,,,",  # a category code that cannot be
        "B-5,hitung,easy,Berapa?,Satu,Dua,,1,0,,,tidak-ada.png",  # an image the bank lacks
        "B-6,hitung,easy,Berapa?,Satu,Dua,Tiga,1,0,0,A,",  # keep_last not the last option
        "B-7,hitung,easy,Berapa?,Satu,Dua,,satu,0,,,",  # points not a number
        "B-8,hitung,easy,Berapa?,Satu,,Tiga,1,0,0,,",  # a gap between options
        "B-9,hitung,sedang sekali,Berapa?,Satu,Dua,,1,1,,,",  # unknown difficulty, same points
        "B-1,hitung,easy,Berapa lagi?,Satu,Dua,,1,0,,,",  # an id used twice
        "B-11,hitung,easy,Berapa?,Satu,Satu,,1,0,,,",  # an option repeated
    ]
)
BROKEN_FILES = {
    "csv": BROKEN_CSV.encode(),
    "xlsx": b"bukan buku kerja",
    "aiken": b"Berapa 1 + 1?\nB. Dua\nA. Satu\n\nBerapa 2 + 2?\nA. Empat\nB. Lima\n",
    "gift": b"::G1:: Berapa 1 + 1? \n\n::G2:: Berapa? {=Dua ~Satu} sesudahnya\n",
    "qti": b"bukan paket zip",
}
CSV_WITH_UNKNOWN_COLUMNS = b"stem,option_a,option_b,jawaban\nBerapa?,Satu,Dua,A\n"


def test_no_english_in_the_banks_problems_and_import_reports(app, world, clients):
    """Well-formed requests whose content breaks the bank's rules: every reason said."""
    crawl = Crawl(app)
    author = clients["author"]
    with app.app_context():
        category = db.session.get_one(Category, world.values["category_id"])
        question = db.session.get_one(Question, world.values["question_id"])
        question.external_id = "SOAL-LAMA"
        db.session.commit()
        category_id = category.id
    # Bodies that fit the schema but break the bank's rules (empty texts, a repeated
    # option, no points, a negative one, keep-last not last), and one that does not fit.
    broken_questions = [
        {
            "category_id": category_id,
            "difficulty": "easy",
            "stem": "",
            "options": [
                {"text": "", "points": 0},
                {"text": "Dua", "points": -1, "keep_last": True},
                {"text": "Dua", "points": 0},
            ],
        },
        {
            "category_id": category_id,
            "difficulty": "hard",
            "stem": "Berapa 1 + 1?",
            "options": [{"text": "Dua", "points": 1}, {"text": "Tiga", "points": 1}],
        },
        {
            "category_id": category_id,
            "difficulty": "easy",
            "stem": "Berapa?",
            "options": [{"text": "Dua", "points": "0.12345"}, {"text": "Tiga"}],
        },
    ]
    for body in broken_questions:
        for method, path in [
            ("POST", "/api/v1/bank/preview"),
            ("POST", "/api/v1/bank/questions"),
            ("PUT", f"/api/v1/bank/questions/{world.values['question_id']}"),
        ]:
            response = author.open(method, path, json=body)
            assert response.status_code in {200, 422}, (path, response.json)
            crawl.read(response, f"author {method} {path}")
    page_forms = [
        {"stem": "", "options-0-text": "", "options-1-text": "Dua", "options-2-text": "Dua"},
        {
            "stem": "Berapa 1 + 1?",
            "options-0-text": "Dua",
            "options-0-points": "0",
            "options-1-text": "Dua",
            "options-1-points": "0",
            "options-1-keep_last": "y",
            "options-2-text": "Tiga",
            "options-2-points": "-1",
        },
    ]
    for fields in page_forms:
        for path in ("/bank/soal/baru", f"/bank/soal/{world.values['question_id']}"):
            data = {"category_id": str(category_id), "difficulty": "easy", **fields}
            response = author.submit_form(path, data, follow_redirects=True)
            assert response.status_code == 422, path
            crawl.read(response, f"author POST {path} (broken question)")

    files = [(fmt, data) for fmt, data in BROKEN_FILES.items()]
    files.append(("csv", CSV_WITH_UNKNOWN_COLUMNS))
    for fmt, data in files:
        for partial in ("false", "true"):
            form = {"file": (io.BytesIO(data), f"soal.{fmt}"), "format": fmt, "partial": partial}
            response = author.post("/api/v1/bank/import", data=form)
            assert response.status_code in {200, 422}, (fmt, response.json)
            crawl.read(response, f"author POST /api/v1/bank/import ({fmt}, partial {partial})")
        page_form = {"file": (io.BytesIO(data), f"soal.{fmt}"), "format": fmt, "partial": "y"}
        response = author.submit_form(
            "/bank/impor", page_form, content_type="multipart/form-data", follow_redirects=True
        )
        crawl.read(response, f"author POST /bank/impor ({fmt})")
    report = author.post(
        "/api/v1/bank/import",
        data={"file": (io.BytesIO(BROKEN_CSV.encode()), "soal.csv"), "format": "csv"},
    ).json
    reasons = [item["reason"] for item in report["items"]]
    assert len(reasons) == 11, reasons
    assert all(reasons), reasons  # every item says why it was refused (or not imported)
    assert crawl.responses > 20
    assert not crawl.findings, crawl.report()


# --- numbers as Indonesians read them -------------------------------------------------------


def _visible(client: ApiClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return " ".join(" ".join(page_text(response.get_data(as_text=True)).parts).split())


def test_pages_write_scores_durations_and_categories_as_people_read_them(app, world, clients):
    """Scores with a decimal comma and no trailing zeros, durations in minutes, category
    names instead of codes. (The crawl above refuses "37.5" and "46.000" on every page.)"""
    admin, author = clients["admin"], clients["author"]
    activity_id, session_id = world.values["activity_id"], world.values["session_id"]

    results = _visible(admin, f"/admin/kegiatan/{activity_id}/hasil")
    assert "3,75 5 2,5 1,25" in results  # total, maximum, then per category
    assert "3.750" not in results
    assert "5.000" not in results

    selection_page = _visible(admin, f"/admin/kegiatan/{activity_id}/seleksi-akhir")
    assert "Skor Berhitung Konsep statistik Hasil" in selection_page
    assert "3,75 2,5 1,25" in selection_page

    assert "(+10 menit)" in _visible(admin, f"/admin/sesi/{session_id}/pantau")
    sessions = _visible(admin, f"/admin/kegiatan/{activity_id}/sesi")
    assert "Sesi berakhir 75 menit setelah mulai" in sessions

    overview = _visible(author, f"/bank/statistik?kegiatan={activity_id}")
    assert re.search(r"Rata-rata skor \d+,\d\d / \d+ Reliabilitas", overview)
    assert re.search(r"Skor \d+(,\d+)?–\d+,\d+: \d+ peserta", overview)  # histogram bins
    item = _visible(author, f"/bank/statistik/soal/{world.values['version_id']}")
    assert re.search(r"\d+%", item)
    assert not re.search(r"\d+\.\d", item)
