"""Config.from_env: every default is written once (the class) and an empty variable keeps it."""

from __future__ import annotations

from pathlib import Path

from exam_service.core.config import Config


def test_without_variables_every_setting_has_its_class_default(tmp_path: Path):
    config = Config.from_env(tmp_path, environ={})
    assert config.SMTP_PORT == Config.SMTP_PORT == 587
    assert config.LOGIN_RATE_LIMIT == Config.LOGIN_RATE_LIMIT
    assert config.RATELIMIT_ENABLED is True
    assert f"sqlite:///{tmp_path / 'exam.sqlite3'}" == config.SQLALCHEMY_DATABASE_URI
    assert config.REDIS_URL is None
    assert config.MAX_CONTENT_LENGTH == Config.MAX_UPLOAD_BYTES + 64 * 1024


def test_variables_are_typed_like_their_default(tmp_path: Path):
    config = Config.from_env(
        tmp_path,
        environ={
            "SMTP_PORT": "2525",
            "RATELIMIT_ENABLED": "false",
            "MAX_UPLOAD_BYTES": "1048576",
            "LOGIN_RATE_LIMIT": "3 per minute",
            "BASE_URL": "https://ujian.example/",
        },
    )
    assert config.SMTP_PORT == 2525
    assert config.RATELIMIT_ENABLED is False
    assert config.MAX_CONTENT_LENGTH == 1048576 + 64 * 1024
    assert config.LOGIN_RATE_LIMIT == "3 per minute"
    assert config.BASE_URL == "https://ujian.example"


def test_an_empty_variable_keeps_the_default(tmp_path: Path):
    config = Config.from_env(tmp_path, environ={"SMTP_PORT": "", "MAIL_FROM": "", "LOG_FORMAT": ""})
    assert config.SMTP_PORT == 587
    assert config.MAIL_FROM == Config.MAIL_FROM
    assert config.LOG_FORMAT == "json"
