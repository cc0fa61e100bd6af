"""The ``iris`` command line. ``iris --help`` and each command's ``--help`` are its manual."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from iris_engine.errors import ApplicationError
from iris_engine.settings import Settings

__all__ = ["main"]


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None


def _services(settings: Settings) -> Any:
    from iris_engine.services import build_services

    try:
        return build_services(settings)
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None


def _in_session(work: Callable[[Any], Awaitable[Any]], *, write: bool = False) -> Any:
    """Run ``work(session)`` in one read (or write) transaction on the configured database."""
    from iris_engine.store.db import Database

    database = Database(_settings())

    async def run() -> Any:
        try:
            async with (database.write() if write else database.read()) as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """IRIS Engine: accreditation of labour recruiters, the public roster, grievances and CPD
    training.

    Configuration comes from IRIS_* environment variables (see `iris settings`). With none
    set, data lives in ./iris.db (SQLite).
    """


@main.command()
def settings() -> None:
    """List every IRIS_* setting with its default and meaning."""
    for name, default, doc in Settings.documented():
        click.echo(f"{name}\n    default: {default or '(empty)'}\n    {doc}\n")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="TCP port.")
@click.option("--demo", is_flag=True, help="Seed demo staff and ~300 recruiters into an empty "
              "database and print the demo log-ins.")
@click.option("--workers", default=1, show_default=True, type=int, help="Server processes.")
@click.option("--access-log/--no-access-log", default=True, show_default=True,
              help="Log a line per request (secrets masked). Off when a proxy in front logs "
                   "requests already: it costs about a seventh of a cached roster read's CPU.")
def serve(host: str, port: int, demo: bool, workers: int, access_log: bool) -> None:
    """Run the web service. An SQLite database is created or upgraded first; a PostgreSQL
    database must have been upgraded (`iris db upgrade`), or the service does not start."""
    import uvicorn

    from iris_engine.migrations import SchemaBehind, check_at_head, upgrade

    settings = _settings()
    if workers > 1 and not settings.secret_key:
        raise click.ClickException("several workers need one signing key: set IRIS_SECRET_KEY "
                                   "(32+ random bytes), or tokens from one worker fail on another")
    if settings.is_sqlite:
        upgrade(settings.database_url)
        _seal_clear_notes(settings)
    else:
        try:
            check_at_head(settings.database_url)
        except SchemaBehind as behind:
            raise click.ClickException(str(behind)) from behind
    if demo:
        _seed(settings, 300)
    click.echo(f"IRIS Engine on http://{host}:{port}  (API docs: http://{host}:{port}/schema, "
               f"roster: http://{host}:{port}/api/v1/roster)")
    uvicorn.run("iris_engine.asgi:app", host=host, port=port, workers=workers, log_level="info",
                access_log=access_log)


def _seed(settings: Settings, recruiters: int) -> None:
    from iris_engine.demo import seed_demo

    services = _services(settings)

    async def run() -> Any:
        try:
            return await seed_demo(services, sizes={"recruiters": recruiters})
        finally:
            await services.db.dispose()

    logins = asyncio.run(run())
    if logins is None:
        click.echo("Database already has data; demo not re-seeded.")
        return
    click.echo("Demo data seeded.")
    click.echo("Demo log-ins (POST /api/v1/auth/token with e-mail and password). A user id is "
               "what auditor_id takes;\nas a scheme manager, GET /api/v1/users?role=auditor "
               "lists the auditors with their current assignments.")
    click.echo(f"  {'role':15} {'e-mail':36} {'password':22} {'user id':>7}")
    for login in logins:
        user_id = "" if login.user_id is None else str(login.user_id)
        click.echo(f"  {login.role:15} {login.email:36} {login.password:22} {user_id:>7}  "
                   f"{login.note}".rstrip())
    click.echo("File a grievance without logging in: POST /api/v1/grievances (see /schema).")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (safe to repeat). At head, personal notes stored in
    clear by an earlier version are then sealed with IRIS_DATA_KEYS (their cases' hash chains
    verified, then re-hashed and recorded in chain_rewrite); exit 1 if a chain did not verify."""
    from iris_engine.migrations import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}")
    if revision == "head" and not _seal_clear_notes(settings):
        sys.exit(1)


def _seal_clear_notes(settings: Settings) -> bool:
    from iris_engine.cli_keys import seal_clear_notes

    return seal_clear_notes(settings)


