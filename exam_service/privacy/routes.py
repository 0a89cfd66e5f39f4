"""Privacy views: the candidate's copy of their own data (UU 27/2022)."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from ..accounts.auth import candidate_required
from ..core.api import SESSION_AUTH, api_blueprint, json_response, out, responses
from ..recruitment import declarations
from . import data_export
from .schemas import DataExportOut, ExportApplicationOut, ExportBookingOut

api = api_blueprint("privacy_api", __name__, "auth")


@api.get("/me/data-export", responses=responses(200, DataExportOut), security=SESSION_AUTH)
@candidate_required
def api_data_export() -> Response:
    """A copy of all the candidate's own data, as a JSON attachment (never cached, like
    every response with personal data: see `security`)."""
    exported = data_export.export_own_data(current_user)
    response = json_response(
        out(
            DataExportOut,
            exported,
            account=exported.user,
            applications=[_exported_application_out(a) for a in exported.applications],
        )
    )
    day = exported.exported_at.strftime("%Y%m%d")
    response.headers["Content-Disposition"] = f'attachment; filename="data-pribadi-{day}.json"'
    return response


def _exported_application_out(exported: data_export.ExportedApplication) -> ExportApplicationOut:
    application, booking = exported.mine.application, exported.mine.booking
    return out(
        ExportApplicationOut,
        application,
        application_id=application.id,
        activity_name=application.activity.name,
        declarations=declarations.answers_of(application),
        booking=out(ExportBookingOut, booking.session, booked_at=booking.created_at)
        if booking
        else None,
        test_finished_at=exported.test_finished_at,
        result=exported.result.as_dict() if exported.result else None,
        review=exported.review,
    )
