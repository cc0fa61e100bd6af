"""The reference for every ratio: a bare Litestar app with one JSON handler.

Served exactly like IRIS (``uvicorn bare_app:app --app-dir bench --workers 1``), so
``IRIS requests/s / bare requests/s`` cancels out the machine, the server and the load
generator, and leaves what IRIS itself costs per request.
"""

from __future__ import annotations

from litestar import Litestar, get


@get("/bare")
async def bare() -> dict[str, object]:
    return {"status": "ok", "service": "bare", "items": [1, 2, 3]}


app = Litestar(route_handlers=[bare], debug=False)
