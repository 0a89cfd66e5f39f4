"""Webhooks: the outbox, signed deliveries to a receiver on 127.0.0.1, retries with
backoff for at least 24 hours, the delivery log and manual redelivery."""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow
from exam_service.core.config import Config
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.exam.models import Attempt
from exam_service.feeds import webhooks
from exam_service.feeds.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from exam_service.worker import Worker

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


def doc_verifier():
    """The verification snippet of docs/webhooks.md, run as written."""
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_webhook"]


def subscribe(admin, url: str, events=("attempt.graded", "result.published")) -> dict:
    response = admin.post(
        "/api/v1/admin/webhooks", json={"name": "Rekrutmen", "url": url, "events": list(events)}
    )
    assert response.status_code == 201, response.json
    return response.json


def deliver_due(app, now=None) -> int:
    """One synchronous round of the worker's delivery step, at `now`."""
    with app.app_context():
        outgoing = webhooks.claim_due(now)
        db.session.commit()
        for item in outgoing:
            webhooks.record_outcome(item.delivery_id, webhooks.send(item), now)
            db.session.commit()
    return len(outgoing)


def delivery_row(app) -> WebhookDelivery:
    with app.app_context():
        row = db.session.scalars(db.select(WebhookDelivery)).one()
        db.session.expunge(row)
        return row


@pytest.fixture
def office_admin(login, activity_admin):
    return lambda activity_id: login(activity_admin(activity_id))


