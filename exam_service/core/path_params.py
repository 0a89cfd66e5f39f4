"""Ids in request paths and query strings: one range, for pages and the API alike.

Every table's id is an INTEGER column (1 .. 2**31 - 1). A larger number must
never reach the database: PostgreSQL fails the statement ("integer out of
range", and the transaction is aborted), SQLite's driver cannot even bind it.
So every id a request carries is checked against `ID_MIN`..`ID_MAX` first:

- page routes declare `<id:name>` (`IdConverter`): an impossible id is a 404,
  as for any unknown id;
- API routes keep `<int:name>` and bind it to a path model whose field is a
  `RowId`: the OpenAPI document states the range, and a value beyond it is a
  422 `validation_error` like any other input that breaks the schema;
- an id in a query string (or a form) is read with `id_arg`, or, in an API
  query model, declared as a `RowId`.

flask-openapi3 names components after the model class, so one model per
parameter keeps the OpenAPI document unambiguous.
"""

from collections.abc import Mapping
from typing import Annotated

from flask import abort
from pydantic import BaseModel, Field
from werkzeug.routing import IntegerConverter, Map

ID_MIN, ID_MAX = 1, 2**31 - 1  # the range of an INTEGER primary key
RowId = Annotated[int, Field(ge=ID_MIN, le=ID_MAX)]


class IdConverter(IntegerConverter):
    """`<id:name>`: a row id. Any other number (0, beyond INTEGER, 5000 digits) or a
    sign matches no route, so the request is a 404 before a view or the database."""

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=ID_MIN, max=ID_MAX)


def id_arg(values: Mapping[str, str], name: str, *, required: bool = False) -> int | None:
    """The id `name` of a query string or form (`request.args`, `request.form`).

    None when absent or empty (400 if `required`). Not a plain number (`abc`,
    `-1`, `1.5`): 400. A number no row can have (0, beyond INTEGER): 404, as
    for an unknown id.
    """
    raw = (values.get(name) or "").strip()
    if not raw:
        if required:
            abort(400)
        return None
    if not (raw.isascii() and raw.isdigit()):
        abort(400)
    # Compare lengths first: int() refuses strings of more than 4300 digits.
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(ID_MAX)) or not ID_MIN <= int(digits) <= ID_MAX:
        abort(404)
    return int(digits)


class ActivityPath(BaseModel):
    activity_id: RowId


class ApplicationPath(BaseModel):
    application_id: RowId


class AttemptPath(BaseModel):
    attempt_id: RowId


class SessionPath(BaseModel):
    session_id: RowId
