"""Invented demo data for the embedded default (`make run`) and for manual testing.

Idempotent: running it again keeps existing rows and sets fresh passwords,
so the printed accounts always work. Everything here is invented.

The demo candidates show three steps of the journey: kandidat1 is accepted and
booked into the demo session, so they can take the test at once; kandidat2 is
accepted and still chooses a session; kandidat3's application waits for the
admin's decision.

The demo session is always open for a first start. A session takes first starts
only until `LATE_ENTRY_SECONDS` after its start (`exam.service.late_entry_closes_at`),
and that rule stays as it is; instead, while nobody has begun a test in it, the
demo session is moved to start again (`keep_demo_session_open`, at every seeding
and every half minute while `make run` runs, see `embedded.py`). Once kandidat1
has begun, it stays where it is, like any session.
"""

from __future__ import annotations

import io
import secrets
from datetime import date, datetime, timedelta

from PIL import Image
from pypdf import PdfWriter

from question_bank import load_demo_bank

from .accounts.documents import allowed_types, store_document
from .accounts.models import (
    DocumentKind,
    Education,
    Gender,
    Office,
    Profile,
    Role,
    User,
)
from .accounts.passwords import hash_password
from .accounts.service import create_user
from .authoring.models import Category, QuestionStatus
from .authoring.service import add_question, ensure_categories
from .core.clock import utcnow
from .core.extensions import db
from .core.uploads import PDF
from .exam.models import Attempt, AttemptStatus
from .exam.service import late_entry_closes_at
from .practice.questions import ensure_practice_questions
from .recruitment import declarations
from .recruitment.models import Activity, Application, ApplicationStatus
from .scheduling.models import Booking, TestSession
from .scheduling.service import session_end

# The office's zone: every time of its pages, mails and exports is shown in it.
# Asia/Makassar (WITA) or Asia/Jayapura (WIT) show the demo in another zone.
DEMO_OFFICE = {
    "code": "3299",
    "name": "BPS Kabupaten Contoh",
    "region_code": "3299",
    "timezone": "Asia/Jakarta",
}
REGISTRATION_ACTIVITY = "Demo: Rekrutmen Mitra Sensus Pertanian (pendaftaran dibuka)"
TEST_ACTIVITY = "Demo: Rekrutmen Mitra Survei Sosial Ekonomi (sesi ujian dibuka)"
# The candidate booked into the demo session: the one who can try the test at once.
DEMO_TEST_CANDIDATE = "kandidat1@demo.example"
DEMO_SESSION_PLACE = "Daring (sesi demo: dapat dimulai kapan saja)"
DEMO_SESSION_CAPACITY = 40

# (email, name, NIK, birth date, gender): invented people with well-formed NIKs.
CANDIDATES = [
    (
        "kandidat1@demo.example",
        "Sari Wulandari",
        "3299016507950001",
        date(1995, 7, 25),
        Gender.FEMALE,
    ),
    ("kandidat2@demo.example", "Budi Santoso", "3299021203900002", date(1990, 3, 12), Gender.MALE),
    ("kandidat3@demo.example", "Dewi Lestari", "3299034101000003", date(2000, 1, 1), Gender.FEMALE),
]


def seed() -> list[tuple[str, str, str]]:
    """Create the demo data; return (role, email, password) rows to print."""
    office = _office()
    rows = [
        _account(Role.ADMIN, "admin@demo.example", "Admin Demo", office),
        _account(Role.AUTHOR, "penulis@demo.example", "Penulis Soal Demo", None),
    ]
    blueprint = _bank()
    # The first activity is open for new registrations; the second is at the test stage.
    _, test = _activities(office, blueprint)
    statuses = [ApplicationStatus.ACCEPTED, ApplicationStatus.ACCEPTED, ApplicationStatus.SUBMITTED]
    sessions = _sessions(test)
    keep_demo_session_open()
    for n, ((email, name, nik, born, gender), status) in enumerate(
        zip(CANDIDATES, statuses, strict=True)
    ):
        rows.append(_account(Role.CANDIDATE, email, name, None))
        user = db.session.scalars(db.select(User).where(User.email == email)).one()
        _profile(user, nik, born, gender, office)
        application = _application(test, user, status)
        if n == 0:
            # The first candidate is booked into the demo session: test right away.
            _booking(application, sessions[0])
    return rows


def _office() -> Office:
    office = db.session.scalar(db.select(Office).where(Office.code == DEMO_OFFICE["code"]))
    if office is None:
        office = Office(**DEMO_OFFICE)
        db.session.add(office)
        db.session.flush()
    return office


def _account(role: Role, email: str, name: str, office: Office | None) -> tuple[str, str, str]:
    password = "demo-" + secrets.token_urlsafe(9)
    user = db.session.scalar(db.select(User).where(User.email == email))
    if user is None:
        create_user(
            email,
            password,
            name,
            role,
            office_id=office.id if office else None,
            activated=True,
            consent=role is Role.CANDIDATE,
        )
    else:
        user.password_hash = hash_password(password)
    return role.value, email, password


def _bank() -> dict:
    demo = load_demo_bank()
    if db.session.scalar(db.select(Category.id).limit(1)) is None:
        categories = ensure_categories(demo.categories)
        for question in demo.questions:
            add_question(question, categories[question.category], status=QuestionStatus.ACTIVE)
    ensure_practice_questions()  # "Ujian latihan", open to every candidate at any time
    return demo.blueprint.to_dict()


