"""Data for a load test: an activity, its sessions and N accepted candidates, quickly.

    python -m loadtest.seed --candidates 2000 --sessions 4 --capacity 125 --starts-in 86400
    python -m loadtest.seed --candidates 1000 --sessions 1 --duration-seconds 180 --book

prints one JSON object (ids, the shared password, the e-mail template) that the
locust scenarios read with `--seed-file`. The back ends come from DATABASE_URL and
REDIS_URL like the service's; the schema must exist (`flask --app exam_service init-db`).

What goes through the service layer and what does not, and why:
- The office's admin, the activity (`recruitment.create_activity`, with its
  validation), the sessions (`scheduling.create_session`), the results API key
  (`feeds.keys.create_key`) and the forms (`exam.prepare_session_forms`, what the
  worker does ahead of a session) use the services.
- Candidates are bulk inserted, activated, and ALL SHARE ONE argon2 hash of one
  password: argon2 is slow by design (about 0.1 s a hash here), so 10,000 hashes
  would take a quarter of an hour. Their applications are inserted as accepted
  (no per-application decision or audit row), and with `--book` their bookings are
  inserted round robin with each session's seat counter set in the same transaction.
  `checks.check_bookings` verifies the result like any other run.
Every e-mail is invented, on the `.example` domain.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert

from exam_service.accounts.models import Office, Role, User
from exam_service.accounts.passwords import hash_password
from exam_service.accounts.service import create_user
from exam_service.authoring.models import Category, QuestionStatus
from exam_service.authoring.service import add_question, ensure_categories
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.exam import service as exam
from exam_service.recruitment.models import Application, ApplicationStatus
from exam_service.recruitment.service import ActivityData, create_activity
from exam_service.scheduling.models import Booking, TestSession
from exam_service.scheduling.service import create_session
from question_bank import load_demo_bank

EMAIL_DOMAIN = "loadtest.example"
# Rows per INSERT statement: large enough to be fast, small enough for any driver.
BATCH = 2_000


@dataclass(frozen=True)
class SeedSpec:
    candidates: int
    sessions: int = 1
    # Seats per session; 0 means enough for every candidate.
    capacity: int = 0
    duration_seconds: int = 3600
    # When the sessions start, from now; negative: a session open now (tests can start).
    starts_in_seconds: int = -60
    # Book every candidate into the sessions (round robin) and draw the forms ahead.
    book: bool = False
    # Create an API key with results:read for the results-feed scenario.
    api_key: bool = False
    tag: str = field(default_factory=lambda: secrets.token_hex(3))

    def seats_per_session(self) -> int:
        return self.capacity or -(-self.candidates // self.sessions)


@dataclass(frozen=True)
class Seeded:
    tag: str
    password: str
    # `email_template.format(n=i)` for i in range(candidates) is candidate i's e-mail.
    email_template: str
    candidates: int
    candidate_ids: list[int]
    office_id: int
    admin_email: str
    activity_id: int
    session_ids: list[int]
    capacity_total: int
    booked: int
    forms_prepared: int
    duration_seconds: int
    starts_at: str
    api_key: str | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def email_template(tag: str) -> str:
    return f"kandidat-{tag}-{{n:05d}}@{EMAIL_DOMAIN}"


def seed(spec: SeedSpec) -> Seeded:
    """Create everything in the current app context and commit it."""
    if spec.candidates < 0 or spec.sessions < 1:
        raise ValueError("candidates >= 0 and sessions >= 1")
    began = time.perf_counter()
    now = utcnow()
    password = secrets.token_urlsafe(12)
    admin = _admin(spec.tag, password)
    activity_id = _activity(admin, spec, now)
    starts_at = now + timedelta(seconds=spec.starts_in_seconds)
    session_ids = [
        create_session(
            admin,
            activity_id,
            starts_at,
            spec.seats_per_session(),
            place=f"Ruang uji beban {n + 1}",
            now=starts_at - timedelta(seconds=1),
        ).id
        for n in range(spec.sessions)
    ]
    user_ids = _candidates(spec.tag, spec.candidates, password)
    application_ids = _applications(activity_id, admin.id, user_ids, now)
    booked = _bookings(application_ids, session_ids, spec.seats_per_session()) if spec.book else 0
    forms = sum(exam.prepare_session_forms(s) for s in session_ids) if spec.book else 0
    api_key = _api_key(spec.tag, admin) if spec.api_key else None
    db.session.commit()
    return Seeded(
        tag=spec.tag,
        password=password,
        email_template=email_template(spec.tag),
        candidates=spec.candidates,
        candidate_ids=user_ids,
        office_id=admin.office_id or 0,
        admin_email=admin.email,
        activity_id=activity_id,
        session_ids=session_ids,
        capacity_total=spec.seats_per_session() * spec.sessions,
        booked=booked,
        forms_prepared=forms,
        duration_seconds=spec.duration_seconds,
        starts_at=starts_at.isoformat(),
        api_key=api_key,
        seconds=round(time.perf_counter() - began, 2),
    )


def _admin(tag: str, password: str) -> User:
    office = Office(code=f"LT{tag}", name=f"Kantor Uji Beban {tag}", region_code="3299")
    db.session.add(office)
    db.session.flush()
    return create_user(
        f"admin-{tag}@{EMAIL_DOMAIN}",
        password,
        f"Admin Uji Beban {tag}",
        Role.ADMIN,
        office_id=office.id,
        activated=True,
    )


def _activity(admin: User, spec: SeedSpec, now: datetime) -> int:
    blueprint = _demo_bank_blueprint()
    activity = create_activity(
        admin,
        ActivityData(
            name=f"Uji beban {spec.tag}",
            registration_opens_at=now - timedelta(days=10),
            registration_closes_at=now - timedelta(days=5),
            # Open for bookings now, and long before the sessions (open ones included).
            booking_opens_at=now - timedelta(days=5),
            booking_closes_at=now + timedelta(days=5),
            test_question_count=sum(blueprint["categories"].values()),
            test_duration_seconds=spec.duration_seconds,
            blueprint=blueprint,
        ),
    )
    return activity.id


def _demo_bank_blueprint() -> dict[str, Any]:
    """The demo bank's blueprint (30 questions), importing the bank once if it is missing."""
    demo = load_demo_bank()
    slugs = [slug for slug, _name in demo.categories]
    if db.session.scalar(db.select(Category.id).where(Category.slug.in_(slugs)).limit(1)) is None:
        categories = ensure_categories(demo.categories)
        for question in demo.questions:
            add_question(question, categories[question.category], status=QuestionStatus.ACTIVE)
    return demo.blueprint.to_dict()


