"""Telling candidates what happened and what to do next.

Each notice is a row shown on the candidate's home page and the same text by
mail (queued in the transaction of the event, sent by the worker: core.mail).
Times are written in the zone of the activity's office, with its name ("WITA").
The events come from the domains below as signals (connected in
`exam_service.connect_domains`): a decision, extra time during the test, a
published result; the reminder of tomorrow's session is the worker's step
`remind_due_sessions`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from ..accounts.models import User
from ..core.clock import format_local, utcnow
from ..core.extensions import db
from ..core.mail import Attachment, mail_link, send_mail
from ..exam import signals as exam_signals
from ..exam.models import Attempt
from ..recruitment import signals as recruitment_signals
from ..recruitment.models import Activity, Application, ApplicationStatus
from ..scheduling.models import Booking, TestSession
from ..scheduling.service import session_calendar
from ..selection import signals as selection_signals
from .models import Notice

REMINDER_AHEAD = timedelta(hours=24)
RECENT_NOTICES = 5


def connect_signals() -> None:
    recruitment_signals.decided.connect(_on_decided)
    exam_signals.time_extended.connect(_on_time_extended)
    exam_signals.attempt_reopened.connect(_on_reopened)
    selection_signals.result_published.connect(_on_result_published)


def notify(
    user: User,
    kind: str,
    title: str,
    body: str,
    attachments: tuple[Attachment, ...] = (),
    mail_note: str = "",
) -> Notice:
    """Record a notice for `user` and queue the same text as a mail (with
    `mail_note`, what only the mail needs to say, e.g. about its attachment)."""
    notice = Notice(user_id=user.id, kind=kind, title=title, body=body)
    db.session.add(notice)
    text = _("Halo %(name)s,", name=user.full_name) + "\n\n" + body
    if mail_note:
        text += "\n\n" + mail_note
    send_mail(user.email, title, text, attachments, at_once=False)
    return notice


def recent_notices(user_id: int, limit: int = RECENT_NOTICES) -> list[Notice]:
    return list(
        db.session.scalars(
            db.select(Notice)
            .where(Notice.user_id == user_id)
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        )
    )


def _on_decided(application: Application, **_kwargs: Any) -> None:
    user = db.session.get_one(User, application.user_id)
    activity = db.session.get_one(Activity, application.activity_id)
    if application.status == ApplicationStatus.ACCEPTED:
        body = _(
            "Lamaran Anda untuk %(activity)s diterima.\n\n"
            "Langkah berikutnya: pilih sesi ujian kompetensi di %(link)s. "
            "Pilihan sesi bersifat final dan tidak dapat diubah.",
            activity=activity.name,
            link=mail_link("scheduling.choose_session"),
        )
        title = _("Lamaran diterima: %(activity)s", activity=activity.name)
    else:
        body = _(
            "Lamaran Anda untuk %(activity)s tidak diterima.\n\n"
            "Alasan: %(reason)s\n\nRincian ada di %(link)s.",
            activity=activity.name,
            reason=application.decision_reason or "-",
            link=mail_link("journey.application_page", application_id=application.id),
        )
        title = _("Lamaran tidak diterima: %(activity)s", activity=activity.name)
    notify(user, f"decision:{application.status}", title, body)


def _on_time_extended(attempt: Attempt, seconds: int, **_kwargs: Any) -> None:
    minutes, deadline = _time_given(attempt, seconds)
    body = _(
        "Waktu ujian Anda ditambah %(minutes)d menit. Batas waktu baru: %(deadline)s. "
        "Halaman ujian yang sedang terbuka menyesuaikan sendiri; jawaban Anda tetap tersimpan.",
        minutes=minutes,
        deadline=deadline,
    )
    title = _("Waktu ujian ditambah %(minutes)d menit", minutes=minutes)
    notify(db.session.get_one(User, attempt.user_id), "time_extended", title, body)


def _on_reopened(attempt: Attempt, seconds: int, **_kwargs: Any) -> None:
    minutes, deadline = _time_given(attempt, seconds)
    body = _(
        "Panitia membuka kembali ujian Anda. Jawaban Anda yang tersimpan tetap ada; Anda "
        "mendapat kembali %(minutes)d menit, sampai %(deadline)s. Lanjutkan di %(link)s.",
        minutes=minutes,
        deadline=deadline,
        link=mail_link("exam.test_page"),
    )
    title = _("Ujian Anda dibuka kembali")
    notify(db.session.get_one(User, attempt.user_id), "attempt_reopened", title, body)


def _time_given(attempt: Attempt, seconds: int) -> tuple[int, str]:
    """The minutes given to an attempt (at least 1) and its new deadline in its office's zone."""
    zone = attempt.session.activity.office.zone
    return max(1, round(seconds / 60)), format_local(attempt.deadline, zone)


def _on_result_published(activity: Activity, data: dict[str, Any], **_kwargs: Any) -> None:
    user = db.session.get_one(User, data["candidate"]["id"])
    body = _(
        "Hasil seleksi %(activity)s telah diumumkan. Lihat hasil Anda di %(link)s.",
        activity=activity.name,
        link=mail_link("selection.my_result_page", application_id=data["application_id"]),
    )
    notify(user, "result", _("Hasil seleksi diumumkan: %(activity)s", activity=activity.name), body)


def remind_due_sessions(now: datetime | None = None) -> int:
    """Remind every candidate whose session starts within a day, once per booking.

    Returns how many reminders were queued (the worker commits them).
    """
    now = now or utcnow()
    rows = db.session.execute(
        db.select(Booking, User)
        .join(TestSession, TestSession.id == Booking.session_id)
        .join(Application, Application.id == Booking.application_id)
        .join(User, User.id == Application.user_id)
        .where(
            TestSession.starts_at > now,
            TestSession.starts_at <= now + REMINDER_AHEAD,
            TestSession.closed_at.is_(None),
        )
        .order_by(TestSession.starts_at, Booking.id)
        .limit(500)
    ).all()
    kinds = {f"reminder:{booking.id}": (booking, user) for booking, user in rows}
    done = set(
        db.session.scalars(db.select(Notice.kind).where(Notice.kind.in_(list(kinds))))
        if kinds
        else []
    )
    for kind, (booking, user) in kinds.items():
        if kind not in done:
            _remind(user, booking, kind)
    return len(kinds) - len(done)


def _remind(user: User, booking: Booking, kind: str) -> None:
    session = booking.session
    where = _(
        "Tempat: %(place)s\nHalaman ujian: %(link)s",
        place=session.place or _("akan diumumkan panitia"),
        link=mail_link("exam.test_page"),
    )
    body = _(
        "Pengingat: ujian kompetensi %(activity)s dimulai %(starts)s.\n\n%(where)s\n\n%(bring)s",
        activity=session.activity.name,
        starts=format_local(session.starts_at, session.activity.office.zone),
        where=where,
        bring=_(
            "Bawa KTP asli dan ponsel Android dengan baterai penuh serta paket data aktif. "
            "Datang paling lambat 30 menit sebelum ujian dimulai."
        ),
    )
    title = _("Pengingat ujian besok: %(activity)s", activity=session.activity.name)
    note = _("Jadwal terlampir dalam berkas kalender (sesi-ujian.ics).")
    notify(user, kind, title, body, (session_calendar(booking),), mail_note=note)
