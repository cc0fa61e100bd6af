"""The bundled workflows load, every guard and effect name resolves, and no hook is dead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iris_engine.domains import DOMAINS
from iris_engine.errors import NotFound, WorkflowDefinitionError
from iris_engine.services import build_hooks
from iris_engine.workflow import HookRegistry, WorkflowCatalog, load_workflow_file
from iris_engine.workflow.spec import SCOPES

WriteWorkflow = Callable[..., Path]
WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.rglob("*.yaml"))
#: every domain's hooks, as the engine sees them
HOOKS = build_hooks(DOMAINS)


def test_there_are_workflow_files() -> None:
    assert WORKFLOW_FILES, f"no *.yaml under {WORKFLOWS}"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: str(p.relative_to(WORKFLOWS)))
def test_workflow_file_loads(path: Path) -> None:
    spec = load_workflow_file(path)
    assert spec.transitions
    assert spec.initial in spec.states


def test_catalog_loads_whole_folder() -> None:
    catalog = WorkflowCatalog.from_dir(WORKFLOWS)
    assert "accreditation" in catalog.names()


def test_every_hook_name_resolves() -> None:
    assert WorkflowCatalog.from_dir(WORKFLOWS).unresolved_hooks(HOOKS) == []


def test_no_dead_hooks() -> None:
    """A registered guard or effect that no workflow names is dead code (or a typo)."""
    catalog = WorkflowCatalog.from_dir(WORKFLOWS)
    specs = [catalog.machine(n, v).spec for n, v in catalog.versions()]
    used_guards = {g for s in specs for t in s.transitions for g in t.guards}
    used_effects = {e for s in specs for t in s.transitions for e in t.effects}
    used_anchors = {t.anchor for s in specs for t in s.timers.values() if t.anchor}
    used_scopes = {scope for s in specs for scope in s.access.values()}
    assert set(HOOKS.guards) - used_guards == set()
    assert set(HOOKS.effects) - used_effects == set()
    assert set(HOOKS.anchors) - used_anchors == set()
    assert set(HOOKS.scopes) - used_scopes == set()


def test_input_guards_are_registered_guards() -> None:
    assert HOOKS.input_guards <= set(HOOKS.guards)


def test_unregistered_names_are_reported(write_workflow: WriteWorkflow,
                                         workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][1]["guards"] = ["documents_valid", "no_such_guard"]
    workflow_data["transitions"][2]["effects"] = ["no_such_effect"]
    path = write_workflow(workflow_data)

    missing = WorkflowCatalog.from_dir(path.parent).unresolved_hooks(HOOKS)

    assert len(missing) == 2
    guard, effect = missing
    assert str(path) in guard and "transitions[1]" in guard and "'no_such_guard'" in guard
    assert str(path) in effect and "transitions[2]" in effect and "'no_such_effect'" in effect


def test_empty_registry_reports_every_name() -> None:
    catalog = WorkflowCatalog.from_dir(WORKFLOWS)
    specs = [catalog.machine(n, v).spec for n, v in catalog.versions()]
    uses = sum(len(t.guards) + len(t.effects) for s in specs for t in s.transitions)
    uses += sum(1 for s in specs for t in s.timers.values() if t.anchor)
    uses += sum(1 for s in specs for scope in s.access.values() if scope not in SCOPES)
    assert uses > 0
    assert len(catalog.unresolved_hooks(HookRegistry())) == uses


@pytest.mark.parametrize(("key", "where"), [("notify", "transitions[1].notify[1]"),
                                            ("roles", "transitions[1].roles[1]"),
                                            ("audience", "transitions[1].audience[1]")])
def test_a_role_without_access_is_refused(write_workflow: WriteWorkflow,
                                          workflow_data: dict[str, Any], key: str,
                                          where: str) -> None:
    """Access is closed by default: a role the file lets fire, hear or read an event must be
    given access to the workflow's cases, or it could never act (a typo shows here)."""
    workflow_data["transitions"][1][key] = ["owner", "ownr"]
    path = write_workflow(workflow_data)

    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(path)

    assert caught.value.key_path == where and "'ownr'" in caught.value.message


