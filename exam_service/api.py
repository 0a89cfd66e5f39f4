"""Helpers shared by the JSON API blueprints of every domain."""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel

from .errors import ServiceError

API_PREFIX = "/api/v1"
# OpenAPI security requirement of endpoints behind a login (the session cookie).
SESSION_AUTH: list[dict[str, list[str]]] = [{"session": []}]


def api_blueprint(name: str, import_name: str, tag: str) -> APIBlueprint:
    return APIBlueprint(name, import_name, url_prefix=API_PREFIX, abp_tags=[Tag(name=tag)])


def json_response(payload: BaseModel | dict[str, Any], status: int = 200) -> Response:
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    response = jsonify(body)
    response.status_code = status
    return response


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, str] | None = None


class ErrorOut(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


class MessageOut(BaseModel):
    message: str


# Error responses most endpoints can give, for the OpenAPI document.
COMMON_ERRORS: dict[int, type[BaseModel]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
    503: ErrorOut,
}


def responses(ok_status: int, ok_model: type[BaseModel] | None) -> dict[int, Any]:
    return {ok_status: ok_model, **COMMON_ERRORS}


# --- JSON nesting ------------------------------------------------------------------

# No body of ours nests deeper than a few levels (a blueprint: 3). Python's json
# parser recurses once per level, so `"[" * 100000` ends in a RecursionError (a
# 500) inside `request.get_json`, which only turns ValueError into a 400.
MAX_JSON_DEPTH = 64
# A JSON string (escapes included) or one bracket: brackets inside strings are text.
_JSON_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_nesting_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON text `data` opens more than `limit` arrays or objects inside
    each other. A linear scan without recursion, done before any parser sees it."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False  # the usual case, at C speed
    depth = 0
    for token in _JSON_TOKEN.finditer(data):
        first = token.group()[:1]
        if first in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif first in (b"]", b"}"):
            depth -= 1
    return False


def _holds_nul(text: str) -> bool:
    return "\x00" in text


def refuse_nul_characters() -> None:
    """Before every request: no text we store may hold a NUL character. PostgreSQL
    refuses it in every text column, so one that reached a statement was a 500;
    it is refused here with 400 `nul_character`, whatever the field, page or API.
    A JSON body can only carry it escaped (a raw NUL is invalid JSON already)."""
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    found = any(_holds_nul(value) for _key, value in fields)
    if request.is_json:
        found = found or b"\\u0000" in request.get_data(cache=True)
    if found:
        raise ServiceError(
            _("Data berisi karakter yang tidak diizinkan (NUL)."), code="nul_character", status=400
        )


def refuse_deeply_nested_json() -> None:
    """Before every request: a JSON body, or a form field (flask-openapi3 reads each
    field of an API form model as JSON first), nested deeper than MAX_JSON_DEPTH is
    refused with 400 `json_too_deep`, pages and API alike."""
    if request.is_json:
        suspects = [request.get_data(cache=True)]
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        suspects = [value.encode() for _key, value in request.form.items(multi=True)]
    else:
        return
    if any(json_nesting_exceeds(data) for data in suspects):
        raise ServiceError(_("Data JSON terlalu bertingkat."), code="json_too_deep", status=400)
