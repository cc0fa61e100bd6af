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

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from iris_engine.cases.access import Access, Scope
from iris_engine.outbox import enqueue
from iris_engine.settings import Settings
from iris_engine.store.models import Case, CaseEvent, Organisation, User
from iris_engine.timers.book import NewDeadline
from iris_engine.workflow import NamedScope, TimerSpec, TransitionSpec, WorkflowSpec

__all__ = ["Notifier", "recipients"]


@dataclass(slots=True)
class _Recipient:
    user: User
    roles: set[str] = field(default_factory=set)


async def recipients(session: AsyncSession, access: Access, case: Case,
                     roles: Iterable[str]) -> list[_Recipient]:
    """Active users that each role reaches on this case, once each, with the roles that did."""
    found: dict[int, _Recipient] = {}
    for role in sorted(set(roles)):
        scope = access.scope(role, case.workflow)
        if scope is Scope.QUEUE:  # the assignee, or the whole queue while nobody holds it
            scope = Scope.ALL if case.assignee_id is None else Scope.ASSIGNED
        stmt = select(User).where(col(User.active))
        if isinstance(scope, NamedScope):  # those in the role whom its condition gives the case
            stmt = stmt.where(col(User.roles).contains(role), access.users_within(role, case))
        elif scope is Scope.ORGANISATION:
            stmt = stmt.where(col(User.organisation_id) == case.organisation_id)
        elif scope is Scope.ASSIGNED:
            if case.assignee_id is None:
                continue
            stmt = stmt.where(col(User.id) == case.assignee_id)
        elif scope is Scope.ALL:
            stmt = stmt.where(col(User.roles).contains(role))
        else:  # e.g. a complainant: reached through their own access code, never by e-mail
            continue
        for user in (await session.scalars(stmt.order_by(col(User.id)))).all():
            if role in user.role_set:
                found.setdefault(user.id or 0, _Recipient(user)).roles.add(role)
    return list(found.values())


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
            self._mail(session, case, person.user, "case.transition",
                       f"[IRIS] {spec.title} #{case.id}: {_label(event.event)}", lines, event.created_at)

    async def reminder(self, session: AsyncSession, case: Case, spec: WorkflowSpec,
                       timer: TimerSpec, deadline: datetime, now: datetime) -> None:
        what = timer.description or _label(timer.name)
        for person in await recipients(session, self.access, case, timer.notify):
            self._mail(session, case, person.user, "case.reminder",
                       f"[IRIS] Reminder, {spec.title} #{case.id}: {what} by {deadline:%d %B %Y}",
                       [f"{spec.title} #{case.id}", "", f"Reminder: {what}.",
                        f"Deadline: {_when(deadline)}.",
                        f"The case is {_label(case.state)} ({spec.states[case.state].description})."],
                       now)

    async def deadline_due(self, session: AsyncSession, case: Case, spec: WorkflowSpec,
                           timer: TimerSpec, deadline: datetime, now: datetime,
                           roles: Iterable[str] | None = None) -> None:
        what = timer.description or _label(timer.name)
        consequence = (f"The system has fired {_label(timer.event)}: the case is now "
                       f"{_label(case.state)}." if timer.event else "The deadline has now passed.")
        for person in await recipients(session, self.access, case, timer.notify if roles is None else roles):
            self._mail(session, case, person.user, "case.deadline",
                       f"[IRIS] Deadline reached, {spec.title} #{case.id}: {what}",
                       [f"{spec.title} #{case.id}", "", f"Deadline reached: {what} "
                        f"({_when(deadline)}).", consequence], now)

    async def tell(self, session: AsyncSession, case: Case, roles: Iterable[str], *, topic: str,
                   subject: str, lines: list[str], now: datetime) -> None:
        """Something outside the workflow happened (e.g. a message arrived): tell these roles."""
        for person in await recipients(session, self.access, case, roles):
            self._mail(session, case, person.user, topic, subject, lines, now)

    def _mail(self, session: AsyncSession, case: Case, user: User, topic: str, subject: str,
              lines: list[str], now: datetime) -> None:
        text = "\n".join([f"Dear {user.name},", "", *lines, "",
                          f"Sign in at {self.settings.public_url} to see the case.", "",
                          "IRIS Engine (automatic message)"])
        enqueue(session, channel="email", destination=user.email, topic=topic,
                payload={"subject": subject, "text": text}, now=now, case_id=case.id)
