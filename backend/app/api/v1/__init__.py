"""Version 1 of the HTTP API: every router is mounted under /api/v1."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import APIRouter, FastAPI

API_PREFIX = "/api/v1"


def include_routers(app: FastAPI) -> None:
    """Mount the ``router`` of every module in this package, in name order."""
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            app.include_router(router, prefix=API_PREFIX)
        setup = getattr(module, "setup_app", None)
        if callable(setup):
            setup(app)
