"""Operator commands: `flask --app exam_service <command>`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy.exc import IntegrityError

from .accounts.models import Office, Role, User
from .accounts.service import InvalidEmail, canonical_email, create_user, disable_user
from .core.clock import DEFAULT_ZONE, ZONE_NAMES
from .core.errors import ServiceError
from .core.extensions import db
from .demo import seed
from .feeds.keys import create_key
from .privacy.retention import purge_documents
from .worker import Worker


def register_commands(app: Flask) -> None:
    app.cli.add_command(init_db)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_office_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(disable_user_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(create_api_key_command)
    app.cli.add_command(purge_documents_command)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    upgrade()
    click.echo("database is up to date")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load invented demo data (idempotent) and print the demo accounts."""
    accounts = seed()
    db.session.commit()
    click.echo("Demo accounts (invented data):")
    for role, email, password in accounts:
        click.echo(f"  {role:<9} {email:<32} {password}")


@click.command("create-office")
@with_appcontext
@click.option("--code", required=True, help="The office's code (up to 16 characters).")
@click.option("--name", required=True, help='e.g. "BPS Kabupaten Contoh".')
@click.option("--region", "region_code", required=True, help="Regency code: 4 digits, as in NIK.")
@click.option(
    "--timezone",
    "time_zone",
    type=click.Choice(list(ZONE_NAMES)),
    default=DEFAULT_ZONE.key,
    show_default=True,
    help="The office's zone: Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT).",
)
def create_office_command(code: str, name: str, region_code: str, time_zone: str) -> None:
    """Create a statistics office; its admins see only its activities, in its zone."""
    code, name = code.strip(), name.strip()
    if not code or len(code) > 16:
        raise click.BadParameter("1 to 16 characters", param_hint="--code")
    if not name or len(name) > 200:
        raise click.BadParameter("1 to 200 characters", param_hint="--name")
    if len(region_code) != 4 or not region_code.isdigit():
        raise click.BadParameter("4 digits, e.g. 3273", param_hint="--region")
    office = Office(code=code, name=name, region_code=region_code, timezone=time_zone)
    db.session.add(office)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise click.ClickException(f"an office with code {code} exists already") from None
    click.echo(f"created office {code} (id {office.id}, {ZONE_NAMES[time_zone]})")


@click.command("create-user")
@with_appcontext
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="EXAM_USER_PASSWORD",
    help="Asked for when left out (or EXAM_USER_PASSWORD): a password on the command line "
    "stays in the shell's history.",
)
@click.option("--full-name", default="")
@click.option("--office", "office_code", default=None, help="Office code, for admins.")
def create_user_command(
    role: str, email: str, password: str, full_name: str, office_code: str | None
) -> None:
    """Create an activated account."""
    office_id = _office_id_of(office_code)
    if office_id is None and Role(role) is Role.ADMIN:
        raise click.BadParameter("an admin needs --office", param_hint="--office")
    try:
        user = create_user(
            email,
            password,
            full_name or email.split("@")[0],
            Role(role),
            office_id=office_id,
            activated=True,
        )
        db.session.commit()
    except ServiceError as e:
        raise click.ClickException(e.message) from None
    except IntegrityError:
        raise click.ClickException("an account with this e-mail exists") from None
    click.echo(f"created {role} {user.email} (id {user.id})")


def _office_id_of(office_code: str | None) -> int | None:
    """The id of the office given as --office, None when it was left out."""
    if not office_code:
        return None
    office = db.session.scalar(db.select(Office).where(Office.code == office_code))
    if office is None:
        raise click.BadParameter(f"no office with code {office_code}", param_hint="--office")
    return office.id


@click.command("disable-user")
@with_appcontext
@click.argument("email")
def disable_user_command(email: str) -> None:
    """Disable an account (e.g. one that left the office); its logins end at once."""
    try:
        address = canonical_email(email)
    except InvalidEmail:
        raise click.BadParameter("not an e-mail address", param_hint="EMAIL") from None
    user = db.session.scalar(db.select(User).where(User.email == address))
    if user is None:
        raise click.ClickException("no account with this e-mail")
    disable_user(user)
    db.session.commit()
    click.echo(f"disabled user id {user.id}")


@click.command("worker")
@with_appcontext
@click.option("--max-seconds", type=float, default=None, help="Stop after this long (tests).")
@click.option("--poll", type=float, default=0.5, help="Seconds between rounds.")
def worker_command(max_seconds: float | None, poll: float) -> None:
    """Finish and grade attempts at their deadlines; prepare forms ahead of sessions;
    publish due final selections and send webhooks."""
    Worker(current_app._get_current_object(), poll_seconds=poll).run(max_seconds)


@click.command("create-api-key")
@with_appcontext
@click.option("--name", required=True, help="Who uses the key, e.g. the recruitment system.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(["results:read", "pii:read"]),
    help="Repeat for several scopes.",
)
@click.option("--office", "office_code", default=None, help="Limit the key to one office.")
def create_api_key_command(name: str, scopes: tuple[str, ...], office_code: str | None) -> None:
    """Create an API key for a machine client and print it (once: only its hash is kept)."""
    office_id = _office_id_of(office_code)
    try:
        new = create_key(name, scopes, office_id=office_id)
        db.session.commit()
    except ServiceError as e:
        raise click.ClickException(e.message) from None
    scopes_text = ", ".join(new.key.scopes)
    click.echo(f"created API key {new.key.prefix}... (id {new.key.id}, {scopes_text})")
    click.echo("Store it now; it is not shown again:")
    click.echo(new.secret)


@click.command("purge-documents")
@with_appcontext
@click.option("--activity", "activity_id", type=int, required=True, help="The activity's id.")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
def purge_documents_command(activity_id: int, dry_run: bool) -> None:
    """Delete the stored documents of an activity's applicants after the retention period
    (DOCUMENT_RETENTION_DAYS after the final announcement). Applicants still taking part
    in another activity keep theirs. Prints counts only."""
    try:
        report = purge_documents(activity_id, dry_run=dry_run)
    except ServiceError as e:
        db.session.rollback()
        raise click.ClickException(e.message) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    verb = "would delete" if dry_run else "deleted"
    click.echo(
        f"activity {activity_id}: {report.applicants} applicants, "
        f"{report.kept_applicants} kept (another activity still needs their documents), "
        f"{verb} {report.documents} documents"
    )
