"""Eligibility as data: the nationalities returns are arranged to today are the workflow's
``eligible_nationalities`` setting, so a new country is a line in ``workflows/return.yaml``.
The NRM status is not a gate (survivors outside the NRM are eligible too).

One check serves the three places that ask: a referral (``returns.intake``), a referral from
another case (``returns.referral_in``) and the return officer's decision (``confirm_eligibility``,
which asks again because the list may have changed since the referral)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnCase
from iris_engine.workflow import HookRegistry

__all__ = ["eligibility_errors", "eligible_nationalities", "hooks", "ineligibility"]

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


def eligibility_errors(settings: Mapping[str, Any], nationality: str, return_country: str, *,
                       at: str = "") -> list[FieldError]:
    """A field error for the nationality and for the country of return, each when not eligible
    today; ``at`` prefixes the pointers (``/data`` when they came in a transition's data)."""
    checks = (("nationality", nationality, "nationals of"),
              ("return_country", return_country, "returns to"))
    return [FieldError(f"{at}/{name}", problem) for name, country, what in checks
            if (problem := ineligibility(country, settings, what=what)) is not None]


@hooks.guard("nationality_eligible")
async def nationality_eligible(ctx: TransitionContext) -> None:
    """Checked again at the decision: the list may have changed since the referral."""
    case: ReturnCase = ctx.detail
    errors = eligibility_errors(ctx.workflow_settings, case.nationality, case.return_country)
    if errors:
        raise Refusal("; ".join(e.message for e in errors), errors=errors)
