"""The API documentation at ``/schema``: Swagger UI served from this service, not a CDN.

The UI's files come from the ``swagger-ui-py`` package (Swagger UI's own distribution, with
its licence); the page and its start-up script are ours. The page has no inline script or
style, so its Content-Security-Policy (``web.headers.PAGE_POLICY``) allows only this origin,
and it works where there is no Internet.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File

if TYPE_CHECKING:
    from litestar import Router

__all__ = ["ASSETS", "SwaggerPage"]


def _swagger_ui_dir() -> Path:
    spec = importlib.util.find_spec("swagger_ui")  # located, not imported
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is missing: pip install swagger-ui-py")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


_OURS = Path(__file__).parent / "assets"
_THEIRS = _swagger_ui_dir()
#: every file the page may load, by the name it is served under (nothing else is reachable)
ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui.css": (_THEIRS / "swagger-ui.css", "text/css"),
    "swagger-ui-bundle.js": (_THEIRS / "swagger-ui-bundle.js", "text/javascript"),
    "favicon-32x32.png": (_THEIRS / "favicon-32x32.png", "image/png"),
    "LICENSE": (_THEIRS / "LICENSE", "text/plain"),
    "swagger-init.js": (_OURS / "swagger-init.js", "text/javascript"),
    "docs.css": (_OURS / "docs.css", "text/css"),
}


@get("/assets/{name:str}", include_in_schema=False, sync_to_thread=False,
     cache_control=CacheControlHeader(public=True, max_age=86400))
def _asset(name: FromPath[str]) -> File:
    if name not in ASSETS:
        raise NotFoundException(f"no asset {name!r}")
    path, media_type = ASSETS[name]
    return File(path, media_type=media_type, content_disposition_type="inline")


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI for the OpenAPI document, from this service's own files."""

    def __init__(self, path: str = "/swagger") -> None:
        super().__init__(path=path, favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        config = request.app.openapi_config
        base = (config.path if config else None) or "/schema"
        assets = f"{base}/assets"
        title = html.escape(str(openapi_schema["info"]["title"]))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui.css">
<link rel="stylesheet" href="{assets}/docs.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{html.escape(base)}/openapi.json"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{assets}/swagger-init.js"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        """Serve the page's files beside it (Swagger UI's OAuth2 redirect page is not served:
        it is inline script, and log-in here is a bearer token)."""
        router.register(_asset)
