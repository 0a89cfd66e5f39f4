"""Fixtures for accounts: offices and users of each role, logged-in clients,
profiles, documents and invented test files (images made with Pillow, PDFs with pypdf)."""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from pypdf import PdfWriter

from exam_service.accounts import documents, profiles
from exam_service.accounts.models import DocumentKind, Education, Gender, Office, Role, User
from exam_service.accounts.service import create_user
from exam_service.core.extensions import db

from .factories import PASSWORD, build_office, invented_nik

_numbers = itertools.count(1)


@pytest.fixture
def make_office(app: Flask) -> Callable[..., Office]:
    def make(code: str | None = None, region_code: str = "3273") -> Office:
        with app.app_context():
            office = build_office(code=code, region_code=region_code)
            db.session.commit()
            db.session.refresh(office)
            db.session.expunge(office)
        return office

    return make


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """An activated user; returns a detached row (read its id, email, role)."""

    def make(
        role: Role = Role.CANDIDATE,
        *,
        email: str | None = None,
        password: str = PASSWORD,
        office: Office | None = None,
        full_name: str | None = None,
    ) -> User:
        n = next(_numbers)
        with app.app_context():
            user = create_user(
                email or f"user{n}@uji.example",
                password,
                full_name or f"Pengguna Uji {n}",
                role,
                office_id=office.id if office else None,
                activated=True,
                consent=role is Role.CANDIDATE,
            )
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user

    return make


@pytest.fixture
def login(make_client):
    """Log a user in on a fresh client: `login(user)` -> ApiClient."""

    def do_login(user: User, password: str = PASSWORD):
        client = make_client()
        response = client.login(user.email, password)
        assert response.status_code == 200, response.get_data(as_text=True)
        return client

    return do_login


# --- profiles ----------------------------------------------------------------


def profile_payload(**overrides: Any) -> dict[str, Any]:
    """A valid JSON body for PUT /api/v1/me/profile (a new NIK each call).

    The NIK agrees with the birth date and gender given (when they are valid
    values); any override may be an invalid value, to test validation.
    """
    birth_date = overrides.get("birth_date", date(1995, 8, 15))
    if isinstance(birth_date, str):
        birth_date = _date_or(birth_date, date(1995, 8, 15))
    gender = overrides.get("gender", Gender.MALE)
    gender = Gender(gender) if gender in {g.value for g in Gender} else Gender.MALE
    payload = {
        "nik": invented_nik(birth_date, gender),
        "full_name": "Calon Mitra Uji",
        "birth_date": birth_date.isoformat(),
        "gender": gender.value,
        "address": "Jl. Contoh No. 1 RT 01 RW 02",
        "village": "Desa Contoh",
        "district": "Kecamatan Contoh",
        "phone": "081234567890",
        "education": Education.SMA.value,
    }
    for name, value in overrides.items():
        payload[name] = value.isoformat() if isinstance(value, date) else value
    return payload


def _date_or(text: str, default: date) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


@pytest.fixture
def make_profile(app: Flask) -> Callable[..., str]:
    """Save a valid profile for `user` through the service; returns its NIK."""

    def make(user: User, **overrides: Any) -> str:
        payload = profile_payload(**overrides)
        data = profiles.ProfileInput(
            nik=payload["nik"],
            full_name=payload["full_name"],
            birth_date=date.fromisoformat(payload["birth_date"]),
            gender=Gender(payload["gender"]),
            address=payload["address"],
            village=payload["village"],
            district=payload["district"],
            phone=payload["phone"],
            education=Education(payload["education"]),
        )
        with app.app_context():
            profiles.save_profile(user.id, data)
            db.session.commit()
        return payload["nik"]

    return make


# --- documents -----------------------------------------------------------------


def jpeg_bytes(size: tuple[int, int] = (64, 48), **save_options: Any) -> bytes:
    """An invented JPEG; `exif=...` or `comment=...` add metadata."""
    out = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(out, "JPEG", **save_options)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (64, 48), **save_options: Any) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (200, 80, 30, 255)).save(out, "PNG", **save_options)
    return out.getvalue()


def pdf_bytes(password: str | None = None) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_with_huge_dimensions(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels but that is tiny on disk."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data)
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    first_row = zlib.compress(b"\x00" * (width + 1))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", first_row)
        + chunk(b"IEND", b"")
    )


def upload(client: Any, kind: str, data: bytes, filename: str = "berkas.jpg", **kwargs: Any):
    """PUT a document through the API as multipart `file`."""
    return client.put(
        f"/api/v1/me/documents/{kind}",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
        **kwargs,
    )


@pytest.fixture
def make_documents(app: Flask) -> Callable[..., None]:
    """Store documents (small invented PNGs) for `user` through the service."""

    def make(user: User, kinds: Iterable[DocumentKind] = tuple(DocumentKind)) -> None:
        with app.app_context():
            for kind in kinds:
                documents.store_document(user.id, kind, io.BytesIO(png_bytes()))
            db.session.commit()

    return make


@pytest.fixture
def make_complete_candidate(make_user, make_profile, make_documents) -> Callable[..., User]:
    """An activated candidate with a valid profile and all six documents."""

    def make(**profile_overrides: Any) -> User:
        user = make_user(Role.CANDIDATE)
        make_profile(user, **profile_overrides)
        make_documents(user)
        return user

    return make
