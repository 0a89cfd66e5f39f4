"""Personal data (UU 27/2022): consent at registration, the candidate's own data export,
retention of documents (purge-documents) and the log of staff access to NIK and documents."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from exam_service.accounts.models import ConsentRecord, Document, DocumentKind, Role, User
from exam_service.accounts.service import CONSENT_VERSION
from exam_service.core.audit import AuditEvent
from exam_service.core.clock import utcnow
from exam_service.core.config import Config
from exam_service.core.extensions import db
from exam_service.privacy.retention import RetentionNotOver, purge_documents
from exam_service.recruitment.models import Application, ApplicationStatus
from exam_service.selection.models import (
    OutcomeReason,
    SelectionOutcome,
)
from tests.support.factories import build_selection_rule
from tests.support.recruitment import add_booking, write_document_file

PASSWORD = "sandi-yang-cukup-panjang"
RETENTION = timedelta(days=90)  # DOCUMENT_RETENTION_DAYS by default


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return list(events)


def audit_text(event: AuditEvent) -> str:
    """Every column of an audit row as text, to look for personal data in it."""
    columns = (event.actor_id, event.action, event.object_type, event.object_id)
    return " ".join(map(str, columns)) + json.dumps(event.details)


def register(client, **overrides):
    body = {"email": "calon@uji.example", "password": PASSWORD, "full_name": "Calon Mitra"}
    return client.post("/api/v1/auth/register", json={**body, **overrides})


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(User))


# --- consent ------------------------------------------------------------------------


@pytest.mark.parametrize("consent", [None, False, "true", 1])
def test_registration_without_explicit_consent_is_refused(app, client, outbox, consent):
    overrides = {} if consent is None else {"consent": consent}

    response = register(client, **overrides)

    assert response.status_code == 422, response.json
    assert "consent" in response.json["error"]["details"]
    assert user_count(app) == 0
    assert list(outbox.glob("*.eml")) == []


def test_registration_stores_the_consent_version_and_time(app, client, outbox):
    before = utcnow()
    assert register(client, consent=True).status_code == 201
    after = utcnow()

    with app.app_context():
        user = db.session.scalars(db.select(User)).one()
        [consent] = db.session.scalars(db.select(ConsentRecord)).all()
        assert (consent.user_id, consent.version) == (user.id, CONSENT_VERSION)
        assert before <= consent.consented_at <= after
        assert (user.consent_version, user.consent_at) == (CONSENT_VERSION, consent.consented_at)
    # Nothing personal beyond the user id is kept with a consent.
    assert set(ConsentRecord.__table__.columns.keys()) == {
        "id",
        "user_id",
        "version",
        "consented_at",
    }


def test_register_page_shows_the_consent_text_and_requires_the_box(app, client, outbox):
    page = client.get("/register").get_data(as_text=True)
    for words in ("mitra statistik", "NIK", "Masa simpan", "mengunduh", "penghapusan"):
        assert words in page
    assert CONSENT_VERSION in page
    form = {"full_name": "Calon Mitra", "email": "calon@uji.example", "password": PASSWORD}

    refused = client.submit_form("/register", form)

    assert refused.status_code == 422
    assert "Persetujuan pemrosesan data pribadi wajib diberikan." in refused.get_data(as_text=True)
    assert user_count(app) == 0

    accepted = client.submit_form("/register", {**form, "consent": "y"})

    assert accepted.status_code == 302
    with app.app_context():
        [consent] = db.session.scalars(db.select(ConsentRecord)).all()
        assert consent.version == CONSENT_VERSION


# --- the candidate's own data --------------------------------------------------------


def publish_outcome(app, application_id: int, score: str, published_at) -> None:
    """The activity's selection published, with this application passing."""
    with app.app_context():
        application = db.session.get_one(Application, application_id)
        application.status = ApplicationStatus.PASSED
        application.activity.show_score_to_candidates = True
        build_selection_rule(
            application.activity_id, scheduled_at=published_at, published_at=published_at
        )
        db.session.add(
            SelectionOutcome(
                application_id=application_id,
                activity_id=application.activity_id,
                passed=True,
                reason=OutcomeReason.PASSED,
                rank=1,
                score=Decimal(score),
                max_score=Decimal("30"),
                published_at=published_at,
            )
        )
        db.session.commit()


def nik_of(app, user: User) -> str:
    with app.app_context():
        return db.session.get_one(User, user.id).profile.nik


