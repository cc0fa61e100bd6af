"""Grievances: anonymous filing, following with an access code, messages, and staff handling.

The complainant holds a reference and an access code; the code is checked against its hash and
wrong codes are counted (per reference and per client) so references cannot be probed. What
identifies the complainant is sealed by the vault and opened only for the assigned caseworker;
what they wrote (the narrative, their notes, their messages) is opened for the staff who reach
the grievance. Every such read is recorded, in the reader's transaction, before it is opened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases import CaseEngine, Principal, TransitionOutcome, views
from iris_engine.cases.schemas import CaseEventView, TransitionRequest
from iris_engine.cases.service import CaseService
from iris_engine.disclosure.reads import record_read
from iris_engine.disclosure.referring import ReferralDesk
from iris_engine.disclosure.return_referrals import ReturnReferralDesk
from iris_engine.disclosure.schemas import IdentityView
from iris_engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from iris_engine.grievances.codes import (
    access_code_hash,
    canonical_reference,
    codes_match,
    new_access_code,
    new_reference,
)
from iris_engine.grievances.disclosure import consents_of, read_identity
from iris_engine.grievances.models import Grievance, GrievanceMessage
from iris_engine.grievances.routing import RoutingProposal, propose
from iris_engine.grievances.schemas import (
    CRIMINAL_ALLEGATIONS,
    ComplainantView,
    Filed,
    GrievanceFiling,
    GrievanceUpdate,
    MessageView,
    NarrativeView,
    PrincipleCount,
    RecruiterGrievanceStats,
    StaffGrievanceView,
)
from iris_engine.grievances.sealing import sealed_place
from iris_engine.names import checked_name
from iris_engine.roster.models import RosterEntry
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.store.models import Case, CaseEvent, Timer
from iris_engine.store.rows import new_row
from iris_engine.throttle import FailureCounter, Limit, throttle_key
from iris_engine.timers.store import LIVE
from iris_engine.vault import Vault
from iris_engine.workflow import Resources

__all__ = ["WORKFLOW", "GrievanceService", "propose_severity"]

WORKFLOW = "grievance"
_NO_SUCH_CODE = access_code_hash("no grievance has this code")
#: roles that see how many grievances name a recruiter
STATS_ROLES = frozenset({"caseworker", "supervisor", "scheme_manager", "admin"})
#: roles that read a complainant's account, on the grievances their access reaches (a
#: caseworker its queue, supervisors all, the scheme manager those at the last tier)
NARRATIVE_READERS = frozenset({"caseworker", "supervisor", "scheme_manager"})
#: roles that handle a grievance day to day: messages with the complainant, routing
HANDLERS = frozenset({"caseworker", "supervisor"})
#: a name in a filing: as long as the column the recruiter's is kept in (ShortText agrees)
_NAME_MAX = Grievance.__table__.c.recruiter_name.type.length  # type: ignore[attr-defined]
_MEDIUM = frozenset({"recruitment_fees", "document_retention", "contract_substitution",
                     "wage_theft", "deception", "unlicensed_recruitment"})


def propose_severity(filing: GrievanceFiling) -> str:
    """Safety first: danger or an alleged crime is high; money or documents medium."""
    alleged = set(filing.allegations)
    if filing.in_danger or alleged & CRIMINAL_ALLEGATIONS or "threats_or_violence" in alleged:
        return "high"
    if filing.documents_retained or filing.fees_paid is not None or alleged & _MEDIUM:
        return "medium"
    return "low"


def _complainant(case_id: int) -> Principal:
    return Principal(user_id=0, organisation_id=0, roles=frozenset({"complainant"}), case_id=case_id)


class GrievanceService(CaseService):
    workflow = WORKFLOW
    detail_model = Grievance
    no_access = "your role does not give access to grievances"
    search_columns = ("reference", "recruiter_lrn")

    def __init__(self, db: Database, engine: CaseEngine, vault: Vault, failures: FailureCounter,
                 settings: Settings, resources: Resources) -> None:
        super().__init__(db, engine)
        self.resources = resources
        self.vault = vault
        self.failures = failures
        self.settings = settings

    # -- the complainant -----------------------------------------------------------------
    async def file(self, filing: GrievanceFiling) -> Filed:
        """Open a grievance; answers the reference and the access code (shown only now)."""
        filing = _with_names_checked(filing)
        for attempt in range(3):
            reference, code = new_reference(), new_access_code()
            try:
                async with self.db.write() as session:
                    opened = await self._open(session, filing, reference, code)
                due = min((d.due_at for d in opened.deadlines), default=None)
                break
            except IntegrityError as error:
                if attempt == 2 or not _reference_taken(error):  # another fault: not chance;
                    raise  # three references drawn and taken: not chance either
        return Filed(reference=reference, access_code=code, state=opened.case.state,
                     acknowledge_by=due,
                     follow_url=f"{self.settings.public_url}/api/v1/grievances/{reference}")

    async def _open(self, session: AsyncSession, filing: GrievanceFiling, reference: str,
                    code: str) -> TransitionOutcome:
        recruiter_case_id = None
        if filing.recruiter.lrn:
            # the recruiter's accreditation case, through the public roster (its read model)
            recruiter_case_id = await session.scalar(
                select(col(RosterEntry.case_id)).where(col(RosterEntry.lrn) == filing.recruiter.lrn))
        severity = propose_severity(filing)
        identity = _identity(filing)

        def detail(case: Case) -> Grievance:
            case_id = case.id or 0
            return new_row(
                Grievance, case_id=case_id, reference=reference,
                access_code_hash=access_code_hash(code),
                complainant_role=filing.complainant_role, language=filing.language,
                origin_country=filing.corridor.origin,
                destination_country=filing.corridor.destination,
                recruiter_lrn=filing.recruiter.lrn, recruiter_name=filing.recruiter.name,
                recruiter_case_id=recruiter_case_id, allegations=list(filing.allegations),
                principles=sorted(filing.principles),
                criminal=bool(set(filing.allegations) & CRIMINAL_ALLEGATIONS),
                in_danger=filing.in_danger,
                fees_amount=filing.fees_paid.amount if filing.fees_paid else None,
                fees_currency=filing.fees_paid.currency if filing.fees_paid else None,
                documents_retained=filing.documents_retained, severity=severity,
                consent_share_identity=filing.consents.share_identity_with_recruiter,
                consent_refer=filing.consents.refer_to_authority,
                consent_contact=filing.consents.be_contacted,
                identity_sealed=(self.vault.seal(identity, place=sealed_place(case_id, "identity"))
                                 if identity else None),
                narrative_sealed=self.vault.seal(filing.narrative,
                                                 place=sealed_place(case_id, "narrative")),
                filed_at=case.created_at,  # the moment its deadlines count from
            )

        # the audit event holds the classification only: nothing that identifies anyone
        return await self.engine.open(
            session, WORKFLOW, organisation_id=None, principal=_complainant(0), role="complainant",
            data={"reference": reference, "severity": severity,
                  "allegations": list(filing.allegations), "principles": sorted(filing.principles),
                  "recruiter_lrn": filing.recruiter.lrn, "anonymous": not identity},
            detail=detail)

    async def follow(self, reference: str, code: str, client: str) -> ComplainantView:
        case_id = await self._case_id_for_code(reference, code, client)
        async with self.db.read() as session:
            return await self._complainant_view(session, case_id)

    async def complainant_fire(self, reference: str, code: str, client: str,
                               request: TransitionRequest) -> ComplainantView:
        case_id = await self._case_id_for_code(reference, code, client)
        async with self.db.write() as session:
            await self._fire(session, _complainant(case_id), case_id, request)
            return await self._complainant_view(session, case_id)

    async def complainant_message(self, reference: str, code: str, client: str,
                                  body: str) -> MessageView:
        case_id = await self._case_id_for_code(reference, code, client)
        async with self.db.write() as session:
            case = await self.engine.lock(session, case_id)
            assert case is not None
            message = await self._add_message(session, case, "complainant", None, body)
            await self.engine.notifier.tell(  # type: ignore[union-attr]
                session, case, ["caseworker"], topic="grievance.message",
                subject=f"[IRIS] Grievance #{case_id}: a message from the complainant",
                lines=[f"Grievance #{case_id}", "", "The complainant sent a message. Read it in "
                       "IRIS Engine (it is not copied into e-mail)."], now=message.created_at)
            return message_view(self.vault, message)

    async def _case_id_for_code(self, reference: str, code: str, client: str) -> int:
        """The case a reference and access code open. A wrong code and an unknown reference
        answer the same 404, and both count towards the lock-out."""
        reference = canonical_reference(reference.strip())
        free, seconds = self.settings.access_code_max_failures, self.settings.access_code_lockout_seconds
        limits = {throttle_key("reference", reference): Limit.lockout(free, seconds),
                  throttle_key("client", client): Limit.lockout(4 * free, seconds)}
        async with self.db.read() as session:
            await self.failures.check(session, list(limits))
            row = (await session.execute(
                select(col(Grievance.case_id), col(Grievance.access_code_hash))
                .where(col(Grievance.reference) == reference))).first()
        if codes_match(code, row[1] if row else _NO_SUCH_CODE) and row is not None:
            return int(row[0])
        await self.failures.fail(limits)
        raise NotFound("no grievance matches this reference and access code")

    async def _complainant_view(self, session: AsyncSession, case_id: int) -> ComplainantView:
        case = await session.get(Case, case_id, populate_existing=True)
        grievance = await session.get(Grievance, case_id, populate_existing=True)
        assert case is not None and grievance is not None
        spec = self.engine.catalog.machine(case.workflow, case.workflow_version).spec
        updates = []
        for event in await self.engine.history(session, case):
            transition = spec.transition(event.event, event.from_state or "")
            for_them = transition is not None and "complainant" in transition.audience
            if not (for_them or event.from_state != event.to_state):
                continue  # internal bookkeeping (assignment, legal hold)
            # what the caseworker sent, not the engine's bookkeeping (who, which other case)
            data = ({k: v for k, v in event.data.items() if k not in ("cause", "outcome")}
                    if for_them else None)
            updates.append(GrievanceUpdate(
                at=event.created_at, event=event.event, state=event.to_state,
                description=spec.states[event.to_state].description,
                note=self.engine.notes.read(event) if for_them else None, data=data or None))
        principal = _complainant(case_id)
        return ComplainantView(
            reference=grievance.reference, state=case.state,
            state_description=spec.states[case.state].description, revision=case.revision,
            tier=grievance.tier, filed_at=grievance.filed_at, updates=updates,
            messages=await self._messages(session, case_id),
            next_deadline=await self._next_deadline(session, case_id),
            may=[t["event"] for t in await self.engine.available(session, case, principal)
                 if not t["blocked_by"]],
        )

    # -- staff ---------------------------------------------------------------------------
    async def narrative(self, principal: Principal, case_id: int, *,
                        purpose: str) -> NarrativeView:
        """The complainant's account, for the staff who reach the grievance; the read is
        recorded in the same transaction, before anything is decrypted."""
        async with self.db.write() as session:
            case, roles = await self.engine.reach(session, case_id, principal, WORKFLOW)
            role = next((r for r in roles if r in NARRATIVE_READERS), None)
            if role is None:
                raise Forbidden("only the grievance's caseworkers, supervisors and, at the last "
                                "tier, the scheme manager read the complainant's account")
            grievance = await session.get(Grievance, case_id)
            assert grievance is not None
            if grievance.narrative_sealed is None:
                raise NotFound("the complainant's account was erased at the end of the "
                               "retention period")
            basis = self._record_read(session, principal, case, role, purpose=purpose,
                                      fields=["narrative"])
            return NarrativeView(
                narrative=self.vault.open(grievance.narrative_sealed,
                                          place=sealed_place(case_id, "narrative")),
                language=grievance.language, filed_at=grievance.filed_at, basis=basis)

    async def history(self, principal: Principal, case_id: int) -> list[CaseEventView]:
        """The audit trail; a read that shows notes the complainant wrote is recorded."""
        async with self.db.write() as session:
            case, roles = await self.engine.reach(session, case_id, principal, WORKFLOW)
            events = await self.engine.history(session, case)
            theirs = [e.seq for e in events if self._personal_note(e)]
            if theirs:
                self._record_read(session, principal, case, roles[0], purpose="case history",
                                  fields=[f"event {seq} note" for seq in theirs])
            return [views.event_view(e, self.engine.notes) for e in events]

    async def messages(self, principal: Principal, case_id: int) -> list[MessageView]:
        """Messages with the complainant; a read that shows theirs is recorded."""
        async with self.db.write() as session:
            case, role = await self._case_for_handlers(session, principal, case_id)
            rows = await self._message_rows(session, case_id)
            theirs = [m.id for m in rows if m.author == "complainant" and m.body_sealed]
            if theirs:
                self._record_read(session, principal, case, role, purpose="messages",
                                  fields=[f"message {i}" for i in theirs])
            return [message_view(self.vault, m) for m in rows]

    async def send_message(self, principal: Principal, case_id: int, body: str) -> MessageView:
        async with self.db.write() as session:
            case, _ = await self._case_for_handlers(session, principal, case_id, lock=True)
            return message_view(self.vault, await self._add_message(
                session, case, "caseworker", principal.user_id, body))

    async def identity(self, principal: Principal, case_id: int, *, purpose: str) -> IdentityView:
        """The complainant's identity, for the assigned caseworker only; the read is recorded
        in the same transaction, before anything is decrypted."""
        async with self.db.write() as session:
            case = await self.engine.get_visible(session, case_id, principal, WORKFLOW)
            if "caseworker" not in principal.roles or case.assignee_id != principal.user_id:
                raise Forbidden("only the caseworker assigned to this grievance may read who "
                                "filed it")
            grievance = await session.get(Grievance, case_id)
            assert grievance is not None
            return await read_identity(session, self.vault, grievance, principal, role="caseworker",
                                       basis="assigned_caseworker", purpose=purpose,
                                       now=self.engine.clock())

    async def routing(self, principal: Principal, case_id: int) -> list[RoutingProposal]:
        async with self.db.read() as session:
            await self._case_for_handlers(session, principal, case_id)
            grievance = await session.get(Grievance, case_id)
            assert grievance is not None
            return await propose(session, grievance)

    async def stats(self, principal: Principal, lrn: str | None) -> list[RecruiterGrievanceStats]:
        """Per recruiter: how many grievances, how many open or substantiated, which principles."""
        if not principal.roles & STATS_ROLES:
            raise Forbidden("grievance statistics are for scheme staff")
        stmt = select(col(Grievance.recruiter_lrn), col(Grievance.recruiter_name),
                      col(Grievance.principles), col(Grievance.finding_principles),
                      col(Grievance.substantiated), col(Case.state)).join(
            Case, col(Case.id) == col(Grievance.case_id))
        if lrn:
            stmt = stmt.where(col(Grievance.recruiter_lrn) == lrn)
        async with self.db.read() as session:
            rows = (await session.execute(stmt)).all()
        groups: dict[tuple[str | None, str | None], list[Any]] = defaultdict(list)
        for row in rows:
            key = (row[0], None) if row[0] else (None, (row[1] or "").strip().lower() or None)
            groups[key].append(row)
        out = []
        for (group_lrn, _), members in groups.items():
            alleged: dict[str, int] = defaultdict(int)
            found: dict[str, int] = defaultdict(int)
            for m in members:
                for p in m[2]:
                    alleged[p] += 1
                for p in m[3] if m[4] else ():
                    found[p] += 1
            out.append(RecruiterGrievanceStats(
                lrn=group_lrn, recruiter_name=next((m[1] for m in members if m[1]), None),
                grievances=len(members),
                open=sum(1 for m in members if m[5] not in ("closed", "withdrawn")),
                substantiated=sum(1 for m in members if m[4]),
                principles=[PrincipleCount(p, alleged[p], found[p])
                            for p in sorted(set(alleged) | set(found))],
            ))
        return sorted(out, key=lambda s: (-s.grievances, s.lrn or "", s.recruiter_name or ""))

    # -- shared --------------------------------------------------------------------------
    async def _case_for_handlers(self, session: AsyncSession, principal: Principal, case_id: int,
                                 *, lock: bool = False) -> tuple[Case, str]:
        """The case, for a caseworker or supervisor who may handle it, with that role."""
        case, roles = await self.engine.reach(session, case_id, principal, WORKFLOW,
                                              for_update=lock)
        role = next((r for r in roles if r in HANDLERS), None)
        if role is None:
            raise Forbidden("messages and routing are for the caseworker and supervisors")
        return case, role

    def _personal_note(self, event: CaseEvent) -> bool:
        """Whether the event holds a personal note still on file (sealed: the complainant's own
        words, or what the workflow marks as personal)."""
        return event.note_sealed is not None

    def _record_read(self, session: AsyncSession, principal: Principal, case: Case, role: str, *,
                     purpose: str, fields: list[str]) -> str:
        """Record a staff read of what the complainant wrote; answers its basis (the scope
        through which ``role`` reaches the grievance)."""
        basis = self.engine.access.scope_name(role, WORKFLOW)
        record_read(session, case_id=case.id or 0, principal=principal, role=role,
                    purpose=purpose, basis=basis, fields=fields, now=self.engine.clock())
        return basis

    async def _add_message(self, session: AsyncSession, case: Case, author: str,
                           user_id: int | None, body: str) -> GrievanceMessage:
        grievance = await session.get(Grievance, case.id)
        assert grievance is not None
        if grievance.purged_at is not None:
            raise Conflict("this grievance's personal data was erased at the end of its "
                           "retention period; it takes no more messages")
        message = GrievanceMessage(case_id=case.id or 0, author=author, author_user_id=user_id or None,
                                   body_sealed=self.vault.seal(body, place=sealed_place(
                                       case.id or 0, "message")),
                                   created_at=self.engine.clock())
        session.add(message)
        await session.flush()
        return message

    async def _messages(self, session: AsyncSession, case_id: int) -> list[MessageView]:
        return [message_view(self.vault, m) for m in await self._message_rows(session, case_id)]

    @staticmethod
    async def _message_rows(session: AsyncSession, case_id: int) -> list[GrievanceMessage]:
        return list((await session.scalars(select(GrievanceMessage).where(
            col(GrievanceMessage.case_id) == case_id).order_by(col(GrievanceMessage.id)))).all())

    @staticmethod
    async def _next_deadline(session: AsyncSession, case_id: int) -> Any:
        return await session.scalar(select(func.min(col(Timer.due_at))).where(
            col(Timer.case_id) == case_id, col(Timer.kind) == "deadline",
            col(Timer.status).in_(LIVE)))

    async def view(self, session: AsyncSession, case: Case, grievance: Grievance | None,
                   *, full: bool) -> StaffGrievanceView:
        """The grievance as staff see it: its classification, never who filed it nor what they
        wrote (each read on its own, and recorded)."""
        if grievance is None:
            grievance = await session.get(Grievance, case.id)
            assert grievance is not None
        referrals = await self.resources.get(ReferralDesk).of_case(session, case.id or 0)
        returns = await self.resources.get(ReturnReferralDesk).of_case(session, case.id or 0)
        return _staff_view(case, grievance, [r.case_id for r in referrals],
                           [r.case_id for r in returns],
                           await views.deadlines(self.engine, session, case) if full else None)

    async def view_rows(self, session: AsyncSession, rows: Sequence[tuple[Case, Any]]
                        ) -> list[StaffGrievanceView]:
        """A list's grievances with their referrals and return cases read for all at once."""
        ids = [case.id or 0 for case, _ in rows]
        referrals = await self.resources.get(ReferralDesk).of_cases(session, ids)
        returns = await self.resources.get(ReturnReferralDesk).of_cases(session, ids)
        return [_staff_view(case, grievance,
                            [r.case_id for r in referrals.get(case.id or 0, [])],
                            [r.case_id for r in returns.get(case.id or 0, [])], None)
                for case, grievance in rows]


