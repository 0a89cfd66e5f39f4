"""Accounts views: the auth, profile and document APIs and their pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.routing import RequestRedirect

from ..core import uploads
from ..core.api import (
    SESSION_AUTH,
    ErrorOut,
    MessageOut,
    api_blueprint,
    json_response,
    responses,
    validate_request,
)
from ..core.errors import NotFound, ServiceError, error_body
from ..core.extensions import csrf, limiter
from . import documents, profiles, service
from .auth import candidate_required
from .forms import LoginForm, ProfileForm, RegisterForm, ResendForm
from .models import DocumentKind, User
from .schemas import (
    ActivateIn,
    DocumentListOut,
    DocumentOut,
    DocumentPath,
    DocumentUpload,
    LoginIn,
    LoginOut,
    ProfileIn,
    ProfileOut,
    RegisterIn,
    ResendIn,
    UserOut,
)

api = api_blueprint("accounts_api", __name__, "auth")
pages = Blueprint("accounts", __name__)
UPLOAD_RESPONSES = {**responses(200, DocumentOut), 413: ErrorOut, 415: ErrorOut}

REGISTERED = "Jika data valid, tautan aktivasi telah dikirim ke surel Anda."
RESENT = "Jika akun ada dan belum aktif, tautan aktivasi baru telah dikirim."


def _submitted_email() -> str:
    """The request's address in the service's one normalised form (the form the
    schemas and forms hand to the service), so every spelling of a mailbox (case,
    padding, Unicode forms, an IDNA domain) meets the same budget."""
    data = request.get_json(silent=True) if request.is_json else request.form
    email = data.get("email") if isinstance(data, dict) or hasattr(data, "get") else None
    return service.normalize_email(email) if isinstance(email, str) else ""


def account_key() -> str:
    """The key of the per-account limits (each limit's scope names its action)."""
    return "account:" + _submitted_email()


def _only_failed_logins(response: Response) -> bool:
    return response.status_code == 401


def _only_accepted(response: Response) -> bool:
    return response.status_code < 400


def action_limit(setting: str, scope: str, **options: Any) -> Any:
    """One budget per action and key, whichever door (API or page) asks: a limit
    shared under the action's scope, counted on POST only."""
    return limiter.shared_limit(
        lambda: current_app.config[setting], scope=scope, methods=["POST"], **options
    )


# Brute force is stopped per account (failures only) and per address, in Redis,
# so the limits hold across workers; the cool-down ends them without a lockout.
# The per-address limits key on the socket peer (see extensions.limiter).
login_account_limit = action_limit(
    "LOGIN_RATE_LIMIT",
    "login-account",
    key_func=account_key,
    deduct_when=_only_failed_logins,
)
login_address_limit = action_limit("LOGIN_ADDRESS_RATE_LIMIT", "login-address")
register_address_limit = action_limit("REGISTER_RATE_LIMIT", "register-address")
# Each accepted registration mails the address: limit them per address registered.
register_account_limit = action_limit(
    "REGISTER_ACCOUNT_RATE_LIMIT",
    "register-account",
    key_func=account_key,
    deduct_when=_only_accepted,
)
resend_address_limit = action_limit("RESEND_RATE_LIMIT", "resend-address")
resend_account_limit = action_limit("RESEND_RATE_LIMIT", "resend-account", key_func=account_key)


def _upload_key() -> str:
    user_id = getattr(current_user, "id", None)  # anonymous users have no id
    return f"upload:{user_id}" if user_id else "upload-address:" + get_remote_address()


# Uploads are limited per account, the API and the page sharing one budget.
upload_limit = limiter.shared_limit(
    lambda: current_app.config["UPLOAD_RATE_LIMIT"],
    scope="upload",
    key_func=_upload_key,
    methods=["PUT", "POST"],
)


def _log_in(user: User) -> None:
    """Renew the session (fixation) and bind it to a new server-side login session."""
    session.clear()
    service.start_login_session(user)
    session.permanent = True
    login_user(user)


def _log_out() -> None:
    if current_user.is_authenticated:
        service.end_login_session(current_user.login_session_id)
    logout_user()
    session.clear()


# --- JSON API ---------------------------------------------------------------
# The anonymous auth endpoints take JSON only, which a cross-site form cannot
# send, so they need no CSRF token; everything behind a login does.


@api.post("/auth/register", responses=responses(201, MessageOut))
@register_address_limit
@register_account_limit
def api_register(body: RegisterIn) -> Response:
    service.register_candidate(body.email, body.password, body.full_name, body.consent)
    return json_response(MessageOut(message=_(REGISTERED)), 201)


@api.post("/auth/activate", responses=responses(200, UserOut))
def api_activate(body: ActivateIn) -> Response:
    return json_response(UserOut.model_validate(service.activate(body.token)))


@api.post("/auth/resend", responses=responses(200, MessageOut))
@resend_address_limit
@resend_account_limit
def api_resend(body: ResendIn) -> Response:
    service.resend_activation(body.email)
    return json_response(MessageOut(message=_(RESENT)))


@api.post("/auth/login", responses=responses(200, LoginOut))
@login_account_limit
@login_address_limit
def api_login(body: LoginIn) -> Response:
    user = service.authenticate(body.email, body.password)
    _log_in(user)
    return json_response(LoginOut(user=UserOut.model_validate(user), csrf_token=generate_csrf()))


@api.post("/auth/logout", responses=responses(200, MessageOut))
def api_logout() -> Response:
    _log_out()
    return json_response(MessageOut(message=_("Anda telah keluar.")))


@api.get("/me", responses=responses(200, UserOut), security=[{"session": []}])
@login_required
def api_me() -> Response:
    return json_response(UserOut.model_validate(current_user))


@api.get("/auth/csrf", responses=responses(200, None))
def api_csrf() -> Response:
    """A CSRF token bound to the caller's session, for API clients without pages."""
    return json_response({"csrf_token": generate_csrf()})


for _view in (api_register, api_activate, api_resend, api_login):
    csrf.exempt(_view)


def _own_document(kind: DocumentKind) -> documents.StoredFile:
    stored = documents.document_file(current_user.id, kind)
    if stored is None:
        raise NotFound(_("Dokumen belum diunggah."))
    return stored


@api.get("/me/profile", responses=responses(200, ProfileOut), security=SESSION_AUTH)
@candidate_required
def api_get_profile() -> Response:
    profile = profiles.get_profile(current_user.id)
    if profile is None:
        raise NotFound(_("Profil belum diisi."))
    return json_response(ProfileOut.model_validate(profile))


@api.put("/me/profile", responses=responses(200, ProfileOut), security=SESSION_AUTH)
@candidate_required
@validate_request()
def api_put_profile(body: ProfileIn) -> Response:
    data = profiles.ProfileInput(**body.model_dump())
    return json_response(ProfileOut.model_validate(profiles.save_profile(current_user.id, data)))


@api.get("/me/documents", responses=responses(200, DocumentListOut), security=SESSION_AUTH)
@candidate_required
def api_list_documents() -> Response:
    checklist = profiles.document_checklist(current_user.id)
    return json_response(
        DocumentListOut(
            documents=[
                DocumentOut.model_validate(slot.document) for slot in checklist if slot.document
            ],
            missing=[slot.kind for slot in checklist if slot.document is None],
        )
    )


@api.put("/me/documents/<kind>", responses=UPLOAD_RESPONSES, security=SESSION_AUTH)
@upload_limit
@candidate_required
@validate_request()
def api_upload_document(path: DocumentPath, form: DocumentUpload) -> Response:
    """Upload (or replace) a document, judged by content. The photo and the phone-spec
    screenshot are JPEG, PNG or HEIC (stored as JPEG), the other kinds also PDF; another
    type is 415.
    PDFs are stored without scripts, actions or attachments."""
    document = documents.store_document(current_user.id, path.kind, form.file.stream)
    return json_response(DocumentOut.model_validate(document))


@api.get("/me/documents/<kind>", responses=responses(200, None), security=SESSION_AUTH)
@candidate_required
@validate_request()
def api_download_document(path: DocumentPath) -> Response:
    """The candidate's own document, as an attachment that is never cached."""
    return documents.send_document(_own_document(path.kind))


@api.errorhandler(RequestEntityTooLarge)
def api_request_too_large(e: RequestEntityTooLarge) -> Response:
    """Werkzeug refuses bodies past MAX_CONTENT_LENGTH before any view runs."""
    error = uploads.too_large_error()
    return json_response(error_body(error.code, error.message), error.status)


# --- pages ------------------------------------------------------------------


@pages.route("/register", methods=["GET", "POST"])
@register_address_limit
@register_account_limit
def register_page() -> Any:
    form = RegisterForm()
    if not form.validate_on_submit():
        return _register_page(form, 422 if request.method == "POST" else 200)
    try:
        service.register_candidate(
            form.email.data, form.password.data, form.full_name.data, form.consent.data
        )
    except ServiceError as e:
        form.show_service_error(e, default_field="password")
        return _register_page(form, e.status)
    flash(_(REGISTERED), "success")
    return redirect(url_for("accounts.login_page"))


def _register_page(form: RegisterForm, status: int) -> Any:
    page = render_template(
        "accounts/register.html", form=form, consent_version=service.CONSENT_VERSION
    )
    return page, status


@pages.route("/activate/<token>", methods=["GET", "POST"])
def activate_page(token: str) -> Any:
    """GET shows a button; the POST activates, so link scanners in mail
    clients that prefetch the link do not use up the single-use token."""
    if request.method == "POST":
        try:
            service.activate(token)
        except ServiceError as e:
            return render_template("accounts/activate.html", error=e.message), 400
        flash(_("Akun Anda aktif. Silakan masuk."), "success")
        return redirect(url_for("accounts.login_page"))
    return render_template("accounts/activate.html", error=None)


@pages.route("/resend", methods=["GET", "POST"])
@resend_address_limit
@resend_account_limit
def resend_page() -> Any:
    form = ResendForm()
    if form.validate_on_submit():
        service.resend_activation(form.email.data)
        flash(_(RESENT), "success")
        return redirect(url_for("accounts.login_page"))
    return render_template("accounts/resend.html", form=form), _form_status()


@pages.route("/login", methods=["GET", "POST"])
@login_account_limit
@login_address_limit
def login_page() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = service.authenticate(form.email.data, form.password.data)
        except ServiceError as e:
            flash(e.message, "error")
            return render_template("accounts/login.html", form=form), e.status
        _log_in(user)
        return redirect(_safe_next() or url_for("main.home"))
    return render_template("accounts/login.html", form=form), _form_status()


def _form_status() -> int:
    """A page's own form that did not validate: 422 on its POST, 200 on a GET."""
    return 422 if request.method == "POST" else 200


@pages.route("/logout", methods=["POST"])
def logout_page() -> Any:
    _log_out()
    flash(_("Anda telah keluar."), "success")
    return redirect(url_for("accounts.login_page"))


@pages.route("/profil", methods=["GET", "POST"])
@candidate_required
def profile_page() -> Any:
    profile = profiles.get_profile(current_user.id)
    defaults = {} if profile else {"full_name": current_user.full_name}
    form = ProfileForm(obj=profile, **defaults)
    hints = profiles.nik_hints(profile)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        page = render_template("accounts/profile.html", form=form, profile=profile, nik_hints=hints)
        return page, status
    try:
        profiles.save_profile(current_user.id, form.profile_input())
    except ServiceError as e:
        form.show_service_error(e, default_field="nik")
        page = render_template("accounts/profile.html", form=form, profile=profile, nik_hints=hints)
        return page, e.status
    flash(_("Profil tersimpan."), "success")
    return redirect(url_for("accounts.profile_page"), 303)


@pages.route("/dokumen")
@candidate_required
def documents_page() -> Any:
    return _documents_page()


@pages.route("/dokumen/<kind>", methods=["POST"])
@upload_limit
@candidate_required
def upload_document_page(kind: str) -> Any:
    document_kind = _kind_or_404(kind)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _documents_page({document_kind: _("Pilih berkas terlebih dahulu.")}, 422)
    try:
        documents.store_document(current_user.id, document_kind, upload.stream)
    except ServiceError as e:
        return _documents_page({document_kind: e.message}, e.status)
    label = profiles.DOCUMENT_LABELS[document_kind]
    flash(_("%(label)s tersimpan.", label=label), "success")
    return redirect(url_for("accounts.documents_page"), 303)


@pages.route("/dokumen/<kind>/unduh")
@candidate_required
def download_document_page(kind: str) -> Any:
    return documents.send_document(_own_document(_kind_or_404(kind)))


@pages.errorhandler(RequestEntityTooLarge)
def page_request_too_large(e: RequestEntityTooLarge) -> Any:
    message = uploads.too_large_error().message
    kind = _document_kind((request.view_args or {}).get("kind", ""))
    on_upload_page = request.endpoint == "accounts.upload_document_page"
    if on_upload_page and kind and current_user.is_authenticated:
        return _documents_page({kind: message}, 413)
    return render_template("error.html", status=413, message=message), 413


def _document_kind(kind: str) -> DocumentKind | None:
    try:
        return DocumentKind(kind)
    except ValueError:
        return None


def _kind_or_404(kind: str) -> DocumentKind:
    document_kind = _document_kind(kind)
    if document_kind is None:
        raise NotFound(_("Jenis dokumen tidak dikenal."))
    return document_kind


def _documents_page(errors: dict[DocumentKind, str] | None = None, status: int = 200) -> Any:
    items = [
        (slot.kind, slot.label, slot.document, (errors or {}).get(slot.kind))
        for slot in profiles.document_checklist(current_user.id)
    ]
    accepts = {kind: documents.accept_attribute(kind) for kind in DocumentKind}
    formats = {kind: documents.allowed_types_text(kind) for kind in DocumentKind}
    max_mb = current_app.config["MAX_UPLOAD_BYTES"] / (1024 * 1024)
    return render_template(
        "accounts/documents.html",
        items=items,
        accepts=accepts,
        formats=formats,
        max_mb=f"{max_mb:g}",
    ), status


# Anything but visible ASCII (controls, tabs, newlines, spaces, non-ASCII) and the
# backslash; and the percent-encoded slash, backslash, percent, space and controls.
_NEXT_REFUSED = re.compile(r"[^\x21-\x7e]|\\|%(?:2f|5c|25|20|[01][0-9a-f]|7f)", re.IGNORECASE)


def _safe_next() -> str | None:
    """`next` only when it is a path of this service: an open redirect after login
    is a phishing aid.

    Browsers drop tabs and newlines inside a URL and read `\\` as `/`, so `/<tab>/evil`
    or `/\\evil` lead off the site although they start with a single slash. Such a
    value is refused, not cleaned: no characters outside visible ASCII, no
    backslash, no encoded slash, backslash, percent, space or control character;
    then it must parse as a path-absolute reference (no scheme, no host, not `//`)
    that one of our pages answers on GET.
    """
    target = request.args.get("next", "")
    if len(target) > 2000 or _NEXT_REFUSED.search(target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    try:
        current_app.create_url_adapter(request).match(unquote(parts.path), method="GET")
    except RequestRedirect:
        pass  # our page, spelled without its trailing slash
    except HTTPException:
        return None
    return target
