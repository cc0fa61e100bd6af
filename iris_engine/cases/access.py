"""Who may see and act on which case: scope comes from the role, not from the workflow."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import false, or_, true

from iris_engine.store.models import Case

__all__ = ["ROLE_SCOPES", "ROLE_WORKFLOWS", "Principal", "Scope", "reaches_workflow", "roles_in_scope",
           "scope_clause"]


class Scope(Enum):
    ALL = "all"
    ORGANISATION = "organisation"  # cases whose subject is the user's own organisation
    ASSIGNED = "assigned"  # cases assigned to the user
    QUEUE = "queue"  # cases assigned to the user, and unassigned ones (a shared queue)
    CASE = "case"  # the one case the caller holds a credential for (a complainant's code)
    NONE = "none"


ROLE_SCOPES: dict[str, Scope] = {
    "recruiter": Scope.ORGANISATION,
    "auditor": Scope.ASSIGNED,
    "scheme_manager": Scope.ALL,
    "caseworker": Scope.QUEUE,
    "supervisor": Scope.ALL,
    # an authority's referrals are cases of its organisation: it sees those routed to it
    "authority": Scope.ORGANISATION,
    "complainant": Scope.CASE,
    "admin": Scope.ALL,
    "system": Scope.ALL,
}

#: roles whose scope holds only within some workflows (others: every workflow)
ROLE_WORKFLOWS: dict[str, frozenset[str]] = {
    "recruiter": frozenset({"accreditation"}),
    "auditor": frozenset({"accreditation"}),
    "scheme_manager": frozenset({"accreditation", "grievance"}),  # grievances: the last appeal tier
    "caseworker": frozenset({"grievance", "referral"}),
    "supervisor": frozenset({"grievance", "referral"}),
    "authority": frozenset({"referral"}),
    "complainant": frozenset({"grievance"}),
    # an admin runs accounts and the directory; grievances are not theirs to read
    "admin": frozenset({"accreditation"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, as the access token (or a complainant's access code) says."""

    user_id: int
    organisation_id: int
    roles: frozenset[str]
    email: str = ""
    #: the case a complainant's reference and access code open (scope CASE)
    case_id: int | None = None


def _reaches(role: str, principal: Principal, case: Case) -> bool:
    workflows = ROLE_WORKFLOWS.get(role)
    if workflows is not None and case.workflow not in workflows:
        return False
    scope = ROLE_SCOPES.get(role, Scope.NONE)
    return (
        scope is Scope.ALL
        or (scope is Scope.ORGANISATION and case.organisation_id == principal.organisation_id)
        or (scope is Scope.ASSIGNED and case.assignee_id == principal.user_id)
        or (scope is Scope.QUEUE and case.assignee_id in (None, principal.user_id))
        or (scope is Scope.CASE and case.id == principal.case_id)
    )


def roles_in_scope(principal: Principal, case: Case) -> list[str]:
    """The caller's roles that reach this case, most specific first."""
    return [role for role in sorted(principal.roles) if _reaches(role, principal, case)]


def reaches_workflow(principal: Principal, workflow: str) -> bool:
    """Whether any of the caller's roles gives access to some cases of ``workflow``."""
    return any(workflow in ROLE_WORKFLOWS.get(role, {workflow})
               and ROLE_SCOPES.get(role, Scope.NONE) is not Scope.NONE for role in principal.roles)


def scope_clause(principal: Principal, workflow: str) -> Any:
    """A SQL condition on ``Case`` selecting the cases of ``workflow`` the caller may see."""
    clauses = []
    for role in principal.roles:
        workflows = ROLE_WORKFLOWS.get(role)
        if workflows is not None and workflow not in workflows:
            continue
        scope = ROLE_SCOPES.get(role, Scope.NONE)
        if scope is Scope.ALL:
            return true()
        if scope is Scope.ORGANISATION:
            clauses.append(Case.organisation_id == principal.organisation_id)
        elif scope is Scope.ASSIGNED:
            clauses.append(Case.assignee_id == principal.user_id)
        elif scope is Scope.QUEUE:
            clauses.append(or_(Case.assignee_id.is_(None),  # type: ignore[union-attr]
                               Case.assignee_id == principal.user_id))
        elif scope is Scope.CASE and principal.case_id is not None:
            clauses.append(Case.id == principal.case_id)
    return or_(*clauses) if clauses else false()
