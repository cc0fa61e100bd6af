"""The grievance workflow's named guards, effects, anchor and detail loader."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from iris_engine.cases import SYSTEM, Refusal, TransitionContext
from iris_engine.disclosure.models import Authority
from iris_engine.disclosure.referring import ReferralDesk
from iris_engine.errors import FieldError
from iris_engine.grievances.models import Grievance
from iris_engine.grievances.retention import purge
from iris_engine.grievances.routing import remits_for
from iris_engine.grievances.schemas import CRIMINAL_ALLEGATIONS
from iris_engine.roster.models import RosterEntry
from iris_engine.settings import Settings
from iris_engine.store.models import User
from iris_engine.workflow import HookRegistry, TransitionInput

__all__ = ["hooks"]

hooks = HookRegistry()

#: who reviews an appeal at each tier
TIER_REVIEWERS = {2: "supervisor", 3: "scheme_manager"}


def _max_tier(settings: Mapping[str, Any]) -> int:
    return int(settings.get("max_tier", 3))


@hooks.scope("last_tier", table=Grievance)
def last_tier(settings: Mapping[str, Any], _caller: Any) -> Any:
    """Grievances appealed to the last tier (``settings.max_tier``): the scheme manager's."""
    return col(Grievance.tier) >= _max_tier(settings)


@hooks.anchor("retention_end")
async def retention_end(ctx: TransitionContext) -> datetime | None:
    grievance: Grievance = ctx.detail
    if grievance.closed_at is None:
        return None
    return grievance.closed_at + timedelta(days=ctx.resources.get(Settings).grievance_retention_days)


async def _standing_referrals(ctx: TransitionContext) -> int:
    made = await ctx.resources.get(ReferralDesk).of_case(ctx.session, ctx.case.id or 0)
    return sum(1 for referral in made if referral.standing)


# -- guards ------------------------------------------------------------------------------
@hooks.guard("caseworker_eligible", reads_input=True)
async def caseworker_eligible(ctx: TransitionContext) -> None:
    user = await ctx.session.get(User, ctx.request.data["caseworker_id"])
    if user is None or not user.active or "caseworker" not in user.role_set:
        raise Refusal(f"user {ctx.request.data.get('caseworker_id')} is not an active caseworker")


@hooks.guard("not_a_criminal_allegation")
async def not_a_criminal_allegation(ctx: TransitionContext) -> None:
    if ctx.detail.criminal:
        raise Refusal("it alleges a crime (trafficking, forced or child labour): refer it to an "
                "authority instead of signposting it")


@hooks.guard("authority_can_receive", reads_input=True)
async def authority_can_receive(ctx: TransitionContext) -> None:
    authority = await ctx.session.get(Authority, ctx.request.data["authority_id"])
    if authority is None or not authority.active:
        raise Refusal("no such active authority", [FieldError("/data/authority_id", "unknown or inactive")])
    remit = ctx.request.data.get("remit")
    if remit is not None and remit not in authority.remits.split():
        raise Refusal(f"{authority.name} has no remit {remit!r}",
                      [FieldError("/data/remit", f"one of: {authority.remits}")])
    grievance: Grievance = ctx.detail
    if not {grievance.origin_country, grievance.destination_country} & set(authority.countries.split()):
        raise Refusal(f"{authority.name}'s jurisdiction ({authority.countries}) covers neither "
                f"{grievance.origin_country} nor {grievance.destination_country}")


@hooks.guard("identity_consented", reads_input=True)
async def identity_consented(ctx: TransitionContext) -> None:
    if ctx.request.data.get("include_identity") and not ctx.detail.consent_refer:
        raise Refusal("the complainant did not consent to their identity going to an authority",
                      [FieldError("/data/include_identity", "not consented: the referral goes "
                              "without it")])


@hooks.guard("findings_name_principles", reads_input=True)
async def findings_name_principles(ctx: TransitionContext) -> None:
    if ctx.request.data.get("substantiated") and not ctx.request.data.get("principles"):
        raise Refusal("substantiated findings name the principles breached",
                      [FieldError("/data/principles", "at least one principle")])


