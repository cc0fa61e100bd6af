"""The course catalogue: courses as versioned data. A training coordinator adds a course and
revises it (each revision is the next version; a session pins the version it runs); training
coordinators and trainers read every version; the public reads the active courses.

Concurrency: a version is a row unique by (key, version). Two revisions at once both ask for
the next number; on PostgreSQL the second insert meets the unique constraint and is answered
409 (nothing saved), on SQLite writers take turns and the two become consecutive versions.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from iris_engine.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from iris_engine.training.course_document import (
    AUDIENCES,
    CourseFacts,
    check_course,
    topic_labels,
)
from iris_engine.training.models import Course

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.ext.asyncio import AsyncSession

    from iris_engine.cases import Principal
    from iris_engine.clock import Clock
    from iris_engine.store.db import Database

__all__ = [
    "AUTHORS",
    "DEMO_COURSES",
    "READERS",
    "CourseCatalogue",
    "CoursePublic",
    "CourseSummary",
    "CourseView",
    "demo_course_documents",
    "latest_versions",
]

#: who adds and revises courses
AUTHORS = frozenset({"training_coordinator"})
#: who reads every course and version (trainers run sessions of them)
READERS = frozenset({"training_coordinator", "trainer"})
#: the two demo courses, as JSON documents (valid examples of the schema)
DEMO_COURSES = Path(__file__).resolve().parent / "courses"


class CourseSummary(msgspec.Struct):
    """One version of a course, in a list."""

    id: int
    key: str
    version: int
    title: str
    cpd_hours: float
    accreditation_prerequisite: bool
    active: bool
    created_at: datetime


class CourseView(msgspec.Struct):
    """One version of a course: the facts sessions and certificates use, and the document as
    stored (CPD hours derived, defaults filled in)."""

    id: int
    key: str
    version: int
    title: str
    topics: list[str]
    #: the core topics' labels, then the other topics: what a certificate prints
    topic_labels: list[str]
    audiences: list[str]
    format: str
    duration_minutes: int
    active_minutes: int
    cpd_hours: float
    attendance_threshold: int
    pass_mark: int | None
    language: str
    accreditation_prerequisite: bool
    certificate_validity: str | None
    active: bool
    created_at: datetime
    created_by: int | None
    document: dict[str, Any]


class CoursePublic(msgspec.Struct):
    """A course offered now, as the public course list shows it: no personal data."""

    key: str
    version: int
    title: str
    summary: str | None
    topics: list[str]
    audiences: list[str]
    format: str
    duration_minutes: int
    cpd_hours: float
    language: str
    accreditation_prerequisite: bool


def _summary(row: Course) -> CourseSummary:
    return CourseSummary(id=row.id or 0, key=row.key, version=row.version, title=row.title,
                         cpd_hours=row.cpd_hours,
                         accreditation_prerequisite=row.accreditation_prerequisite,
                         active=bool(row.document.get("active", True)), created_at=row.created_at)


def _view(row: Course) -> CourseView:
    return CourseView(
        id=row.id or 0, key=row.key, version=row.version, title=row.title,
        topics=list(row.topics),
        topic_labels=topic_labels(list(row.topics), row.document.get("other_topics")),
        audiences=list(row.audiences), format=row.format,
        duration_minutes=row.duration_minutes, active_minutes=row.active_minutes,
        cpd_hours=row.cpd_hours, attendance_threshold=row.attendance_threshold,
        pass_mark=row.pass_mark, language=row.language,
        accreditation_prerequisite=row.accreditation_prerequisite,
        certificate_validity=row.certificate_validity,
        active=bool(row.document.get("active", True)), created_at=row.created_at,
        created_by=row.created_by, document=row.document)


def _public(row: Course) -> CoursePublic:
    return CoursePublic(
        key=row.key, version=row.version, title=row.title, summary=row.document.get("summary"),
        topics=topic_labels(list(row.topics), row.document.get("other_topics")),
        audiences=[AUDIENCES.get(a, a) for a in row.audiences], format=row.format,
        duration_minutes=row.duration_minutes, cpd_hours=row.cpd_hours, language=row.language,
        accreditation_prerequisite=row.accreditation_prerequisite)


async def latest_versions(session: AsyncSession, keys: Sequence[str] | None = None) -> list[Course]:
    """The latest version of each course (of ``keys`` only, when given), by key."""
    newest = select(col(Course.key), func.max(col(Course.version)).label("version")).group_by(
        col(Course.key))
    if keys is not None:
        newest = newest.where(col(Course.key).in_(list(keys)))
    latest = newest.subquery()
    rows = await session.scalars(select(Course).join(
        latest, (col(Course.key) == latest.c.key) & (col(Course.version) == latest.c.version))
        .order_by(col(Course.key)))
    return list(rows.all())


def demo_course_documents() -> list[dict[str, Any]]:
    """The demo courses (``training/courses/*.json``), sorted by key."""
    return sorted((json.loads(p.read_text(encoding="utf-8")) for p in DEMO_COURSES.glob("*.json")),
                  key=lambda d: str(d.get("key")))


def _require(principal: Principal, roles: frozenset[str], what: str) -> None:
    if not principal.roles & roles:
        who = " and ".join(sorted(role.replace("_", " ") + "s" for role in roles))
        raise Forbidden(f"{what} is for {who}")


class CourseCatalogue:
    """Adds, revises and reads courses; each call is one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(self, principal: Principal, document: Any) -> CourseView:
        """A new course, as version 1 (409 if its key is taken: revise it instead)."""
        _require(principal, AUTHORS, "adding a course")
        facts = check_course(document)
        async with self.db.write() as session:
            current = await self._latest_number(session, facts.key)
            if current is not None:
                raise Conflict(f"a course {facts.key!r} exists (version {current}): a change is "
                               f"a new version, POST /api/v1/training/courses/{facts.key}/versions",
                               errors=[FieldError("/key", "is taken")])
            row = await self._insert(session, facts, 1, principal)
        return _view(row)

    async def revise(self, principal: Principal, key: str, document: Any) -> CourseView:
        """The next version of course ``key``; the document's key, if given, must be ``key``."""
        _require(principal, AUTHORS, "revising a course")
        if isinstance(document, dict):
            if document.get("key", key) != key:
                raise InvalidInput("a revision keeps the course's key", errors=[
                    FieldError("/key", f"must be {key!r}, the course revised (or left out)")])
            document = {**document, "key": key}
        facts = check_course(document)
        async with self.db.write() as session:
            current = await self._latest_number(session, key)
            if current is None:
                raise NotFound(f"no course {key!r}: add it with POST /api/v1/training/courses")
            row = await self._insert(session, facts, current + 1, principal)
        return _view(row)

    async def latest(self, principal: Principal) -> list[CourseSummary]:
        """The latest version of every course, retired ones included, by key."""
        _require(principal, READERS, "the course catalogue")
        async with self.db.read() as session:
            return [_summary(row) for row in await latest_versions(session)]

    async def versions(self, principal: Principal, key: str) -> list[CourseSummary]:
        """Every version of course ``key``, oldest first."""
        _require(principal, READERS, "the course catalogue")
        async with self.db.read() as session:
            rows = (await session.scalars(select(Course).where(col(Course.key) == key)
                                          .order_by(col(Course.version)))).all()
        if not rows:
            raise NotFound(f"no course {key!r}")
        return [_summary(row) for row in rows]

    async def get(self, principal: Principal, key: str, version: int | None = None) -> CourseView:
        """Course ``key`` at ``version`` (default: its latest)."""
        _require(principal, READERS, "the course catalogue")
        async with self.db.read() as session:
            if version is None:
                found = await latest_versions(session, [key])
                row = found[0] if found else None
            else:
                row = (await session.scalars(select(Course).where(
                    col(Course.key) == key, col(Course.version) == version))).first()
        if row is None:
            raise NotFound(f"no course {key!r}" + (f" at version {version}" if version else ""))
        return _view(row)

    async def add_demo_courses(self, principal: Principal) -> list[CourseView]:
        """Add the demo courses (``demo_course_documents``) that are not there yet, as
        ``principal`` (a training coordinator); answers those added."""
        added = []
        async with self.db.read() as session:
            present = {row.key for row in await latest_versions(session)}
        for document in demo_course_documents():
            if document["key"] not in present:
                added.append(await self.add(principal, document))
        return added

    async def public(self) -> list[CoursePublic]:
        """The courses offered now (the latest version of each, unless it retired the course)."""
        async with self.db.read() as session:
            rows = await latest_versions(session)
        return [_public(row) for row in rows if row.document.get("active", True)]

    # -- shared ------------------------------------------------------------------------------
    @staticmethod
    async def _latest_number(session: AsyncSession, key: str) -> int | None:
        number: int | None = await session.scalar(
            select(func.max(col(Course.version))).where(col(Course.key) == key))
        return number

    async def _insert(self, session: AsyncSession, facts: CourseFacts, version: int,
                      principal: Principal) -> Course:
        row = Course(
            key=facts.key, version=version, title=facts.title, topics=facts.topics,
            audiences=facts.audiences, format=facts.format,
            duration_minutes=facts.duration_minutes, active_minutes=facts.active_minutes,
            cpd_hours=facts.cpd_hours, attendance_threshold=facts.attendance_threshold,
            pass_mark=facts.pass_mark, language=facts.language,
            accreditation_prerequisite=facts.accreditation_prerequisite,
            certificate_validity=facts.certificate_validity, document=facts.document,
            created_at=self.clock(), created_by=principal.user_id or None)
        session.add(row)
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError:
            raise Conflict(f"another change to course {facts.key!r} was saved at the same moment "
                           f"as version {version}; nothing was saved: read the course and send "
                           "the revision again") from None
        return row
