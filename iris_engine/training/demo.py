"""The training demo (filled in below)."""

from __future__ import annotations

from iris_engine.domain import DemoLogin, DemoSeed

__all__ = ["seed_demo"]


async def seed_demo(seed: DemoSeed) -> list[DemoLogin]:
    return []
