"""Operator commands that are not covered elsewhere."""

from __future__ import annotations

from exam_service.accounts.models import Office, Role, User
from exam_service.core.extensions import db
from tests.support.factories import build_office

PASSWORD = "sandi-operator-panjang"


def test_create_user_asks_for_the_password_instead_of_taking_it_from_the_command_line(
    app, make_client
):
    with app.app_context():
        build_office(code="3299", region_code="3299")
        db.session.commit()
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["create-user", "--role", "admin", "--email", "admin@uji.example", "--office", "3299"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # hidden while typed
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "admin@uji.example"))
        assert user is not None
        assert user.role == Role.ADMIN
    assert make_client().login("admin@uji.example", PASSWORD).status_code == 200


def test_create_user_refuses_two_different_passwords(app):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["create-user", "--role", "author", "--email", "penulis@uji.example"],
        input=f"{PASSWORD}\nsesuatu-yang-lain\n{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert "do not match" in result.output


def test_create_office_then_an_admin_of_it(app):
    runner = app.test_cli_runner()

    created = runner.invoke(
        args=["create-office", "--code", "3273", "--name", "BPS Kota Uji", "--region", "3273"]
    )
    again = runner.invoke(
        args=["create-office", "--code", "3273", "--name", "Lagi", "--region", "3273"]
    )
    bad_region = runner.invoke(
        args=["create-office", "--code", "X1", "--name", "Salah", "--region", "32a3"]
    )
    admin = runner.invoke(
        args=["create-user", "--role", "admin", "--email", "a@uji.example", "--office", "3273"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert created.exit_code == 0, created.output
    assert again.exit_code != 0
    assert "exists already" in again.output
    assert bad_region.exit_code != 0
    assert "--region" in bad_region.output
    assert admin.exit_code == 0, admin.output
    with app.app_context():
        offices = db.session.scalars(db.select(Office)).all()
        assert [(o.code, o.name, o.region_code) for o in offices] == [
            ("3273", "BPS Kota Uji", "3273")
        ]


def test_disable_user_ends_every_login_at_once(app, make_user, login):
    user = make_user()
    phone, laptop = login(user), login(user)
    runner = app.test_cli_runner()

    result = runner.invoke(args=["disable-user", user.email.upper()])

    assert result.exit_code == 0, result.output
    assert phone.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 401
    assert runner.invoke(args=["disable-user", "tidak-ada@uji.example"]).exit_code == 1
    assert runner.invoke(args=["disable-user", "bukan surel"]).exit_code == 2
