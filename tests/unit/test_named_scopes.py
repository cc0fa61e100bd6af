"""A scope a domain names, on a workflow the engine has never seen: the test-only inquiry
(tests/sample_domain) gives the scheme manager only urgent questions. Lists, single reads,
acts, what may fire and who is told all follow the one condition; nothing in the engine
changes for it. In-memory SQLite, no HTTP."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import String, cast, literal, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel, col

import iris_engine.domains  # noqa: F401  (every shipped table, which the engine's refer to)
from iris_engine.cases import CaseEngine, Principal
from iris_engine.cases.service import one_row_detail
from iris_engine.clock import ManualClock, utcnow
from iris_engine.errors import Forbidden, WorkflowDefinitionError
from iris_engine.notifications import recipients
from iris_engine.settings import Settings
from iris_engine.store.models import Case, Organisation, User
from iris_engine.workflow import HookRegistry, TransitionInput, WorkflowCatalog
from iris_engine.workflow.spec import build_workflow
from tests.conftest import REPO
from tests.sample_domain import WORKFLOW_FILE, Inquiry, SampleBase
from tests.sample_domain.hooks import hooks as inquiry_hooks

ASKER = Principal(user_id=11, organisation_id=5, roles=frozenset({"recruiter"}))
MANAGER = Principal(user_id=21, organisation_id=1, roles=frozenset({"scheme_manager"}))
ANSWER = TransitionInput("answer", 1, note="No fees, ever.")


def urgent(settings: Mapping[str, Any], _caller: Any) -> Any:
    return col(Inquiry.question).startswith(settings["urgent_mark"])


@pytest.fixture
def engine() -> CaseEngine:
    raw = yaml.safe_load(WORKFLOW_FILE.read_text())
    raw["access"]["scheme_manager"] = "urgent"
    raw["settings"] = {"urgent_mark": "URGENT"}
    hooks = HookRegistry.merged(inquiry_hooks)
    hooks.scope("urgent", table=Inquiry)(urgent)
    hooks.detail("inquiry")(one_row_detail(Inquiry))
    catalog = WorkflowCatalog([build_workflow(raw, source="inquiry.yaml")])
    assert catalog.unresolved_hooks(hooks) == []
    return CaseEngine(catalog, hooks, clock=ManualClock(utcnow()))


@pytest.fixture
async def session() -> AsyncIterator[AsyncSession]:
    db = create_async_engine("sqlite+aiosqlite://", poolclass=StaticPool)
    async with db.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
        await conn.run_sync(SampleBase.metadata.create_all)
    async with async_sessionmaker(db, expire_on_commit=False)() as s:
        yield s
    await db.dispose()


async def ask(engine: CaseEngine, session: AsyncSession, question: str) -> int:
    opened = await engine.open(session, "inquiry", organisation_id=ASKER.organisation_id,
                               principal=ASKER, role="recruiter",
                               detail=lambda case: Inquiry(case_id=case.id or 0, question=question))
    await session.flush()
    return opened.case.id or 0


async def test_a_named_scope_selects_the_same_cases_in_lists_reads_and_acts(
        engine: CaseEngine, session: AsyncSession) -> None:
    calm = await ask(engine, session, "Fees?")
    pressing = await ask(engine, session, "URGENT: they kept my passport")

    listed = (await session.scalars(select(col(Case.id)).where(
        engine.access.scope_clause(MANAGER, "inquiry")).order_by(col(Case.id)))).all()
    assert listed == [pressing]
    assert engine.access.scope_name("scheme_manager", "inquiry") == "urgent"

    with pytest.raises(Forbidden):
        await engine.get_visible(session, calm, MANAGER, "inquiry")
    with pytest.raises(Forbidden):
        await engine.fire(session, "inquiry", calm, MANAGER, ANSWER)
    case = await engine.get_visible(session, pressing, MANAGER, "inquiry")
    assert [t["event"] for t in await engine.available(session, case, MANAGER)] == ["answer"]
    outcome = await engine.fire(session, "inquiry", pressing, MANAGER, ANSWER)
    assert outcome.case.state == "answered"

    # the asker's own organisation still reaches both: one role's scope limits only that role
    for case_id in (calm, pressing):
        await engine.get_visible(session, case_id, ASKER, "inquiry")


async def test_a_named_scope_sees_the_transaction_it_is_asked_in(
        engine: CaseEngine, session: AsyncSession) -> None:
    """The check reads the detail as this transaction left it (a hook may have just changed
    it, as an appeal raises a grievance's tier), and who is told follows it."""
    case_id = await ask(engine, session, "Fees?")
    org = Organisation(kind="scheme", name="Scheme", country="CH", created_at=utcnow())
    session.add(org)
    await session.flush()
    session.add(User(email="m@scheme.example", name="M", password_hash="-", roles="scheme_manager",
                     organisation_id=org.id or 0, created_at=utcnow()))
    case = await session.get(Case, case_id)
    assert case is not None
    assert await recipients(session, engine.access, case, ["scheme_manager"]) == []

    detail = await session.get(Inquiry, case_id)
    assert detail is not None
    detail.question = "URGENT: Fees?"  # not flushed yet

    assert await engine.access.roles_in_scope(session, MANAGER, case) == ["scheme_manager"]
    [told] = await recipients(session, engine.access, case, ["scheme_manager"])
    assert told.email == "m@scheme.example"


def test_a_named_scope_given_by_a_workflow_whose_table_it_does_not_read_is_refused(
        tmp_path: Path) -> None:
    """The grievance's ``last_tier`` reads the grievance table: given to a referral's role it
    would reach no referral at all, so the services refuse to start, naming the file and key."""
    from iris_engine.services import build_services

    folder = tmp_path / "workflows"
    shutil.copytree(REPO / "workflows", folder)
    referral = folder / "referral.yaml"
    referral.write_text(referral.read_text().replace("supervisor: all", "supervisor: last_tier"))
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
                        secret_key="test-secret-key-of-at-least-32-bytes!", workflows_dir=folder,
                        codes_dir=REPO / "codes_of_conduct", scheduler=False)

    with pytest.raises(WorkflowDefinitionError) as caught:
        build_services(settings)

    assert (caught.value.file, caught.value.key_path) == (str(referral), "access.supervisor")
    assert "grievance" in caught.value.message


