"""Webhooks: subscriptions, signing, delivery with retries, the delivery log.

A delivery is claimed (its `next_attempt_at` moved one lease ahead) and
committed before the request is sent, so no database transaction waits on a
receiver, and a worker that dies mid-send only delays the try by the lease.
Receivers may therefore see an event twice: every body and the X-Webhook-Id
header carry the event's id, to drop duplicates. See docs/webhooks.md.

Server-side request forgery: a webhook may only reach public addresses. Every
address a URL's host resolves to must be globally routable (no loopback, private,
link-local, shared, multicast, unspecified or reserved address), checked when the
subscription is made and again for every try, because a name can be re-pointed
(DNS rebinding). Each try resolves the name once, checks the answers and connects
to exactly those addresses (the HTTP client never looks the name up itself), sends
the name in the Host header and TLS SNI, verifies the certificate against the
name, and never follows a redirect. The operator may allow internal hosts by name
(`WEBHOOK_ALLOWED_HOSTS`, host[:port] entries).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, unquote, urlsplit

import certifi
import urllib3
from flask import current_app
from flask_babel import gettext as _
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from ..accounts.models import User
from ..accounts.offices import office_of
from ..core.audit import record
from ..core.clock import utcnow
from ..core.errors import Invalid, NotFound
from ..core.extensions import db
from .events import EVENT_TYPES, RETRY_WINDOW
from .models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription

BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
# A claimed try that never reports back (a killed worker) is due again after this.
LEASE = timedelta(seconds=60)
SEND_TIMEOUT_SECONDS = 5.0
USER_AGENT = "seleksi-mitra-webhooks/1"
MAX_ERROR_LENGTH = 200
DEFAULT_PORTS = {"http": 80, "https": 443}
# Addresses of one name tried per delivery when connections are refused (bounds a try).
MAX_ADDRESSES = 3
# Errors in the delivery log when a try is not even sent.
ADDRESS_NOT_ALLOWED = "address not allowed"
NAME_NOT_RESOLVED = "name not resolved"

# An allowed host and its port (None: any port), from WEBHOOK_ALLOWED_HOSTS.
AllowedHost = tuple[str, int | None]


@dataclass(frozen=True)
class Outgoing:
    """A claimed try, with everything needed to send it outside a transaction."""

    delivery_id: int
    url: str
    secret: str
    event_id: str
    body: bytes
    # The operator's allowance, read in the app context that claimed the try.
    allowed_hosts: frozenset[AllowedHost] = field(default_factory=frozenset)


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


# --- where a webhook may go (SSRF) ----------------------------------------------------------


class TargetRefused(Exception):
    """The host resolves to an address that webhooks may not reach."""


class TargetUnresolved(Exception):
    """The host name does not resolve (now)."""


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to `addresses` only, in order."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]
    # The path and query as sent on the request line.
    request_target: str
    host_header: str
    authorization: str | None


def allowed_hosts() -> frozenset[AllowedHost]:
    """The operator's WEBHOOK_ALLOWED_HOSTS (config.py splits the setting's list)."""
    entries = current_app.config["WEBHOOK_ALLOWED_HOSTS"]
    return frozenset(host for entry in entries if (host := _allowed_host(entry)) is not None)


def _allowed_host(entry: str) -> AllowedHost | None:
    """`name`, `name:port`, `10.0.0.5:8080`, `[::1]:9000`; anything else is ignored."""
    try:
        parts = urlsplit("//" + entry.strip())
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").rstrip(".")
    return (host, port) if host else None


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast: not loopback, private, link-local, shared (100.64/10),
    multicast, unspecified, reserved or documentation; IPv4-mapped IPv6 as its IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_unspecified
    )


def check_target(url: str, allowed: Iterable[AllowedHost] = ()) -> Target:
    """Resolve the URL's host once and check every address it resolves to.

    Raises TargetRefused when any address is not public (unless the host, with or
    without its port, is allowed by the operator) and TargetUnresolved when the name
    does not resolve. The caller connects to `Target.addresses`, never to the name.
    """
    parts = urlsplit(url)
    scheme = parts.scheme
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        raise TargetRefused(url)
    port = parts.port or DEFAULT_PORTS[scheme]
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as e:  # socket.gaierror; a name IDNA cannot encode
        raise TargetUnresolved(host) from e
    addresses = list(
        dict.fromkeys(
            ipaddress.ip_address(info[4][0])
            for info in found
            if info[0] in (socket.AF_INET, socket.AF_INET6)
        )
    )
    if not addresses:
        raise TargetUnresolved(host)
    allowed = set(allowed)
    operator_allowed = (host, None) in allowed or (host, port) in allowed
    if not operator_allowed and not all(is_public_address(a) for a in addresses):
        raise TargetRefused(host)
    authorization = None
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = urllib3.make_headers(basic_auth=credentials)["authorization"]
    path = parts.path or "/"
    return Target(
        scheme=scheme,
        host=host,
        port=port,
        addresses=tuple(str(a) for a in addresses),
        # Like a browser: characters not allowed on the request line are percent-encoded.
        request_target=quote(
            path + (f"?{parts.query}" if parts.query else ""), safe="!#$%&'()*+,/:;=?@[]~"
        ),
        host_header=parts.netloc.rpartition("@")[2],
        authorization=authorization,
    )


def _post(target: Target, body: bytes, headers: dict[str, str]) -> int:
    """POST to the checked addresses (the next one only if a connection is refused)."""
    headers = {**headers, "Host": target.host_header}
    if target.authorization:
        headers["Authorization"] = target.authorization
    timeout = urllib3.Timeout(connect=SEND_TIMEOUT_SECONDS, read=SEND_TIMEOUT_SECONDS)
    refused: NewConnectionError | None = None
    for address in target.addresses[:MAX_ADDRESSES]:
        pool: urllib3.HTTPConnectionPool
        if target.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address,
                target.port,
                timeout=timeout,
                retries=False,
                maxsize=1,
                # SNI and certificate verification use the name, not the address.
                server_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
            )
        else:
            pool = urllib3.HTTPConnectionPool(
                address, target.port, timeout=timeout, retries=False, maxsize=1
            )
        try:
            response = pool.urlopen(
                "POST",
                target.request_target,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,  # the receiver's body is never read
            )
            status = response.status
            response.close()
            return status
        except NewConnectionError as e:
            refused = e
        finally:
            pool.close()
    assert refused is not None
    raise refused


def _url_problem(url: str) -> str | None:
    """Why a subscription may not use this URL (None: it may)."""
    if not _is_http_url(url):
        return _("Alamat harus diawali http:// atau https:// dan memuat nama host.")
    try:
        check_target(url, allowed_hosts())
    except TargetUnresolved:
        return _("Nama host penerima tidak dapat ditemukan.")
    except TargetRefused:
        return _(
            "Alamat penerima menunjuk ke jaringan internal atau alamat khusus "
            "(loopback, privat, link-local, multicast). Gunakan alamat publik."
        )
    return None


# --- subscriptions (admins) ---------------------------------------------------------


def create_subscription(
    admin: User, name: str, url: str, events: list[str]
) -> tuple[WebhookSubscription, str]:
    """A subscription of the admin's office; returns it and its secret (shown once)."""
    office_id = office_of(admin)
    name, url = (name or "").strip(), (url or "").strip()
    errors = {}
    if not name or len(name) > 100:
        errors["name"] = _("Nama wajib diisi, paling panjang 100 karakter.")
    if url_problem := _url_problem(url):
        errors["url"] = url_problem
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
    try:
        parts.port  # noqa: B018 (a port that is no number raises)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def subscriptions_for_admin(admin: User) -> list[WebhookSubscription]:
    return list(
        db.session.scalars(
            db.select(WebhookSubscription)
            .where(WebhookSubscription.office_id == office_of(admin))
            .order_by(WebhookSubscription.created_at.desc(), WebhookSubscription.id.desc())
        )
    )


