"""The accreditation workflow's named guards, effects and detail loader."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.accreditation import resemblance
from iris_engine.accreditation.models import Accreditation, NonConformity
from iris_engine.accreditation.references import reference_for
from iris_engine.accreditation.roster import publish
from iris_engine.cases import Refusal, TransitionContext
from iris_engine.documents import CodeLibrary
from iris_engine.roster.service import Roster
from iris_engine.roster.subscriptions import announce, followers_of
from iris_engine.settings import Settings
from iris_engine.store.db import before_commit, scalar_in
from iris_engine.store.models import CaseEvent, Organisation, User
from iris_engine.workflow import HookRegistry

__all__ = ["add_years", "audited_by", "day_after", "hooks", "licences_in", "valid_licences"]

hooks = HookRegistry()
#: where a scheme manager finds a valid ``auditor_id`` (the staff directory)
AUDITORS_LISTED = "GET /api/v1/users?role=auditor lists the auditors, with their current assignments"


def licences_in(document: Any) -> list[dict[str, Any]]:
    """The licences a self-assessment lists under principle A (a draft may hold anything)."""
    try:
        licences = document["principles"]["A"]["licences"]
    except (KeyError, TypeError):
        return []
    return [lic for lic in licences if isinstance(lic, dict)] if isinstance(licences, list) else []


def valid_licences(document: Any, on: date) -> list[dict[str, Any]]:
    """Licences in a self-assessment valid on ``on`` (dates are ISO strings)."""
    day = on.isoformat()
    return [lic for lic in licences_in(document)
            if str(lic.get("valid_from", "0000")) <= day <= str(lic.get("valid_until", ""))]


def day_after(day: date) -> datetime:
    """The first moment (UTC) after ``day``: when something valid until ``day`` ends."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


#: a case's non-conformities not closed, all or of one severity (built once)
_OPEN = select(func.count()).select_from(NonConformity).where(
    col(NonConformity.case_id) == bindparam("of_case"), col(NonConformity.status) != "closed")
_OPEN_OF_SEVERITY = _OPEN.where(col(NonConformity.severity) == bindparam("severity"))
#: whether a user acted on a case as its auditor
_AUDITED = select(exists().where(
    col(CaseEvent.case_id) == bindparam("of_case"), col(CaseEvent.actor_id) == bindparam("user_id"),
    col(CaseEvent.actor_role) == "auditor"))


async def _open_non_conformities(ctx: TransitionContext, severity: str | None = None) -> int:
    if severity:
        found = await scalar_in(ctx.session, _OPEN_OF_SEVERITY, {"of_case": ctx.case.id,
                                                                 "severity": severity})
    else:
        found = await scalar_in(ctx.session, _OPEN, {"of_case": ctx.case.id})
    return int(found or 0)


# -- guards ------------------------------------------------------------------------------
@hooks.guard("documents_valid")
async def documents_valid(ctx: TransitionContext) -> None:
    detail: Accreditation = ctx.detail
    if not detail.self_assessment:
        raise Refusal("no self-assessment has been provided (fire update_self_assessment first)")
    code = ctx.resources.get(CodeLibrary).get(detail.code_of_conduct)
    errors = code.validate(detail.self_assessment, base_pointer="/self_assessment")
    if errors:
        raise Refusal(f"the self-assessment does not meet {code.title} {code.version} "
                      f"({len(errors)} problem{'s' if len(errors) > 1 else ''})", errors)


@hooks.guard("licence_valid_today")
async def licence_valid_today(ctx: TransitionContext) -> None:
    if valid_licences(ctx.detail.self_assessment, ctx.now.date()):
        return
    raise Refusal(f"no operating licence in the self-assessment is valid on {ctx.now.date().isoformat()}")


@hooks.guard("auditor_eligible", reads_input=True)
async def auditor_eligible(ctx: TransitionContext) -> None:
    auditor = await ctx.session.get(User, ctx.request.data.get("auditor_id"))
    # active as the staff directory lists it: not deactivated, address confirmed
    if (auditor is None or not auditor.active or auditor.confirmation_hash is not None
            or "auditor" not in auditor.role_set):
        raise Refusal(f"user {ctx.request.data.get('auditor_id')} is not an active auditor; "
                      f"{AUDITORS_LISTED}")
    if auditor.organisation_id == ctx.case.organisation_id:
        raise Refusal("an auditor cannot audit their own organisation")


