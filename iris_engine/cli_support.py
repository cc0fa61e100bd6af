"""What the command line's groups share: running work with the configured services."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from iris_engine.services import Services

__all__ = ["run_with_services"]


def run_with_services(work: Callable[[Services], Awaitable[Any]]) -> Any:
    """Run ``work`` with the configured services, disposing of them after; an application error
    becomes a clean message (with each field error's pointer) and exit status 1."""
    from iris_engine.cli import _services, _settings
    from iris_engine.errors import ApplicationError

    services = _services(_settings())

    async def run() -> Any:
        try:
            return await work(services)
        finally:
            await services.db.dispose()

    try:
        return asyncio.run(run())
    except ApplicationError as exc:
        raise click.ClickException(exc.detail + "".join(f"\n  {e.pointer}: {e.message}"
                                                        for e in exc.errors)) from None