def test_a_graded_attempt_is_delivered_signed_once_per_event(
    app, receiver, office_admin, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    hook = subscribe(office_admin(activity_id), receiver.url)
    booked = graded_attempt(activity_id)
    assert deliver_due(app) == 1

    [request] = receiver.wait_for(1)
    verify = doc_verifier()
    assert verify(hook["secret"], request.headers, request.body)
    assert not verify("whsec_another-secret", request.headers, request.body)
    assert not verify(hook["secret"], request.headers, request.body + b" ")
    stale = time.time() + 3600
    assert not verify(hook["secret"], request.headers, request.body, now=stale)

    body = request.json
    assert request.headers["X-Webhook-Id"] == body["id"]
    assert body["type"] == "attempt.graded"
    assert body["data"]["candidate"]["id"] == booked.user.id
    assert re.fullmatch(r"3273\*{8}\d{4}", body["data"]["candidate"]["nik"])
    assert body["data"]["grading_version"] == 1
    assert delivery_row(app).delivered_at is not None
    assert deliver_due(app) == 0  # nothing left


def test_the_event_is_written_in_the_grading_transaction(
    app, receiver, office_admin, exam_activity, book_candidate
):
    activity_id = exam_activity()
    subscribe(office_admin(activity_id), receiver.url)
    booked = book_candidate(activity_id)
    with app.app_context():
        exam.start(booked.user.id)
        db.session.commit()
        exam.submit(booked.user.id)
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEvent)) == 1
        db.session.rollback()  # the grade is not committed: neither is its event
        assert db.session.scalar(db.select(db.func.count()).select_from(OutboxEvent)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 0


def test_failures_are_retried_with_exponential_backoff_until_delivered(
    app, receiver, office_admin, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    subscribe(office_admin(activity_id), receiver.url)
    graded_attempt(activity_id)
    receiver.statuses = [503, 500, 200]
    now = utcnow()

    assert deliver_due(app, now) == 1
    first = delivery_row(app)
    assert first.last_status == 503
    assert first.next_attempt_at == now + timedelta(seconds=30)
    assert deliver_due(app, now + timedelta(seconds=29)) == 0  # not due yet
    second_at = now + timedelta(seconds=30)
    assert deliver_due(app, second_at) == 1
    assert delivery_row(app).next_attempt_at == second_at + timedelta(seconds=60)
    assert deliver_due(app, second_at + timedelta(seconds=60)) == 1
    done = delivery_row(app)
    assert done.delivered_at is not None
    assert done.next_attempt_at is None
    assert done.attempts == 3
    ids = {r.headers["X-Webhook-Id"] for r in receiver.wait_for(3)}
    assert len(ids) == 1  # one event, tried three times


def test_gives_up_only_after_24_hours_of_retries(
    app, receiver, office_admin, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    subscribe(office_admin(activity_id), receiver.url)
    graded_attempt(activity_id)
    receiver.statuses = [503]
    created = delivery_row(app).created_at
    tries = []
    now = created
    while True:
        assert deliver_due(app, now) == 1
        row = delivery_row(app)
        tries.append(now)
        if row.failed_at is not None:
            break
        now = row.next_attempt_at
    assert tries[-1] - created >= timedelta(hours=24)
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps[:4] == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert max(gaps) == timedelta(hours=1)
    assert row.next_attempt_at is None
    assert row.delivered_at is None
    assert len(receiver.wait_for(len(tries))) == len(tries)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookAttempt)) == len(
            tries
        )


def test_admins_read_the_delivery_log_and_redeliver(
    app, receiver, login, make_user, make_office, office_admin, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    admin = office_admin(activity_id)
    hook = subscribe(admin, receiver.url)
    graded_attempt(activity_id)
    receiver.statuses = [200]
    deliver_due(app)

    log = admin.get(f"/api/v1/admin/webhooks/{hook['id']}/deliveries").json["items"]
    assert [d["status"] for d in log] == ["delivered"]
    assert [t["status_code"] for t in log[0]["tries"]] == [200]
    stranger = login(make_user(Role.ADMIN, office=make_office()))
    assert stranger.get(f"/api/v1/admin/webhooks/{hook['id']}/deliveries").status_code == 404
    redeliver = f"/api/v1/admin/webhook-deliveries/{log[0]['id']}/redeliver"
    assert stranger.post(redeliver).status_code == 404

    assert admin.post(redeliver).status_code == 200
    assert deliver_due(app) == 1
    first, second = receiver.wait_for(2)
    assert first.headers["X-Webhook-Id"] == second.headers["X-Webhook-Id"]
    page = admin.get(f"/admin/webhook/{hook['id']}").get_data(as_text=True)
    assert log[0]["event_id"] in page


def test_unreachable_receivers_and_disabled_subscriptions(
    app, office_admin, exam_activity, graded_attempt, allow_webhook_hosts
):
    allow_webhook_hosts("127.0.0.1:9")  # the operator allows this internal host and port
    activity_id = exam_activity()
    admin = office_admin(activity_id)
    hook = subscribe(admin, "http://127.0.0.1:9/nobody-listens")
    graded_attempt(activity_id)
    deliver_due(app)
    row = delivery_row(app)
    assert row.last_status is None
    assert row.last_error == "connection error"
    assert row.next_attempt_at is not None

    assert admin.delete(f"/api/v1/admin/webhooks/{hook['id']}").status_code == 200
    deliver_due(app, utcnow() + timedelta(minutes=5))
    assert delivery_row(app).failed_at is not None
    graded_attempt(activity_id)  # no delivery for a disabled subscription
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(WebhookDelivery)) == 1


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "javascript:alert(1)", "http://", "x"])
def test_only_http_urls_can_be_subscribed(office_admin, exam_activity, url):
    admin = office_admin(exam_activity())
    response = admin.post(
        "/api/v1/admin/webhooks", json={"name": "x", "url": url, "events": ["attempt.graded"]}
    )
    assert response.status_code == 422
    assert "url" in response.json["error"]["details"]


def test_subscriptions_receive_only_their_offices_events(
    app, receiver, office_admin, exam_activity, graded_attempt
):
    mine, theirs = exam_activity(), exam_activity()
    subscribe(office_admin(mine), receiver.url)
    graded_attempt(theirs)
    assert deliver_due(app) == 0
    graded_attempt(mine)
    assert deliver_due(app) == 1


