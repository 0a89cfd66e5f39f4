"""Webhooks: subscriptions, signing, delivery with retries, the delivery log.

A delivery is claimed (its `next_attempt_at` moved one lease ahead) and
committed before the request is sent, so no database transaction waits on a
receiver, and a worker that dies mid-send only delays the try by the lease.
Receivers may therefore see an event twice: every body and the X-Webhook-Id
header carry the event's id, to drop duplicates. See docs/webhooks.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import requests
from flask_babel import gettext as _

from ..accounts.models import User
from ..audit import record
from ..clock import utcnow
from ..errors import Forbidden, Invalid, NotFound
from ..extensions import db
from .events import EVENT_TYPES, RETRY_WINDOW
from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# A claimed try that never reports back (a killed worker) is due again after this.
LEASE = timedelta(seconds=60)
SEND_TIMEOUT_SECONDS = 5.0
USER_AGENT = "seleksi-mitra-webhooks/1"
MAX_ERROR_LENGTH = 200


@dataclass(frozen=True)
class Outgoing:
    """A claimed try, with everything needed to send it outside a transaction."""

    delivery_id: int
    url: str
    secret: str
    event_id: str
    body: bytes


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DeliveryView:
    delivery: WebhookDelivery
    tries: list[WebhookAttempt]

    @property
    def status(self) -> str:
        if self.delivery.delivered_at is not None and self.delivery.next_attempt_at is None:
            return "delivered"
        if self.delivery.failed_at is not None:
            return "failed"
        return "pending"


# --- signing ------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret."""
    message = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def body_of(event: OutboxEvent) -> bytes:
    """The request body: the same bytes on every try of the event."""
    envelope = {
        "id": event.event_id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": event.payload,
    }
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... doubling per failed try, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


# --- subscriptions (admins) ---------------------------------------------------------


def create_subscription(
    admin: User, name: str, url: str, events: list[str]
) -> tuple[WebhookSubscription, str]:
    """A subscription of the admin's office; returns it and its secret (shown once)."""
    office_id = _office_id(admin)
    name, url = (name or "").strip(), (url or "").strip()
    errors = {}
    if not name or len(name) > 100:
        errors["name"] = _("Nama wajib diisi, paling panjang 100 karakter.")
    if not _is_http_url(url):
        errors["url"] = _("Alamat harus diawali http:// atau https:// dan memuat nama host.")
    if not events or set(events) - set(EVENT_TYPES):
        errors["events"] = _("Pilih minimal satu jenis kejadian yang dikenal.")
    if errors:
        raise Invalid(_("Data webhook tidak valid."), details=errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    subscription = WebhookSubscription(
        office_id=office_id,
        name=name,
        url=url,
        secret=secret,
        events=sorted(set(events)),
        created_by_id=admin.id,
    )
    db.session.add(subscription)
    db.session.flush()
    record(admin.id, "webhook_created", "webhook", subscription.id, events=subscription.events)
    return subscription, secret


def _is_http_url(url: str) -> bool:
    if len(url) > 500:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def subscriptions_for_admin(admin: User) -> list[WebhookSubscription]:
    return list(
        db.session.scalars(
            db.select(WebhookSubscription)
            .where(WebhookSubscription.office_id == _office_id(admin))
            .order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc())
        )
    )


def subscription_for_admin(admin: User, webhook_id: int) -> WebhookSubscription:
    subscription = db.session.scalar(
        db.select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id,
            WebhookSubscription.office_id == _office_id(admin),
        )
    )
    if subscription is None:
        raise NotFound(_("Webhook tidak ditemukan."))
    return subscription


def disable_subscription(admin: User, webhook_id: int) -> WebhookSubscription:
    """No new deliveries; pending ones are given up when they come due."""
    subscription = subscription_for_admin(admin, webhook_id)
    if subscription.disabled_at is None:
        subscription.disabled_at = utcnow()
        db.session.flush()
        record(admin.id, "webhook_disabled", "webhook", subscription.id)
    return subscription


