"""The referrals domain's side of ``iris_engine.disclosure.referring``: a source case's
transition opens a referral case of the authority's organisation, in the same transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import SYSTEM, Principal, TransitionContext
from iris_engine.disclosure.models import Authority
from iris_engine.disclosure.referring import ReferralDesk, ReferralSource, ReferralSummary
from iris_engine.outbox import enqueue
from iris_engine.referrals.models import Referral
from iris_engine.settings import Settings
from iris_engine.store.models import Case
from iris_engine.workflow import Resources, TransitionInput

__all__ = ["WORKFLOW", "Referrals", "source_for"]

WORKFLOW = "referral"
#: states of a referral that leave its source unreferred
_NOT_STANDING = frozenset({"declined", "withdrawn"})


def source_for(resources: Resources, workflow: str) -> ReferralSource:
    """The referral source a workflow registered (its domain provides it)."""
    for source in resources.all(ReferralSource):
        if source.workflow == workflow:
            return source
    raise LookupError(f"workflow {workflow!r} registers no referral source")


class Referrals(ReferralDesk):
    async def open(self, ctx: TransitionContext, authority: Authority, remit: str, *,
                   include_identity: bool) -> int:
        """A webhook authority is sent a notice (no case content: it fetches the packet with
        its credentials, and that read is recorded)."""
        source = source_for(ctx.resources, ctx.case.workflow)
        fields = [*source.packet_fields, *(["identity"] if include_identity else [])]
        referral = Referral(case_id=0, source_case_id=ctx.case.id or 0,
                            authority_id=authority.id or 0, remit=remit,
                            identity_disclosed=include_identity, disclosed_fields=fields,
                            created_at=ctx.now)

        def detail(case: Case) -> Referral:
            referral.case_id = case.id or 0
            return referral

        actor = Principal(ctx.actor.user_id or 0, ctx.actor.organisation_id or 0, ctx.actor.roles)
        case = (await ctx.engine.open(
            ctx.session, WORKFLOW, organisation_id=authority.organisation_id, principal=actor,
            role=ctx.actor.role, detail=detail,
            # the source's caseworker follows it up
            assignee_id=ctx.case.assignee_id,
            data={"source_case_id": ctx.case.id, "source_workflow": ctx.case.workflow,
                  "authority_id": authority.id, "remit": remit,
                  "identity_disclosed": include_identity, "disclosed_fields": fields})).case
        if authority.channel == "webhook" and authority.webhook_url:
            base = ctx.resources.get(Settings).public_url.rstrip("/")
            message = enqueue(
                ctx.session, channel="webhook", destination=authority.webhook_url,
                topic="referral.created", now=ctx.now, authority_id=authority.id, case_id=case.id,
                payload={"referral_id": case.id, "remit": remit,
                         **await source.notice(ctx.session, ctx.case.id or 0),
                         "identity_disclosed": include_identity,
                         "links": {"referral": f"{base}/api/v1/referrals/{case.id}",
                                   "transitions": f"{base}/api/v1/referrals/{case.id}/transitions"}})
            await ctx.session.flush()
            referral.delivery_message_id = message.id
        return case.id or 0

    async def of_cases(self, session: AsyncSession, case_ids: Sequence[int]
                       ) -> dict[int, list[ReferralSummary]]:
        found: dict[int, list[ReferralSummary]] = {}
        if not case_ids:
            return found
        rows = (await session.execute(
            select(col(Referral.source_case_id), col(Referral.case_id), col(Case.state))
            .join(Case, col(Case.id) == col(Referral.case_id))
            .where(col(Referral.source_case_id).in_(set(case_ids)))
            .order_by(col(Referral.case_id)))).all()
        for source, case_id, state in rows:
            found.setdefault(source, []).append(
                ReferralSummary(case_id, state, state not in _NOT_STANDING))
        return found

    async def of_case(self, session: AsyncSession, case_id: int) -> list[ReferralSummary]:
        return (await self.of_cases(session, [case_id])).get(case_id, [])

    async def follow_assignee(self, ctx: TransitionContext) -> list[int]:
        moved = []
        machine = ctx.engine.catalog.machine(WORKFLOW)
        for summary in await self.of_case(ctx.session, ctx.case.id or 0):
            case = await ctx.engine.lock(ctx.session, summary.case_id)
            if case is None or case.assignee_id == ctx.case.assignee_id or not machine.can_fire(
                    case.state, "reassign"):
                continue
            await ctx.engine.fire(
                ctx.session, WORKFLOW, summary.case_id, SYSTEM,
                TransitionInput("reassign", case.revision,
                                data={"caseworker_id": ctx.case.assignee_id}),
                cause={ctx.case.workflow: {"case_id": ctx.case.id,
                                           "event_seq": ctx.case.revision + 1}},
                locked=case)
            moved.append(summary.case_id)
        return moved