@hooks.guard("grievance_substantiated")
async def grievance_substantiated(ctx: TransitionContext) -> None:
    if not ctx.detail.substantiated:
        raise Refusal("the findings did not substantiate the grievance")


@hooks.guard("new_date_in_future", reads_input=True)
async def new_date_in_future(ctx: TransitionContext) -> None:
    if date.fromisoformat(ctx.request.data["new_date"]) <= ctx.now.date():
        raise Refusal("the new date must be after today", [FieldError("/data/new_date", "after today")])


@hooks.guard("criminal_allegation_referred")
async def criminal_allegation_referred(ctx: TransitionContext) -> None:
    if ctx.detail.criminal and not await _standing_referrals(ctx):
        raise Refusal("it alleges a crime (trafficking, forced or child labour) and must be referred "
                "to an authority before it closes (anonymously if the complainant did not consent)")


@hooks.guard("appeal_window_open")
async def appeal_window_open(ctx: TransitionContext) -> None:
    days = int(ctx.workflow_settings.get("appeal_days", 30))
    closed_at = ctx.detail.closed_at
    if closed_at is not None and ctx.now > closed_at + timedelta(days=days):
        raise Refusal(f"the appeal period ({days} days after closure) has ended")


@hooks.guard("next_tier_exists")
async def next_tier_exists(ctx: TransitionContext) -> None:
    if ctx.detail.tier >= _max_tier(ctx.workflow_settings):
        raise Refusal("the grievance was already reviewed at the highest tier")


@hooks.guard("reviewer_of_this_tier")
async def reviewer_of_this_tier(ctx: TransitionContext) -> None:
    needed = TIER_REVIEWERS.get(ctx.detail.tier, "scheme_manager")
    if needed not in ctx.actor.roles:  # the user's roles: one may hold several
        raise Refusal(f"an appeal at tier {ctx.detail.tier} is decided by a {needed.replace('_', ' ')}")


@hooks.guard("personal_data_kept")
async def personal_data_kept(ctx: TransitionContext) -> None:
    """Once the complainant's data is erased, nothing new is collected from them."""
    purged_at = ctx.detail.purged_at
    if purged_at is not None:
        raise Refusal(f"the complainant's personal data was erased on {purged_at:%d %B %Y}, at "
                      "the end of its retention period: the grievance takes nothing more from "
                      "the complainant")


# -- effects -----------------------------------------------------------------------------
@hooks.effect("referrals_follow_assignee")
async def referrals_follow_assignee(ctx: TransitionContext) -> None:
    """The grievance's live referrals go with it to its new caseworker (audited on each)."""
    moved = await ctx.resources.get(ReferralDesk).follow_assignee(ctx)
    if moved:
        ctx.outcome["referrals_reassigned"] = moved


@hooks.effect("record_triage")
async def record_triage(ctx: TransitionContext) -> None:
    grievance: Grievance = ctx.detail
    data = ctx.request.data
    grievance.severity = data["severity"]
    if "allegations" in data:
        grievance.allegations = list(data["allegations"])
        grievance.criminal = grievance.criminal or bool(
            CRIMINAL_ALLEGATIONS & set(data["allegations"]))
    if "principles" in data:
        grievance.principles = sorted(data["principles"])


@hooks.effect("record_signpost")
async def record_signpost(ctx: TransitionContext) -> None:
    ctx.detail.signposted_to = ctx.request.data["signpost_to"]


@hooks.effect("make_referral")
async def make_referral(ctx: TransitionContext) -> None:
    grievance: Grievance = ctx.detail
    authority = await ctx.session.get(Authority, ctx.request.data["authority_id"])
    assert authority is not None
    remit = ctx.request.data.get("remit") or next(
        (r for r in remits_for(grievance.allegations) if r in authority.remits.split()),
        authority.remits.split()[0])
    include_identity = bool(ctx.request.data.get("include_identity", grievance.consent_refer))
    include_identity = include_identity and grievance.consent_refer
    referral_id = await ctx.resources.get(ReferralDesk).open(ctx, authority, remit,
                                                            include_identity=include_identity)
    ctx.outcome.setdefault("referral_case_ids", []).append(referral_id)
    ctx.outcome["identity_disclosed"] = include_identity


