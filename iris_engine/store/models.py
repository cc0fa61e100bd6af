"""The engine's own tables: organisations and users, cases and their events, timers, the
outbox, counters and throttles. Each domain keeps its tables in its own ``models.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, BigInteger, Column, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from iris_engine import bounds
from iris_engine.bounds import MAX_ID

__all__ = [
    "MAX_ID",
    "Case",
    "CaseEvent",
    "ChainRewrite",
    "Counter",
    "Organisation",
    "OutboxMessage",
    "RateCount",
    "Throttle",
    "Timer",
    "User",
    "UserRole",
]


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True, max_length=20)  # recruiter | audit_body | scheme | authority
    name: str = Field(max_length=bounds.ORGANISATION_NAME)
    country: str = Field(max_length=bounds.COUNTRY)
    created_at: datetime


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=bounds.EMAIL, unique=True)
    name: str = Field(max_length=bounds.PERSON_NAME)
    password_hash: str = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    roles: str = Field(max_length=200)  # space-separated role names
    active: bool = True
    #: bumped whenever who the account is changes (deactivated, roles, password): every token
    #: carries the version it was issued under and dies when the two differ
    token_version: int = 0
    #: sha256 of the token that confirms a self-registered address; set while the account waits
    #: for confirmation (it cannot log in), None once confirmed (or for accounts made by staff)
    confirmation_hash: str | None = Field(default=None, max_length=64, index=True)
    created_at: datetime

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class UserRole(SQLModel, table=True):
    """Who holds a role: one row per role in an account's ``roles``, so the people a role
    reaches (``notifications.recipients``), or an account list by role, are read from an index
    instead of matched in every account's ``roles``. Written by the database, never by the app:
    triggers on ``app_user`` (migration 0020) file an account's roles whenever it is inserted
    or its roles change, whoever writes it."""

    __tablename__ = "user_role"

    role: str = Field(primary_key=True, max_length=200)  # as long as ``roles`` may be
    user_id: int = Field(primary_key=True, index=True, foreign_key="app_user.id",
                         ondelete="CASCADE")


def sqlite_roles_of(row: str) -> str:
    """SQLite: a row's roles (``row.roles``, space-separated identifiers), one per row of
    ``json_each``'s ``value``."""
    return f"json_each('[\"' || replace({row}.roles, ' ', '\",\"') || '\"]')"


#: the triggers that file an account's roles in ``user_role``, per dialect: migration 0020 makes
#: them, and ``metadata.create_all`` (below), so no database has the table without them. A
#: change to them is a new migration that replaces them (0020 then makes the new text on a
#: fresh database, so that migration drops them first if they exist)
USER_ROLE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER user_role_filed AFTER INSERT ON app_user BEGIN"
        " INSERT OR IGNORE INTO user_role(role, user_id) SELECT r.value, new.id"
        f" FROM {sqlite_roles_of('new')} r WHERE r.value <> ''; END",
        "CREATE TRIGGER user_role_refiled AFTER UPDATE OF roles ON app_user BEGIN"
        " DELETE FROM user_role WHERE user_id = old.id;"
        " INSERT OR IGNORE INTO user_role(role, user_id) SELECT r.value, new.id"
        f" FROM {sqlite_roles_of('new')} r WHERE r.value <> ''; END",
    ),
    "postgresql": (
        "CREATE FUNCTION user_role_filed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        " IF TG_OP = 'UPDATE' THEN DELETE FROM user_role WHERE user_id = OLD.id; END IF;"
        " INSERT INTO user_role(role, user_id) SELECT DISTINCT r, NEW.id"
        " FROM unnest(string_to_array(NEW.roles, ' ')) r WHERE r <> '';"
        " RETURN NULL; END $$",
        "CREATE TRIGGER user_role_filed AFTER INSERT OR UPDATE OF roles ON app_user"
        " FOR EACH ROW EXECUTE FUNCTION user_role_filed()",
    ),
}
for _dialect, _statements in USER_ROLE_TRIGGERS.items():
    for _statement in _statements:
        event.listen(UserRole.__table__, "after_create",  # type: ignore[attr-defined]
                     DDL(_statement).execute_if(dialect=_dialect))  # type: ignore[no-untyped-call]


