"""Helpers shared by the JSON API blueprints of every domain."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel

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
