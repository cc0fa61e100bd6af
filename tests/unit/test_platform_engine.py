"""A new workflow driven through the case engine alone: the test-only inquiry workflow
(tests/sample_domain), its own hook registry, in-memory SQLite, no HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

import iris_engine.domains  # noqa: F401  (every shipped table, which the engine's refer to)
from iris_engine.cases import CaseEngine, Principal
from iris_engine.cases.audit import verify_chains
from iris_engine.cases.service import one_row_detail
from iris_engine.clock import ManualClock, utcnow
from iris_engine.errors import ConfigurationError, Forbidden, GuardFailed, StaleRevision
from iris_engine.store.models import Timer
from iris_engine.timers import TimerBook
from iris_engine.vault import Vault
from iris_engine.workflow import HookRegistry, TransitionInput, WorkflowCatalog, load_workflow_file
from tests.sample_domain import WORKFLOW_FILE, Inquiry, SampleBase
from tests.sample_domain.hooks import hooks as inquiry_hooks

ASKER = Principal(user_id=11, organisation_id=5, roles=frozenset({"recruiter"}))
OTHER_RECRUITER = Principal(user_id=12, organisation_id=6, roles=frozenset({"recruiter"}))
MANAGER = Principal(user_id=21, organisation_id=1, roles=frozenset({"scheme_manager"}))
#: a role the inquiry file does not list: it reaches nothing (closed by default)
CASEWORKER = Principal(user_id=31, organisation_id=1, roles=frozenset({"caseworker", "admin"}))


@pytest.fixture
async def session() -> AsyncIterator[AsyncSession]:
    db = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    async with db.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.run_sync(SampleBase.metadata.create_all)
    async with async_sessionmaker(db, expire_on_commit=False)() as s:
        yield s
    await db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(utcnow())


@pytest.fixture
def engine(clock: ManualClock) -> CaseEngine:
    hooks = HookRegistry.merged(inquiry_hooks)
    hooks.detail("inquiry")(one_row_detail(Inquiry))
    catalog = WorkflowCatalog([load_workflow_file(WORKFLOW_FILE)])
    assert catalog.unresolved_hooks(hooks) == []
    return CaseEngine(catalog, hooks, clock=clock, timers=TimerBook(hooks))


async def _ask(engine: CaseEngine, session: AsyncSession) -> int:
    opened = await engine.open(session, "inquiry", organisation_id=ASKER.organisation_id,
                               principal=ASKER, role="recruiter",
                               detail=lambda case: Inquiry(case_id=case.id or 0, question="Fees?"))
    await session.flush()
    return opened.case.id or 0


async def test_a_question_is_answered_its_deadline_cancelled_and_the_chain_holds(
        engine: CaseEngine, session: AsyncSession, clock: ManualClock) -> None:
    case_id = await _ask(engine, session)
    [timer] = (await session.scalars(select(Timer).where(Timer.case_id == case_id))).all()
    assert (timer.name, timer.status, timer.due_at) == ("answer_due", "pending",
                                                        clock() + timedelta(days=10))

    clock.advance(days=2)
    outcome = await engine.fire(session, "inquiry", case_id, MANAGER,
                                TransitionInput("answer", 1, note="No fees, ever."))
    await session.flush()

    assert outcome.case.state == "answered" and outcome.detail.answered_at == clock()
    await session.refresh(timer)
    assert timer.status == "cancelled"
    assert [e.event for e in await engine.history(session, outcome.case)] == ["open", "answer"]
    cases, events, broken = await verify_chains(session)
    assert (cases, events, broken) == (1, 2, None)


async def test_access_is_closed_to_every_role_the_file_does_not_list(
        engine: CaseEngine, session: AsyncSession) -> None:
    case_id = await _ask(engine, session)
    for outsider in (OTHER_RECRUITER, CASEWORKER):
        with pytest.raises(Forbidden):
            await engine.get_visible(session, case_id, outsider, "inquiry")
    assert not engine.access.reaches_workflow(CASEWORKER, "inquiry")
    assert engine.access.reaches_workflow(OTHER_RECRUITER, "inquiry")  # its own, none here
    assert [t["event"] for t in await engine.available(
        session, await engine.get_visible(session, case_id, ASKER, "inquiry"), ASKER)] == [
        "withdraw_question"]


async def test_a_guard_refuses_by_name_and_a_stale_revision_is_refused(
        engine: CaseEngine, session: AsyncSession) -> None:
    case_id = await _ask(engine, session)
    await engine.fire(session, "inquiry", case_id, ASKER, TransitionInput("withdraw_question", 1))

    with pytest.raises(StaleRevision):
        await engine.fire(session, "inquiry", case_id, MANAGER,
                          TransitionInput("answer", 1, note="late"))
    with pytest.raises(GuardFailed) as refused:
        await engine.fire(session, "inquiry", case_id, MANAGER,
                          TransitionInput("answer", 2, note="late"))
    assert refused.value.extra["guards"] == [{"guard": "question_not_withdrawn",
                                              "message": "the recruiter withdrew the question"}]


async def test_a_personal_note_is_never_stored_in_clear_even_without_a_vault(
        session: AsyncSession, clock: ManualClock, tmp_path: Path) -> None:
    """Closed by default: an engine built without the vault refuses a personal note rather
    than store it in clear; with one, the clear column stays empty."""
    inquiry = yaml.safe_load(WORKFLOW_FILE.read_text())
    inquiry["personal_notes"] = True
    path = tmp_path / "inquiry.yaml"
    path.write_text(yaml.safe_dump(inquiry))
    hooks = HookRegistry.merged(inquiry_hooks)
    hooks.detail("inquiry")(one_row_detail(Inquiry))
    catalog = WorkflowCatalog([load_workflow_file(path)])

    engine = CaseEngine(catalog, hooks, clock=clock, timers=TimerBook(hooks))
    case_id = await _ask(engine, session)
    with pytest.raises(ConfigurationError):
        await engine.fire(session, "inquiry", case_id, MANAGER,
                          TransitionInput("answer", 1, note="Ask Mr Rai"))
    await session.rollback()

    engine = CaseEngine(catalog, hooks, clock=clock, timers=TimerBook(hooks), vault=Vault(""))
    case_id = await _ask(engine, session)
    outcome = await engine.fire(session, "inquiry", case_id, MANAGER,
                                TransitionInput("answer", 1, note="Ask Mr Rai"))
    assert outcome.event.note is None and outcome.event.note_sealed
    assert engine.notes.read(outcome.event) == "Ask Mr Rai"
