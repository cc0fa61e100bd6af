"""The platform's boundaries, checked on the source: the engine names no workflow, domains do
not import each other, and every domain is reached only through its declaration."""

from __future__ import annotations

import ast
import importlib
import keyword
import re
from pathlib import Path

import pytest

from iris_engine.domains import DOMAINS
from iris_engine.workflow import WorkflowCatalog
from tests.conftest import REPO

PACKAGE = REPO / "iris_engine"
#: the packages that declare a domain (``DOMAIN`` in their ``__init__``)
DOMAIN_PACKAGES = sorted(
    p.parent.name for p in PACKAGE.glob("*/__init__.py")
    if getattr(importlib.import_module(f"iris_engine.{p.parent.name}"), "DOMAIN", None) in DOMAINS)
#: the platform: wiring and shared packages, which loop over the domains and name none
PLATFORM = ["cases", "workflow", "timers", "outbox", "disclosure", "store", "web", "roster", "people",
            "names", "documents", "audit"]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
    return out


def test_the_domain_packages_are_found() -> None:
    assert DOMAIN_PACKAGES == ["accreditation", "grievances", "referrals", "returns", "training"]


def _imports_of(package: str, targets: list[str]) -> set[str]:
    """Where a module of ``package`` imports one of the ``targets`` packages."""
    return {
        f"{path.relative_to(REPO)} imports {module}"
        for path in (PACKAGE / package).rglob("*.py") for module in _imports(path)
        if any(module == f"iris_engine.{t}" or module.startswith(f"iris_engine.{t}.")
               for t in targets)
    }


@pytest.mark.parametrize("domain", DOMAIN_PACKAGES)
def test_a_domain_imports_no_other_domain(domain: str) -> None:
    assert _imports_of(domain, [d for d in DOMAIN_PACKAGES if d != domain]) == set()


@pytest.mark.parametrize("package", PLATFORM)
def test_the_platform_imports_no_domain(package: str) -> None:
    assert _imports_of(package, DOMAIN_PACKAGES) == set()


def _names_workflow(path: Path, name: str) -> bool:
    """Whether the module names the workflow. One named after a Python keyword (``return``,
    a common English word too) counts only as a quoted name outside Python's own use of the
    keyword as an annotation key."""
    text = path.read_text(encoding="utf-8")
    if not keyword.iskeyword(name):
        return re.search(rf"\b{name}\b", text, re.IGNORECASE) is not None
    return any(re.search(rf"[\"']{name}[\"']", line) and "__annotations__" not in line
               for line in text.splitlines())


def test_the_engine_names_no_workflow() -> None:
    names = WorkflowCatalog.from_dir(REPO / "workflows").names()
    assert names
    found = {f"{path.relative_to(REPO)}: {name}" for path in (PACKAGE / "cases").rglob("*.py")
             for name in names if _names_workflow(path, name)}
    assert found == set()


def test_every_workflow_file_has_a_domain_that_serves_it() -> None:
    served = {api.workflow for d in DOMAINS for api in d.cases}
    assert set(WorkflowCatalog.from_dir(REPO / "workflows").names()) == served


def test_every_table_is_declared_once_by_a_domain_or_the_platform() -> None:
    """What Alembic sees (importing the domains) is exactly what the declarations name: each
    domain its workflows' detail tables and its other tables, the platform the rest."""
    from sqlmodel import SQLModel

    import iris_engine.audit.models
    import iris_engine.disclosure.models
    import iris_engine.roster.models
    import iris_engine.store.models

    platform = {obj.__tablename__ for module in (iris_engine.store.models, iris_engine.roster.models,
                                                 iris_engine.disclosure.models,
                                                 iris_engine.audit.models)
                for obj in vars(module).values()
                if isinstance(obj, type) and getattr(obj, "__table__", None) is not None}
    declared = [model.__tablename__ for d in DOMAINS
                for model in (*(api.service.detail_model for api in d.cases), *d.tables)]
    assert len(declared) == len(set(declared))
    assert platform.isdisjoint(declared)
    assert set(SQLModel.metadata.tables) == platform | set(declared)
