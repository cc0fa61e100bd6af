"""The grievance workflow's named guards, effects, anchor and detail loader."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select, update

from iris_engine.cases import HOOKS, SYSTEM, Refusal
from iris_engine.cases.service import register_detail
from iris_engine.disclosure.models import Authority
from iris_engine.errors import FieldError
from iris_engine.grievances.models import Grievance
from iris_engine.grievances.referring import open_referral
from iris_engine.grievances.retention import purge
from iris_engine.grievances.routing import remits_for
from iris_engine.grievances.schemas import CRIMINAL_ALLEGATIONS
from iris_engine.referrals.models import Referral
from iris_engine.store.models import Case, Timer, User
from iris_engine.workflow import TransitionContext, TransitionInput

__all__: list[str] = []

#: who reviews an appeal at each tier
TIER_REVIEWERS = {2: "supervisor", 3: "scheme_manager"}
_CLOSED_REFERRAL_STATES = ("declined", "withdrawn")


register_detail("grievance", Grievance)


@HOOKS.anchor("retention_end")
async def retention_end(ctx: TransitionContext) -> datetime | None:
    grievance: Grievance = ctx.detail
    if grievance.closed_at is None:
        return None
    return grievance.closed_at + timedelta(days=ctx.services.settings.grievance_retention_days)


async def _live_referrals(ctx: TransitionContext) -> int:
    return int(await ctx.session.scalar(
        select(func.count()).select_from(Referral).join(Case, Case.id == Referral.case_id)  # type: ignore[arg-type]
        .where(Referral.grievance_case_id == ctx.case.id,  # type: ignore[arg-type]
               Case.state.not_in(_CLOSED_REFERRAL_STATES))) or 0)  # type: ignore[attr-defined]


# -- guards ------------------------------------------------------------------------------
@HOOKS.guard("caseworker_eligible", reads_input=True)
async def caseworker_eligible(ctx: TransitionContext) -> str | None:
    user = await ctx.session.get(User, ctx.request.data["caseworker_id"])
    if user is None or not user.active or "caseworker" not in user.role_set:
        return f"user {ctx.request.data.get('caseworker_id')} is not an active caseworker"
    return None


@HOOKS.guard("not_a_criminal_allegation")
async def not_a_criminal_allegation(ctx: TransitionContext) -> str | None:
    if ctx.detail.criminal:
        return ("it alleges a crime (trafficking, forced or child labour): refer it to an "
                "authority instead of signposting it")
    return None


@HOOKS.guard("authority_can_receive", reads_input=True)
async def authority_can_receive(ctx: TransitionContext) -> str | None:
    authority = await ctx.session.get(Authority, ctx.request.data["authority_id"])
    if authority is None or not authority.active:
        raise Refusal("no such active authority", [FieldError("/data/authority_id", "unknown or inactive")])
    remit = ctx.request.data.get("remit")
    if remit is not None and remit not in authority.remits.split():
        raise Refusal(f"{authority.name} has no remit {remit!r}",
                      [FieldError("/data/remit", f"one of: {authority.remits}")])
    grievance: Grievance = ctx.detail
    if not {grievance.origin_country, grievance.destination_country} & set(authority.countries.split()):
        return (f"{authority.name}'s jurisdiction ({authority.countries}) covers neither "
                f"{grievance.origin_country} nor {grievance.destination_country}")
    return None


@HOOKS.guard("identity_consented", reads_input=True)
async def identity_consented(ctx: TransitionContext) -> str | None:
    if ctx.request.data.get("include_identity") and not ctx.detail.consent_refer:
        raise Refusal("the complainant did not consent to their identity going to an authority",
                      [FieldError("/data/include_identity", "not consented: the referral goes "
                              "without it")])
    return None


@HOOKS.guard("findings_name_principles", reads_input=True)
async def findings_name_principles(ctx: TransitionContext) -> str | None:
    if ctx.request.data.get("substantiated") and not ctx.request.data.get("principles"):
        raise Refusal("substantiated findings name the principles breached",
                      [FieldError("/data/principles", "at least one principle")])
    return None


@HOOKS.guard("grievance_substantiated")
async def grievance_substantiated(ctx: TransitionContext) -> str | None:
    return None if ctx.detail.substantiated else "the findings did not substantiate the grievance"


@HOOKS.guard("new_date_in_future", reads_input=True)
async def new_date_in_future(ctx: TransitionContext) -> str | None:
    if date.fromisoformat(ctx.request.data["new_date"]) <= ctx.now.date():
        raise Refusal("the new date must be after today", [FieldError("/data/new_date", "after today")])
    return None


@HOOKS.guard("criminal_allegation_referred")
async def criminal_allegation_referred(ctx: TransitionContext) -> str | None:
    if ctx.detail.criminal and not await _live_referrals(ctx):
        return ("it alleges a crime (trafficking, forced or child labour) and must be referred "
                "to an authority before it closes (anonymously if the complainant did not consent)")
    return None


@HOOKS.guard("appeal_window_open")
async def appeal_window_open(ctx: TransitionContext) -> str | None:
    days = int(ctx.workflow_settings.get("appeal_days", 30))
    closed_at = ctx.detail.closed_at
    if closed_at is not None and ctx.now > closed_at + timedelta(days=days):
        return f"the appeal period ({days} days after closure) has ended"
    return None


@HOOKS.guard("next_tier_exists")
async def next_tier_exists(ctx: TransitionContext) -> str | None:
    if ctx.detail.tier >= int(ctx.workflow_settings.get("max_tier", 3)):
        return "the grievance was already reviewed at the highest tier"
    return None


@HOOKS.guard("reviewer_of_this_tier")
async def reviewer_of_this_tier(ctx: TransitionContext) -> str | None:
    needed = TIER_REVIEWERS.get(ctx.detail.tier, "scheme_manager")
    if needed not in ctx.actor.roles:  # the user's roles: one may hold several
        return f"an appeal at tier {ctx.detail.tier} is decided by a {needed.replace('_', ' ')}"
    return None


@HOOKS.guard("no_legal_hold")
async def no_legal_hold(ctx: TransitionContext) -> str | None:
    return f"under legal hold: {ctx.detail.legal_hold_reason}" if ctx.detail.legal_hold else None


@HOOKS.guard("under_legal_hold")
async def under_legal_hold(ctx: TransitionContext) -> str | None:
    return None if ctx.detail.legal_hold else "there is no legal hold"


# -- effects -----------------------------------------------------------------------------
@HOOKS.effect("take_case")
async def take_case(ctx: TransitionContext) -> None:
    if ctx.case.assignee_id is None and ctx.actor.role == "caseworker":
        ctx.case.assignee_id = ctx.actor.user_id
        ctx.outcome["assignee_id"] = ctx.actor.user_id


@HOOKS.effect("assign_caseworker")
async def assign_caseworker(ctx: TransitionContext) -> None:
    ctx.case.assignee_id = ctx.request.data["caseworker_id"]
    # referrals follow the grievance's caseworker
    await ctx.session.execute(
        update(Case).where(Case.id.in_(select(Referral.case_id).where(  # type: ignore[union-attr]
            Referral.grievance_case_id == ctx.case.id)))  # type: ignore[arg-type]
        .values(assignee_id=ctx.case.assignee_id))


@HOOKS.effect("record_triage")
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


@HOOKS.effect("record_signpost")
async def record_signpost(ctx: TransitionContext) -> None:
    ctx.detail.signposted_to = ctx.request.data["signpost_to"]


@HOOKS.effect("make_referral")
async def make_referral(ctx: TransitionContext) -> None:
    grievance: Grievance = ctx.detail
    authority = await ctx.session.get(Authority, ctx.request.data["authority_id"])
    assert authority is not None
    remit = ctx.request.data.get("remit") or next(
        (r for r in remits_for(grievance.allegations) if r in authority.remits.split()),
        authority.remits.split()[0])
    include_identity = bool(ctx.request.data.get("include_identity", grievance.consent_refer))
    referral = await open_referral(ctx, grievance, authority, remit,
                                   include_identity=include_identity and grievance.consent_refer)
    ctx.outcome.setdefault("referral_case_ids", []).append(referral.case_id)
    ctx.outcome["identity_disclosed"] = referral.identity_disclosed


@HOOKS.effect("record_findings")
async def record_findings(ctx: TransitionContext) -> None:
    grievance: Grievance = ctx.detail
    grievance.substantiated = bool(ctx.request.data["substantiated"])
    grievance.finding_principles = sorted(ctx.request.data.get("principles", []))
    grievance.findings_summary = ctx.request.note
    if grievance.substantiated and grievance.recruiter_case_id is not None:
        await _tell_accreditation(ctx, grievance)


async def _tell_accreditation(ctx: TransitionContext, grievance: Grievance) -> None:
    """A substantiated breach enters the recruiter's accreditation case: a review opens (or is
    recorded on the case under way). The roster does not move: only a decision there does."""
    engine = ctx.services.engine
    case = await engine.lock(ctx.session, grievance.recruiter_case_id)
    if case is None or not engine.catalog.machine(case.workflow, case.workflow_version).can_fire(
            case.state, "substantiated_complaint"):
        state = case.state if case is not None else "missing"
        ctx.outcome["accreditation"] = {"case_id": grievance.recruiter_case_id,
                                        "not_opened": f"the accreditation case is {state}"}
        return
    outcome = await engine.fire(
        ctx.session, "accreditation", case.id, SYSTEM,
        TransitionInput("substantiated_complaint", case.revision, data={
            "grievance_case_id": ctx.case.id, "principles": grievance.finding_principles}),
        cause={"grievance": {"case_id": ctx.case.id, "event_seq": ctx.case.revision + 1}},
        locked=case)
    ctx.outcome["accreditation"] = {"case_id": case.id, "event_seq": outcome.event.seq,
                                    "state": outcome.case.state}


@HOOKS.effect("record_remedies")
async def record_remedies(ctx: TransitionContext) -> None:
    ctx.detail.remedies = list(ctx.request.data["remedies"])


@HOOKS.effect("postpone_deadlines")
async def postpone_deadlines(ctx: TransitionContext) -> None:
    """An interim response moves the case's pending deadlines to the end of the new date."""
    new_due = datetime.combine(date.fromisoformat(ctx.request.data["new_date"]), time.max, UTC)
    pending = Timer.case_id == ctx.case.id, Timer.status == "pending"
    moved = await ctx.session.execute(
        update(Timer).where(*pending, Timer.kind == "deadline")  # type: ignore[arg-type]
        .values(due_at=new_due, deadline_at=new_due))
    await ctx.session.execute(
        update(Timer).where(*pending, Timer.kind == "reminder")  # type: ignore[arg-type]
        .values(status="cancelled", finished_at=ctx.now,
                outcome="the deadline moved with an interim response"))
    ctx.outcome["deadlines_moved_to"] = new_due.isoformat()
    ctx.outcome["deadlines_moved"] = moved.rowcount  # type: ignore[attr-defined]


