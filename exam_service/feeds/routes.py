"""Feeds views: the results API for the recruitment system, API keys, webhooks, exports."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..accounts.auth import admin_required
from ..core.api import (
    SESSION_AUTH,
    MessageOut,
    api_blueprint,
    json_response,
    out,
    responses,
    validate_request,
)
from ..core.errors import Invalid
from ..core.path_params import ActivityPath, AttemptPath
from ..selection.service import state_for_admin
from . import exports, keys, service, webhooks
from .forms import ApiKeyForm, WebhookForm
from .schemas import (
    ApiKeyIn,
    ApiKeyListOut,
    ApiKeyOut,
    DeliveryListOut,
    DeliveryOut,
    DeliveryPath,
    KeyPath,
    NewApiKeyOut,
    NewWebhookOut,
    ResultItemOut,
    ResultPageOut,
    ResultsQuery,
    WebhookIn,
    WebhookListOut,
    WebhookOut,
    WebhookPath,
)

api = api_blueprint("feeds_api", __name__, "results")
pages = Blueprint("feeds", __name__)

# OpenAPI security requirement of the machine endpoints: `Authorization: Bearer <key>`.
KEY_AUTH: list[dict[str, list[str]]] = [{"apiKey": []}]
EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


# --- serialising --------------------------------------------------------------------


def _delivery_out(view: webhooks.DeliveryView) -> DeliveryOut:
    delivery = view.delivery
    return out(
        DeliveryOut,
        delivery,
        event_id=delivery.event.event_id,
        event_type=delivery.event.type,
        status=view.status,
        tries=view.tries,
    )


# --- JSON API: the recruitment system (API key) -----------------------------------------


@api.get("/results", responses=responses(200, ResultPageOut), security=KEY_AUTH)
@keys.api_key_required(keys.RESULTS_READ)
@validate_request()
def api_results(query: ResultsQuery) -> Response:
    """Graded attempts in a stable order; page on with `after=<next_cursor>`.

    A regraded attempt appears again (with a higher `grading_version`) after the
    cursor. The NIK is masked unless the key has `pii:read`.
    """
    filters = service.ResultFilters(query.activity_id, query.graded_from, query.graded_before)
    page = service.results_page(g.api_key, query.after, query.limit, filters)
    return json_response(ResultPageOut.model_validate(page))


@api.get("/results/<int:attempt_id>", responses=responses(200, ResultItemOut), security=KEY_AUTH)
@keys.api_key_required(keys.RESULTS_READ)
@validate_request()
def api_result(path: AttemptPath) -> Response:
    """One graded attempt, e.g. after an `attempt.graded` webhook."""
    return json_response(
        ResultItemOut.model_validate(service.result_for_key(g.api_key, path.attempt_id))
    )


# --- JSON API: admins ------------------------------------------------------------------


@api.get("/admin/api-keys", responses=responses(200, ApiKeyListOut), security=SESSION_AUTH)
@admin_required
def api_list_keys() -> Response:
    items = [ApiKeyOut.model_validate(k) for k in keys.keys_for_admin(current_user)]
    return json_response(ApiKeyListOut(items=items))


@api.post("/admin/api-keys", responses=responses(201, NewApiKeyOut), security=SESSION_AUTH)
@admin_required
@validate_request()
def api_create_key(body: ApiKeyIn) -> Response:
    """A key for the admin's office; the key itself is in this response only."""
    new = keys.create_key_for_admin(current_user, body.name, body.scopes)
    return json_response(out(NewApiKeyOut, new.key, key=new.secret), 201)


@api.delete(
    "/admin/api-keys/<int:key_id>", responses=responses(200, ApiKeyOut), security=SESSION_AUTH
)
@admin_required
@validate_request()
def api_revoke_key(path: KeyPath) -> Response:
    """Revoke: the key stops working at once (the row stays, for the audit trail)."""
    return json_response(ApiKeyOut.model_validate(keys.revoke_key(current_user, path.key_id)))


@api.get("/admin/webhooks", responses=responses(200, WebhookListOut), security=SESSION_AUTH)
@admin_required
def api_list_webhooks() -> Response:
    subscriptions = webhooks.subscriptions_for_admin(current_user)
    return json_response(
        WebhookListOut(items=[WebhookOut.model_validate(s) for s in subscriptions])
    )


@api.post("/admin/webhooks", responses=responses(201, NewWebhookOut), security=SESSION_AUTH)
@admin_required
@validate_request()
def api_create_webhook(body: WebhookIn) -> Response:
    """Subscribe a URL; the signing secret is in this response only."""
    subscription, secret = webhooks.create_subscription(
        current_user, body.name, body.url, list(body.events)
    )
    return json_response(out(NewWebhookOut, subscription, secret=secret), 201)


@api.delete(
    "/admin/webhooks/<int:webhook_id>", responses=responses(200, WebhookOut), security=SESSION_AUTH
)
@admin_required
@validate_request()
def api_disable_webhook(path: WebhookPath) -> Response:
    subscription = webhooks.disable_subscription(current_user, path.webhook_id)
    return json_response(WebhookOut.model_validate(subscription))


