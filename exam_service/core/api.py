"""Helpers shared by the JSON API blueprints of every domain.

Serialising: every response model derives from `OutModel` and is built from the
domain object it shows (a row, a dataclass) by pydantic itself, never by copying
field by field:

- `XOut.model_validate(obj)` when every field is an attribute of `obj` of the
  same name; nested models and lists of them are read the same way;
- `out(XOut, obj, field=value, ...)` when some fields are not: the keywords
  supply them (or replace `obj`'s attribute of that name), the rest is read from
  `obj` as above;
- a model of loose values, with no object behind it (a list wrapper, a message),
  is built with its constructor.

One exception: the answer save (the hottest path) builds `AnswerOut` directly,
which costs a few microseconds less than `out()`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, jsonify
from flask_openapi3 import APIBlueprint, Tag
from flask_openapi3.request import _validate_request
from flask_openapi3.utils import parse_parameters
from pydantic import BaseModel, ConfigDict

API_PREFIX = "/api/v1"
# OpenAPI security requirement of endpoints behind a login (the session cookie).
SESSION_AUTH: list[dict[str, list[str]]] = [{"session": []}]


def api_blueprint(name: str, import_name: str, tag: str) -> APIBlueprint:
    return APIBlueprint(name, import_name, url_prefix=API_PREFIX, abp_tags=[Tag(name=tag)])


F = TypeVar("F", bound=Callable[..., Any])


def validate_request() -> Callable[[F], F]:
    """flask-openapi3's `validate_request()`, with the view's parameter models read once.

    Validation runs inside the view (after the login check of the decorators above
    it), as with the library's decorator. That one (flask-openapi3 4.3.2, the newest
    at the time, and no setting changes it) calls `parse_parameters(func)` on every
    request, which rebuilds the OpenAPI parameter schemas of the view and throws them
    away: about 1.3 ms, a fifth of an answer save's CPU (docs/performance.md). Here
    the models are read from the view's annotations on the first request and kept;
    validating a request with them is the library's own `_validate_request`. The
    OpenAPI document is built at registration from the same annotations (kept by
    `wraps`), so it does not change.
    """

    def decorator(func: F) -> F:
        # The library's flag: its own view wrapper then leaves validation to this one.
        setattr(func, "__delay_validate_request__", True)  # noqa: B010 (a dunder name)
        models: list[tuple[Any, ...]] = []

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not models:  # the annotations resolve once every module is imported
                models.append(parse_parameters(func, doc_ui=False))
            header, cookie, path, query, form, body, raw = models[0]
            func_kwargs = _validate_request(
                header, cookie, path, query, form, body, raw, path_kwargs=kwargs
            )
            func_kwargs.update(kwargs)
            return func(*args, **func_kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def json_response(payload: BaseModel | dict[str, Any], status: int = 200) -> Response:
    body = payload.model_dump(mode="json") if isinstance(payload, BaseModel) else payload
    response = jsonify(body)
    response.status_code = status
    return response


class OutModel(BaseModel):
    """The base of every response model (see the module's docstring)."""

    # pydantic's "arbitrary class instances": model_validate(obj) reads the fields from
    # obj's attributes (https://docs.pydantic.dev/latest/concepts/models/#arbitrary-class-instances).
    model_config = ConfigDict(from_attributes=True)


M = TypeVar("M", bound=OutModel)


class _Overlay:
    """`obj` as pydantic reads it, with the names of `extra` answered by `extra`."""

    __slots__ = ("_extra", "_obj")

    def __init__(self, obj: object, extra: dict[str, Any]) -> None:
        self._obj = obj
        self._extra = extra

    def __getattr__(self, name: str) -> Any:
        if name in self._extra:
            return self._extra[name]
        return getattr(self._obj, name)

    def __repr__(self) -> str:  # shown in a ValidationError
        return f"{self._obj!r} with {sorted(self._extra)}"


def out(model: type[M], obj: object, **extra: Any) -> M:
    """`model` read from `obj`'s attributes, `extra` supplying the fields that are not
    attributes of `obj` (or overriding them). Validated like `model.model_validate(obj)`."""
    return model.model_validate(_Overlay(obj, extra))


class ErrorDetail(OutModel):
    code: str
    message: str
    details: dict[str, str] | None = None


class ErrorOut(OutModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


class MessageOut(OutModel):
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