def _staff_view(case: Case, grievance: Grievance, referral_ids: list[int],
                return_ids: list[int], deadlines: Any) -> StaffGrievanceView:
    return StaffGrievanceView(
        id=case.id or 0, reference=grievance.reference, state=case.state,
        revision=case.revision, workflow_version=case.workflow_version,
        assignee_id=case.assignee_id, severity=grievance.severity, tier=grievance.tier,
        complainant_role=grievance.complainant_role, language=grievance.language,
        origin_country=grievance.origin_country,
        destination_country=grievance.destination_country,
        recruiter_lrn=grievance.recruiter_lrn, recruiter_name=grievance.recruiter_name,
        recruiter_case_id=grievance.recruiter_case_id, allegations=grievance.allegations,
        principles=grievance.principles, criminal=grievance.criminal,
        in_danger=grievance.in_danger, fees_amount=grievance.fees_amount,
        fees_currency=grievance.fees_currency, documents_retained=grievance.documents_retained,
        consents=consents_of(grievance), identity_on_file=grievance.identity_sealed is not None,
        narrative_on_file=grievance.narrative_sealed is not None,
        filed_at=grievance.filed_at, escalations=grievance.escalations,
        substantiated=grievance.substantiated, finding_principles=grievance.finding_principles,
        findings_summary=grievance.findings_summary, signposted_to=grievance.signposted_to,
        remedies=grievance.remedies, closed_at=grievance.closed_at,
        legal_hold=grievance.legal_hold, purged_at=grievance.purged_at,
        referral_case_ids=referral_ids, return_case_ids=return_ids, deadlines=deadlines,
    )


