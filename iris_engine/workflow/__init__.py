"""The pure workflow engine: definitions, machines, named hooks. No HTTP, no SQL."""

from __future__ import annotations

from iris_engine.workflow.catalog import WorkflowCatalog
from iris_engine.workflow.hooks import Actor, HookRegistry, NamedScope, Resources, TransitionInput
from iris_engine.workflow.machine import WorkflowMachine
from iris_engine.workflow.spec import (
    StateSpec,
    TimerSpec,
    TransitionSpec,
    WorkflowSpec,
    load_workflow_file,
)

__all__ = [
    "Actor",
    "HookRegistry",
    "NamedScope",
    "Resources",
    "StateSpec",
    "TimerSpec",
    "TransitionInput",
    "TransitionSpec",
    "WorkflowCatalog",
    "WorkflowMachine",
    "WorkflowSpec",
    "load_workflow_file",
]
