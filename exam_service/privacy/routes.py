"""Privacy views: the candidate's copy of their own data (UU 27/2022)."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from ..accounts.auth import candidate_required
from ..accounts.schemas import DocumentOut, ProfileOut
from ..core.api import SESSION_AUTH, api_blueprint, json_response, responses
from . import data_export
from .schemas import (
    ConsentOut,
    DataExportOut,
    ExportAccountOut,
    ExportApplicationOut,
    ExportBookingOut,
    ExportResultOut,
    ExportReviewOut,
)

api = api_blueprint("privacy_api", __name__, "auth")


@api.get("/me/data-export", responses=responses(200, DataExportOut), security=SESSION_AUTH)
@candidate_required
def api_data_export() -> Response:
    """A copy of all the candidate's own data, as a JSON attachment (never cached, like
    every response with personal data: see `security`)."""
    exported = data_export.export_own_data(current_user)
    response = json_response(_export_out(exported))
    day = exported.exported_at.strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="data-pribadi-{day}.json"'
    return response


def _export_out(data: data_export.PersonalData) -> DataExportOut:
    user = data.user
    return DataExportOut(
        exported_at=data.exported_at,
        account=ExportAccountOut(
            email=user.email,
            full_name=user.full_name,
            created_at=user.created_at,
            activated_at=user.activated_at,
        ),
        consents=[
            ConsentOut(version=c.version, consented_at=c.consented_at) for c in data.consents
        ],
        profile=ProfileOut.model_validate(data.profile, from_attributes=True)
        if data.profile
        else None,
        documents=[
            DocumentOut.model_validate(document, from_attributes=True)
            for document in data.documents
        ],
        applications=[_exported_application_out(a) for a in data.applications],
    )


def _exported_application_out(exported: data_export.ExportedApplication) -> ExportApplicationOut:
    application, booking = exported.mine.application, exported.mine.booking
    result, review = exported.result, exported.review
    return ExportApplicationOut(
        application_id=application.id,
        activity_name=application.activity.name,
        status=application.status,
        submitted_at=application.submitted_at,
        decided_at=application.decided_at,
        decision_reason=application.decision_reason,
        booking=ExportBookingOut(
            booked_at=booking.created_at,
            starts_at=booking.session.starts_at,
            ends_at=booking.session.ends_at,
            place=booking.session.place,
        )
        if booking
        else None,
        test_finished_at=exported.test_finished_at,
        result=ExportResultOut(**result.as_dict()) if result else None,
        review=ExportReviewOut.model_validate(review, from_attributes=True) if review else None,
    )