def test_access_is_required(write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    del workflow_data["access"]

    with pytest.raises(WorkflowDefinitionError, match="'access' is a required property"):
        load_workflow_file(write_workflow(workflow_data))


def test_the_system_role_needs_no_access_and_cannot_be_given_one(
        write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    workflow_data["transitions"][2]["roles"] = ["manager", "system"]
    assert load_workflow_file(write_workflow(workflow_data)).access == {
        "owner": "organisation", "manager": "all"}
    workflow_data["access"]["system"] = "all"

    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(write_workflow(workflow_data))
    assert caught.value.key_path == "access"


def test_registering_a_name_twice_is_refused() -> None:
    registry = HookRegistry()

    async def hook(ctx: Any) -> None:
        return None

    registry.guard("once")(hook)
    registry.effect("once")(hook)  # guards and effects are separate namespaces
    with pytest.raises(ValueError, match="once"):
        registry.guard("once")(hook)
    with pytest.raises(ValueError, match="once"):
        registry.effect("once")(hook)


def test_latest_version_is_the_default(write_workflow: WriteWorkflow,
                                       workflow_data: dict[str, Any]) -> None:
    write_workflow(workflow_data, "v1/sample.yaml")
    workflow_data["version"] = 2
    path = write_workflow(workflow_data, "sample.yaml")
    catalog = WorkflowCatalog.from_dir(path.parent)

    assert catalog.versions() == [("sample", 1), ("sample", 2)]
    assert catalog.machine("sample").spec.version == 2
    assert catalog.machine("sample", 1).spec.version == 1


def test_unknown_workflow_or_version_is_not_found() -> None:
    catalog = WorkflowCatalog.from_dir(WORKFLOWS)
    with pytest.raises(NotFound, match="no_such_workflow"):
        catalog.machine("no_such_workflow")
    with pytest.raises(NotFound, match="999"):
        catalog.machine("accreditation", 999)


def test_missing_folder_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowDefinitionError) as caught:
        WorkflowCatalog.from_dir(tmp_path / "absent")
    assert caught.value.file == str(tmp_path / "absent")


def test_an_unregistered_scope_is_reported_with_its_file_and_key_path(
        write_workflow: WriteWorkflow, workflow_data: dict[str, Any]) -> None:
    """An access scope is built in or named by a domain; a name nobody registered (a typo)
    fails the check, and an engine built on it anyway refuses to start: closed by default."""
    from iris_engine.cases.access import Access

    workflow_data["access"]["manager"] = "last_teir"
    path = write_workflow(workflow_data)
    catalog = WorkflowCatalog.from_dir(path.parent)

    assert catalog.unresolved_hooks(HOOKS) == [f"{path}: access.manager: scope 'last_teir'"]
    with pytest.raises(WorkflowDefinitionError) as caught:
        Access(catalog, HOOKS.scopes)
    assert (caught.value.file, caught.value.key_path) == (str(path), "access.manager")
    assert "last_teir" in caught.value.message and "last_tier" in caught.value.message


def test_a_scope_name_must_be_an_identifier(write_workflow: WriteWorkflow,
                                            workflow_data: dict[str, Any]) -> None:
    workflow_data["access"]["manager"] = "Last Tier"
    with pytest.raises(WorkflowDefinitionError) as caught:
        load_workflow_file(write_workflow(workflow_data))
    assert caught.value.key_path == "access.manager"


def test_a_scope_cannot_take_a_built_in_name_or_be_registered_twice() -> None:
    registry = HookRegistry()
    registry.scope("last_tier", table=object)(lambda settings: None)
    with pytest.raises(ValueError, match="last_tier"):
        registry.scope("last_tier", table=object)(lambda settings: None)
    for built_in in SCOPES:
        with pytest.raises(ValueError, match="built in"):
            registry.scope(built_in, table=object)
    with pytest.raises(ValueError, match="last_tier"):
        HookRegistry.merged(registry, registry)
