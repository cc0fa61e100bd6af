"""Tables. Detail tables of each domain live here too so migrations see one metadata."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = [
    "MAX_ID",
    "Accreditation",
    "Authority",
    "Case",
    "CaseEvent",
    "Counter",
    "Grievance",
    "GrievanceMessage",
    "NonConformity",
    "Organisation",
    "OutboxMessage",
    "PersonalDataRead",
    "Referral",
    "RosterChange",
    "RosterCountry",
    "RosterEntry",
    "RosterMeta",
    "Subscription",
    "Throttle",
    "Timer",
    "User",
]


#: the largest id or sequence number a column holds on every database (PostgreSQL INTEGER)
MAX_ID = 2**31 - 1


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=20)  # recruiter | audit_body | scheme | authority
    name: str = Field(max_length=300)
    country: str = Field(max_length=2)
    created_at: datetime


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    roles: str = Field(max_length=200)  # space-separated role names
    active: bool = True
    created_at: datetime

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class Case(SQLModel, table=True):
    """One running workflow instance; it pins the workflow version it started on."""

    __tablename__ = "case_file"
    __table_args__ = (Index("ix_case_workflow_state", "workflow", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow: str = Field(max_length=50)
    workflow_version: int
    state: str = Field(max_length=50)
    revision: int = 0
    #: the organisation the case is about (a recruiter's application, an authority's
    #: referral); None for a grievance, which belongs to no organisation
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    head_hash: str = Field(default="", max_length=64)
    created_at: datetime
    updated_at: datetime


class CaseEvent(SQLModel, table=True):
    """An append-only, hash-chained record of everything that happened to a case."""

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    seq: int
    event: str = Field(max_length=50)
    from_state: str | None = Field(default=None, max_length=50)
    to_state: str = Field(max_length=50)
    actor_id: int | None = Field(default=None)
    actor_role: str = Field(max_length=30)
    reason_code: str | None = Field(default=None, max_length=50)
    note: str | None = None
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Accreditation(SQLModel, table=True):
    """Detail of an accreditation case: the self-assessment and the certificate."""

    __tablename__ = "accreditation"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    code_of_conduct: str = Field(max_length=50)  # e.g. iris-standard/1.2
    self_assessment: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    submitted_at: datetime | None = None
    lrn: str | None = Field(default=None, max_length=20, unique=True)
    accredited_on: date | None = None
    valid_until: date | None = None


class NonConformity(SQLModel, table=True):
    __tablename__ = "non_conformity"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    severity: str = Field(max_length=10)  # major | minor
    principle: str = Field(max_length=2)
    criterion: str = Field(max_length=10)
    description: str
    status: str = Field(default="open", max_length=20)  # open | plan_submitted | closed
    corrective_action: str | None = None
    evidence_ref: str | None = None
    raised_by: int | None = None
    raised_at: datetime
    closed_at: datetime | None = None


class RosterEntry(SQLModel, table=True):
    """The public read model: only what the public may see, never personal data."""

    __tablename__ = "roster_entry"
    __table_args__ = (
        Index("ix_roster_sort", "name_key", "lrn"),
        Index("ix_roster_status_sort", "status", "name_key", "lrn"),
    )

    lrn: str = Field(primary_key=True, max_length=20)
    case_id: int = Field(foreign_key="case_file.id", unique=True)
    name: str = Field(max_length=300)
    name_key: str = Field(max_length=300)  # lower-cased name: search and sort key
    country: str = Field(max_length=2)
    countries: str = Field(max_length=400)  # space-separated ISO codes, for display
    status: str = Field(max_length=20)  # accredited | suspended | withdrawn | expired
    accredited_on: date
    valid_until: date
    status_since: date
    updated_at: datetime


class RosterCountry(SQLModel, table=True):
    __tablename__ = "roster_country"
    __table_args__ = (Index("ix_roster_country_lookup", "country", "lrn"),)

    lrn: str = Field(foreign_key="roster_entry.lrn", primary_key=True, max_length=20)
    country: str = Field(primary_key=True, max_length=2)


class RosterMeta(SQLModel, table=True):
    """One row; ``version`` moves with every roster change (cache key and ETag seed)."""

    __tablename__ = "roster_meta"

    id: int = Field(default=1, primary_key=True)
    version: int = 0


class Counter(SQLModel, table=True):
    """Named sequences that must not depend on the database (LRNs)."""

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=50)
    value: int = 0


class Timer(SQLModel, table=True):
    """A deadline or a reminder of one, written by the transition that starts it.

    ``status``: pending -> done (fired or told), cancelled (the case left the timer's states),
    or discarded (it fell due but could no longer apply; ``outcome`` says why). A ticker claims
    a due row by setting ``claimed_by``/``claimed_until``; a claim that outlives its process
    expires and another ticker takes the row over.
    """

    __tablename__ = "timer"
    __table_args__ = (
        # id breaks ties in the claim's ORDER BY due_at, id: many certificates end at the same
        # midnight, and without it PostgreSQL sorts every tied row on each claim
        Index("ix_timer_due", "status", "due_at", "id"),
        Index("ix_timer_case", "case_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    name: str = Field(max_length=50)  # the timer's name in the case's workflow version
    kind: str = Field(max_length=10)  # deadline | reminder
    due_at: datetime
    deadline_at: datetime  # for a reminder, the deadline it reminds of
    status: str = Field(default="pending", max_length=10)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    attempts: int = 0  # firings that failed with an error (rolled back; retried)
    outcome: str | None = None
    created_at: datetime
    finished_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """A message to the outside world, written in the transaction that causes it.

    ``status``: pending -> delivered, or dead after the configured number of attempts (an admin
    re-drives it). ``idempotency_key`` travels with every attempt so receivers can drop repeats.
    """

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=64, unique=True)
    channel: str = Field(max_length=10)  # email | webhook
    destination: str = Field(max_length=2000)  # e-mail address or URL
    topic: str = Field(max_length=50)  # e.g. roster.status_changed, case.transition
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    subscription_id: int | None = Field(default=None, foreign_key="subscription.id", index=True)
    #: an authority's webhook: its own signing secret
    authority_id: int | None = Field(default=None, foreign_key="authority.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = None
    last_error: str | None = None
    created_at: datetime
    delivered_at: datetime | None = None


class Subscription(SQLModel, table=True):
    """Someone who relies on a recruiter and wants to hear when its roster status changes."""

    __tablename__ = "subscription"

    id: int | None = Field(default=None, primary_key=True)
    lrn: str = Field(foreign_key="roster_entry.lrn", index=True, max_length=20)
    channel: str = Field(max_length=10)  # email | webhook
    target: str = Field(max_length=2000)  # e-mail address or URL
    #: HMAC key that signs webhook deliveries (shown once, when subscribing), sealed by the vault
    secret: str | None = None
    #: sha256 of the token that confirms (e-mail) and cancels the subscription
    token_hash: str = Field(max_length=64, unique=True)
    status: str = Field(max_length=10)  # pending | active | cancelled
    created_at: datetime
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None


class RosterChange(SQLModel, table=True):
    """The public change feed. ``seq`` is the roster version the change produced: changes are
    numbered under the roster_meta row lock, so they are gap-tolerant and in commit order."""

    __tablename__ = "roster_change"

    seq: int = Field(primary_key=True)
    lrn: str = Field(foreign_key="roster_entry.lrn", index=True, max_length=20)
    name: str = Field(max_length=300)
    status: str = Field(max_length=20)
    previous_status: str | None = Field(default=None, max_length=20)
    valid_until: date
    changed_at: datetime


class Grievance(SQLModel, table=True):
    """Detail of a grievance case. What identifies the complainant is sealed (``iris_engine.
    vault``): ``identity_sealed`` (name and contact) and ``narrative_sealed``; the rest is the
    classification that routing, deadlines and statistics need."""

    __tablename__ = "grievance"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    reference: str = Field(max_length=20, unique=True)
    #: sha256 of the access code (a random 100-bit code: a slow hash adds nothing)
    access_code_hash: str = Field(max_length=64)
    complainant_role: str = Field(max_length=30)
    language: str = Field(max_length=35)
    origin_country: str = Field(max_length=2)
    destination_country: str = Field(max_length=2)
    recruiter_lrn: str | None = Field(default=None, max_length=20, index=True)
    recruiter_name: str | None = Field(default=None, max_length=300)
    #: the accreditation case of the recruiter named by LRN, when there is one
    recruiter_case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    allegations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    principles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    criminal: bool = False  # trafficking, forced or child labour: must be referred
    in_danger: bool = False
    fees_amount: str | None = Field(default=None, max_length=20)  # a decimal, as text
    fees_currency: str | None = Field(default=None, max_length=3)
    documents_retained: bool = False
    severity: str = Field(max_length=10)  # high | medium | low
    tier: int = 1  # 1 caseworker, 2 supervisor, 3 scheme manager (appeals)
    consent_share_identity: bool = False  # with the recruiter
    consent_refer: bool = False  # identity to an authority with a referral
    consent_contact: bool = False
    identity_sealed: str | None = None
    narrative_sealed: str | None = None
    filed_at: datetime
    signposted_to: str | None = None
    substantiated: bool | None = None
    finding_principles: list[str] = Field(default_factory=list,
                                          sa_column=Column(JSON, nullable=False))
    findings_summary: str | None = None
    remedies: list[dict[str, Any]] = Field(default_factory=list,
                                           sa_column=Column(JSON, nullable=False))
    escalations: int = 0
    closed_at: datetime | None = None
    legal_hold: bool = False
    legal_hold_reason: str | None = None
    purged_at: datetime | None = None


class GrievanceMessage(SQLModel, table=True):
    """A message between the complainant and the caseworker; the body is sealed."""

    __tablename__ = "grievance_message"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    author: str = Field(max_length=12)  # complainant | caseworker
    author_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    body_sealed: str | None = None  # None once purged
    created_at: datetime


class Authority(SQLModel, table=True):
    """An authority grievances can be referred to; its users belong to ``organisation_id``."""

    __tablename__ = "authority"

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", unique=True)
    name: str = Field(max_length=300)
    countries: str = Field(max_length=400)  # space-separated ISO codes of its jurisdiction
    remits: str = Field(max_length=400)  # space-separated, e.g. trafficking licensing
    channel: str = Field(max_length=10)  # inbox | webhook
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret_sealed: str | None = None
    active: bool = True
    created_at: datetime


class Referral(SQLModel, table=True):
    """Detail of a referral case (workflow ``referral``, organisation = the authority's)."""

    __tablename__ = "referral"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True)
    grievance_case_id: int = Field(foreign_key="case_file.id", index=True)
    authority_id: int = Field(foreign_key="authority.id", index=True)
    remit: str = Field(max_length=30)
    identity_disclosed: bool = False
    disclosed_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    delivery_message_id: int | None = Field(default=None, foreign_key="outbox_message.id")
    received_at: datetime | None = None  # the authority first opened it (inbox channel)
    acknowledged_at: datetime | None = None
    external_reference: str | None = Field(default=None, max_length=100)
    outcome: str | None = Field(default=None, max_length=30)
    created_at: datetime


class PersonalDataRead(SQLModel, table=True):
    """Every read of a complainant's sealed identity: who, in which role, why, on what basis."""

    __tablename__ = "personal_data_read"

    id: int | None = Field(default=None, primary_key=True)
    grievance_case_id: int = Field(foreign_key="case_file.id", index=True)
    reader_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    reader_role: str = Field(max_length=30)
    purpose: str = Field(max_length=50)
    basis: str = Field(max_length=50)  # assigned_caseworker | consent_refer | ...
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    at: datetime


class Throttle(SQLModel, table=True):
    """Failed attempts per key (a reference, a client) in a window, shared by all instances."""

    __tablename__ = "throttle"

    key: str = Field(primary_key=True, max_length=100)
    window_start: datetime
    failures: int = 0
    blocked_until: datetime | None = None
