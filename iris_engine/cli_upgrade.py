"""``iris workflows upgrade``: move live cases to a later version of their workflow."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import click

from iris_engine.errors import ApplicationError

if TYPE_CHECKING:
    from iris_engine.cases.upgrade import CaseMove, UpgradeReport

__all__ = ["upgrade"]


@click.command("upgrade")
@click.argument("name")
@click.option("--to", "to_version", type=int, required=True, metavar="VERSION",
              help="The version to move the cases to (a later one, in the workflows folder).")
@click.option("--dry-run", is_flag=True, help="Check every case and say what would move and "
              "what would not, and why; write nothing.")
@click.option("--case", "case_ids", type=int, multiple=True, metavar="ID",
              help="Only this case (repeat for several). Default: every live case of NAME on "
              "an older version.")
def upgrade(name: str, to_version: int, dry_run: bool, case_ids: tuple[int, ...]) -> None:
    """Move the live cases of workflow NAME to version VERSION.

    A case runs on the version it started on; keep the old file in a sub-folder of the
    workflows folder and put the new version beside it. Each case moves in a transaction of
    its own, after a check: its state exists in VERSION and is not final there, some event
    leads out of it, its detail loads, and its deadlines can be set. Deadlines VERSION does
    not run in that state are cancelled; those it runs there that are not running start (a
    duration from now, an anchored one from its anchor). The move is an `upgrade` event in
    the case's audit trail (`iris audit verify` checks it); closed cases stay where they are.
    A case refused is left as it was, and the reason is printed.

    Safe to repeat: a case already on VERSION is left alone. Exit 1 when some case could not
    move (on a dry run too: it would not).
    """
    from iris_engine.cases.upgrade import WorkflowUpgrade
    from iris_engine.cli import _services, _settings

    services = _services(_settings())

    async def run() -> UpgradeReport:
        try:
            return await WorkflowUpgrade(services.db, services.engine).run(
                name, to_version, case_ids=case_ids, dry_run=dry_run)
        finally:
            await services.db.dispose()

    try:
        report = asyncio.run(run())
    except ApplicationError as exc:
        raise click.ClickException(exc.detail) from None
    for move in report.moves:
        line = _line(move, report)
        if move.verdict == "refused":
            click.echo(line, err=True)
        else:
            click.echo(line)
    click.echo(_summary(report))
    if not report.complete:
        sys.exit(1)


def _line(move: CaseMove, report: UpgradeReport) -> str:
    target = f"{report.workflow} v{report.to_version}"
    if move.verdict == "refused":
        return f"refused     case {move.case_id}: {move.reason}"
    if move.verdict == "current":
        return f"unchanged   case {move.case_id}: already on {target}"
    verb = "would move " if report.dry_run else "moved      "
    parts = [f"{verb} case {move.case_id} ({move.state}): v{move.from_version} -> "
             f"v{report.to_version}" + (f", event #{move.event_seq}" if move.event_seq else "")]
    if move.cancelled:
        parts.append("cancels " + ", ".join(move.cancelled))
    if move.kept:
        parts.append("keeps " + ", ".join(move.kept))
    if move.started:
        parts.append("starts " + ", ".join(f"{n} (due {due:%Y-%m-%d %H:%M} UTC)"
                                            for n, due in move.started.items()))
    if move.unset:
        parts.append("leaves unset (no anchor moment) " + ", ".join(move.unset))
    return "; ".join(parts)


def _summary(report: UpgradeReport) -> str:
    moved = len(report.of("move"))
    head = (f"dry run, nothing written: {moved} would move" if report.dry_run
            else f"{moved} moved")
    tail = f"; {report.closed} closed left on their version" if report.closed else ""
    return (f"{head} to {report.workflow} v{report.to_version}, {len(report.of('refused'))} "
            f"refused, {len(report.of('current'))} already there{tail}")
