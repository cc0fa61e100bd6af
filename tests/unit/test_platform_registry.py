"""Registering domains: the one list is checked when the services are built, and a mistake is
named (a hook or service name two domains use, a workflow no file defines)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from iris_engine.domains import DOMAINS
from iris_engine.errors import ConfigurationError, WorkflowDefinitionError
from iris_engine.services import build_hooks, build_services
from iris_engine.settings import Settings
from iris_engine.workflow import HookRegistry
from tests import sample_domain
from tests.conftest import REPO


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
                              "secret_key": "s" * 40, "workflows_dir": REPO / "workflows",
                              "codes_dir": REPO / "codes_of_conduct"}
    return Settings(**{**values, **overrides})


async def _guard(ctx: Any) -> None:
    return None


def test_two_registries_with_one_hook_name_are_refused() -> None:
    first, second = HookRegistry(), HookRegistry()
    first.guard("licence_valid")(_guard)
    second.guard("licence_valid")(_guard)

    with pytest.raises(ValueError, match="guard 'licence_valid' registered twice"):
        HookRegistry.merged(first, second)


def test_the_merged_registry_holds_every_domains_hooks_and_detail_loaders() -> None:
    hooks = build_hooks(DOMAINS)
    for domain in DOMAINS:
        assert set(domain.hooks.guards) <= set(hooks.guards)
        assert set(domain.hooks.effects) <= set(hooks.effects)
    assert set(hooks.details) == {"accreditation", "enrolment", "grievance", "referral",
                                  "return", "training_session"}


def test_every_domain_service_and_case_service_is_built(tmp_path: Path) -> None:
    services = build_services(_settings(tmp_path))
    assert set(services.cases) == {"accreditation", "enrolment", "grievance", "referral",
                                   "return", "training_session"}
    for workflow, cases in services.cases.items():
        assert cases.workflow == workflow
    assert {"accreditation", "grievances", "referrals"} <= set(services.provided)
    assert services.people.roles == ("admin", "auditor", "authority", "caseworker",
                                     "organisation_coordinator", "partner", "recruiter",
                                     "referrer", "return_officer", "return_supervisor",
                                     "scheme_manager", "supervisor", "trainer",
                                     "training_coordinator")


def test_a_service_name_two_domains_provide_is_refused(tmp_path: Path) -> None:
    clash = dataclasses.replace(sample_domain.DOMAIN, name="clash", cases=(),
                                hooks=HookRegistry(),
                                provides=lambda s: {"grievances": object()})
    with pytest.raises(ConfigurationError, match="'grievances'"):
        build_services(_settings(tmp_path), domains=(*DOMAINS, clash))


def test_a_domain_whose_workflow_has_no_file_is_refused(tmp_path: Path) -> None:
    """The inquiry domain without inquiry.yaml in the workflows folder: its hooks resolve
    nothing and its cases have no definition, which is said at start-up, not at a request."""
    with pytest.raises(WorkflowDefinitionError, match="no workflow file for: inquiry"):
        build_services(_settings(tmp_path), domains=(*DOMAINS, sample_domain.DOMAIN))