def _activities(office: Office, blueprint: dict) -> tuple[Activity, Activity]:
    now = utcnow()
    registration = _activity(
        office,
        REGISTRATION_ACTIVITY,
        blueprint,
        registration=(now - timedelta(days=1), now + timedelta(days=4)),
        booking=(now + timedelta(days=8), now + timedelta(days=20)),
    )
    test = _activity(
        office,
        TEST_ACTIVITY,
        blueprint,
        registration=(now - timedelta(days=14), now - timedelta(days=9)),
        booking=(now - timedelta(days=5), now + timedelta(days=10)),
    )
    return registration, test


def _activity(
    office: Office,
    name: str,
    blueprint: dict,
    registration: tuple,
    booking: tuple,
) -> Activity:
    activity = db.session.scalar(db.select(Activity).where(Activity.name == name))
    if activity is None:
        activity = Activity(
            office_id=office.id,
            name=name,
            registration_opens_at=registration[0],
            registration_closes_at=registration[1],
            booking_opens_at=booking[0],
            booking_closes_at=booking[1],
            announcement_at=booking[1] + timedelta(days=15),
            blueprint=blueprint,
        )
        db.session.add(activity)
        db.session.flush()
    return activity


def _sessions(activity: Activity) -> list[TestSession]:
    """The test activity's sessions in the order they were created; the first is the
    demo session (always open, see `keep_demo_session_open`), the others are still
    to be chosen."""
    existing = db.session.scalars(
        db.select(TestSession)
        .where(TestSession.activity_id == activity.id)
        .order_by(TestSession.id)
    ).all()
    if existing:
        return list(existing)
    now = _minute(utcnow())
    sessions = []
    for starts_at, place in [
        (now, DEMO_SESSION_PLACE),
        (now + timedelta(days=2, hours=1), "Aula Kantor BPS Kabupaten Contoh"),
        (now + timedelta(days=3, hours=3), "Daring dari rumah"),
    ]:
        session = TestSession(
            activity_id=activity.id,
            starts_at=starts_at,
            ends_at=session_end(activity, starts_at),
            capacity=DEMO_SESSION_CAPACITY,
            place=place,
        )
        db.session.add(session)
        sessions.append(session)
    db.session.flush()
    return sessions


def demo_session() -> TestSession | None:
    """The session kandidat1 is booked into (the test activity's first), if seeded."""
    return db.session.scalar(
        db.select(TestSession)
        .join(Activity, Activity.id == TestSession.activity_id)
        .where(Activity.name == TEST_ACTIVITY)
        .order_by(TestSession.id)
        .limit(1)
    )


def demo_test_begun() -> bool:
    """Whether anyone has begun (or finished) a test in the demo session."""
    session = demo_session()
    return session is not None and _begun(session)


def keep_demo_session_open(now: datetime | None = None) -> bool:
    """Move the demo session to start now when less than half of the late-entry
    allowance is left (or it has not started yet), unless someone has begun a test
    in it. Returns whether it moved.

    The late-entry rule itself is untouched: the session simply starts again, so
    a first start is possible at any time. Run at every seeding and, by `make run`,
    more often than every half allowance; the caller commits.
    """
    now = now or utcnow()
    session = demo_session()
    if session is None or _begun(session):
        return False
    half_allowance = (late_entry_closes_at(session) - session.starts_at) / 2
    if session.starts_at <= now < session.starts_at + half_allowance:
        return False
    session.starts_at = _minute(now)
    session.ends_at = session_end(session.activity, session.starts_at)
    return True


def _begun(session: TestSession) -> bool:
    # A READY attempt is only a form drawn ahead (by the worker); nobody sat it yet.
    return (
        db.session.scalar(
            db.select(Attempt.id)
            .where(Attempt.session_id == session.id, Attempt.status != AttemptStatus.READY)
            .limit(1)
        )
        is not None
    )


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _profile(user: User, nik: str, born: date, gender: Gender, office: Office) -> None:
    if db.session.get(Profile, user.id) is not None:
        return
    db.session.add(
        Profile(
            user_id=user.id,
            nik=nik,
            full_name=user.full_name,
            birth_date=born,
            gender=gender,
            address="Jl. Contoh Raya No. 1",
            village="Desa Contoh",
            district="Kecamatan Contoh",
            regency_code=office.region_code,
            phone="081200000000",
            education=Education.SMA,
        )
    )
    blank_pdf, blank_png = _blank_pdf(), _blank_png()
    for kind in DocumentKind:
        # Each kind takes its own types: the photo and the phone-spec screenshot are images.
        blank = blank_pdf if PDF in allowed_types(kind) else blank_png
        store_document(user.id, kind, io.BytesIO(blank))


def _blank_png() -> bytes:
    """A small grey picture: a demo photo or screenshot without anyone's data."""
    out = io.BytesIO()
    Image.new("RGB", (120, 160), (200, 200, 200)).save(out, "PNG")
    return out.getvalue()


def _blank_pdf() -> bytes:
    """A one-page empty PDF: demo documents that open, without anyone's data."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _application(activity: Activity, user: User, status: ApplicationStatus) -> Application:
    application = db.session.scalar(
        db.select(Application).where(
            Application.activity_id == activity.id, Application.user_id == user.id
        )
    )
    if application is None:
        application = Application(
            activity_id=activity.id,
            user_id=user.id,
            status=status,
            # As the apply page asks: not an ASN, and every preference "ya".
            **dict.fromkeys(declarations.KEYS, True),
        )
        if status is not ApplicationStatus.SUBMITTED:
            application.decided_at = utcnow()
            application.decision_reason = "Memenuhi persyaratan administrasi (data demo)."
        db.session.add(application)
        db.session.flush()
    return application


def _booking(application: Application, session: TestSession) -> None:
    if db.session.scalar(db.select(Booking).where(Booking.application_id == application.id)):
        return
    db.session.add(Booking(application_id=application.id, session_id=session.id))
    session.booked += 1