class Case(SQLModel, table=True):
    """One running workflow instance; it pins the workflow version it started on."""

    __tablename__ = "case_file"
    __table_args__ = (Index("ix_case_workflow_state", "workflow", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    workflow: str = Field(max_length=bounds.NAME)
    workflow_version: int
    state: str = Field(max_length=bounds.NAME)
    revision: int = 0
    #: the organisation the case is about (a recruiter's application, an authority's
    #: referral); None for a grievance, which belongs to no organisation
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    head_hash: str = Field(default="", max_length=64)
    created_at: datetime
    updated_at: datetime


class CaseEvent(SQLModel, table=True):
    """An append-only, hash-chained record of everything that happened to a case.

    A personal note (``iris_engine.cases.notes``) is not in ``note``: it is sealed in
    ``note_sealed`` (NULL once erased) and the chain hashes its ``note_commitment``.
    """

    __tablename__ = "case_event"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_case_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    seq: int
    event: str = Field(max_length=bounds.NAME)
    from_state: str | None = Field(default=None, max_length=bounds.NAME)
    to_state: str = Field(max_length=bounds.NAME)
    actor_id: int | None = Field(default=None)
    actor_role: str = Field(max_length=30)
    reason_code: str | None = Field(default=None, max_length=bounds.NAME)
    note: str | None = None
    #: a personal note and its salt, sealed by the vault; NULL when there is none or once erased
    note_sealed: str | None = None
    #: sha256(salt + personal note), hashed into the chain in the note's stead; kept after erasure
    note_commitment: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ChainRewrite(SQLModel, table=True):
    """A case's hash chain recomputed from ``from_seq`` on, after it verified: the one time it
    happens is when an upgrade seals personal notes stored in clear before sealing existed
    (``iris_engine.cases.clear_notes``). Old and new heads link a copy of the old chain (a
    backup, an anchor) to the new one."""

    __tablename__ = "chain_rewrite"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    from_seq: int
    old_head_hash: str = Field(max_length=64)
    new_head_hash: str = Field(max_length=64)
    reason: str = Field(max_length=200)
    created_at: datetime


class Counter(SQLModel, table=True):
    """Named sequences that must not depend on the database (LRNs)."""

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=50)
    value: int = 0


class Timer(SQLModel, table=True):
    """A deadline or a reminder of one, written by the transition that starts it.

    ``status``: pending -> done (fired or told), cancelled (the case left the timer's states),
    or discarded (it fell due but could no longer apply; ``outcome`` says why). A deadline
    that only tells (no ``fire``) is ``overdue`` once told: it still applies while the case
    stays in the timer's states, and is done when the case leaves them (or pending again when
    it is postponed). A ticker claims
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
    destination: str = Field(max_length=bounds.URL, index=True)  # e-mail address or URL
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


class Throttle(SQLModel, table=True):
    """Failed attempts per key (a reference, a client) in a window, shared by all instances."""

    __tablename__ = "throttle"

    key: str = Field(primary_key=True, max_length=100)
    window_start: datetime
    failures: int = 0
    blocked_until: datetime | None = None


class RateCount(SQLModel, table=True):
    """A public form's hits from one client (``key``: the form and the hashed address) in the
    minute numbered ``period`` and in the minute before it (``iris_engine.web.ratelimit``):
    counted by one atomic statement, shared by every instance over the database."""

    __tablename__ = "rate_count"

    key: str = Field(primary_key=True, max_length=100)
    period: int = Field(sa_type=BigInteger, index=True)
    hits: int
    hits_before: int