def test_the_worker_sends_deliveries_on_its_own_threads(
    app, receiver, office_admin, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    subscribe(office_admin(activity_id), receiver.url, events=["attempt.graded"])
    for _ in range(3):
        graded_attempt(activity_id)
    stop = threading.Event()
    worker = Worker(app, poll_seconds=0.1)
    thread = threading.Thread(target=worker.run, kwargs={"max_seconds": 10, "stop": stop})
    thread.start()
    try:
        received = receiver.wait_for(3, timeout=10)
    finally:
        stop.set()
        thread.join()
    assert len({r.headers["X-Webhook-Id"] for r in received}) == 3
    with app.app_context():
        graded = db.session.scalars(db.select(Attempt.id)).all()
    assert sorted(r.json["data"]["attempt_id"] for r in received) == sorted(graded)


# --- server-side request forgery: webhooks reach public receivers only --------------------------

# A public address (example.com's) that the tests only ever resolve to, never call.
PUBLIC = "93.184.215.14"
INTERNAL_URLS = [
    "http://127.0.0.1:5000/hooks",
    "http://127.1:5000/",
    "http://2130706433/",  # 127.0.0.1 written as one number
    "http://localhost/hooks",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.0.10:8080/",
    "http://100.64.0.1/",  # shared address space (carrier-grade NAT)
    "http://0.0.0.0:5000/",
    "http://224.0.0.251/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://[::1]:5000/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped loopback
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://[::]/",
    "http://[ff02::1]/",
]


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under `.test` resolve to what the test puts in the returned dict (a list of
    addresses, or a callable giving one per lookup); no query leaves the machine. Every
    other name, and every address, resolves as usual."""
    answers: dict = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        name = (host.decode() if isinstance(host, bytes) else host or "").rstrip(".")
        if not name.endswith(".test"):
            return real(host, port, family, type, proto, flags)
        found = answers.get(name)
        addresses = found() if callable(found) else found
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def webhook_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(WebhookSubscription))


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_addresses_are_refused_when_subscribing(app, office_admin, exam_activity, url):
    admin = office_admin(exam_activity())
    response = admin.post(
        "/api/v1/admin/webhooks", json={"name": "x", "url": url, "events": ["attempt.graded"]}
    )
    assert response.status_code == 422, response.json
    assert "alamat publik" in response.json["error"]["details"]["url"]
    assert webhook_count(app) == 0


def test_the_page_form_refuses_internal_addresses_too(app, office_admin, exam_activity):
    admin = office_admin(exam_activity())
    response = admin.submit_form(
        "/admin/webhook",
        {
            "name": "Metadata",
            "url": "http://169.254.169.254/latest/meta-data/",
            "events": ["attempt.graded"],
        },
    )
    assert response.status_code == 422
    assert "alamat publik" in response.get_data(as_text=True)
    assert webhook_count(app) == 0


def test_every_resolved_address_of_a_name_must_be_public(
    app, office_admin, exam_activity, fake_dns
):
    admin = office_admin(exam_activity())
    fake_dns["mixed.example.test"] = [PUBLIC, "10.0.0.7"]
    fake_dns["public.example.test"] = [PUBLIC, "2606:4700::1111"]

    def post(url):
        return admin.post(
            "/api/v1/admin/webhooks", json={"name": "x", "url": url, "events": ["attempt.graded"]}
        )

    refused = post("https://mixed.example.test/hooks")
    assert refused.status_code == 422
    assert "alamat publik" in refused.json["error"]["details"]["url"]
    unknown = post("https://nobody.example.test/hooks")  # does not resolve
    assert unknown.status_code == 422
    assert "tidak dapat ditemukan" in unknown.json["error"]["details"]["url"]
    assert post("https://public.example.test/hooks").status_code == 201  # never called here
    assert webhook_count(app) == 1


def test_a_name_that_re_resolves_to_an_internal_address_is_not_called(
    app, receiver, office_admin, exam_activity, graded_attempt, fake_dns
):
    """DNS rebinding: public when subscribed, 127.0.0.1 when the worker delivers."""
    activity_id = exam_activity()
    port = receiver.url.split(":")[2].split("/")[0]
    fake_dns["rebind.example.test"] = [PUBLIC]
    subscribe(office_admin(activity_id), f"http://rebind.example.test:{port}/hooks")
    fake_dns["rebind.example.test"] = ["127.0.0.1"]
    graded_attempt(activity_id)

    assert deliver_due(app) == 1
    assert receiver.requests == []
    row = delivery_row(app)
    assert (row.last_status, row.last_error) == (None, "address not allowed")
    assert row.next_attempt_at is not None  # retried: the name may point elsewhere later


def test_stored_internal_urls_are_checked_again_at_delivery(
    app, receiver, office_admin, exam_activity, graded_attempt, monkeypatch
):
    """A subscription made while the operator allowed 127.0.0.1 is not called once the
    allowance is gone (and the same holds for rows stored before the check existed)."""
    activity_id = exam_activity()
    subscribe(office_admin(activity_id), receiver.url)
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOWED_HOSTS", [])
    graded_attempt(activity_id)
    assert deliver_due(app) == 1
    assert receiver.requests == []
    assert delivery_row(app).last_error == "address not allowed"


def test_the_allow_list_names_hosts_and_optionally_ports(
    app, office_admin, exam_activity, allow_webhook_hosts
):
    admin = office_admin(exam_activity())
    allow_webhook_hosts("localhost:8080", "LOCALHOST.:8443", "10.0.0.5")

    def status(url):
        return admin.post(
            "/api/v1/admin/webhooks", json={"name": "x", "url": url, "events": ["attempt.graded"]}
        ).status_code

    assert status("http://localhost:8080/hooks") == 201
    assert status("https://localhost:8443/hooks") == 201
    assert status("http://localhost:8081/hooks") == 422  # another port
    assert status("http://localhost/hooks") == 422  # port 80
    assert status("http://10.0.0.5:1234/x") == 201  # no port given: any port
    assert status("http://10.0.0.6/x") == 422


def test_the_allow_list_is_read_from_the_environment(tmp_path):
    environ = {"WEBHOOK_ALLOWED_HOSTS": " hooks.internal:8443, 127.0.0.1 ,,[::1]:9000 "}
    config = Config.from_env(tmp_path, environ)
    assert config.WEBHOOK_ALLOWED_HOSTS == ["hooks.internal:8443", "127.0.0.1", "[::1]:9000"]
    assert Config.from_env(tmp_path, {}).WEBHOOK_ALLOWED_HOSTS == []


def test_delivery_connects_to_the_address_it_checked(
    app, receiver, office_admin, exam_activity, graded_attempt, fake_dns, allow_webhook_hosts
):
    """One lookup per try, and the connection goes to its answer (the name is not looked
    up again by the HTTP client), with the name in the Host header."""
    activity_id = exam_activity()
    port = receiver.url.split(":")[2].split("/")[0]
    allow_webhook_hosts(f"receiver.example.test:{port}")
    fake_dns["receiver.example.test"] = ["127.0.0.1"]
    subscribe(office_admin(activity_id), f"http://receiver.example.test:{port}/hooks")
    graded_attempt(activity_id)
    # From now on the first lookup answers 127.0.0.1, every later one 127.0.0.2 (where
    # nothing listens): a client that looked the name up again would miss the receiver.
    answers = iter([["127.0.0.1"]])
    fake_dns["receiver.example.test"] = lambda: next(answers, ["127.0.0.2"])
    assert deliver_due(app) == 1
    [request] = receiver.wait_for(1)
    assert request.headers["Host"] == f"receiver.example.test:{port}"
    assert delivery_row(app).delivered_at is not None


def test_redirects_are_not_followed(app, receiver, office_admin, exam_activity, graded_attempt):
    activity_id = exam_activity()
    subscribe(office_admin(activity_id), receiver.url)
    receiver.statuses = [307]
    receiver.headers = {"Location": receiver.url.replace("/hooks", "/elsewhere")}
    graded_attempt(activity_id)
    assert deliver_due(app) == 1
    assert len(receiver.requests) == 1
    row = delivery_row(app)
    assert (row.last_status, row.last_error) == (307, "HTTP 307")
    assert row.next_attempt_at is not None
