"""``iris training``: the course catalogue and training statistics from the command line.

Adding or revising a course is done as a training coordinator's account (``--as EMAIL``), as
through the API: the account must be active and hold the role, and the version records it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from iris_engine.cli_support import run_with_services

if TYPE_CHECKING:

    from iris_engine.cases import Principal
    from iris_engine.services import Services

__all__ = ["training"]

#: who reads through the command line: whoever runs it holds the database already
_OPERATOR_ROLES = frozenset({"training_coordinator"})




def _catalogue(services: Services) -> Any:
    from iris_engine.training.courses import CourseCatalogue

    return CourseCatalogue(services.db, services.clock)


def _operator() -> Principal:
    from iris_engine.cases import Principal

    return Principal(user_id=0, organisation_id=0, roles=_OPERATOR_ROLES)


async def _account(services: Services, email: str) -> Principal:
    """The principal of an active account (the one ``--as`` names)."""
    from sqlmodel import col, select

    from iris_engine.cases import Principal
    from iris_engine.errors import NotFound
    from iris_engine.people.service import normalise_email
    from iris_engine.store.models import User

    async with services.db.read() as session:
        user = (await session.scalars(select(User).where(
            col(User.email) == normalise_email(email)))).first()
    if user is None or not user.active or user.confirmation_hash is not None:
        raise NotFound(f"no active account has the e-mail {email.strip()!r}")
    return Principal(user.id or 0, user.organisation_id, user.role_set, user.email)


def _document(file: Any) -> Any:
    try:
        return json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{file.name} is not JSON: {exc}") from None
    except RecursionError:
        raise click.ClickException(f"{file.name} nests too deeply") from None


def _echo(value: Any) -> None:
    import msgspec

    click.echo(json.dumps(msgspec.to_builtins(value), indent=2, ensure_ascii=False))


@click.group()
def training() -> None:
    """CPD training: the course catalogue and statistics."""


@training.group()
def courses() -> None:
    """Courses as versioned JSON documents (schema: iris_engine/training/schemas/course.schema.json;
    examples: iris_engine/training/courses/)."""


_AS = click.option("--as", "as_email", required=True, metavar="EMAIL",
                   help="The training coordinator's account the change is made as.")


@courses.command("add")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_AS
def courses_add(file: Any, as_email: str) -> None:
    """Add the course in FILE (JSON; - for standard input) as version 1; print it as stored,
    CPD hours derived."""
    document = _document(file)

    async def work(services: Services) -> Any:
        return await _catalogue(services).add(await _account(services, as_email), document)

    _echo(run_with_services(work))


@courses.command("revise")
@click.argument("key")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_AS
def courses_revise(key: str, file: Any, as_email: str) -> None:
    """Make the course in FILE the next version of course KEY (sessions already planned keep
    the version they pinned); print it as stored."""
    document = _document(file)

    async def work(services: Services) -> Any:
        return await _catalogue(services).revise(await _account(services, as_email), key, document)

    _echo(run_with_services(work))


@courses.command("list")
def courses_list() -> None:
    """List the latest version of each course: key, version, CPD hours, title."""

    async def work(services: Services) -> Any:
        return await _catalogue(services).latest(_operator())

    for course in run_with_services(work):
        flags = ("  [accreditation prerequisite]" if course.accreditation_prerequisite else "") + (
            "" if course.active else "  [retired]")
        click.echo(f"{course.key:40} v{course.version:<3} {course.cpd_hours:>5g} h  "
                   f"{course.title}{flags}")


@courses.command("show")
@click.argument("key")
@click.option("--version", type=click.IntRange(1, 2**31 - 1), default=None,
              help="Default: the latest.")
def courses_show(key: str, version: int | None) -> None:
    """Print course KEY (its latest version, or --version N) as JSON."""

    async def work(services: Services) -> Any:
        return await _catalogue(services).get(_operator(), key, version)

    _echo(run_with_services(work))


@training.command("stats")
@click.option("--course", default=None, help="One course's figures (its key).")
@click.option("--from", "from_", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First day of the range, YYYY-MM-DD (sessions starting on it count).")
@click.option("--to", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day of the range, YYYY-MM-DD.")
@click.option("--organisation", "organisation_id", type=click.IntRange(1, 2**31 - 1),
              default=None, help="One organisation's staff only (its id).")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
def training_stats(course: str | None, from_: datetime | None, to: datetime | None,
                   organisation_id: int | None, as_json: bool) -> None:
    """Sessions held, learners by sector, attendance and pass rates and CPD hours delivered,
    by course (counts only, never a name)."""
    from iris_engine.training.statistics import StatisticsQuery, TrainingStatistics

    query = StatisticsQuery(course=course, from_=from_.date() if from_ else None,
                            to=to.date() if to else None, organisation_id=organisation_id)

    async def work(services: Services) -> Any:
        return await TrainingStatistics(services.db).figures(_operator(), query)

    figures = run_with_services(work)
    if as_json:
        _echo(figures)
        return

    def rate(value: float | None) -> str:
        return "-" if value is None else f"{value:.0%}"

    click.echo(f"{'course':40} {'held':>5} {'confirmed':>9} {'attended':>8} {'certified':>9} "
               f"{'attendance':>10} {'pass':>5} {'CPD hours':>9}")
    for row in [*figures.by_course, figures]:
        name = getattr(row, "course_key", "all courses")
        click.echo(f"{name:40} {row.sessions_held:>5} {row.confirmed:>9} {row.attended:>8} "
                   f"{row.certified:>9} {rate(row.attendance_rate):>10} {rate(row.pass_rate):>5} "
                   f"{row.cpd_hours_delivered:>9g}")
    click.echo("learners by sector: " + (", ".join(
        f"{s.sector} {s.learners}" for s in figures.learners_by_sector) or "none"))
