"""Sharing a case with an origin-country partner: only one that receives survivors in the
country of return, and only with the survivor's consent (``partner_consented``, in
``returns.consent``). From then on the partner reaches the case through the
``shared_with_partner`` scope (``returns.access``) while that consent stands."""

from __future__ import annotations

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.partners import partners_serving
from iris_engine.workflow import HookRegistry

__all__ = ["hooks"]

hooks = HookRegistry()

_POINTER = "/data/partner_organisation_id"


@hooks.guard("partner_serves_country", reads_input=True)
async def partner_serves_country(ctx: TransitionContext) -> None:
    """The partner is active and receives survivors in the case's country of return; a refusal
    names the partners that do (or says there is none yet), so the officer can choose."""
    country = ctx.detail.return_country
    serving = await partners_serving(ctx.session, country)
    chosen = ctx.request.data.get("partner_organisation_id")
    if any(p.organisation_id == chosen for p in serving):
        return
    if serving:
        names = "; ".join(f"{p.name} (organisation {p.organisation_id})" for p in serving)
        hint = f"partners in {country}: {names}"
    else:
        hint = f"no active partner receives survivors in {country} yet (iris returns partners add)"
    raise Refusal(f"organisation {chosen} is not an active return partner in {country}; {hint}",
                  errors=[FieldError(_POINTER, f"an active partner in {country}")])


@hooks.effect("record_partner")
async def record_partner(ctx: TransitionContext) -> None:
    ctx.detail.partner_organisation_id = ctx.request.data["partner_organisation_id"]
