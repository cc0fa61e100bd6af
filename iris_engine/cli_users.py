"""``iris users``: accounts. Deactivating an account, changing its roles or its password ends
every access token it holds at once (on its next request)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click

__all__ = ["users"]

ROLES = ["recruiter", "auditor", "scheme_manager", "caseworker", "supervisor", "authority", "admin"]


def _run(work: Callable[[Any, Any], Awaitable[Any]]) -> Any:
    """``work(services, session)`` in one write transaction; application errors become a clean
    message and exit status 1."""
    from iris_engine.cli import _services, _settings
    from iris_engine.errors import ApplicationError

    services = _services(_settings())

    async def run() -> Any:
        try:
            async with services.db.write() as session:
                return await work(services, session)
        finally:
            await services.db.dispose()

    try:
        return asyncio.run(run())
    except ApplicationError as exc:
        details = "; ".join(f"{e.pointer}: {e.message}" for e in exc.errors)
        raise click.ClickException(exc.detail + (f" ({details})" if details else "")) from None


def _describe(user: Any) -> str:
    state = "active" if user.active else "deactivated"
    if user.confirmation_hash is not None:
        state = "waiting for e-mail confirmation"
    return f"user {user.id}: {user.email} ({', '.join(sorted(user.role_set))}), {state}"


_PASSWORD = click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True,
    help="Prompted for when omitted (or piped on standard input). At least 10 characters, not "
         "a common or easily guessed password.")


@click.group()
def users() -> None:
    """Accounts: add staff; deactivate, reactivate, change roles or password; confirm a
    registration. Deactivating, changing roles or password ends the account's access tokens at
    once: it must log in again."""


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Repeat for several roles.")
@click.option("--organisation", required=True, help="Organisation name; created if new.")
@click.option("--kind", default="scheme", show_default=True,
              type=click.Choice(["recruiter", "audit_body", "scheme", "authority"]),
              help="Kind of a new organisation.")
@click.option("--country", default="CH", show_default=True, help="Country of a new organisation.")
@_PASSWORD
def users_add(email: str, name: str, roles: tuple[str, ...], organisation: str, kind: str,
              country: str, password: str) -> None:
    """Create a user (auditors, scheme managers, admins; recruiters usually self-register)."""
    from sqlalchemy import select
    from sqlmodel import col

    from iris_engine.names import clean_name
    from iris_engine.people import NewUser
    from iris_engine.store.models import Organisation

    async def work(services: Any, session: Any) -> int:
        # found by the name as it is stored (NFC, spaces collapsed)
        stored_name = clean_name(organisation, "/organisation/name")
        org = (await session.scalars(select(Organisation).where(
            col(Organisation.name) == stored_name))).first()
        if org is None:
            org = await services.people.add_organisation(session, kind=kind, name=organisation,
                                                         country=country)
        user = await services.people.add_user(session, org, NewUser(email, name, password, roles))
        return int(user.id or 0)

    user_id = _run(work)
    click.echo(f"user {user_id} created: {email} ({', '.join(roles)})")


@users.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Deactivate the account EMAIL: it can no longer log in, and its access tokens stop
    working at once. Its cases and history stay."""
    user = _run(lambda services, session: services.people.set_active(session, email, False))
    click.echo(_describe(user))


@users.command("reactivate")
@click.argument("email")
def users_reactivate(email: str) -> None:
    """Let the deactivated account EMAIL log in again (tokens from before stay dead)."""
    user = _run(lambda services, session: services.people.set_active(session, email, True))
    click.echo(_describe(user))


@users.command("confirm")
@click.argument("email")
def users_confirm(email: str) -> None:
    """Confirm the address of the self-registered account EMAIL, as the token e-mailed at
    registration would (when you know the address is its owner's, or on a machine without
    SMTP)."""
    user = _run(lambda services, session: services.people.confirm(session, email))
    click.echo(_describe(user))


@users.command("roles")
@click.argument("email")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES),
              help="Repeat for several roles: the account gets exactly these.")
def users_roles(email: str, roles: tuple[str, ...]) -> None:
    """Give the account EMAIL exactly the roles --role names. Its access tokens stop working:
    it logs in again to act with the new roles."""
    user = _run(lambda services, session: services.people.set_roles(session, email, roles))
    click.echo(_describe(user))


@users.command("set-password")
@click.argument("email")
@_PASSWORD
def users_set_password(email: str, password: str) -> None:
    """Set a new password for the account EMAIL (e.g. one its owner forgot). Its access tokens
    stop working."""

    async def work(services: Any, session: Any) -> Any:
        row = await services.people.account(session, email)
        return await services.people.set_password(session, row, password)

    click.echo(_describe(_run(work)) + ": password changed")