@hooks.effect("record_findings")
async def record_findings(ctx: TransitionContext) -> None:
    grievance: Grievance = ctx.detail
    grievance.substantiated = bool(ctx.request.data["substantiated"])
    grievance.finding_principles = sorted(ctx.request.data.get("principles", []))
    grievance.findings_summary = ctx.request.note
    if grievance.substantiated and grievance.recruiter_case_id is not None:
        await _tell_accreditation(ctx, grievance)


async def _recruiter_case_now(ctx: TransitionContext, grievance: Grievance) -> int:
    """The recruiter's accreditation case as the roster shows it now: the entry of its one LRN
    follows the organisation's current case (a renewal, or a new application after a
    withdrawal), so a finding reaches the live case, not the one the grievance was filed on."""
    assert grievance.recruiter_case_id is not None, "called only for a grievance against a recruiter"
    if grievance.recruiter_lrn:
        current = await ctx.session.scalar(select(col(RosterEntry.case_id)).where(
            col(RosterEntry.lrn) == grievance.recruiter_lrn))
        if current is not None:
            return int(current)
    return grievance.recruiter_case_id


async def _tell_accreditation(ctx: TransitionContext, grievance: Grievance) -> None:
    """A substantiated breach enters the recruiter's accreditation case: a review opens (or is
    recorded on the case under way). The roster does not move: only a decision there does."""
    engine = ctx.engine
    case_id = await _recruiter_case_now(ctx, grievance)
    case = await engine.lock(ctx.session, case_id)
    if case is None or not engine.catalog.machine(case.workflow, case.workflow_version).can_fire(
            case.state, "substantiated_complaint"):
        state = case.state if case is not None else "missing"
        ctx.outcome["accreditation"] = {"case_id": case_id,
                                        "not_opened": f"the accreditation case is {state}"}
        return
    outcome = await engine.fire(
        ctx.session, "accreditation", case_id, SYSTEM,
        TransitionInput("substantiated_complaint", case.revision, data={
            "grievance_case_id": ctx.case.id, "principles": grievance.finding_principles}),
        cause={"grievance": {"case_id": ctx.case.id, "event_seq": ctx.case.revision + 1}},
        locked=case)
    ctx.outcome["accreditation"] = {"case_id": case.id, "event_seq": outcome.event.seq,
                                    "state": outcome.case.state}


@hooks.effect("record_remedies")
async def record_remedies(ctx: TransitionContext) -> None:
    ctx.detail.remedies = list(ctx.request.data["remedies"])


@hooks.effect("postpone_deadlines")
async def postpone_deadlines(ctx: TransitionContext) -> None:
    """An interim response moves the case's pending deadlines to the end of the new date."""
    new_due = datetime.combine(date.fromisoformat(ctx.request.data["new_date"]), time.max, UTC)
    moved = await ctx.timer_book.postpone(ctx, new_due,
                                          reason="the deadline moved with an interim response")
    ctx.outcome["deadlines_moved_to"] = new_due.isoformat()
    ctx.outcome["deadlines_moved"] = moved


@hooks.effect("count_escalation")
async def count_escalation(ctx: TransitionContext) -> None:
    ctx.detail.escalations += 1


@hooks.effect("record_closure")
async def record_closure(ctx: TransitionContext) -> None:
    ctx.detail.closed_at = ctx.now


@hooks.effect("next_tier")
async def next_tier(ctx: TransitionContext) -> None:
    ctx.detail.tier += 1
    ctx.detail.closed_at = None
    ctx.outcome["tier"] = ctx.detail.tier


@hooks.effect("purge_personal_data")
async def purge_personal_data(ctx: TransitionContext) -> None:
    ctx.outcome["purged"] = await purge(ctx)


@hooks.effect("release_legal_hold")
async def release_legal_hold(ctx: TransitionContext) -> None:
    """Lift the hold; if the retention period ended meanwhile, the data goes now."""
    grievance: Grievance = ctx.detail
    grievance.legal_hold = False
    grievance.legal_hold_reason = None
    end = await retention_end(ctx)
    if ctx.case.state == "closed" and end is not None and end <= ctx.now and grievance.purged_at is None:
        ctx.outcome["purged"] = await purge(ctx)
