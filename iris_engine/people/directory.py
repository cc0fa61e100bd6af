"""The staff directory: who holds an account, in which organisation and roles, and what each
is working on now, so a scheme manager can find an auditor to plan an audit with.

Read by scheme managers and admins over HTTP (``GET /api/v1/users``) and by whoever runs the
command line (``iris users list``); both call ``StaffDirectory.list``. The work in hand comes
from the domains (``Domain.current_assignments``): the platform names no workflow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import ColumnElement, select, true
from sqlmodel import col

from iris_engine.errors import FieldError, Forbidden, InvalidInput
from iris_engine.store.models import Organisation, User, UserRole

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases.access import Access, Principal
    from iris_engine.store.db import Database
    from iris_engine.workflow import WorkflowCatalog

__all__ = ["DIRECTORY_ROLES", "AccountView", "CurrentAssignment", "CurrentAssignments",
           "Reach", "StaffDirectory"]

#: who may read the directory over HTTP: those who plan audits and those who run the accounts.
#: Closed by default: every other role (a recruiter above all) is refused, never shown a list
DIRECTORY_ROLES = frozenset({"scheme_manager", "admin"})


class CurrentAssignment(msgspec.Struct):
    """A case assigned to the account whose assignee still has a part in it."""

    case_id: int
    workflow: str
    state: str
    #: the organisation the case is about, if any
    organisation_id: int | None
    organisation_name: str | None
    #: the date planned when the case was assigned (e.g. the audit's), if one was given
    planned_on: date | None


class AccountView(msgspec.Struct):
    """An account as staff need to see it: who, where, which roles, reachable how. Never its
    password data, tokens or confirmation."""

    id: int
    name: str
    email: str
    roles: list[str]
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    #: active (may log in), deactivated, or unconfirmed (a self-registration whose address
    #: was not confirmed yet)
    status: str
    #: cases assigned to the account in which it still has a part, oldest first
    current_assignments: list[CurrentAssignment]


#: the cases of a workflow the reader may see, as a condition on ``Case`` (by workflow name)
Reach = Callable[[str], ColumnElement[bool]]
#: a domain's cases assigned to some of ``user_ids`` in which the assignee still has a part,
#: among those ``reach`` selects: (assignee id, assignment) pairs
CurrentAssignments = Callable[["AsyncSession", "WorkflowCatalog", Sequence[int], Reach],
                              Awaitable[list[tuple[int, CurrentAssignment]]]]


def _everything(_workflow: str) -> ColumnElement[bool]:
    return true()


def _status(user: User) -> str:
    if user.confirmation_hash is not None:
        return "unconfirmed"
    return "active" if user.active else "deactivated"


class StaffDirectory:
    """``roles``: the account roles there are (a filter on another is refused);
    ``sources``: each domain's current assignments."""

    def __init__(self, db: Database, catalog: WorkflowCatalog, access: Access,
                 roles: Sequence[str], sources: Sequence[CurrentAssignments] = ()) -> None:
        self._db = db
        self._catalog = catalog
        self._access = access
        self.roles = tuple(roles)
        self._sources = tuple(sources)

    def _reach(self, principal: Principal) -> Reach:
        return lambda workflow: self._access.scope_clause(principal, workflow)

    async def list_for(self, principal: Principal, *, role: str | None, organisation_id: int | None,
                       active: bool, after: int, limit: int) -> list[AccountView]:
        """``list`` for a caller over HTTP: scheme managers and admins only (403 for anyone
        else, before any filter is read); assignments only on cases the caller may see."""
        if not principal.roles & DIRECTORY_ROLES:
            raise Forbidden("the staff directory is for scheme managers and administrators")
        return await self.list(role=role, organisation_id=organisation_id, active=active,
                               after=after, limit=limit, reach=self._reach(principal))

    async def list(self, *, role: str | None = None, organisation_id: int | None = None,
                   active: bool = True, after: int = 0, limit: int = 50,
                   reach: Reach = _everything) -> list[AccountView]:
        """Accounts by id after ``after``, at most ``limit``. ``active``: those who may log in;
        False: those who may not (deactivated or unconfirmed). ``role``: holding that role;
        ``organisation_id``: of that organisation."""
        if role is not None and role not in self.roles:
            raise InvalidInput(f"there is no role {role!r}", errors=[
                FieldError("/query/role", "one of " + ", ".join(sorted(self.roles)))])
        query = _accounts(role=role, organisation_id=organisation_id, active=active,
                          after=after, limit=limit)
        async with self._db.read() as session:
            rows = (await session.execute(query)).all()
            ids = [user.id or 0 for user, _org in rows]
            found: dict[int, list[CurrentAssignment]] = {i: [] for i in ids}
            for source in self._sources:
                for assignee_id, assignment in await source(session, self._catalog, ids, reach):
                    found[assignee_id].append(assignment)
        return [AccountView(id=user.id or 0, name=user.name, email=user.email,
                            roles=sorted(user.role_set), organisation_id=org.id or 0,
                            organisation_name=org.name, organisation_kind=org.kind,
                            status=_status(user),
                            current_assignments=sorted(found[user.id or 0],
                                                       key=lambda a: a.case_id))
                for user, org in rows]


def _accounts(*, role: str | None, organisation_id: int | None, active: bool, after: int,
              limit: int) -> Any:
    """The page of accounts (with their organisations) the filters select."""
    may_log_in = col(User.active).is_(True) & col(User.confirmation_hash).is_(None)
    stmt = (select(User, Organisation)
            .join(Organisation, col(Organisation.id) == col(User.organisation_id))
            .where(col(User.id) > after, may_log_in if active else ~may_log_in)
            .order_by(col(User.id)).limit(limit))
    if role is not None:  # who holds it, from its index (not a match in every ``roles``)
        stmt = stmt.where(col(User.id).in_(
            select(col(UserRole.user_id)).where(col(UserRole.role) == role)))
    if organisation_id is not None:
        stmt = stmt.where(col(User.organisation_id) == organisation_id)
    return stmt