@main.group()
def demo() -> None:
    """Demo data."""


@demo.command("seed")
@click.option("--recruiters", default=300, show_default=True, type=int)
def demo_seed(recruiters: int) -> None:
    """Seed demo staff and recruiters into an empty, migrated database."""
    _seed(_settings(), recruiters)


@demo.command("prepare")
@click.argument("organisation")
def demo_prepare(organisation: str) -> None:
    """Ready the organisation ORGANISATION (its exact name) as the demo readies its own
    recruiters before they apply: e.g. one of its staff is certified in the training that an
    accreditation `submit` requires, through the training flow on a session already held. A
    shortcut for demos and walks through the README only: a real organisation's staff enrol
    and attend (the refusal of `submit` says where)."""
    from iris_engine.demo import prepare_demo_organisation

    services = _services(_settings())

    async def run() -> bool:
        try:
            return await prepare_demo_organisation(services, organisation)
        finally:
            await services.db.dispose()

    try:
        found = asyncio.run(run())
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None
    if not found:
        raise click.ClickException(f"no organisation is called {organisation!r}")
    click.echo(f"{organisation} is ready as the demo's recruiters are")


@main.group()
def workflows() -> None:
    """Workflow definitions, and moving live cases to a later version of one.

    Files are read from IRIS_WORKFLOWS_DIR and its sub-folders: a case runs on the version it
    started on, so an older version stays (in a sub-folder) while cases run on it, until
    `iris workflows upgrade NAME --to VERSION` moves them on.
    """


@workflows.command("check")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=None,
              help="Folder to check (default: IRIS_WORKFLOWS_DIR).")
def workflows_check(folder: Path | None) -> None:
    """Validate every workflow file (roles reach its cases) and resolve every guard, effect
    and anchor name against the domains' hooks."""
    from iris_engine.domains import DOMAINS
    from iris_engine.services import build_hooks
    from iris_engine.workflow import WorkflowCatalog

    try:
        catalog = WorkflowCatalog.from_dir(folder or _settings().workflows_dir)
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None
    missing = catalog.unresolved_hooks(build_hooks(DOMAINS))
    for line in missing:
        click.echo(f"unresolved: {line}", err=True)
    if missing:
        sys.exit(1)
    for name, version in catalog.versions():
        spec = catalog.machine(name, version).spec
        click.echo(f"ok  {name} v{version}: {len(spec.states)} states, "
                   f"{len(spec.transitions)} transitions ({spec.source})")


@workflows.command("diagram")
@click.argument("name")
@click.option("--version", type=int, default=None, help="Default: the latest.")
def workflows_diagram(name: str, version: int | None) -> None:
    """Print a Mermaid state diagram of workflow NAME."""
    from iris_engine.workflow import WorkflowCatalog

    try:
        click.echo(WorkflowCatalog.from_dir(_settings().workflows_dir).machine(name, version).mermaid())
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None


@main.command()
@click.option("--once", is_flag=True, help="Run one tick (every due timer and message), print "
              "what it did and exit: for cron, or to catch up by hand.")
def worker(once: bool) -> None:
    """Fire due timers and deliver the outbox, without serving HTTP.

    Run as many as you like against one PostgreSQL database (they claim rows, never share
    them). Run `iris serve` with IRIS_SCHEDULER=false when workers do the ticking.
    SIGTERM or Ctrl-C stops it cleanly: the batch in hand is finished and recorded (up to 30 s),
    then it exits 0; what it had not reached waits for the next worker.
    """
    import logging
    import signal

    from iris_engine.ticker import Ticker, start_scheduler, stop_ticking

    settings = _settings()
    services = _services(settings)

    async def run() -> None:
        ticker = Ticker(services)
        stop = asyncio.Event()

        def stopping() -> None:  # SIGTERM or Ctrl-C: finish the batch in hand, record it, exit 0
            ticker.finish_soon()
            stop.set()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping)
        try:
            if once:
                report = await ticker.tick(budget_seconds=float("inf"))
                click.echo(f"timers: {report.timers.claimed} claimed, {report.timers.fired} fired, "
                           f"{report.timers.told} notices, {report.timers.discarded} discarded, "
                           f"{report.timers.failed} failed")
                click.echo(f"outbox: {report.outbox.claimed} claimed, {report.outbox.delivered} "
                           f"delivered, {report.outbox.retrying} to retry, {report.outbox.dead} dead")
                if report.anchor is not None:
                    click.echo(f"audit anchor {report.anchor.seq} taken: "
                               f"{report.anchor.cases} cases, {report.anchor.events} events")
                return
            scheduler = start_scheduler(ticker)
            click.echo(f"worker {ticker.worker_id} ticking every {settings.tick_seconds:g} s; "
                       "Ctrl-C stops it")
            await stop.wait()
            await stop_ticking(scheduler, ticker)
        finally:
            await ticker.stop()
            await services.db.dispose()

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("transitions").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    asyncio.run(run())


