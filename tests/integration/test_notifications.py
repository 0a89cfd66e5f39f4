"""What candidates are told: decisions, tomorrow's session, extra time, results.

Each notice is shown on the candidate's home page and mailed through the outbox
table, which the worker sends (here: its mail step, `deliver_due_mail`).
"""

from __future__ import annotations

from datetime import timedelta

from exam_service.accounts.models import Role
from exam_service.core.clock import utcnow
from exam_service.core.extensions import db
from exam_service.core.mail import OutgoingMail, deliver_due_mail
from exam_service.feeds.dispatcher import ResultsDispatcher
from exam_service.notifications import service as notifications
from exam_service.notifications.models import Notice
from exam_service.recruitment.models import Activity, ApplicationStatus
from tests.support.faults import free_port
from tests.support.feeds import schedule_quota_selection
from tests.support.mail import body_text, mails


def notices_of(app, user_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(
            db.select(Notice).where(Notice.user_id == user_id).order_by(Notice.id)
        ).all()
        return [(n.kind, n.title) for n in rows]


def sent_to(outbox, address: str) -> list:
    return [m for m in mails(outbox) if m["To"] == address]


def decide(admin, application_id: int, decision: str, reason: str | None = None):
    return admin.post(
        f"/api/v1/admin/applications/{application_id}/decision",
        json={"decision": decision, "reason": reason},
    )


def test_acceptance_is_a_notice_and_a_mail_with_the_next_step(
    app, make_office, make_user, make_booking_activity, accepted_candidate, login, outbox
):
    office = make_office()
    admin = login(make_user(Role.ADMIN, office=office))
    activity_id = make_booking_activity(office)
    candidate = accepted_candidate(activity_id, status=ApplicationStatus.SUBMITTED)

    assert decide(admin, candidate.application_id, "accepted").status_code == 200
    assert sent_to(outbox, candidate.email) == [], "sent by the worker, not in the request"
    assert deliver_due_mail(app) == 1

    [(kind, title)] = notices_of(app, candidate.user_id)
    assert kind == "decision:accepted"
    assert title.startswith("Lamaran diterima")
    [mail] = sent_to(outbox, candidate.email)
    assert mail["Subject"] == title
    assert "pilih sesi ujian kompetensi di http://127.0.0.1:5000/sesi." in body_text(mail)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert '<a href="http://127.0.0.1:5000/sesi">' in html, "the link, without the full stop"
    home = login(candidate).get("/lamaran").get_data(as_text=True)
    assert title in home


def test_rejection_mail_gives_the_reason(
    app, make_office, make_user, make_booking_activity, accepted_candidate, login, outbox
):
    office = make_office()
    admin = login(make_user(Role.ADMIN, office=office))
    activity_id = make_booking_activity(office)
    candidate = accepted_candidate(activity_id)

    response = decide(admin, candidate.application_id, "rejected", "Ijazah tidak terbaca")

    assert response.status_code == 200
    deliver_due_mail(app)
    [mail] = sent_to(outbox, candidate.email)
    assert mail["Subject"].startswith("Lamaran tidak diterima")
    assert "Alasan: Ijazah tidak terbaca" in body_text(mail)


def test_a_mail_server_that_is_down_never_fails_a_decision(
    app, make_office, make_user, make_booking_activity, accepted_candidate, login, monkeypatch
):
    office = make_office()
    admin = login(make_user(Role.ADMIN, office=office))
    candidate = accepted_candidate(make_booking_activity(office))
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())

    assert decide(admin, candidate.application_id, "rejected", "Kuota").status_code == 200
    assert deliver_due_mail(app) == 0

    with app.app_context():
        [mail] = db.session.scalars(db.select(OutgoingMail)).all()
        assert (mail.sent_at, mail.attempts, mail.last_error) == (
            None,
            1,
            "ConnectionRefusedError",
        )


def test_a_reminder_goes_out_once_the_day_before(
    app, make_office, make_booking_activity, accepted_candidates, make_session, login, outbox
):
    office = make_office()
    activity_id = make_booking_activity(office)
    tomorrow = make_session(activity_id, starts_at=utcnow() + timedelta(hours=20))
    later = make_session(activity_id, starts_at=utcnow() + timedelta(days=3))
    soon, not_yet = accepted_candidates(activity_id, 2)
    for candidate, session_id in ((soon, tomorrow), (not_yet, later)):
        booked = login(candidate).post("/api/v1/me/bookings", json={"session_id": session_id})
        assert booked.status_code == 201
    before = len(mails(outbox))

    with app.app_context():
        first = notifications.remind_due_sessions()
        db.session.commit()
        again = notifications.remind_due_sessions()
        db.session.commit()
    deliver_due_mail(app)

    assert (first, again) == (1, 0)
    assert [kind for kind, _ in notices_of(app, not_yet.user_id)] == []
    reminders = [m for m in sent_to(outbox, soon.email) if "Pengingat" in m["Subject"]]
    assert len(mails(outbox)) == before + 1
    [reminder] = reminders
    text = body_text(reminder)
    assert "Aula BPS Kota Uji" in text
    assert "KTP asli" in text
    [calendar] = [p for p in reminder.iter_attachments() if p.get_filename() == "sesi-ujian.ics"]
    assert "BEGIN:VEVENT" in calendar.get_content()


def test_extra_time_is_told_to_the_candidate(
    app, exam_activity, book_candidate, activity_admin, login, outbox
):
    activity_id = exam_activity()
    booked = book_candidate(activity_id)
    candidate = login(booked.user)
    attempt = candidate.post("/api/v1/me/attempt").json
    admin = login(activity_admin(activity_id))

    extended = admin.post(
        f"/api/v1/admin/attempts/{attempt['attempt_id']}/extensions",
        json={"seconds": 600, "reason": "Listrik padam"},
    )

    assert extended.status_code == 201, extended.json
    deliver_due_mail(app)
    [mail] = [m for m in sent_to(outbox, booked.email) if "ditambah" in m["Subject"]]
    assert mail["Subject"] == "Waktu ujian ditambah 10 menit"


def test_published_results_are_told_to_every_ranked_candidate(
    app, login, activity_admin, exam_activity, scored_attempt, outbox
):
    activity_id = exam_activity()
    ani = scored_attempt(activity_id, {"hitung": ("3", "3")}, full_name="Ani Lestari")
    budi = scored_attempt(activity_id, {"hitung": ("1", "3")}, full_name="Budi Santoso")
    response, _ = schedule_quota_selection(login(activity_admin(activity_id)), activity_id)
    assert response.json["scheduled"] is True
    with app.app_context():
        announcement_at = db.session.get_one(Activity, activity_id).announcement_at
        ResultsDispatcher(app).tick(announcement_at)
    deliver_due_mail(app)

    for who in (ani, budi):
        [mail] = [m for m in sent_to(outbox, who.user.email) if "Hasil" in m["Subject"]]
        assert "/lamaran/" in body_text(mail)
        assert "/hasil" in body_text(mail)
