"""Receivers that are down: webhooks (kept in the outbox and retried) and mail.

A webhook receiver down for an hour of simulated time: every event is still delivered.

The receiver (tests.support.feeds) sits behind the tests' TCP proxy, which refuses
every connection while the receiver is "down". The worker's delivery step (claim, send,
record) runs every 30 s of simulated time, so an hour takes a few seconds; one round
dies after claiming (as a killed worker would), leaving its claim to the lease.

Mail goes through an outbox table too (core.mail): with the SMTP server down,
registering succeeds and its mail follows once the server is back; a mail is retried
with growing pauses, then given up; it is sent once however many deliverers race;
resend answers as always, so it reveals no account.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func

from exam_service.accounts.models import User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.core.mail import OutgoingMail, deliver, deliver_due_mail
from exam_service.feeds import webhooks
from exam_service.feeds.events import ATTEMPT_GRADED
from exam_service.feeds.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from tests.support.factories import build_user
from tests.support.faults import free_port
from tests.support.mail import body_text, mails

pytestmark = pytest.mark.slow

EVENTS = 4
ROUND = timedelta(seconds=30)
OUTAGE = timedelta(hours=1)


def delivery_round(app, now, *, dies_after_claiming: bool = False) -> int:
    """One round of the worker's delivery step at `now` (simulated time)."""
    with app.app_context():
        outgoing = webhooks.claim_due(now)
        db.session.commit()
        if dies_after_claiming:
            return 0
        for item in outgoing:
            webhooks.record_outcome(item.delivery_id, webhooks.send(item), now)
            db.session.commit()
    return len(outgoing)


def test_receiver_down_for_an_hour_loses_no_event(
    app, receiver, tcp_proxy, activity_admin, exam_activity, graded_attempt
):
    activity_id = exam_activity()
    proxy = tcp_proxy(urlsplit(receiver.url).port)
    with app.app_context():
        webhooks.create_subscription(
            activity_admin(activity_id),
            "Sistem rekrutmen",
            f"http://127.0.0.1:{proxy.port}/hooks",
            [ATTEMPT_GRADED],
        )
        db.session.commit()
    proxy.refuse()  # the receiver is down
    for _ in range(EVENTS):
        graded_attempt(activity_id, {1: "A"})
    began = utcnow()

    now, tries_while_down = began, 0
    while now < began + OUTAGE:
        tries_while_down += delivery_round(app, now, dies_after_claiming=now == began + ROUND)
        now += ROUND
    proxy.heal()
    recovered = now
    while not _all_delivered(app) and now < recovered + 2 * OUTAGE:
        delivery_round(app, now)
        now += ROUND

    with app.app_context():
        event_ids = set(db.session.scalars(db.select(OutboxEvent.event_id)))
        deliveries = db.session.scalars(db.select(WebhookDelivery)).all()
        errors = Counter(db.session.scalars(db.select(WebhookAttempt.error)))
    received = [r.headers["X-Webhook-Id"] for r in receiver.requests]
    assert len(event_ids) == EVENTS
    assert sorted(received) == sorted(event_ids), "each event arrives, and once"
    assert all(d.delivered_at is not None and d.failed_at is None for d in deliveries)
    # Retried all hour long with backoff (30 s, 1, 2, 4 ... min): a handful of tries each.
    assert EVENTS * 4 <= tries_while_down <= EVENTS * 9
    assert errors["connection error"] == tries_while_down
    # Delivered at the first try after the outage: at most the longest backoff later.
    assert all(d.delivered_at - recovered <= webhooks.BACKOFF_CAP + ROUND for d in deliveries)


def _all_delivered(app) -> bool:
    with app.app_context():
        pending = db.session.scalar(
            db.select(db.func.count())
            .select_from(WebhookDelivery)
            .where(WebhookDelivery.delivered_at.is_(None))
        )
    return pending == 0


REGISTRATION = {
    "email": "surel@uji.example",
    "password": "sandi-uji-panjang",
    "full_name": "Uji",
    "consent": True,
}


