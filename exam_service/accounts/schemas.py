"""JSON shapes of the accounts API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, get_args

from flask_openapi3 import FileStorage
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

from ..core.api import OutModel
from . import profiles
from .models import DocumentKind, Education, Gender, Profile
from .service import InvalidEmail, canonical_email, consent_required_message


def _email_address(value: str) -> str:
    try:
        return canonical_email(value)
    except InvalidEmail as e:
        raise PydanticCustomError("email_invalid", "{reason}", {"reason": str(e)}) from None


# A bare address, returned in the service's one normalised form (see
# service.canonical_email), the form every lookup and rate limit uses.
EmailAddress = Annotated[
    str,
    AfterValidator(_email_address),
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "maxLength": 254,
            "description": "Alamat surel saja, tanpa nama tampilan (bukan `Nama <alamat>`).",
        }
    ),
]


def _consented(value: bool) -> bool:
    if value is not True:
        message = consent_required_message()
        raise PydanticCustomError("consent_required", "{reason}", {"reason": message})
    return value


class RegisterIn(BaseModel):
    email: EmailAddress
    password: str = Field(max_length=1024)
    full_name: str = Field(min_length=1, max_length=120)
    # Explicit consent to the processing of personal data (UU 27/2022): must be `true`.
    consent: Annotated[StrictBool, AfterValidator(_consented)] = Field(
        description=(
            "Wajib ada dan bernilai true: persetujuan eksplisit atas pemrosesan data "
            "pribadi menurut UU 27/2022 (UU Pelindungan Data Pribadi), atas teks "
            "persetujuan yang ditampilkan di halaman /register. Tanpa consent, atau "
            "dengan nilai selain true, jawabannya 422 dengan rincian pada `consent`."
        ),
        json_schema_extra={"const": True},
    )

    @model_validator(mode="wrap")
    @classmethod
    def _explain_consent(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Every problem with `consent` (missing, not a boolean, false) gets one
        message that says what the law asks for, in Bahasa Indonesia."""
        try:
            return handler(data)
        except ValidationError as e:
            errors = e.errors()
            if not any(error["loc"][:1] == ("consent",) for error in errors):
                raise
            raise ValidationError.from_exception_data(
                e.title, [_with_consent_message(error) for error in errors]
            ) from None


def _with_consent_message(error: Any) -> InitErrorDetails:
    """The consent's error with the law's message; every other error as it was (its
    type and context, so the service's Indonesian messages can name the limits)."""
    if error["loc"][:1] == ("consent",):
        message = consent_required_message()
        return InitErrorDetails(
            type=PydanticCustomError("consent_required", "{reason}", {"reason": message}),
            loc=error["loc"],
            input=error["input"],
        )
    if error["type"] not in _PYDANTIC_ERROR_TYPES:  # our own, e.g. email_invalid
        custom = PydanticCustomError(error["type"], "{reason}", {"reason": error["msg"]})
        return InitErrorDetails(type=custom, loc=error["loc"], input=error["input"])
    details = InitErrorDetails(type=error["type"], loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


_PYDANTIC_ERROR_TYPES = frozenset(get_args(ErrorType))


class ActivateIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)


class LoginIn(BaseModel):
    email: EmailAddress
    password: str = Field(max_length=1024)


class ResendIn(BaseModel):
    email: EmailAddress


class UserOut(OutModel):
    id: int
    email: str
    full_name: str
    role: str


class LoginOut(OutModel):
    user: UserOut
    # The session's CSRF token: send it as X-CSRFToken on every unsafe request.
    csrf_token: str


class ProfileIn(BaseModel):
    """The candidate's profile; the regency code is derived from the NIK, not sent."""

    model_config = ConfigDict(str_strip_whitespace=True)

    nik: str = Field(min_length=1, max_length=32)
    full_name: str = Field(min_length=1, max_length=120)
    birth_date: date
    gender: Gender
    address: str = Field(min_length=1, max_length=300)
    village: str = Field(min_length=1, max_length=100)
    district: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=1, max_length=32)
    education: Education


class ProfileOut(OutModel):
    nik: str
    full_name: str
    birth_date: date
    gender: Gender
    address: str
    village: str
    district: str
    # The regency/city code of the KTP (the NIK's first 4 digits).
    regency_code: str
    phone: str
    education: Education
    updated_at: datetime
    # Where the NIK disagrees with the declared birth date or gender: gentle hints to
    # the candidate (the profile is saved all the same and flagged for the admin).
    nik_hints: list[str] = Field(
        default_factory=list,
        description=(
            "Petunjuk bila NIK tidak cocok dengan tanggal lahir atau jenis kelamin yang "
            "diisi; profil tetap tersimpan. Kosong bila cocok."
        ),
    )

    @model_validator(mode="wrap")
    @classmethod
    def _with_nik_hints(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> ProfileOut:
        """Read from a saved profile, the hints are those of `profiles.nik_hints`."""
        model = handler(data)
        if isinstance(data, Profile):
            model.nik_hints = profiles.nik_hints(data)
        return model


class DocumentPath(BaseModel):
    kind: DocumentKind


class DocumentUpload(BaseModel):
    """Multipart form: `file`, a JPEG, PNG, HEIC or PDF (judged by content, not by name)."""

    file: FileStorage


class DocumentOut(OutModel):
    kind: DocumentKind
    content_type: str
    size: int
    uploaded_at: datetime


class DocumentListOut(OutModel):
    documents: list[DocumentOut]
    missing: list[DocumentKind]
