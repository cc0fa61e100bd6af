"""A world with the course catalogue and training statistics wired into the training domain
(``training.catalogue``), and accounts of the training roles.

Until the training domain's declaration carries them (``CATALOGUE_ROUTES``,
``catalogue_services``) and the training workflows name the roles, this adds both; once they
do, it uses the domains as they are."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from httpx import ASGITransport, AsyncClient

from iris_engine.app import create_app
from iris_engine.clock import ManualClock, utcnow
from iris_engine.domain import Domain
from iris_engine.domains import DOMAINS
from iris_engine.services import Services, build_services
from iris_engine.store.models import Case
from iris_engine.ticker import Ticker
from iris_engine.training.catalogue import CATALOGUE_ROUTES, catalogue_services
from iris_engine.training.courses_http import CourseController
from tests.integration import conftest
from tests.integration.conftest import World

__all__ = ["TRAINING_ROLES", "case_row", "catalogue_domains", "catalogue_world"]

TRAINING_ROLES = ("organisation_coordinator", "trainer", "training_coordinator")


def catalogue_domains(domains: Sequence[Domain] = DOMAINS) -> tuple[Domain, ...]:
    out = []
    for domain in domains:
        if domain.name == "training" and CourseController not in domain.routes:
            provides = domain.provides
            domain = dataclasses.replace(
                domain, routes=(*domain.routes, *CATALOGUE_ROUTES),
                provides=lambda s, p=provides: {**p(s), **catalogue_services(s)})  # type: ignore[misc]
        out.append(domain)
    return tuple(out)


def with_training_roles(services: Services) -> None:
    services.people.roles = tuple(sorted({*services.people.roles, *TRAINING_ROLES}))


async def catalogue_world(database_url: str, tmp_path: Path,
                          **overrides: Any) -> AsyncIterator[World]:
    settings = conftest.test_settings(database_url, anchor_dir=tmp_path / "anchors", **overrides)
    clock = ManualClock(utcnow())
    services = build_services(settings, clock=clock, domains=catalogue_domains())
    with_training_roles(services)
    app = create_app(settings, services=services)
    ticker = Ticker(services, "test-ticker")
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://testserver") as client:
        yield World(services, client, settings, clock, ticker)
    await ticker.stop()
    await services.db.dispose()


def case_row(workflow: str, state: str, organisation_id: int | None = None) -> Case:
    """A case row as the engine would leave it (for statistics read straight from the tables)."""
    now = datetime.now(UTC)
    return Case(workflow=workflow, workflow_version=1, state=state, revision=1,
                organisation_id=organisation_id, created_at=now, updated_at=now)
