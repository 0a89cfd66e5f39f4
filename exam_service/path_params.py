"""Path parameter models shared by every API blueprint.

flask-openapi3 names components after the model class, so one model per
parameter keeps the OpenAPI document unambiguous. Ids are bounded to the
database's integer range: a larger number is a 422, not a database error.
"""

from typing import Annotated

from pydantic import BaseModel, Field

RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class ActivityPath(BaseModel):
    activity_id: RowId


class ApplicationPath(BaseModel):
    application_id: RowId


class AttemptPath(BaseModel):
    attempt_id: RowId


class SessionPath(BaseModel):
    session_id: RowId
