"""The signed-in home page."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from assistant.pages.common import Viewer, render
from assistant.web import DB, Services


def home_page(request: Request, viewer: Viewer, db: DB, services: Services) -> Response:
    del db, services
    return render(request, "home.html", viewer=viewer)
