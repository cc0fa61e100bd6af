"""Tells the people in a case what happened and what they must do by when, through the outbox.

Who hears is data: a workflow names roles (``notify: [recruiter]`` on a transition or a timer)
and each role reaches people through its scope, as access does: a recruiter role reaches the
case's organisation, an auditor the assignee, a scheme manager every scheme manager.

A personal note (``iris_engine.cases.notes``) is never copied into an e-mail: it says a note
was written, and where to read it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import CompoundSelect, Integer, Label, Select, bindparam, literal_column, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from iris_engine.cases.access import Access, Scope
from iris_engine.outbox.store import enqueue_rows, message_row
from iris_engine.settings import Settings
from iris_engine.store.db import rows_in
from iris_engine.store.models import Case, CaseEvent, Organisation, User, UserRole
from iris_engine.timers.book import NewDeadline
from iris_engine.workflow import NamedScope, TimerSpec, TransitionSpec, WorkflowSpec

__all__ = ["Notifier", "recipients"]


@dataclass(slots=True)
class _Recipient:
    user_id: int
    name: str
    email: str
    roles: set[str] = field(default_factory=set)


async def recipients(session: AsyncSession, access: Access, case: Case,
                     roles: Iterable[str]) -> list[_Recipient]:
    """Active users that each role reaches on this case, once each, with the roles that did,
    in the order of the first role (by name) that reaches each, then by id. One query for all
    the roles (``_readers``): each of its rows says which role reached the user."""
    reach: list[tuple[str, Scope | NamedScope]] = []
    for role in sorted(set(roles)):
        scope = access.scope(role, case.workflow)
        if scope is Scope.QUEUE:  # the assignee, or the whole queue while nobody holds it
            scope = Scope.ALL if case.assignee_id is None else Scope.ASSIGNED
        if scope is Scope.ASSIGNED and case.assignee_id is None:
            continue
        if isinstance(scope, NamedScope) or scope in _REACHING:
            reach.append((role, scope))
        # else e.g. a complainant: reached through their own access code, never by e-mail
    if not reach:
        return []
    key = tuple(reach)
    values = {"organisation_id": case.organisation_id, "assignee_id": case.assignee_id}
    statement = _READERS.get(key)
    if statement is not None:  # kept: compiled once and run on the driver
        rows = await rows_in(session, statement, values)
    else:
        statement = _readers(access, case, reach)
        # a named scope's condition holds the case's own values: built for this case alone
        if not any(isinstance(scope, NamedScope) for _, scope in reach):
            _READERS[key] = statement
        rows = list((await session.execute(statement, values)).all())
    found: dict[int, _Recipient] = {}
    for row in rows:  # by the role that reached them, then by id
        role = reach[row.reached][0]
        if role in row.roles.split():  # the organisation's or the assignee's, in this role
            found.setdefault(row.id, _Recipient(row.id, row.name, row.email)).roles.add(role)
    return list(found.values())


#: the scopes a role reaches people by without a condition of the workflow's own
_REACHING = frozenset({Scope.ORGANISATION, Scope.ASSIGNED, Scope.ALL})
#: ``recipients``' statements by the roles and scopes they reach with (built once each: the
#: case's values are parameters); a handful per workflow, so the cache stays small
_READERS: dict[tuple[tuple[str, Scope | NamedScope], ...], Select[*tuple[Any, ...]]] = {}


def _readers(access: Access, case: Case,
             reach: list[tuple[str, Scope | NamedScope]]) -> Select[*tuple[Any, ...]]:
    """Every active user each role of ``reach`` reaches, with the role's place in ``reach``
    (``reached``), in that order, then by id: one query whose parts each read an index (who
    holds a role: ``user_role``; an organisation's people; the assignee), so its cost follows
    the people reached, not the number of accounts."""
    parts: list[Select[*tuple[Any, ...]]] = []
    for n, (role, scope) in enumerate(reach):
        place: Label[int] = literal_column(str(n), Integer()).label("reached")
        holder: BindParameter[str] = bindparam(f"role_{n}", role)
        if isinstance(scope, NamedScope):  # those in the role whom its condition gives the case
            parts.append(select(col(UserRole.user_id).label("id"), place)
                         .join(User, col(User.id) == col(UserRole.user_id))
                         .where(col(UserRole.role) == holder,
                                access.users_within(role, case)))
        elif scope is Scope.ORGANISATION:
            parts.append(select(col(User.id).label("id"), place)
                         .where(col(User.organisation_id) == bindparam("organisation_id")))
        elif scope is Scope.ASSIGNED:
            parts.append(select(col(User.id).label("id"), place)
                         .where(col(User.id) == bindparam("assignee_id")))
        else:
            parts.append(select(col(UserRole.user_id).label("id"), place)
                         .where(col(UserRole.role) == holder))
    whom: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]] = parts[0]
    if len(parts) > 1:
        whom = union_all(*parts)
    reached = whom.subquery("reached")
    return (select(col(User.id), col(User.name), col(User.email), col(User.roles),
                   reached.c.reached)
            .join(reached, reached.c.id == col(User.id))
            .where(col(User.active)).order_by(reached.c.reached, col(User.id)))


def _when(moment: datetime) -> str:
    return moment.strftime("%d %B %Y, %H:%M UTC")


def _label(name: str) -> str:
    return name.replace("_", " ")


class Notifier:
    def __init__(self, settings: Settings, access: Access,
                 case_paths: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.access = access
        #: workflow -> the path of its case endpoints (``CaseApi.path``), for links to a case
        self.case_paths = dict(case_paths or {})

    def history_url(self, case: Case) -> str:
        """Where the case's history is read (with the reader's credentials)."""
        base = self.settings.public_url.rstrip("/")
        path = self.case_paths.get(case.workflow)
        return f"{base}{path}/{case.id}/history" if path else base

    async def on_transition(self, session: AsyncSession, case: Case, spec: WorkflowSpec,
                            transition: TransitionSpec, event: CaseEvent,
                            deadlines: list[NewDeadline]) -> None:
        """One e-mail per person: what happened, why, and the deadlines it set for them."""
        roles = set(transition.notify) | {r for d in deadlines for r in d.spec.notify}
        if not roles:
            return
        people = await recipients(session, self.access, case, roles)
        if not people:
            return
        org = (await session.get(Organisation, case.organisation_id)
               if case.organisation_id is not None else None)
        state = spec.states[event.to_state]
        mails = []
        for person in people:
            theirs = [d for d in deadlines if person.roles & set(d.spec.notify)]
            if not (person.roles & set(transition.notify)) and not theirs:
                continue
            lines = [f"{spec.title} #{case.id}" + (f" ({org.name})" if org else ""),
                     "",
                     f"{_label(event.event).capitalize()}: the case is now "
                     f"{_label(event.to_state)} ({state.description})."]
            if event.reason_code:
                lines.append(f"Reason: {spec.reason_codes.get(event.reason_code, event.reason_code)}")
            if event.note_commitment is not None:  # personal: never in e-mail
                lines.append("A note was written. It may hold personal data, so it is not "
                             f"copied into e-mail: read it in the case's history, {self.history_url(case)}")
            elif event.note:
                lines.append(f"Note: {event.note}")
            if theirs:
                lines += ["", "Deadlines:"]
                lines += [f"- {d.spec.description or _label(d.spec.name)}: {_when(d.due_at)}"
                          for d in theirs]
            mails.append(self._mail(case, person, "case.transition",
                                    f"[IRIS] {spec.title} #{case.id}: {_label(event.event)}",
                                    lines, event.created_at))
        await enqueue_rows(session, mails)

    async def reminder(self, session: AsyncSession, case: Case, spec: WorkflowSpec,
                       timer: TimerSpec, deadline: datetime, now: datetime) -> None:
        what = timer.description or _label(timer.name)
        await enqueue_rows(session, [
            self._mail(case, person, "case.reminder",
                       f"[IRIS] Reminder, {spec.title} #{case.id}: {what} by {deadline:%d %B %Y}",
                       [f"{spec.title} #{case.id}", "", f"Reminder: {what}.",
                        f"Deadline: {_when(deadline)}.",
                        f"The case is {_label(case.state)} ({spec.states[case.state].description})."],
                       now)
            for person in await recipients(session, self.access, case, timer.notify)])

    async def deadline_due(self, session: AsyncSession, case: Case, spec: WorkflowSpec,
                           timer: TimerSpec, deadline: datetime, now: datetime,
                           roles: Iterable[str] | None = None) -> None:
        what = timer.description or _label(timer.name)
        consequence = (f"The system has fired {_label(timer.event)}: the case is now "
                       f"{_label(case.state)}." if timer.event else "The deadline has now passed.")
        told = timer.notify if roles is None else roles
        await enqueue_rows(session, [
            self._mail(case, person, "case.deadline",
                       f"[IRIS] Deadline reached, {spec.title} #{case.id}: {what}",
                       [f"{spec.title} #{case.id}", "", f"Deadline reached: {what} "
                        f"({_when(deadline)}).", consequence], now)
            for person in await recipients(session, self.access, case, told)])

    async def tell(self, session: AsyncSession, case: Case, roles: Iterable[str], *, topic: str,
                   subject: str, lines: list[str], now: datetime) -> None:
        """Something outside the workflow happened (e.g. a message arrived): tell these roles."""
        await enqueue_rows(session, [
            self._mail(case, person, topic, subject, lines, now)
            for person in await recipients(session, self.access, case, roles)])

    def _mail(self, case: Case, person: _Recipient, topic: str, subject: str, lines: list[str],
              now: datetime) -> dict[str, Any]:
        """The outbox row of one e-mail (``enqueue_rows`` writes a notice's all at once)."""
        text = "\n".join([f"Dear {person.name},", "", *lines, "",
                          f"Sign in at {self.settings.public_url} to see the case.", "",
                          "IRIS Engine (automatic message)"])
        return message_row(channel="email", destination=person.email, topic=topic,
                           payload={"subject": subject, "text": text}, now=now, case_id=case.id)
