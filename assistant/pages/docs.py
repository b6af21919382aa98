"""`/docs` and `/redoc` served with no network: Swagger UI and ReDoc come from the
`fastapi-offline` package's files, and their start-up code from ours (no inline script)."""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

VENDOR_DOCS_DIR = Path(fastapi_offline.__file__).parent / "static"
VENDOR_DOCS_URL = "/docs-assets"

router = APIRouter(include_in_schema=False)

_SWAGGER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem API · Swagger UI</title>
<link rel="icon" href="{vendor}/favicon.png">
<link rel="stylesheet" href="{vendor}/swagger-ui.css">
</head><body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{vendor}/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body></html>
"""

_REDOC = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tandem API · ReDoc</title>
<link rel="icon" href="{vendor}/favicon.png">
</head><body>
<redoc spec-url="/openapi.json"></redoc>
<script src="{vendor}/redoc.standalone.js"></script>
</body></html>
"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(_SWAGGER.format(vendor=VENDOR_DOCS_URL))


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return HTMLResponse(_REDOC.format(vendor=VENDOR_DOCS_URL))


def mount_docs(app: FastAPI) -> None:
    app.mount(VENDOR_DOCS_URL, StaticFiles(directory=VENDOR_DOCS_DIR), name="docs-assets")
    app.include_router(router)