def deliveries_for_admin(admin: User, webhook_id: int, limit: int = 50) -> list[DeliveryView]:
    """The newest deliveries of a subscription, each with its tries (the delivery log)."""
    subscription = subscription_for_admin(admin, webhook_id)
    deliveries = list(
        db.session.scalars(
            db.select(WebhookDelivery)
            .where(WebhookDelivery.subscription_id == subscription.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )
    tries: dict[int, list[WebhookAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for attempt in db.session.scalars(
            db.select(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(tries))
            .order_by(WebhookAttempt.at, WebhookAttempt.id)
        ):
            tries[attempt.delivery_id].append(attempt)
    return [DeliveryView(d, tries[d.id]) for d in deliveries]


def redeliver(admin: User, delivery_id: int, now: datetime | None = None) -> WebhookDelivery:
    """Send an event again soon (delivered or given up alike), with a fresh 24-hour window."""
    now = now or utcnow()
    delivery = db.session.scalar(
        db.select(WebhookDelivery)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookSubscription.office_id == _office_id(admin),
        )
    )
    if delivery is None:
        raise NotFound(_("Pengiriman tidak ditemukan."))
    delivery.next_attempt_at = now
    delivery.give_up_at = now + RETRY_WINDOW
    delivery.delivered_at = None
    delivery.failed_at = None
    db.session.flush()
    record(admin.id, "webhook_redelivered", "webhook_delivery", delivery.id)
    return delivery


def _office_id(admin: User) -> int:
    if admin.office_id is None:
        raise Forbidden(_("Akun admin ini belum terhubung ke kantor mana pun."))
    return admin.office_id


# --- delivering (the worker) -----------------------------------------------------------


def claim_due(now: datetime | None = None, limit: int = 20) -> list[Outgoing]:
    """Take up to `limit` due tries; other workers skip them until the lease ends.

    The caller commits before sending.
    """
    now = now or utcnow()
    deliveries = db.session.scalars(
        db.select(WebhookDelivery)
        .where(WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    outgoing = []
    for delivery in deliveries:
        subscription = delivery.subscription
        if subscription.disabled_at is not None:
            _give_up(delivery, now, "subscription disabled")
            continue
        delivery.attempts += 1
        delivery.next_attempt_at = now + LEASE
        outgoing.append(
            Outgoing(
                delivery_id=delivery.id,
                url=subscription.url,
                secret=subscription.secret,
                event_id=delivery.event.event_id,
                body=body_of(delivery.event),
            )
        )
    db.session.flush()
    return outgoing


def send(outgoing: Outgoing, timestamp: int | None = None) -> Outcome:
    """POST one signed try. Never raises: a failure is an outcome too."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": outgoing.event_id,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(outgoing.secret, timestamp, outgoing.body),
    }
    started = time.monotonic()
    try:
        response = requests.post(
            outgoing.url,
            data=outgoing.body,
            headers=headers,
            timeout=SEND_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status, error = response.status_code, None
        response.close()
    except requests.Timeout:
        status, error = None, "timeout"
    except requests.ConnectionError:
        status, error = None, "connection error"
    except requests.RequestException as e:
        status, error = None, type(e).__name__
    return Outcome(status, error, int((time.monotonic() - started) * 1000))


def record_outcome(delivery_id: int, outcome: Outcome, now: datetime | None = None) -> None:
    """Log the try; done on a 2xx, else retried with backoff until the window closes."""
    now = now or utcnow()
    delivery = db.session.get_one(WebhookDelivery, delivery_id)
    error = outcome.error or (None if outcome.ok else f"HTTP {outcome.status_code}")
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            at=now,
            status_code=outcome.status_code,
            error=error,
            duration_ms=outcome.duration_ms,
        )
    )
    delivery.last_status = outcome.status_code
    delivery.last_error = error[:MAX_ERROR_LENGTH] if error else None
    if outcome.ok:
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif now >= delivery.give_up_at:
        _give_up(delivery, now, error)
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    db.session.flush()


def _give_up(delivery: WebhookDelivery, now: datetime, error: str | None) -> None:
    delivery.failed_at = now
    delivery.next_attempt_at = None
    delivery.last_error = (error or "")[:MAX_ERROR_LENGTH] or None