def test_export_holds_the_candidates_own_data_and_nobody_elses(
    app,
    make_office,
    make_user,
    make_activity,
    make_application,
    make_complete_candidate,
    login,
):
    office = make_office()
    passed_activity, rejected_activity = make_activity(office), make_activity(office)
    me, other = make_complete_candidate(), make_complete_candidate()
    mine = make_application(passed_activity, me, ApplicationStatus.ACCEPTED)
    make_application(rejected_activity, me, ApplicationStatus.REJECTED, reason="Ijazah buram.")
    make_application(passed_activity, other, ApplicationStatus.REJECTED, reason="Alasan lain.")
    add_booking(app, mine, place="Aula BPS Uji")
    publish_outcome(app, mine, "27.5", utcnow())
    candidate = login(me)

    response = candidate.get("/api/v1/me/data-export")

    assert response.status_code == 200, response.json
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    body = response.json
    assert body["account"]["email"] == me.email
    assert [c["version"] for c in body["consents"]] == [CONSENT_VERSION]
    assert body["profile"]["nik"] == nik_of(app, me)  # in full: it is the candidate's own
    assert sorted(d["kind"] for d in body["documents"]) == sorted(k.value for k in DocumentKind)
    assert all(set(d) == {"kind", "content_type", "size", "uploaded_at"} for d in body["documents"])
    by_id = {a["application_id"]: a for a in body["applications"]}
    assert len(by_id) == 2
    assert by_id[mine]["booking"]["place"] == "Aula BPS Uji"
    assert by_id[mine]["declarations"]["not_civil_servant"] is True  # the factory's "ya"
    assert (by_id[mine]["status"], by_id[mine]["result"]["score"]) == ("passed", "27.5")
    [rejected] = [a for a in body["applications"] if a["application_id"] != mine]
    assert (rejected["status"], rejected["decision_reason"]) == ("rejected", "Ijazah buram.")
    text = response.get_data(as_text=True)
    for foreign in (other.email, nik_of(app, other), "Alasan lain."):
        assert foreign not in text
    # The export is logged, without anything of its content.
    [event] = audit_events(app, "personal_data_exported")
    assert (event.actor_id, event.object_type, event.object_id) == (me.id, "user", me.id)
    assert event.details == {}

    assert (
        login(make_user(Role.ADMIN, office=office)).get("/api/v1/me/data-export").status_code == 403
    )


def test_export_needs_a_login_and_the_profile_page_links_to_it(
    app, client, make_complete_candidate, login
):
    assert client.get("/api/v1/me/data-export").status_code == 401
    page = login(make_complete_candidate()).get("/profil").get_data(as_text=True)
    assert 'href="/api/v1/me/data-export"' in page


# --- retention: purge-documents -------------------------------------------------------


def stored_paths(app, user: User) -> list[Path]:
    with app.app_context():
        names = db.session.scalars(
            db.select(Document.storage_name).where(Document.user_id == user.id)
        ).all()
        return [Path(app.config["UPLOAD_FOLDER"]) / name for name in names]


def announce(app, activity_id: int, at) -> None:
    with app.app_context():
        build_selection_rule(activity_id, scheduled_at=at, published_at=at)
        db.session.commit()


def purge(app, activity_id: int, *extra: str):
    return app.test_cli_runner().invoke(
        args=["purge-documents", "--activity", str(activity_id), *extra]
    )


@pytest.fixture
def finished_activity(make_office, make_activity):
    """An activity whose windows are long over (its announcement is set per test)."""
    now = utcnow()
    return make_activity(
        make_office(),
        registration_opens_at=now - timedelta(days=200),
        registration_closes_at=now - timedelta(days=190),
        booking_opens_at=now - timedelta(days=189),
        booking_closes_at=now - timedelta(days=180),
        announcement_at=now - timedelta(days=170),
    )


def test_purge_refuses_before_the_announcement_and_within_the_retention_period(
    app, finished_activity, make_application, make_complete_candidate
):
    candidate = make_complete_candidate()
    make_application(finished_activity, candidate)
    files = stored_paths(app, candidate)

    not_announced = purge(app, finished_activity)

    assert not_announced.exit_code != 0
    assert "belum diumumkan" in not_announced.output

    announce(app, finished_activity, utcnow() - RETENTION + timedelta(days=1))
    too_early = purge(app, finished_activity)

    assert too_early.exit_code != 0
    assert "Masa simpan dokumen" in too_early.output
    assert len(files) == 6
    assert all(path.is_file() for path in files)
    assert audit_events(app, "documents_purged") == []