@main.group()
def outbox() -> None:
    """Outgoing e-mail and webhooks: see what waits, what failed, and send it again."""


@outbox.command("list")
@click.option("--status", type=click.Choice(["pending", "delivered", "dead"]), default=None,
              help="Only messages in this state. Default: all.")
@click.option("--limit", default=50, show_default=True, type=int)
def outbox_list(status: str | None, limit: int) -> None:
    """List messages, newest first: id, state, attempts, channel, topic, destination, error."""
    from iris_engine.outbox import list_messages

    rows = _in_session(lambda session: list_messages(session, status=status, limit=limit))
    if not rows:
        click.echo("no messages" + (f" {status}" if status else ""))
    for m in rows:
        click.echo(f"{m.id:>7}  {m.status:9} {m.attempts:>2} tries  {m.channel:7} {m.topic:24} "
                   f"{m.destination}")
        if m.last_error:
            click.echo(f"{'':9}last error: {m.last_error}")


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all-dead", is_flag=True, help="Re-drive every dead message.")
def outbox_retry(ids: tuple[int, ...], all_dead: bool) -> None:
    """Give dead messages IDS (or --all-dead) a fresh set of attempts, starting now."""
    from iris_engine.clock import utcnow
    from iris_engine.outbox import redrive

    if bool(ids) == all_dead:
        raise click.UsageError("give message ids, or --all-dead")
    done: list[int] = _in_session(
        lambda session: redrive(session, None if all_dead else list(ids), now=utcnow()), write=True)
    missing = sorted(set(ids) - set(done))
    if done:
        click.echo(f"re-driven: {', '.join(map(str, done))} (sent on the next tick)")
    if missing:
        click.echo(f"not dead (or unknown), left alone: {', '.join(map(str, missing))}", err=True)
        sys.exit(1)
    if not done:
        click.echo("no dead messages")


@main.group()
def timers() -> None:
    """Deadlines and reminders."""


@timers.command("list")
@click.option("--status", type=click.Choice(["pending", "overdue", "done", "cancelled",
                                            "discarded"]),
              default="pending", show_default=True)
@click.option("--case", "case_id", type=int, default=None, help="Only this case's timers.")
@click.option("--limit", default=50, show_default=True, type=int)
def timers_list(status: str, case_id: int | None, limit: int) -> None:
    """List timers by due time: id, case, name, kind, due, claim or outcome."""
    from iris_engine.timers import list_timers

    rows = _in_session(lambda session: list_timers(session, status=status, case_id=case_id,
                                                   limit=limit))
    if not rows:
        click.echo(f"no {status} timers")
    for t in rows:
        extra = t.outcome or (f"claimed by {t.claimed_by} until {t.claimed_until:%Y-%m-%d %H:%M}"
                              if t.claimed_by else "")
        click.echo(f"{t.id:>7}  case {t.case_id:<7} {t.name:24} {t.kind:8} "
                   f"{t.due_at:%Y-%m-%d %H:%M} UTC  {extra}")


def _register() -> None:
    from iris_engine.cli_audit import audit
    from iris_engine.cli_authorities import authorities
    from iris_engine.cli_codes import codes
    from iris_engine.cli_i18n import i18n
    from iris_engine.cli_keys import keys
    from iris_engine.cli_return_stats import returns_stats
    from iris_engine.cli_returns import returns
    from iris_engine.cli_training import training
    from iris_engine.cli_upgrade import upgrade
    from iris_engine.cli_users import users

    workflows.add_command(upgrade)
    returns.add_command(returns_stats)

    main.add_command(audit)
    main.add_command(keys)
    main.add_command(authorities)
    main.add_command(codes)
    main.add_command(users)
    main.add_command(training)
    main.add_command(returns)
    main.add_command(i18n)


_register()