@api.get(
    "/admin/webhooks/<int:webhook_id>/deliveries",
    responses=responses(200, DeliveryListOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_deliveries(path: WebhookPath) -> Response:
    """The delivery log: the newest 50 deliveries with every try."""
    views = webhooks.deliveries_for_admin(current_user, path.webhook_id)
    return json_response(DeliveryListOut(items=[_delivery_out(v) for v in views]))


@api.post(
    "/admin/webhook-deliveries/<int:delivery_id>/redeliver",
    responses=responses(200, MessageOut),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_redeliver(path: DeliveryPath) -> Response:
    webhooks.redeliver(current_user, path.delivery_id)
    return json_response(MessageOut(message=_("Pengiriman dijadwalkan ulang.")))


def _export(activity_id: int, export_format: str) -> Response:
    content = exports.export(current_user, activity_id, export_format)
    return Response(
        content,
        mimetype=EXPORT_TYPES[export_format],
        headers={
            "Content-Disposition": f'attachment; filename="hasil-{activity_id}.{export_format}"'
        },
    )


@api.get(
    "/admin/activities/<int:activity_id>/results.csv",
    responses=responses(200, None),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_export_csv(path: ActivityPath) -> Response:
    """Results with a column per category (UTF-8 with BOM, formula-injection safe)."""
    return _export(path.activity_id, "csv")


@api.get(
    "/admin/activities/<int:activity_id>/results.xlsx",
    responses=responses(200, None),
    security=SESSION_AUTH,
)
@admin_required
@validate_request()
def api_export_xlsx(path: ActivityPath) -> Response:
    """Results with a column per category (formula-injection safe)."""
    return _export(path.activity_id, "xlsx")


# --- pages: admins -------------------------------------------------------------------------


@pages.route("/admin/kegiatan/<id:activity_id>/hasil")
@admin_required
def admin_results(activity_id: int) -> Any:
    table = exports.results_table(current_user, activity_id)
    return render_template(
        "feeds/admin_results.html",
        activity=state_for_admin(current_user, activity_id).activity,
        table=table,
    )


@pages.route("/admin/kunci-api", methods=["GET", "POST"])
@admin_required
def admin_api_keys() -> Any:
    """The office's keys and the form for a new one, which posts to this page.

    A new key is shown in this response only (never flashed: flashes live in the
    session cookie).
    """
    form = ApiKeyForm()
    new_key, status = None, 200
    if form.validate_on_submit():
        try:
            new_key = keys.create_key_for_admin(current_user, form.name.data, form.scopes.data)
            status = 201
        except Invalid as e:
            form.show_service_error(e)
            status = 422
    elif form.errors:
        status = 422
    return (
        render_template(
            "feeds/api_keys.html",
            form=form,
            keys=keys.keys_for_admin(current_user),
            new_key=new_key,
        ),
        status,
    )


@pages.route("/admin/kunci-api/<id:key_id>/cabut", methods=["POST"])
@admin_required
def admin_api_key_revoke(key_id: int) -> Any:
    keys.revoke_key(current_user, key_id)
    flash(_("Kunci API telah dicabut."), "success")
    return redirect(url_for(".admin_api_keys"), 303)


@pages.route("/admin/webhook", methods=["GET", "POST"])
@admin_required
def admin_webhooks() -> Any:
    form = WebhookForm()
    new_secret, status = None, 200
    if form.validate_on_submit():
        try:
            _subscription, new_secret = webhooks.create_subscription(
                current_user, form.name.data, form.url.data, form.events.data
            )
            status = 201
        except Invalid as e:
            form.show_service_error(e)
            status = 422
    elif form.errors:
        status = 422
    return (
        render_template(
            "feeds/webhooks.html",
            form=form,
            subscriptions=webhooks.subscriptions_for_admin(current_user),
            new_secret=new_secret,
        ),
        status,
    )


@pages.route("/admin/webhook/<id:webhook_id>")
@admin_required
def admin_webhook(webhook_id: int) -> Any:
    """The delivery log of one subscription, with manual redelivery."""
    return render_template(
        "feeds/webhook.html",
        subscription=webhooks.subscription_for_admin(current_user, webhook_id),
        deliveries=webhooks.deliveries_for_admin(current_user, webhook_id),
    )


@pages.route("/admin/webhook/<id:webhook_id>/nonaktifkan", methods=["POST"])
@admin_required
def admin_webhook_disable(webhook_id: int) -> Any:
    webhooks.disable_subscription(current_user, webhook_id)
    flash(_("Webhook telah dinonaktifkan."), "success")
    return redirect(url_for(".admin_webhook", webhook_id=webhook_id), 303)


@pages.route("/admin/pengiriman/<id:delivery_id>/kirim-ulang", methods=["POST"])
@admin_required
def admin_redeliver(delivery_id: int) -> Any:
    delivery = webhooks.redeliver(current_user, delivery_id)
    flash(_("Pengiriman dijadwalkan ulang."), "success")
    return redirect(url_for(".admin_webhook", webhook_id=delivery.subscription_id), 303)