@hooks.guard("has_open_non_conformity")
async def has_open_non_conformity(ctx: TransitionContext) -> None:
    if not await _open_non_conformities(ctx):
        raise Refusal("there is no open non-conformity")


@hooks.guard("no_open_non_conformity")
async def no_open_non_conformity(ctx: TransitionContext) -> None:
    n = await _open_non_conformities(ctx)
    if n:
        raise Refusal(f"{n} non-conformit{'ies are' if n > 1 else 'y is'} still open")


@hooks.guard("no_open_major_non_conformity")
async def no_open_major_non_conformity(ctx: TransitionContext) -> None:
    n = await _open_non_conformities(ctx, "major")
    if n:
        raise Refusal(f"{n} major non-conformit{'ies are' if n > 1 else 'y is'} still open")


@hooks.guard("plans_cover_open_non_conformities", reads_input=True)
async def plans_cover_open_non_conformities(ctx: TransitionContext) -> None:
    open_ids = {nc_id or 0 for nc_id in (await ctx.session.scalars(select(col(NonConformity.id)).where(
        col(NonConformity.case_id) == ctx.case.id, col(NonConformity.status) == "open"
    ))).all()}
    given = [p["non_conformity_id"] for p in ctx.request.data.get("plans", [])]
    stray = sorted(set(given) - open_ids)
    missing = sorted(open_ids - set(given))
    problems = []
    if stray:
        problems.append(f"no open non-conformity with id {', '.join(map(str, stray))} on this case")
    if missing:
        problems.append(f"no plan for non-conformit{'ies' if len(missing) > 1 else 'y'} "
                        + ", ".join(map(str, missing)))
    if problems:
        raise Refusal("; ".join(problems))


async def audited_by(ctx: TransitionContext, user_id: int) -> bool:
    """Whether ``user_id`` audited this case (acted on it as auditor) or holds it now."""
    audited = await scalar_in(ctx.session, _AUDITED, {"of_case": ctx.case.id,
                                                      "user_id": user_id})
    return bool(audited) or ctx.case.assignee_id == user_id


@hooks.guard("decision_maker_did_not_audit")
async def decision_maker_did_not_audit(ctx: TransitionContext) -> None:
    if ctx.actor.user_id is None:
        return
    if await audited_by(ctx, ctx.actor.user_id):
        raise Refusal("the decision must be made by someone who did not audit this case")


@hooks.guard("name_resemblance_explained")
async def name_resemblance_explained(ctx: TransitionContext) -> None:
    """A name found to pass for another recruiter's is accepted only with a note saying why.
    It reads the note yet is no input guard on purpose: what may fire lists it as blocking, so
    the scheme manager sees the resemblance before deciding."""
    if (ctx.request.note or "").strip():
        return
    found = await resemblance.for_application(ctx.session, ctx.case, with_registration=False)
    if found:
        details = "; ".join(dict.fromkeys(r.detail for r in found))
        raise Refusal(f"the organisation's name may pass for another recruiter's: {details}. "
                      "Accept only with a note saying why this is not an imitation")


@hooks.guard("validity_ended")
async def validity_ended(ctx: TransitionContext) -> None:
    until = ctx.detail.valid_until
    if until is not None and until < ctx.now.date():
        return
    raise Refusal(f"the certificate is valid until {until}; it has not expired")


# -- effects -----------------------------------------------------------------------------
@hooks.effect("store_self_assessment")
async def store_self_assessment(ctx: TransitionContext) -> None:
    ctx.detail.self_assessment = ctx.request.data["self_assessment"]


@hooks.effect("record_submission")
async def record_submission(ctx: TransitionContext) -> None:
    ctx.detail.submitted_at = ctx.now


