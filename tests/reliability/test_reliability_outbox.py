"""Receivers that are down: webhooks (kept in the outbox and retried) and mail.

A webhook receiver down for an hour of simulated time: every event is still delivered.

The receiver (tests.support.feeds) sits behind the tests' TCP proxy, which refuses
every connection while the receiver is "down". The worker's delivery step (claim, send,
record) runs every 30 s of simulated time, so an hour takes a few seconds; one round
dies after claiming (as a killed worker would), leaving its claim to the lease.

Mail has no outbox yet: with the SMTP server down, registering is refused with a clear
503 and rolled back; resend answers as always, so it reveals no account.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func

from exam_service.accounts.models import User
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.feeds import webhooks
from exam_service.feeds.events import ATTEMPT_GRADED
from exam_service.feeds.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from tests.support.factories import build_user
from tests.support.faults import free_port

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


def test_mail_server_down_registration_is_a_clear_503_and_leaves_nothing(app, client, monkeypatch):
    """The activation mail is sent inside the registration (there is no mail outbox
    yet): with the SMTP server down, registering is refused with a clear 503 and
    rolled back, so the same registration succeeds once the server is back."""
    smtp_host, smtp_port = app.config["SMTP_HOST"], app.config["SMTP_PORT"]
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there

    refused = client.post("/api/v1/auth/register", json=REGISTRATION)

    assert refused.status_code == 503, refused.get_data(as_text=True)
    assert refused.json["error"]["code"] == "mail_unavailable"
    assert "coba lagi" in refused.json["error"]["message"]
    with app.app_context():
        assert db.session.scalar(db.select(func.count()).select_from(User)) == 0

    monkeypatch.setitem(app.config, "SMTP_HOST", smtp_host)
    monkeypatch.setitem(app.config, "SMTP_PORT", smtp_port)
    assert client.post("/api/v1/auth/register", json=REGISTRATION).status_code == 201


def test_mail_server_down_the_register_page_says_so(app, make_client, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    response = make_client().submit_form("/register", {**REGISTRATION, "consent": "y"})

    assert response.status_code == 503
    assert "Surel tidak dapat dikirim saat ini" in response.get_data(as_text=True)


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
