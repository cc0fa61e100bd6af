"""What a guard, effect or anchor is handed: the case being moved and a narrow set of tools.

A hook changes only its own detail. Anything the engine owns (another case, an assignment, a
deadline) it changes through ``cases`` (an audited event) or ``timers``; long-lived objects it
needs (settings, the code library, ...) it asks ``resources`` for by type; work that must wait
for the commit (dropping a cache) it hands to ``after_commit``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from iris_engine.store.db import after_commit, erased
from iris_engine.workflow import Actor, Resources, TransitionInput

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases.engine import CaseEngine
    from iris_engine.store.models import Case
    from iris_engine.timers.book import TimerBook

__all__ = ["TransitionContext"]


@dataclass(slots=True)
class TransitionContext:
    case: Case
    #: the case's detail row (the domain's own table), loaded with the case locked
    detail: Any
    actor: Actor
    request: TransitionInput
    source: str
    dest: str
    now: datetime
    session: AsyncSession
    workflow_settings: dict[str, Any]
    resources: Resources = field(default_factory=Resources)
    #: the engine: to open or fire other cases inside this transaction (audited)
    cases: CaseEngine | None = None
    #: the timer book: to move this case's deadlines
    timers: TimerBook | None = None
    #: filled by effects for the audit event (e.g. the LRN assigned)
    outcome: dict[str, Any] = field(default_factory=dict)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this transaction has committed (never if it rolls back)."""
        after_commit(self.session, callback)

    def erased(self, *tables: str) -> None:
        """Personal data was erased from these tables (the hook's own): once this transaction
        commits, what is left of it on disk is reclaimed (``Database.reclaim``)."""
        erased(self.session, *tables)

    @property
    def engine(self) -> CaseEngine:
        assert self.cases is not None, "this context was built without the case engine"
        return self.cases

    @property
    def timer_book(self) -> TimerBook:
        assert self.timers is not None, "this context was built without the timer book"
        return self.timers
