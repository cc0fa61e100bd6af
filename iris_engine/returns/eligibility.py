"""Eligibility as data: the nationalities returns are arranged to today are the workflow's
``eligible_nationalities`` setting, so a new country is a line in ``workflows/return.yaml``.
The NRM status is not a gate (survivors outside the NRM are eligible too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnCase
from iris_engine.workflow import HookRegistry

__all__ = ["eligible_nationalities", "hooks", "ineligibility"]

hooks = HookRegistry()


def eligible_nationalities(settings: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(settings.get("eligible_nationalities") or ())


def ineligibility(country: str, settings: Mapping[str, Any], *, what: str = "nationals of") -> str | None:
    """Why ``country`` is not eligible today (a sentence a referrer can act on), or None."""
    eligible = eligible_nationalities(settings)
    if country in eligible:
        return None
    listed = ", ".join(eligible) if eligible else "no country"
    return (f"return assistance is arranged today for {what} {listed}; {country} is not among "
            "them (the workflow's eligible_nationalities)")


@hooks.guard("nationality_eligible")
async def nationality_eligible(ctx: TransitionContext) -> None:
    """Checked again at the decision: the list may have changed since the referral."""
    case: ReturnCase = ctx.detail
    errors = []
    for pointer, country, what in (("/nationality", case.nationality, "nationals of"),
                                   ("/return_country", case.return_country, "returns to")):
        problem = ineligibility(country, ctx.workflow_settings, what=what)
        if problem is not None:
            errors.append(FieldError(pointer, problem))
    if errors:
        raise Refusal("; ".join(e.message for e in errors), errors=errors)