def _candidates(tag: str, count: int, password: str) -> list[int]:
    """Activated candidates, bulk inserted with one shared hash (see the module docstring)."""
    shared_hash = hash_password(password)
    now = utcnow()
    template = email_template(tag)
    rows = [
        {
            "email": template.format(n=n),
            "password_hash": shared_hash,
            "full_name": f"Kandidat Uji {n}",
            "role": Role.CANDIDATE,
            "created_at": now,
            "activated_at": now,
            "consent_version": "loadtest",
            "consent_at": now,
        }
        for n in range(count)
    ]
    return _insert_returning_ids(User, rows)


def _applications(activity_id: int, admin_id: int, user_ids: list[int], now: datetime) -> list[int]:
    rows = [
        {
            "activity_id": activity_id,
            "user_id": user_id,
            "status": ApplicationStatus.ACCEPTED,
            "submitted_at": now,
            "decided_at": now,
            "decided_by_id": admin_id,
            "decision_reason": "Data uji beban.",
        }
        for user_id in user_ids
    ]
    return _insert_returning_ids(Application, rows)


def _bookings(application_ids: list[int], session_ids: list[int], seats: int) -> int:
    """Round robin into the sessions, each session's counter = its bookings."""
    if len(application_ids) > seats * len(session_ids):
        raise ValueError("more candidates than seats: raise --capacity or --sessions")
    now = utcnow()
    rows = [
        {
            "application_id": application_id,
            "session_id": session_ids[n % len(session_ids)],
            "created_at": now,
        }
        for n, application_id in enumerate(application_ids)
    ]
    _insert_returning_ids(Booking, rows)
    counts = (
        db.select(func.count())
        .where(Booking.session_id == TestSession.id)
        .correlate(TestSession)
        .scalar_subquery()
    )
    db.session.execute(
        db.update(TestSession)
        .where(TestSession.id.in_(session_ids))
        .values(booked=counts)
        .execution_options(synchronize_session=False)
    )
    return len(rows)


def _insert_returning_ids(model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Multi-row INSERTs (SQLAlchemy's insertmanyvalues), ids in the rows' order."""
    ids: list[int] = []
    for start in range(0, len(rows), BATCH):
        result = db.session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True),
            rows[start : start + BATCH],
        )
        ids.extend(result.scalars())
    return ids


def _api_key(tag: str, admin: User) -> str:
    from exam_service.feeds.keys import RESULTS_READ, create_key

    return create_key(
        f"Uji beban {tag}", [RESULTS_READ], office_id=admin.office_id, created_by=admin.id
    ).secret


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m loadtest.seed", description=(__doc__ or "").split("\n")[0]
    )
    parser.add_argument("--candidates", type=int, required=True, help="accepted candidates")
    parser.add_argument("--sessions", type=int, default=1, help="sessions of the activity")
    parser.add_argument(
        "--capacity", type=int, default=0, help="seats per session (default: room for everyone)"
    )
    parser.add_argument(
        "--duration-seconds", type=int, default=3600, help="the test's duration (shorten it)"
    )
    parser.add_argument(
        "--starts-in",
        type=int,
        default=-60,
        help="seconds from now to the sessions' start; negative = open now (default -60)",
    )
    parser.add_argument(
        "--book", action="store_true", help="book every candidate and draw the forms ahead"
    )
    parser.add_argument("--api-key", action="store_true", help="create a results:read API key")
    parser.add_argument("--tag", default=None, help="names this seed's accounts (default random)")
    return parser.parse_args(argv)


def spec_from_args(args: argparse.Namespace) -> SeedSpec:
    extra = {"tag": args.tag} if args.tag else {}
    return SeedSpec(
        candidates=args.candidates,
        sessions=args.sessions,
        capacity=args.capacity,
        duration_seconds=args.duration_seconds,
        starts_in_seconds=args.starts_in,
        book=args.book,
        api_key=args.api_key,
        **extra,
    )


def main(argv: list[str] | None = None) -> int:
    from exam_service import create_app

    spec = spec_from_args(parse_args(argv))
    app = create_app()
    with app.app_context():
        seeded = seed(spec)
    json.dump(seeded.to_json(), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
