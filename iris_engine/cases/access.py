"""Who may see and act on which case: each workflow file's ``access`` section says which roles
reach its cases and with what scope. Closed by default: a role a workflow does not list reaches
none of its cases. A scope is built in (``all``, ``queue``, ...) or named by the workflow's
domain (``NamedScope``: a condition on its detail table, e.g. appealed to the last tier). This
module names no workflow and no role but the system's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, exists, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.errors import WorkflowDefinitionError
from iris_engine.store.models import Case, User
from iris_engine.workflow import NamedScope, WorkflowCatalog
from iris_engine.workflow.spec import SCOPES, SYSTEM_ROLE

__all__ = ["Access", "Principal", "Scope"]


class Scope(Enum):
    ALL = "all"
    ORGANISATION = "organisation"  # cases whose subject is the user's own organisation
    ASSIGNED = "assigned"  # cases assigned to the user
    QUEUE = "queue"  # cases assigned to the user, and unassigned ones (a shared queue)
    CASE = "case"  # the one case the caller holds a credential for (a complainant's code)
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the access token (or a complainant's access code) says."""

    user_id: int
    organisation_id: int
    roles: frozenset[str]
    email: str = ""
    #: the case a complainant's reference and access code open (scope CASE)
    case_id: int | None = None


class _UserColumns:
    """The caller a named scope is handed when the question is which users a case reaches: its
    ``user_id`` and ``organisation_id`` are the columns of each user's row."""

    user_id = col(User.id)
    organisation_id = col(User.organisation_id)


class Access:
    """The access sections of every workflow in a catalog, as scopes to check and query by.
    ``scopes`` are the named scopes the domains registered (``HookRegistry.scopes``)."""

    def __init__(self, catalog: WorkflowCatalog,
                 scopes: Mapping[str, NamedScope] | None = None) -> None:
        scopes = scopes or {}
        self._scopes: dict[str, dict[str, Scope | NamedScope]] = {}
        #: per workflow, the settings of its latest version (what named scopes are built from)
        self._settings: dict[str, Mapping[str, Any]] = {}
        for name in catalog.names():
            spec = catalog.machine(name).spec
            self._settings[name] = spec.settings
            self._scopes[name] = {}
            for role, scope in spec.access.items():
                if scope in SCOPES:
                    self._scopes[name][role] = Scope(scope)
                    continue
                named = scopes.get(scope)
                if named is None:  # closed by default: an unknown name never reaches anything
                    raise WorkflowDefinitionError(
                        spec.source, f"access.{role}", f"unknown scope {scope!r}; built in: "
                        f"{', '.join(SCOPES)}; registered: {', '.join(sorted(scopes)) or 'none'}")
                self._scopes[name][role] = named

    def scope(self, role: str, workflow: str) -> Scope | NamedScope:
        """What ``role`` reaches of ``workflow``'s cases (NONE when the file does not list it)."""
        if role == SYSTEM_ROLE:  # timers fire as the platform itself
            return Scope.ALL
        return self._scopes.get(workflow, {}).get(role, Scope.NONE)

    def scope_name(self, role: str, workflow: str) -> str:
        """The scope's name as the workflow file gives it (the basis of a role's reach)."""
        scope = self.scope(role, workflow)
        return scope.name if isinstance(scope, NamedScope) else scope.value

    def _reaches(self, role: str, principal: Principal, case: Case) -> bool:
        """Whether a built-in scope reaches the case (a named scope asks the database)."""
        scope = self.scope(role, case.workflow)
        return (
            scope is Scope.ALL
            or (scope is Scope.ORGANISATION and case.organisation_id == principal.organisation_id)
            or (scope is Scope.ASSIGNED and case.assignee_id == principal.user_id)
            or (scope is Scope.QUEUE and case.assignee_id in (None, principal.user_id))
            or (scope is Scope.CASE and case.id == principal.case_id)
        )

    def _named_clause(self, workflow: str, role: str, caller: Any) -> ColumnElement[bool] | None:
        """The cases of ``workflow`` the named scope of ``role`` selects for ``caller``, as a
        condition on ``Case`` (None when the role's scope is not a named one)."""
        named = self._scopes.get(workflow, {}).get(role)
        if not isinstance(named, NamedScope):
            return None
        return col(Case.id).in_(select(named.table.case_id).where(
            named.where(self._settings[workflow], caller)))

    async def within(self, session: AsyncSession, role: str, case: Case,
                     principal: Principal) -> bool:
        """Whether the named scope ``role`` has on the case's workflow selects this case for
        the caller, by the same condition that filters lists (autoflush lets it see this
        transaction). The case's own detail row is read by its key: the lists' form (the
        case's id among those the condition selects) had SQLite read every detail row."""
        named = self._scopes.get(case.workflow, {}).get(role)
        if not isinstance(named, NamedScope):
            return False
        found = await session.scalar(select(named.table.case_id).where(
            named.table.case_id == case.id,
            named.where(self._settings[case.workflow], principal)))
        return found is not None

    def users_within(self, role: str, case: Case) -> ColumnElement[bool]:
        """A condition on ``User``: the users the named scope of ``role`` gives this case (by
        the same condition, with the caller's values taken from each user's row)."""
        named = self._scopes.get(case.workflow, {}).get(role)
        if not isinstance(named, NamedScope):
            return false()
        return exists(select(named.table.case_id).where(
            named.table.case_id == case.id,
            named.where(self._settings[case.workflow], _UserColumns)))

    async def roles_in_scope(self, session: AsyncSession, principal: Principal,
                             case: Case) -> list[str]:
        """The caller's roles that reach this case, in name order."""
        return [role for role in sorted(principal.roles)
                if self._reaches(role, principal, case)
                or (isinstance(self.scope(role, case.workflow), NamedScope)
                    and await self.within(session, role, case, principal))]

    def reaches_workflow(self, principal: Principal, workflow: str) -> bool:
        """Whether any of the caller's roles gives access to some cases of ``workflow``."""
        return any(self.scope(role, workflow) is not Scope.NONE for role in principal.roles)

    def scope_clause(self, principal: Principal, workflow: str) -> Any:
        """A SQL condition on ``Case`` selecting the cases of ``workflow`` the caller may see."""
        clauses: list[ColumnElement[bool]] = []
        for role in principal.roles:
            clause = self.role_clause(principal, role, workflow)
            if clause is True:
                return true()
            if clause is not None:
                clauses.append(clause)
        return or_(*clauses) if clauses else false()

    def role_clause(self, principal: Principal, role: str,
                    workflow: str) -> ColumnElement[bool] | Literal[True] | None:
        """The cases of ``workflow`` one role of the caller reaches, as a condition on
        ``Case``: True for all of them, None for none."""
        scope = self.scope(role, workflow)
        if scope is Scope.ALL:
            return True
        if isinstance(scope, NamedScope):
            return self._named_clause(workflow, role, principal)
        clause: Any = None
        if scope is Scope.ORGANISATION:
            clause = col(Case.organisation_id) == principal.organisation_id
        elif scope is Scope.ASSIGNED:
            clause = col(Case.assignee_id) == principal.user_id
        elif scope is Scope.QUEUE:
            clause = or_(col(Case.assignee_id).is_(None), col(Case.assignee_id) == principal.user_id)
        elif scope is Scope.CASE and principal.case_id is not None:
            clause = col(Case.id) == principal.case_id
        return cast("ColumnElement[bool] | None", clause)
