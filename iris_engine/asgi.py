"""ASGI entry point for servers: ``uvicorn iris_engine.asgi:app`` (settings from IRIS_*)."""

from __future__ import annotations

from iris_engine.app import create_app

__all__ = ["app"]

app = create_app(serving=True)
