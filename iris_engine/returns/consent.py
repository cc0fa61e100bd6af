"""Informed consent per purpose (DOMAIN.md: voluntary, informed, re-confirmed before travel).

Each consent is a row (``ReturnConsent``) written by the ``record_consent`` transition, with the
consent text's version and language, whether an interpreter was used and who witnessed it
(sealed); its event holds the same in the chain (the witness sealed with it). A
re-confirmation of return assistance is a new row. Withdrawing a consent ends what it covered
at once: the partner's scope asks for a standing ``share_with_partner`` consent
(``returns.access``), a service is booked only under a standing ``share_with_services`` consent
naming its kind (``returns.plan``), and withdrawing from the return (``withdraw``) ends every
consent and cancels the services not yet delivered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import Refusal, TransitionContext
from iris_engine.errors import FieldError
from iris_engine.returns.models import ReturnConsent, ReturnService
from iris_engine.returns.sealing import sealed_place
from iris_engine.vault import Vault
from iris_engine.workflow import HookRegistry
from iris_engine.workflow.spec import duration_setting

__all__ = ["consented_services", "hooks", "live_consents"]

hooks = HookRegistry()

RETURN_ASSISTANCE = "return_assistance"


async def live_consents(session: AsyncSession, case_id: int, purpose: str) -> list[ReturnConsent]:
    """The consents of ``purpose`` that stand (not withdrawn), oldest first."""
    rows = await session.scalars(select(ReturnConsent).where(
        col(ReturnConsent.case_id) == case_id, col(ReturnConsent.purpose) == purpose,
        col(ReturnConsent.withdrawn_at).is_(None)).order_by(col(ReturnConsent.given_at),
                                                             col(ReturnConsent.id)))
    return list(rows.all())


async def consented_services(session: AsyncSession, case_id: int) -> set[str]:
    """The service kinds whose providers the survivor consented to share with, as it stands."""
    return {kind for consent in await live_consents(session, case_id, "share_with_services")
            for kind in consent.services}


def _check_services(data: dict[str, object]) -> None:
    services = data.get("services")
    if data["purpose"] == "share_with_services" and not services:
        raise Refusal("name the services whose providers may receive what they need",
                      errors=[FieldError("/data/services", "at least one service for "
                                                           "share_with_services")])
    if data["purpose"] != "share_with_services" and services:
        raise Refusal("only a consent to share with services names services",
                      errors=[FieldError("/data/services", "only with purpose "
                                                           "share_with_services")])


@hooks.guard("consent_to_return", reads_input=True)
async def consent_to_return(ctx: TransitionContext) -> None:
    """The first consent is to return assistance: nothing else happens before it."""
    if ctx.request.data.get("purpose") != RETURN_ASSISTANCE:
        raise Refusal("the survivor first consents to return assistance; sharing with a partner "
                      "or services is recorded after that",
                      errors=[FieldError("/data/purpose", "return_assistance first")])
    _check_services(ctx.request.data)


@hooks.guard("consent_complete", reads_input=True)
async def consent_complete(ctx: TransitionContext) -> None:
    _check_services(ctx.request.data)


@hooks.effect("record_consent")
async def record_consent(ctx: TransitionContext) -> None:
    data = ctx.request.data
    row = ReturnConsent(case_id=ctx.case.id or 0, purpose=data["purpose"],
                        services=list(data.get("services") or ()),
                        text_version=data["text_version"], language=data["language"],
                        interpreter_used=data["interpreter_used"],
                        recorded_by_user_id=ctx.actor.user_id, given_at=ctx.now)
    ctx.session.add(row)
    await ctx.session.flush()
    if data.get("witness"):
        row.witness_sealed = ctx.resources.get(Vault).seal(
            data["witness"], place=sealed_place(row.case_id, f"witness:{row.id}"))
    ctx.outcome["consent_id"] = row.id


@hooks.guard("consent_stands", reads_input=True)
async def consent_stands(ctx: TransitionContext) -> None:
    """A consent is withdrawn while it stands; services named are ones it covers (a withdrawal
    that would change nothing is refused, not recorded as if it had)."""
    purpose = ctx.request.data.get("purpose")
    standing = await live_consents(ctx.session, ctx.case.id or 0, str(purpose))
    if not standing:
        raise Refusal(f"no consent to {purpose} stands on this case",
                      errors=[FieldError("/data/purpose", "no standing consent of this purpose")])
    named = ctx.request.data.get("services") or ()
    if purpose != "share_with_services" and named:
        raise Refusal("only a consent to share with services names services",
                      errors=[FieldError("/data/services", "only with purpose "
                                                           "share_with_services")])
    covered = {kind for consent in standing for kind in consent.services}
    uncovered = [kind for kind in named if kind not in covered]
    if uncovered:
        raise Refusal(f"no standing consent covers {', '.join(uncovered)}",
                      errors=[FieldError("/data/services", "covered now: "
                                         + (", ".join(sorted(covered)) or "none"))])


@hooks.effect("withdraw_consent")
async def withdraw_consent(ctx: TransitionContext) -> None:
    """End the consent (or, for services, the named services of it) from now on."""
    purpose = ctx.request.data["purpose"]
    only = set(ctx.request.data.get("services") or ())
    ended: list[int] = []
    for consent in await live_consents(ctx.session, ctx.case.id or 0, purpose):
        if only and purpose == "share_with_services":
            kept = [kind for kind in consent.services if kind not in only]
            if kept:
                consent.services = kept
                continue
        consent.withdrawn_at = ctx.now
        ended.append(consent.id or 0)
    ctx.outcome["consents_withdrawn"] = ended


def _reconfirmation_window(ctx: TransitionContext) -> timedelta:
    window = duration_setting(ctx.workflow_settings, "consent_reconfirmation_window")
    assert isinstance(window, timedelta), "consent_reconfirmation_window is days or hours"
    return window


@hooks.guard("consent_reconfirmed")
async def consent_reconfirmed(ctx: TransitionContext) -> None:
    """Consent to return re-confirmed (recorded again after the first) within the window."""
    window = _reconfirmation_window(ctx)
    consents = await live_consents(ctx.session, ctx.case.id or 0, RETURN_ASSISTANCE)
    if len(consents) < 2:
        raise Refusal(f"the survivor's consent to return is re-confirmed before travel: record "
                      f"it again (record_consent, purpose return_assistance) within "
                      f"{_days(window)} before")
    last: datetime = consents[-1].given_at
    if last < ctx.now - window:
        raise Refusal(f"the survivor's consent to return was last confirmed on "
                      f"{last:%d %B %Y}, more than {_days(window)} ago: re-confirm it "
                      "(record_consent, purpose return_assistance)")


@hooks.guard("partner_consented")
async def partner_consented(ctx: TransitionContext) -> None:
    if not await live_consents(ctx.session, ctx.case.id or 0, "share_with_partner"):
        raise Refusal("the survivor has not consented to sharing their case with a partner in "
                      "the country of return (record_consent, purpose share_with_partner)")


@hooks.effect("stop_disclosures")
async def stop_disclosures(ctx: TransitionContext) -> None:
    """Withdrawal from the return: every consent ends, services not delivered are cancelled."""
    case_id = ctx.case.id or 0
    consents = await ctx.session.execute(
        update(ReturnConsent).where(col(ReturnConsent.case_id) == case_id,
                                    col(ReturnConsent.withdrawn_at).is_(None))
        .values(withdrawn_at=ctx.now).execution_options(synchronize_session="fetch"))
    services = await ctx.session.execute(
        update(ReturnService).where(col(ReturnService.case_id) == case_id,
                                    col(ReturnService.status).in_(("planned", "booked")))
        .values(status="cancelled", updated_at=ctx.now)
        .execution_options(synchronize_session="fetch"))
    ctx.outcome["consents_withdrawn"] = consents.rowcount  # type: ignore[attr-defined]
    ctx.outcome["services_cancelled"] = services.rowcount  # type: ignore[attr-defined]


def _days(window: timedelta) -> str:
    days = window.days
    return f"{days} day{'s' if days != 1 else ''}" if days else f"{window.seconds // 3600} hours"