def addressed(settings: Mapping[str, Any], caller: Any) -> Any:
    """Questions addressed to the caller's organisation (``for organisation <id>``): the
    caller's id is a value for one caller, a column of ``app_user`` when asking who is told."""
    return col(Inquiry.question) == literal("for organisation ") + cast(caller.organisation_id,
                                                                        String)


async def test_a_named_scope_reads_who_is_asking(session: AsyncSession) -> None:
    """A partner organisation reaches the cases shared with it: one condition on the caller
    filters each caller's list, checks their single reads, and picks who is told."""
    raw = yaml.safe_load(WORKFLOW_FILE.read_text())
    raw["access"]["scheme_manager"] = "addressed"
    hooks = HookRegistry.merged(inquiry_hooks)
    hooks.scope("addressed", table=Inquiry)(addressed)
    hooks.detail("inquiry")(one_row_detail(Inquiry))
    engine = CaseEngine(WorkflowCatalog([build_workflow(raw, source="inquiry.yaml")]), hooks,
                        clock=ManualClock(utcnow()))
    users = {}
    for name in ("North", "South"):
        org = Organisation(kind="scheme", name=name, country="CH", created_at=utcnow())
        session.add(org)
        await session.flush()
        user = User(email=f"m@{name.lower()}.example", name=name, password_hash="-",
                    roles="scheme_manager", organisation_id=org.id or 0, created_at=utcnow())
        session.add(user)
        await session.flush()
        users[name] = Principal(user_id=user.id or 0, organisation_id=org.id or 0,
                                roles=frozenset({"scheme_manager"}))
    north, south = users["North"], users["South"]
    mine = await ask(engine, session, f"for organisation {north.organisation_id}")
    await ask(engine, session, "for nobody")

    for who, expected in ((north, [mine]), (south, [])):
        listed = (await session.scalars(select(col(Case.id)).where(
            engine.access.scope_clause(who, "inquiry")))).all()
        assert list(listed) == expected
    await engine.get_visible(session, mine, north, "inquiry")
    with pytest.raises(Forbidden):
        await engine.get_visible(session, mine, south, "inquiry")
    case = await session.get(Case, mine)
    assert case is not None
    told = await recipients(session, engine.access, case, ["scheme_manager"])
    assert [r.email for r in told] == ["m@north.example"]
