"""The API docs page (``/api/docs``), served whole by this process.

FastAPI's own docs page loads Swagger UI from a CDN, so it is blank offline.
Here the same page (FastAPI's ``get_swagger_ui_html``) points at Swagger UI's
files as shipped by the ``swagger-ui-py`` package (pinned in
``requirements.txt``), served from :data:`ASSETS_PATH` on this origin. The
page, its assets and the OAuth2 redirect page are public routes
(:data:`app.core.auth.PUBLIC_ROUTES`): they describe the API and hold no data.

Create the app with ``docs_url=None`` and call :func:`install` once.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from app.core.errors import NotFoundError

DOCS_PATH = "/api/docs"
ASSETS_PATH = "/api/docs/assets/{name}"
OAUTH2_REDIRECT_PATH = "/docs/oauth2-redirect"

# The files the page loads, by name, with their media types. Nothing else of the
# package's folder is served.
ASSETS: dict[str, str] = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

# The files never change for one installed version: let the browser keep them a day.
_CACHE_CONTROL = "public, max-age=86400"


def assets_dir() -> Path:
    """Swagger UI's distribution folder inside the installed package (found
    without importing the package, whose code this app does not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The swagger-ui-py package is not installed (backend/requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def asset_url(name: str, root_path: str = "") -> str:
    return root_path + ASSETS_PATH.format(name=name)


def install(app: FastAPI) -> None:
    """Add the docs page, its assets and the OAuth2 redirect page to ``app``."""
    folder = assets_dir()
    missing = [name for name in ASSETS if not (folder / name).is_file()]
    if missing:  # a broken install shows at start, not as a blank page
        raise RuntimeError(f"Swagger UI files missing from {folder}: {', '.join(missing)}")

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        return get_swagger_ui_html(
            openapi_url=root + str(app.openapi_url),
            title=f"{app.title} - API docs",
            swagger_js_url=asset_url("swagger-ui-bundle.js", root),
            swagger_css_url=asset_url("swagger-ui.css", root),
            swagger_favicon_url=asset_url("favicon-32x32.png", root),
            oauth2_redirect_url=root + OAUTH2_REDIRECT_PATH,
            # No badge from the public validator service: the page calls no other host.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_PATH, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(ASSETS_PATH, include_in_schema=False)
    def swagger_ui_asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise NotFoundError("No such file of the API docs page.")
        return FileResponse(folder / name, media_type=media_type, headers={"Cache-Control": _CACHE_CONTROL})