def message_view(vault: Vault, message: GrievanceMessage) -> MessageView:
    body = (vault.open(message.body_sealed, place=sealed_place(message.case_id, "message"))
            if message.body_sealed else None)
    return MessageView(id=message.id or 0, author=message.author, body=body, at=message.created_at)


def _with_names_checked(filing: GrievanceFiling) -> GrievanceFiling:
    """The filing with the recruiter's and the complainant's names as stored (NFC; no control
    or invisible characters), or ``InvalidInput`` naming each bad one."""
    errors: list[FieldError] = []
    recruiter, contact = filing.recruiter, filing.contact
    if recruiter.name is not None:
        recruiter = msgspec.structs.replace(recruiter, name=checked_name(
            recruiter.name, "/recruiter/name", errors, max_length=_NAME_MAX))
    if contact is not None and contact.name is not None:
        contact = msgspec.structs.replace(contact, name=checked_name(
            contact.name, "/contact/name", errors, max_length=_NAME_MAX))
    if errors:
        raise InvalidInput("a name in the grievance cannot be accepted as written", errors=errors)
    return msgspec.structs.replace(filing, recruiter=recruiter, contact=contact)


def _identity(filing: GrievanceFiling) -> dict[str, Any] | None:
    if filing.contact is None:
        return None
    values = {k: v for k, v in msgspec.structs.asdict(filing.contact).items() if v is not None}
    return values or None


def _reference_taken(error: IntegrityError) -> bool:
    """The filing failed on the reference's unique constraint (a reference drawn before), not
    on another rule (a NOT NULL, a foreign key: a fault that a new reference would not mend)."""
    driver = error.orig.__cause__ if error.orig is not None else None  # asyncpg's, renamed
    found = driver if getattr(driver, "constraint_name", None) else error.orig
    if getattr(found, "constraint_name", None):  # PostgreSQL names it
        return bool(getattr(found, "table_name", None) == Grievance.__tablename__
                    and getattr(found, "sqlstate", None) == "23505"
                    and found.constraint_name == "grievance_reference_key")  # type: ignore[union-attr]
    return str(error.orig) == "UNIQUE constraint failed: grievance.reference"  # SQLite's words
