"""Who may see and act on which case: each workflow file's ``access`` section says which roles
reach its cases and with what scope. Closed by default: a role a workflow does not list reaches
none of its cases. This module names no workflow and no role but the system's."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import col

from iris_engine.store.models import Case
from iris_engine.workflow import WorkflowCatalog
from iris_engine.workflow.spec import SYSTEM_ROLE

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


class Access:
    """The access sections of every workflow in a catalog, as scopes to check and query by."""

    def __init__(self, catalog: WorkflowCatalog) -> None:
        self._scopes: dict[str, dict[str, Scope]] = {
            name: {role: Scope(scope) for role, scope in catalog.access(name).items()}
            for name in catalog.names()
        }

    def scope(self, role: str, workflow: str) -> Scope:
        """What ``role`` reaches of ``workflow``'s cases (NONE when the file does not list it)."""
        if role == SYSTEM_ROLE:  # timers fire as the platform itself
            return Scope.ALL
        return self._scopes.get(workflow, {}).get(role, Scope.NONE)

    def _reaches(self, role: str, principal: Principal, case: Case) -> bool:
        scope = self.scope(role, case.workflow)
        return (
            scope is Scope.ALL
            or (scope is Scope.ORGANISATION and case.organisation_id == principal.organisation_id)
            or (scope is Scope.ASSIGNED and case.assignee_id == principal.user_id)
            or (scope is Scope.QUEUE and case.assignee_id in (None, principal.user_id))
            or (scope is Scope.CASE and case.id == principal.case_id)
        )

    def roles_in_scope(self, principal: Principal, case: Case) -> list[str]:
        """The caller's roles that reach this case, in name order."""
        return [role for role in sorted(principal.roles) if self._reaches(role, principal, case)]

    def reaches_workflow(self, principal: Principal, workflow: str) -> bool:
        """Whether any of the caller's roles gives access to some cases of ``workflow``."""
        return any(self.scope(role, workflow) is not Scope.NONE for role in principal.roles)

    def scope_clause(self, principal: Principal, workflow: str) -> Any:
        """A SQL condition on ``Case`` selecting the cases of ``workflow`` the caller may see."""
        clauses: list[ColumnElement[bool]] = []
        for role in principal.roles:
            scope = self.scope(role, workflow)
            if scope is Scope.ALL:
                return true()
            if scope is Scope.ORGANISATION:
                clauses.append(col(Case.organisation_id) == principal.organisation_id)
            elif scope is Scope.ASSIGNED:
                clauses.append(col(Case.assignee_id) == principal.user_id)
            elif scope is Scope.QUEUE:
                clauses.append(or_(col(Case.assignee_id).is_(None),
                                   col(Case.assignee_id) == principal.user_id))
            elif scope is Scope.CASE and principal.case_id is not None:
                clauses.append(col(Case.id) == principal.case_id)
        return or_(*clauses) if clauses else false()
