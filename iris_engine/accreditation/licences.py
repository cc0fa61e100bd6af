"""Operating licences watched, and the scheme manager's requests for information.

Licences are checked against the code of conduct's own schema for principle A (the
self-assessment with the new licences in place, errors kept where they point into the
licences), so the rules live in one file. The ``licence_end`` anchor is the first moment no
licence covers: the timer that watches it is re-armed whenever the licences change
(``restart_on: [update_licences]``).
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from iris_engine.accreditation.hooks import day_after, hooks, licences_in, valid_licences
from iris_engine.accreditation.models import Accreditation
from iris_engine.cases import Refusal, TransitionContext
from iris_engine.documents import CodeLibrary
from iris_engine.errors import FieldError
from iris_engine.workflow.spec import duration_setting

__all__ = ["covered_until", "with_licences"]

_LICENCES = "/principles/A/licences"


def with_licences(document: Any, licences: list[Any]) -> dict[str, Any]:
    """A copy of the self-assessment holding ``licences`` under principle A."""
    doc = copy.deepcopy(document) if isinstance(document, dict) else {}
    principles = doc.setdefault("principles", {})
    a = principles.setdefault("A", {}) if isinstance(principles, dict) else {}
    a["licences"] = licences
    return doc


def covered_until(document: Any, on: date) -> date | None:
    """The last day some licence covers without a gap from ``on``; None when none covers it."""
    licences = valid_licences(document, on)
    if not licences:
        return None
    everything = _periods(document)
    end = max(date.fromisoformat(str(lic["valid_until"])) for lic in licences)
    moved = True
    while moved:  # a licence that starts by the day after the cover ends extends it
        moved = False
        for start, until in everything:
            # ``until > end`` first: at date.max there is no day after to compute
            if until > end and start <= end + timedelta(days=1):
                end, moved = until, True
    return end


def _periods(document: Any) -> list[tuple[date, date]]:
    """(valid_from, valid_until) of every well-formed licence, whenever it is valid."""
    out = []
    for lic in licences_in(document):
        try:
            out.append((date.fromisoformat(str(lic.get("valid_from", "0001-01-01"))),
                        date.fromisoformat(str(lic["valid_until"]))))
        except (KeyError, ValueError):
            continue
    return out


@hooks.guard("licences_meet_code", reads_input=True)
async def licences_meet_code(ctx: TransitionContext) -> None:
    detail: Accreditation = ctx.detail
    code = ctx.resources.get(CodeLibrary).get(detail.code_of_conduct)
    licences = ctx.request.data.get("licences", [])
    errors = [FieldError("/data/licences" + e.pointer[len(_LICENCES):], e.message, e.principle)
              for e in code.validate(with_licences(detail.self_assessment, licences))
              if e.pointer == _LICENCES or e.pointer.startswith(_LICENCES + "/")]
    if errors:
        raise Refusal(f"the licences do not meet {code.title} {code.version} "
                      f"({len(errors)} problem{'s' if len(errors) > 1 else ''})", errors)


@hooks.guard("licence_sent_valid_today", reads_input=True)
async def licence_sent_valid_today(ctx: TransitionContext) -> None:
    doc = with_licences(None, ctx.request.data.get("licences", []))
    if not valid_licences(doc, ctx.now.date()):
        raise Refusal(f"none of the licences sent is valid on {ctx.now.date().isoformat()}",
                      [FieldError("/data/licences", "send at least one licence valid today")])


@hooks.guard("no_licence_valid_today")
async def no_licence_valid_today(ctx: TransitionContext) -> None:
    if valid_licences(ctx.detail.self_assessment, ctx.now.date()):
        raise Refusal("a licence is valid today; there is nothing to review")


@hooks.guard("respond_by_within_limit", reads_input=True)
async def respond_by_within_limit(ctx: TransitionContext) -> None:
    respond_by = date.fromisoformat(ctx.request.data["respond_by"])
    today = ctx.now.date()
    latest = (datetime.combine(today, time(0), tzinfo=UTC)
              + duration_setting(ctx.workflow_settings, "information_request_max")
              ).date()
    if not today < respond_by <= latest:
        raise Refusal(f"respond_by must fall after today and by {latest.isoformat()}",
                      [FieldError("/data/respond_by", f"a date after {today.isoformat()} and "
                                  f"by {latest.isoformat()}")])


@hooks.effect("store_licences")
async def store_licences(ctx: TransitionContext) -> None:
    detail: Accreditation = ctx.detail
    detail.self_assessment = with_licences(detail.self_assessment, ctx.request.data["licences"])
    until = covered_until(detail.self_assessment, ctx.now.date())
    ctx.outcome["licences_cover_until"] = until.isoformat() if until is not None else None


@hooks.effect("record_information_request")
async def record_information_request(ctx: TransitionContext) -> None:
    ctx.detail.information_due = date.fromisoformat(ctx.request.data["respond_by"])


@hooks.effect("record_information_answered")
async def record_information_answered(ctx: TransitionContext) -> None:
    ctx.detail.information_due = None


@hooks.anchor("licence_end")
async def licence_end(ctx: TransitionContext) -> datetime | None:
    """The first moment no licence is valid: now, when none is today; none to watch for when
    the cover runs to the last day a date can hold (9999-12-31)."""
    if ctx.detail is None:
        return None
    until = covered_until(ctx.detail.self_assessment, ctx.now.date())
    if until is None:
        return ctx.now
    return None if until >= date.max else day_after(until)


@hooks.anchor("information_due")
async def information_due(ctx: TransitionContext) -> datetime | None:
    """The request lapses the day after ``respond_by``."""
    due = ctx.detail.information_due if ctx.detail is not None else None
    return day_after(due) if due is not None else None
