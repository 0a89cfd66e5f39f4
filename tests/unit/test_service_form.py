"""ServiceForm: a service's refusal lands on the field it names, and is never silent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from flask import Flask, get_flashed_messages
from flask_babel import Babel
from wtforms import FieldList, FormField, IntegerField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length

from exam_service.core.errors import Conflict, Invalid
from exam_service.core.forms import ServiceForm, SubForm


class PlaceForm(ServiceForm):
    SERVICE_FIELDS: ClassVar[dict[str, str]] = {"where": "place"}

    name = StringField()
    place = StringField()


@pytest.fixture
def form() -> Iterator[PlaceForm]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="uji", WTF_CSRF_ENABLED=False)
    with app.test_request_context("/", method="POST"):
        yield PlaceForm()


def test_each_message_goes_on_the_field_it_names(form):
    form.show_service_error(Invalid("x", details={"name": "Nama sudah dipakai."}))
    assert form.name.errors == ["Nama sudah dipakai."]
    assert not form.place.errors
    assert get_flashed_messages() == []


def test_a_service_key_can_name_a_field_of_another_name(form):
    form.show_service_error(Invalid("x", details={"where": "Tempat terlalu panjang."}))
    assert form.place.errors == ["Tempat terlalu panjang."]


def test_an_error_without_details_goes_on_the_default_field(form):
    form.show_service_error(Conflict("Sudah terjadwal."), default_field="place")
    assert form.place.errors == ["Sudah terjadwal."]


def test_what_names_no_field_is_flashed_rather_than_lost(form):
    form.show_service_error(Invalid("x", details={"nowhere": "Kuota habis."}))
    form.show_service_error(Conflict("Sudah terjadwal."))
    assert not form.name.errors
    assert not form.place.errors
    assert get_flashed_messages() == ["Kuota habis.", "Sudah terjadwal."]


class RowForm(SubForm):
    count = IntegerField(validators=[InputRequired()])


class ContactForm(ServiceForm):
    email = StringField(validators=[DataRequired(), Email()])
    name = StringField(validators=[Length(min=3)])
    rows = FieldList(FormField(RowForm), min_entries=1)


def test_wtforms_own_messages_are_indonesian():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="uji", WTF_CSRF_ENABLED=False)
    Babel(app, locale_selector=lambda: "id")
    data = {"email": "", "name": "ab", "rows-0-count": ""}
    with app.test_request_context("/", method="POST", data=data):
        form = ContactForm()
        assert not form.validate()
        assert form.email.errors == ["Wajib diisi."]
        assert form.name.errors == ["Paling sedikit 3 karakter."]
        assert form.rows[0].count.errors == ["Wajib diisi."]