def test_purge_boundary_follows_the_clock(app, app_ctx, finished_activity):
    announced = utcnow() - timedelta(days=1)
    announce(app, finished_activity, announced)

    with pytest.raises(RetentionNotOver):
        purge_documents(finished_activity, now=announced + RETENTION - timedelta(seconds=1))
    report = purge_documents(finished_activity, now=announced + RETENTION)

    assert (report.applicants, report.documents) == (0, 0)


def test_purge_after_the_retention_period_keeps_documents_other_activities_need(
    app, finished_activity, make_office, make_activity, make_application, make_complete_candidate
):
    running = make_activity(make_office())  # registration open, nothing announced
    recently_announced = make_activity(make_office())
    announce(app, recently_announced, utcnow() - timedelta(days=10))
    only_here, also_running, also_recent, never_applied = (
        make_complete_candidate() for _ in range(4)
    )
    for candidate in (only_here, also_running, also_recent):
        make_application(finished_activity, candidate)
    make_application(running, also_running)
    make_application(recently_announced, also_recent)
    announce(app, finished_activity, utcnow() - RETENTION - timedelta(minutes=1))
    purged_files = stored_paths(app, only_here)
    kept_files = [
        p for c in (also_running, also_recent, never_applied) for p in stored_paths(app, c)
    ]

    dry_run = purge(app, finished_activity, "--dry-run")

    assert dry_run.exit_code == 0, dry_run.output
    assert "3 applicants, 2 kept" in dry_run.output
    assert "would delete 6 documents" in dry_run.output
    assert all(path.is_file() for path in purged_files)
    assert audit_events(app, "documents_purged") == []

    result = purge(app, finished_activity)

    assert result.exit_code == 0, result.output
    assert "deleted 6 documents" in result.output
    assert "@" not in result.output  # counts only, nobody named
    assert stored_paths(app, only_here) == []
    assert not any(path.exists() for path in purged_files)
    assert len(kept_files) == 18
    assert all(path.is_file() for path in kept_files)
    [event] = audit_events(app, "documents_purged")
    assert (event.actor_id, event.object_type, event.object_id) == (
        None,
        "activity",
        finished_activity,
    )
    assert event.details == {
        "documents": 6,
        "applicants": 3,
        "kept_applicants": 2,
        "retention_days": 90,
    }
    # Running it again finds nothing left to delete.
    assert "deleted 0 documents" in purge(app, finished_activity).output


def test_retention_days_come_from_the_environment(tmp_path):
    assert Config.from_env(tmp_path, {}).DOCUMENT_RETENTION_DAYS == 90
    configured = Config.from_env(tmp_path, {"DOCUMENT_RETENTION_DAYS": "30"})
    assert configured.DOCUMENT_RETENTION_DAYS == 30


# --- staff access to NIK and documents --------------------------------------------------


@pytest.fixture
def applied(app, make_office, make_user, make_activity, complete_candidate, make_application):
    office = make_office()
    admin = make_user(Role.ADMIN, office=office)
    candidate = complete_candidate()
    application_id = make_application(make_activity(office), candidate)
    write_document_file(app, candidate.id, DocumentKind.KTP, b"%PDF-1.4 uji")
    return admin, application_id, nik_of(app, candidate)


def test_admin_viewing_a_nik_is_logged_without_the_nik(app, applied, login):
    admin_user, application_id, nik = applied
    admin = login(admin_user)

    api = admin.get(f"/api/v1/admin/applications/{application_id}")
    page = admin.get(f"/admin/lamaran/{application_id}")

    assert api.json["profile"]["nik"] == nik
    assert nik in page.get_data(as_text=True)
    events = audit_events(app, "view_personal_data")
    assert [(e.actor_id, e.object_type, e.object_id) for e in events] == [
        (admin_user.id, "application", application_id)
    ] * 2
    assert all(e.at is not None and nik not in audit_text(e) for e in events)


def test_admin_downloading_a_document_is_logged_with_its_kind(app, applied, login):
    admin_user, application_id, nik = applied
    admin = login(admin_user)

    api = admin.get(f"/api/v1/admin/applications/{application_id}/documents/ktp")
    page = admin.get(f"/admin/lamaran/{application_id}/dokumen/ktp")

    assert api.status_code == page.status_code == 200
    events = audit_events(app, "download_document")
    assert [(e.actor_id, e.object_id, e.details) for e in events] == [
        (admin_user.id, application_id, {"kind": "ktp"})
    ] * 2
    assert all(nik not in audit_text(e) for e in events)
