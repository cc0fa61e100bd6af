"""Who a transition's e-mail reaches, when the statement that finds them is built once and
reused (``notifications.recipients``): each case's own organisation, never the one whose case
built the statement first."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from iris_engine.store.models import OutboxMessage, User
from tests.integration.conftest import Cast, World, newcomer, walk_to


async def _told(world: World, case_id: int) -> dict[int, str]:
    """The case's transition e-mails so far: id -> address."""
    async with world.services.db.read() as session:
        return {row.id: row.destination for row in (await session.execute(
            select(col(OutboxMessage.id), col(OutboxMessage.destination)).where(
                col(OutboxMessage.case_id) == case_id,
                col(OutboxMessage.topic) == "case.transition"))).all()}


async def _emails(world: World, organisation_id: int) -> set[str]:
    async with world.services.db.read() as session:
        return set((await session.scalars(select(col(User.email)).where(
            col(User.organisation_id) == organisation_id))).all())


async def test_each_suspension_tells_its_own_recruiter(world: World, cast: Cast) -> None:
    other = await newcomer(world, cast, 0)
    first, second = await walk_to(cast, "accredited"), await walk_to(other, "accredited")
    first_people = await _emails(world, cast.recruiter.organisation_id)
    second_people = await _emails(world, other.recruiter.organisation_id)
    assert first_people and second_people and not first_people & second_people
    for case_id, own, others in ((first, first_people, second_people),
                                 (second, second_people, first_people)):
        revision = (await cast.manager.get(f"/api/v1/applications/{case_id}")).json()["revision"]
        before = await _told(world, case_id)
        r = await cast.manager.fire(case_id, "suspend", revision, reason_code="other",
                                    note="bench")
        assert r.status_code == 200, r.text
        told = {to for n, to in (await _told(world, case_id)).items() if n not in before}
        assert told & own, (told, own)  # the recruiter of this case
        assert not told & others, (told, others)  # never the one whose case came first
