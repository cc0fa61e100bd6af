"""``iris users``: accounts. Deactivating an account, changing its roles or its password ends
every access token it holds at once (on its next request)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click

__all__ = ["users"]

#: the roles an account may hold are those the workflow files give access to (plus admin): they
#: are known once the catalog is loaded, so the commands check them then (``People`` refuses an
#: unknown one with the list of known ones), not at import
ROLE_HELP = ("A role some workflow gives access to (recruiter, auditor, scheme_manager, "
             "caseworker, supervisor, authority, admin, training_coordinator, trainer, "
             "organisation_coordinator, ...); an unknown one is refused with the full list.")


def _run(work: Callable[[Any, Any], Awaitable[Any]], *, write: bool = True) -> Any:
    """``work(services, session)`` in one write transaction (``write=False``: no transaction,
    ``session`` is None: the work reads through the services); application errors become a
    clean message and exit status 1."""
    from iris_engine.cli import _services, _settings
    from iris_engine.errors import ApplicationError

    services = _services(_settings())

    async def run() -> Any:
        try:
            if not write:
                return await work(services, None)
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
    """Accounts: list them; add staff; deactivate, reactivate, change roles or password;
    confirm a registration. Deactivating, changing roles or password ends the account's access
    tokens at once: it must log in again."""


@users.command("list")
@click.option("--role", default=None, help="Only accounts holding it. " + ROLE_HELP)
@click.option("--organisation", "organisation_id", type=click.IntRange(1, 2**31 - 1),
              default=None, help="Only accounts of the organisation with this id.")
@click.option("--inactive", is_flag=True,
              help="The accounts that may not log in (deactivated, or a self-registration whose "
                   "address is not confirmed) instead of those that may.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, as GET /api/v1/users "
              "answers it, instead of a table.")
def users_list(role: str | None, organisation_id: int | None, inactive: bool,
               as_json: bool) -> None:
    """List accounts by id: name, e-mail, roles, organisation, status, and the cases each
    still has a part in (an auditor's current assignments: the ID to give as auditor_id is
    the first column)."""
    import msgspec

    async def work(services: Any, _session: Any) -> list[Any]:
        if role is not None and role not in services.people.roles:
            raise click.ClickException(f"no role {role!r}; roles: "
                                       + ", ".join(services.people.roles))
        found: list[Any] = []
        while True:  # every page
            page = await services.directory.list(role=role, organisation_id=organisation_id,
                                                 active=not inactive,
                                                 after=found[-1].id if found else 0, limit=200)
            found += page
            if len(page) < 200:
                return found

    accounts = _run(work, write=False)
    if as_json:
        click.echo(msgspec.json.encode(accounts).decode())
        return
    if not accounts:
        click.echo("no accounts" if not (role or organisation_id or inactive)
                   else "no accounts match")
        return
    click.echo(f"{'id':>6}  {'name':24} {'e-mail':32} {'roles':16} {'org':>5} "
               f"{'organisation':26} {'status':11} current assignments")
    for a in accounts:
        work_in_hand = ", ".join(
            f"case {c.case_id} ({c.state}{', ' + c.planned_on.isoformat() if c.planned_on else ''})"
            for c in a.current_assignments) or "-"
        click.echo(f"{a.id:>6}  {_cut(a.name, 24)} {_cut(a.email, 32)} "
                   f"{_cut(','.join(a.roles), 16)} {a.organisation_id:>5} "
                   f"{_cut(a.organisation_name, 26)} {a.status:11} {work_in_hand}")


def _cut(text: str, width: int) -> str:
    """``text`` in a column ``width`` wide: padded, or cut with an ellipsis."""
    return text.ljust(width) if len(text) <= width else text[:width - 1] + "…"


@users.command("add")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="Repeat for several roles. " + ROLE_HELP)
@click.option("--organisation", required=True, help="Organisation name; created if new.")
@click.option("--kind", default="scheme", show_default=True,
              help="Kind of a new organisation: recruiter, audit_body, scheme, authority, or a "
                   "domain's own (referrer, partner: see `iris returns`).")
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
@click.option("--role", "roles", multiple=True, required=True,
              help="Repeat for several roles: the account gets exactly these. " + ROLE_HELP)
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