def mail_server_down(app, monkeypatch) -> tuple[str, int]:
    """Point the service at an SMTP port where nothing listens; returns the old setting."""
    old = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    return old


def queued_mails(app) -> list[OutgoingMail]:
    with app.app_context():
        rows = db.session.scalars(db.select(OutgoingMail).order_by(OutgoingMail.id)).all()
        db.session.expunge_all()
    return list(rows)


def test_mail_server_down_registration_succeeds_and_the_mail_follows(
    app, client, outbox, monkeypatch
):
    """The activation mail is queued with the account: a mail server that is down
    delays it, never the registration; the worker sends it once the server is back."""
    host, port = mail_server_down(app, monkeypatch)

    registered = client.post("/api/v1/auth/register", json=REGISTRATION)

    assert registered.status_code == 201, registered.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(User)) == 1
    [queued] = queued_mails(app)
    assert (queued.attempts, queued.sent_at, queued.last_error) == (
        1,
        None,
        "ConnectionRefusedError",
    )
    assert list(outbox.glob("*.eml")) == []

    monkeypatch.setitem(app.config, "SMTP_HOST", host)  # back: the file outbox of the tests
    monkeypatch.setitem(app.config, "SMTP_PORT", port)
    assert deliver_due_mail(app) == 0, "not due before its pause has passed"
    assert deliver_due_mail(app, now=utcnow() + timedelta(seconds=31)) == 1

    [mail] = mails(outbox)
    assert "/activate/" in body_text(mail)
    [sent] = queued_mails(app)
    assert sent.sent_at is not None
    assert sent.message == b"", "a sent mail's body (its token) is not kept"


def test_mail_server_down_the_register_page_answers_as_always(app, make_client, monkeypatch):
    mail_server_down(app, monkeypatch)
    response = make_client().submit_form("/register", {**REGISTRATION, "consent": "y"})

    assert response.status_code == 302
    assert response.location.endswith("/login")


def test_a_mail_is_retried_with_growing_pauses_then_given_up(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 4)
    mail_server_down(app, monkeypatch)
    client.post("/api/v1/auth/register", json=REGISTRATION)  # the first try, at once

    start = now = utcnow()
    tried_at = {1: start}  # attempt number -> simulated time of that try
    while now < start + timedelta(hours=1):
        now += timedelta(seconds=10)
        deliver_due_mail(app, now=now)
        tried_at.setdefault(queued_mails(app)[0].attempts, now)

    [given_up] = queued_mails(app)
    assert given_up.attempts == 4
    assert given_up.given_up_at is not None
    pauses = [(tried_at[n + 1] - tried_at[n]).total_seconds() for n in (1, 2, 3)]
    assert pauses == [30, 60, 120]


def test_two_deliverers_send_a_mail_once(app, client, outbox, monkeypatch):
    """The worker and the request that queued a mail (or two workers) race on it."""
    mail_server_down(app, monkeypatch)
    client.post("/api/v1/auth/register", json=REGISTRATION)
    monkeypatch.setitem(app.config, "SMTP_HOST", "")
    [queued] = queued_mails(app)
    later = utcnow() + timedelta(minutes=1)
    barrier = threading.Barrier(8)

    def deliverer() -> bool:
        barrier.wait()
        return deliver(app, queued.id, later)

    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(lambda _: deliverer(), range(8)))

    assert sent.count(True) == 1
    assert len(mails(outbox)) == 1


def test_mail_server_down_resend_answers_as_always(app, client, monkeypatch):
    """Whether the account exists must not show: resend answers the same either way."""
    with app.app_context():
        # Registered, never activated: the one kind of account resend sends mail to.
        build_user(email="menunggu@uji.example", full_name="Menunggu", activated_at=None)
        db.session.commit()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())

    existing = client.post("/api/v1/auth/resend", json={"email": "menunggu@uji.example"})
    unknown = client.post("/api/v1/auth/resend", json={"email": "tidak-ada@uji.example"})

    assert (existing.status_code, existing.json) == (unknown.status_code, unknown.json)
    assert existing.status_code == 200
