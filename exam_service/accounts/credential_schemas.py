"""JSON shapes of the password and e-mail endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .schemas import EmailAddress


class PasswordResetIn(BaseModel):
    email: EmailAddress


class PasswordResetConfirmIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)
    password: str = Field(max_length=1024)


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class EmailChangeIn(BaseModel):
    password: str = Field(max_length=1024)
    new_email: EmailAddress


class EmailChangeConfirmIn(BaseModel):
    token: str = Field(min_length=10, max_length=200)
