"""The joint risk assessment with the origin-country partner (issue item 5).

The form (``schemas/risk_assessment.schema.json``: debt, traffickers in the home community,
family involvement, health, safe accommodation, dependants, the re-trafficking risk, measures,
reasons) is personal data: sealed with its event and, for the guards that follow, in
``return_case.risk_assessment_sealed``. Only the outcome is kept in clear, because the plan's
approval and the booking of travel ask it. An assessment may be recorded again while the case
is in ``risk_assessment`` (the last one counts).
"""

from __future__ import annotations

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.forms import form
from iris_engine.returns.models import ReturnCase
from iris_engine.returns.sealing import sealed_place
from iris_engine.vault import Vault
from iris_engine.workflow import HookRegistry

__all__ = ["ALLOWING", "hooks"]

hooks = HookRegistry()

#: the outcomes under which a return may go ahead
ALLOWING = ("proceed", "proceed_with_measures")


@hooks.guard("risk_assessment_valid", reads_input=True)
async def risk_assessment_valid(ctx: TransitionContext) -> None:
    """The form validates, and the outcome agrees with it: a high risk is never plain
    ``proceed``, ``proceed_with_measures`` names the measures, ``not_advised`` its reasons."""
    assessment = ctx.request.data.get("assessment")
    outcome = ctx.request.data.get("outcome")
    errors = form("risk_assessment").errors(assessment, base_pointer="/data/assessment")
    if errors:
        raise Refusal("the risk assessment form is incomplete or invalid "
                      "(GET /api/v1/returns/risk-assessment-schema)", errors=errors)
    assert isinstance(assessment, dict)  # the schema says so
    if outcome == "proceed" and assessment["retrafficking_risk"] == "high":
        raise Refusal("the form assesses the risk of re-trafficking as high: the return may "
                      "proceed only with measures (proceed_with_measures) or is not advised",
                      errors=[FieldError("/data/outcome", "not 'proceed' when the risk is high")])
    if outcome == "proceed_with_measures" and not assessment.get("measures"):
        raise Refusal("name the measures the return proceeds with",
                      errors=[FieldError("/data/assessment/measures",
                                         "at least one measure for proceed_with_measures")])
    if outcome == "not_advised" and not assessment.get("reasons"):
        raise Refusal("say why the return is not advised",
                      errors=[FieldError("/data/assessment/reasons",
                                         "the reasons are needed for not_advised")])


@hooks.effect("record_risk_assessment")
async def record_risk_assessment(ctx: TransitionContext) -> None:
    case: ReturnCase = ctx.detail
    case.risk_outcome = ctx.request.data["outcome"]
    case.risk_assessment_sealed = ctx.resources.get(Vault).seal(
        ctx.request.data["assessment"], place=sealed_place(case.case_id, "risk_assessment"))
    case.risk_assessed_at = ctx.now


@hooks.guard("risk_allows_return")
async def risk_allows_return(ctx: TransitionContext) -> None:
    """A risk assessment is recorded and its outcome allows the return."""
    outcome = ctx.detail.risk_outcome
    if outcome is None:
        raise Refusal("no risk assessment is recorded: the partner and the return officer "
                      "record one first (record_risk_assessment)")
    if outcome not in ALLOWING:
        raise Refusal(f"the risk assessment's outcome is {outcome}: the return may go ahead "
                      "only when it is proceed or proceed_with_measures")
