"""Referring a grievance: the ``refer`` event opens a referral case of the authority's
organisation, inside the grievance's own transaction (workflow ``referral``; the authority's
side is ``iris_engine.referrals``)."""

from __future__ import annotations

from iris_engine.cases import CaseEngine, Principal
from iris_engine.disclosure.models import Authority
from iris_engine.grievances.models import Grievance
from iris_engine.outbox import enqueue
from iris_engine.referrals.models import Referral
from iris_engine.store.models import Case
from iris_engine.workflow import TransitionContext

__all__ = ["PACKET_FIELDS", "open_referral"]

PACKET_FIELDS = ["complainant_role", "language", "corridor", "recruiter", "allegations",
                 "principles", "severity", "in_danger", "fees", "documents_retained", "narrative"]


async def open_referral(ctx: TransitionContext, grievance: Grievance, authority: Authority,
                        remit: str, *, include_identity: bool) -> Referral:
    """Open the referral case inside the grievance's transition; a webhook authority is sent a
    notice (no case content: it fetches the packet with its credentials, and that is recorded)."""
    engine: CaseEngine = ctx.services.engine
    fields = PACKET_FIELDS + (["identity"] if include_identity else [])
    referral = Referral(case_id=0, grievance_case_id=grievance.case_id,
                        authority_id=authority.id or 0, remit=remit,
                        identity_disclosed=include_identity, disclosed_fields=fields,
                        created_at=ctx.now)

    def detail(case: Case) -> Referral:
        referral.case_id = case.id or 0
        return referral

    actor = Principal(ctx.actor.user_id or 0, ctx.actor.organisation_id or 0, ctx.actor.roles)
    case = (await engine.open(
        ctx.session, "referral", organisation_id=authority.organisation_id, principal=actor,
        role=ctx.actor.role, detail=detail,
        data={"grievance_case_id": grievance.case_id, "authority_id": authority.id, "remit": remit,
              "identity_disclosed": include_identity, "disclosed_fields": fields})).case
    case.assignee_id = ctx.case.assignee_id  # the grievance's caseworker follows it up
    if authority.channel == "webhook" and authority.webhook_url:
        base = ctx.services.settings.public_url.rstrip("/")
        message = enqueue(
            ctx.session, channel="webhook", destination=authority.webhook_url,
            topic="referral.created", now=ctx.now, authority_id=authority.id, case_id=case.id,
            payload={"referral_id": case.id, "remit": remit, "severity": grievance.severity,
                     "allegations": grievance.allegations,
                     "corridor": {"origin": grievance.origin_country,
                                  "destination": grievance.destination_country},
                     "identity_disclosed": include_identity,
                     "links": {"referral": f"{base}/api/v1/referrals/{case.id}",
                               "transitions": f"{base}/api/v1/referrals/{case.id}/transitions"}})
        await ctx.session.flush()
        referral.delivery_message_id = message.id
    return referral
