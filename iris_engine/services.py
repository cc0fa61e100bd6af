"""Builds every long-lived object once, from Settings: the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from iris_engine.accreditation import AccreditationService
from iris_engine.cases import HOOKS, CaseEngine
from iris_engine.documents import CodeLibrary
from iris_engine.errors import WorkflowDefinitionError
from iris_engine.people import People
from iris_engine.roster.service import Roster
from iris_engine.settings import Settings
from iris_engine.store.db import Database
from iris_engine.workflow import WorkflowCatalog

__all__ = ["Services", "build_services"]


@dataclass(slots=True)
class Services:
    settings: Settings
    db: Database
    catalog: WorkflowCatalog
    codes: CodeLibrary
    engine: CaseEngine
    roster: Roster
    people: People
    accreditation: AccreditationService


def build_services(settings: Settings) -> Services:
    """Load and check definitions (fail fast on any defect), then wire the services."""
    catalog = WorkflowCatalog.from_dir(settings.workflows_dir)
    missing = catalog.unresolved_hooks(HOOKS)
    if missing:
        raise WorkflowDefinitionError(str(settings.workflows_dir), "", "unresolved names: "
                                      + "; ".join(missing))
    codes = CodeLibrary(settings.codes_dir)
    db = Database(settings)
    engine = CaseEngine(catalog, HOOKS)
    services = Services(
        settings=settings, db=db, catalog=catalog, codes=codes, engine=engine,
        roster=Roster(db, ttl=settings.roster_cache_seconds), people=People(),
        accreditation=AccreditationService(db, engine, codes),
    )
    engine.services = services
    return services