def subscription_for_admin(admin: User, webhook_id: int) -> WebhookSubscription:
    subscription = db.session.scalar(
        db.select(WebhookSubscription).where(
            WebhookSubscription.id == webhook_id,
            WebhookSubscription.office_id == office_of(admin),
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
            WebhookSubscription.office_id == office_of(admin),
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


# --- delivering (the worker) -----------------------------------------------------------


def claim_due(now: datetime | None = None, limit: int = 20) -> list[Outgoing]:
    """Take up to `limit` due tries; other workers skip them until the lease ends.

    The caller commits before sending.
    """
    now = now or utcnow()
    allowed = allowed_hosts()
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
                allowed_hosts=allowed,
            )
        )
    db.session.flush()
    return outgoing


def send(outgoing: Outgoing, timestamp: int | None = None) -> Outcome:
    """POST one signed try to the addresses checked just now. Never raises: a failure
    (also a refused address) is an outcome too, retried like any other."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Id": outgoing.event_id,
        "X-Webhook-Timestamp": str(timestamp),
        "X-Webhook-Signature": sign(outgoing.secret, timestamp, outgoing.body),
    }
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        status = _post(check_target(outgoing.url, outgoing.allowed_hosts), outgoing.body, headers)
    except TargetRefused:
        error = ADDRESS_NOT_ALLOWED
    except TargetUnresolved:
        error = NAME_NOT_RESOLVED
    except NewConnectionError:  # a subclass of the connect timeout: first
        error = "connection error"
    except Urllib3Timeout:
        error = "timeout"
    except (ProtocolError, SSLError, OSError):
        error = "connection error"
    except (HTTPError, ValueError) as e:
        error = type(e).__name__
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