@hooks.effect("record_name_resemblances")
async def record_name_resemblances(ctx: TransitionContext) -> None:
    """Look at the organisation's name against the roster as it is now, and keep what is found
    (in the audit event too)."""
    organisation = await ctx.session.get(Organisation, ctx.case.organisation_id)
    assert organisation is not None
    found = await resemblance.record(ctx.session, organisation=organisation, case_id=ctx.case.id,
                                     found_on=ctx.request.event, now=ctx.now)
    if found:
        ctx.outcome["name_resemblances"] = [
            {"kind": r.kind, "detail": r.detail, "lrn": r.resembles_lrn} for r in found]


@hooks.effect("record_non_conformities")
async def record_non_conformities(ctx: TransitionContext) -> None:
    rows = [
        NonConformity(case_id=ctx.case.id or 0, severity=nc["severity"], principle=nc["principle"],
                      criterion=nc["criterion"], description=nc["description"],
                      raised_by=ctx.actor.user_id, raised_at=ctx.now)
        for nc in ctx.request.data.get("non_conformities", [])
    ]
    ctx.session.add_all(rows)
    await ctx.session.flush()
    ctx.outcome["non_conformity_ids"] = [r.id for r in rows]


@hooks.effect("record_corrective_action_plans")
async def record_corrective_action_plans(ctx: TransitionContext) -> None:
    for plan in ctx.request.data["plans"]:
        await ctx.session.execute(
            update(NonConformity)
            .where(col(NonConformity.id) == plan["non_conformity_id"])
            .values(status="plan_submitted", corrective_action=plan["action"],
                    evidence_ref=plan.get("evidence_ref"))
        )


async def _move_non_conformities(ctx: TransitionContext, old: str, new: str) -> None:
    await ctx.session.execute(
        update(NonConformity)
        .where(col(NonConformity.case_id) == ctx.case.id, col(NonConformity.status) == old)
        .values(status=new, closed_at=ctx.now if new == "closed" else None)
    )


@hooks.effect("close_non_conformities")
async def close_non_conformities(ctx: TransitionContext) -> None:
    await _move_non_conformities(ctx, "plan_submitted", "closed")


@hooks.effect("reopen_non_conformities")
async def reopen_non_conformities(ctx: TransitionContext) -> None:
    await _move_non_conformities(ctx, "plan_submitted", "open")


@hooks.effect("assign_lrn")
async def assign_lrn(ctx: TransitionContext) -> None:
    """The organisation's LRN (drawn on its first accreditation, then kept) and a new cycle."""
    detail: Accreditation = ctx.detail
    settings = ctx.workflow_settings
    detail.lrn = await reference_for(ctx.session, ctx.case, settings, ctx.now)
    detail.accredited_on = ctx.now.date()
    detail.valid_until = add_years(ctx.now.date(), int(settings.get("validity_years", 3)))
    ctx.outcome.update(lrn=detail.lrn, valid_until=detail.valid_until.isoformat())


@hooks.effect("sync_roster")
async def sync_roster(ctx: TransitionContext) -> None:
    assert ctx.case.organisation_id is not None
    change = await publish(ctx.session, state=ctx.dest, detail=ctx.detail,
                           organisation_id=ctx.case.organisation_id, now=ctx.now,
                           event_seq=ctx.case.revision + 1)
    if change is not None:  # the event records the change; the change names the event
        ctx.outcome["roster_status"] = change.status
        # the followers are read now; the announcement carries the change's number, which
        # is taken just before COMMIT, so it is queued by a step after the numbering one
        followers = await followers_of(ctx.session, change.lrn)
        if followers:
            settings = ctx.resources.get(Settings)

            async def announce_change(session: AsyncSession) -> None:
                announce(session, change, settings, followers)

            before_commit(ctx.session, announce_change)
    ctx.after_commit(ctx.resources.get(Roster).invalidate)


# -- anchors -----------------------------------------------------------------------------
@hooks.anchor("certificate_end")
async def certificate_end(ctx: TransitionContext) -> datetime | None:
    """The first moment the certificate is no longer valid: the day after ``valid_until``."""
    until = ctx.detail.valid_until if ctx.detail is not None else None
    if until is None:
        return None
    return day_after(until)