@HOOKS.effect("count_escalation")
async def count_escalation(ctx: TransitionContext) -> None:
    ctx.detail.escalations += 1


@HOOKS.effect("record_closure")
async def record_closure(ctx: TransitionContext) -> None:
    ctx.detail.closed_at = ctx.now


@HOOKS.effect("next_tier")
async def next_tier(ctx: TransitionContext) -> None:
    ctx.detail.tier += 1
    ctx.detail.closed_at = None
    ctx.outcome["tier"] = ctx.detail.tier


@HOOKS.effect("purge_personal_data")
async def purge_personal_data(ctx: TransitionContext) -> None:
    ctx.outcome["purged"] = await purge(ctx.session, ctx.detail, ctx.now)


@HOOKS.effect("place_legal_hold")
async def place_legal_hold(ctx: TransitionContext) -> None:
    ctx.detail.legal_hold = True
    ctx.detail.legal_hold_reason = ctx.request.note


@HOOKS.effect("release_legal_hold")
async def release_legal_hold(ctx: TransitionContext) -> None:
    """Lift the hold; if the retention period ended meanwhile, the data goes now."""
    grievance: Grievance = ctx.detail
    grievance.legal_hold = False
    grievance.legal_hold_reason = None
    end = await retention_end(ctx)
    if ctx.case.state == "closed" and end is not None and end <= ctx.now and grievance.purged_at is None:
        ctx.outcome["purged"] = await purge(ctx.session, grievance, ctx.now)
