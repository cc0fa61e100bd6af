"""The application's one registry of named guards, effects and detail loaders."""

from __future__ import annotations

from iris_engine.workflow import HookRegistry

__all__ = ["HOOKS"]

HOOKS = HookRegistry()
