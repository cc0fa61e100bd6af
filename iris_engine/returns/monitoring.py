"""Monitoring reports at 3, 6 and 12 months after arrival (issue item 7).

Each report is a form (``schemas/monitoring_report.schema.json``: housing, income, health,
wellbeing, re-trafficking concerns, services received, next steps) filed by the partner or
the return officer, once per due (``first``, ``second``, ``third``). The form is sealed; its
classification (housing, income, wellbeing, a re-trafficking concern) is kept in clear for
statistics without identities. Filing a report cancels that due's timer, so only a report
not filed escalates.

A report's window opens when the one before it falls due: the first after arrival, the
second at ``monitoring_first`` after arrival, the third at ``monitoring_second``. A report
filed earlier would describe the wrong stage of the reintegration (a "6-month" report written
in the second month), and would silence that deadline's escalation before anyone could know
how the survivor is doing then. A late report is always accepted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.forms import form
from iris_engine.returns.models import MonitoringReport, ReturnCase
from iris_engine.returns.sealing import sealed_place
from iris_engine.vault import Vault
from iris_engine.workflow import HookRegistry
from iris_engine.workflow.spec import duration_setting

__all__ = ["DUES", "hooks", "window_opens"]

hooks = HookRegistry()

#: each due, in order, with the setting its deadline counts by from the arrival (and the
#: timer of the same name)
DUES = {"first": "monitoring_first", "second": "monitoring_second", "third": "monitoring_third"}


def window_opens(ctx: TransitionContext, due: str) -> datetime | None:
    """When the report ``due`` may be filed from: the previous due date (the first: arrival)."""
    arrived_at: datetime | None = ctx.detail.arrived_at
    if arrived_at is None:
        return None
    arrived_at = arrived_at if arrived_at.tzinfo else arrived_at.replace(tzinfo=UTC)
    order = list(DUES)
    index = order.index(due)
    if index == 0:
        return arrived_at
    opens: datetime = arrived_at + duration_setting(ctx.workflow_settings, DUES[order[index - 1]])
    return opens


async def _filed(ctx: TransitionContext) -> set[str]:
    rows = await ctx.session.scalars(select(col(MonitoringReport.due)).where(
        col(MonitoringReport.case_id) == ctx.case.id))
    return set(rows.all())


@hooks.guard("monitoring_report_valid", reads_input=True)
async def monitoring_report_valid(ctx: TransitionContext) -> None:
    """The form validates, this due has no report yet, and its window is open."""
    due = str(ctx.request.data.get("due"))
    report = ctx.request.data.get("report")
    errors = form("monitoring_report").errors(report, base_pointer="/data/report")
    if errors:
        raise Refusal("the monitoring report form is incomplete or invalid "
                      "(GET /api/v1/returns/monitoring-report-schema)", errors=errors)
    assert isinstance(report, dict)  # the schema says so
    if date.fromisoformat(report["contact_on"]) > ctx.now.date():
        raise Refusal("the report is of a contact that has happened",
                      errors=[FieldError("/data/report/contact_on", "not in the future")])
    if due in await _filed(ctx):
        raise Refusal(f"the {due} monitoring report was filed already",
                      errors=[FieldError("/data/due", "filed already")])
    opens = window_opens(ctx, due)
    if opens is not None and ctx.now < opens:
        raise Refusal(f"the {due} monitoring report may be filed from {opens:%d %B %Y}, when "
                      "the report before it falls due",
                      errors=[FieldError("/data/due", f"not before {opens:%Y-%m-%d}")])


@hooks.effect("record_monitoring_report")
async def record_monitoring_report(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    due = ctx.request.data["due"]
    report = ctx.request.data["report"]
    row = MonitoringReport(
        case_id=case.case_id, due=due, filed_at=ctx.now, filed_by_role=ctx.actor.role,
        housing=report["housing"]["situation"], income=report["income"]["source"],
        wellbeing=report["wellbeing"]["status"],
        retrafficking_concern=bool(report["retrafficking_concerns"]["concern"]))
    ctx.session.add(row)
    await ctx.session.flush()
    row.report_sealed = ctx.resources.get(Vault).seal(
        report, place=sealed_place(case.case_id, f"monitoring_report:{row.id}"))
    await ctx.timer_book.cancel(ctx, [DUES[due]], reason=f"the {due} monitoring report was filed")
    ctx.outcome["monitoring_report_id"] = row.id


@hooks.guard("monitoring_complete", reads_input=True)
async def monitoring_complete(ctx: TransitionContext) -> None:
    """Closing as ``completed`` needs the three reports; other reasons need none."""
    if ctx.request.reason_code != "completed":
        return
    missing = [due for due in DUES if due not in await _filed(ctx)]
    if missing:
        raise Refusal(f"reintegration is completed once the three monitoring reports are "
                      f"filed; missing: {', '.join(missing)} (or close with another reason)",
                      errors=[FieldError("/reason_code", "the monitoring reports are not all "
                                                         "filed")])
