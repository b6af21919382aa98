"""Wires the pages into the app: routers, static files, and HTML answers for errors on
page paths (the API keeps its JSON ones)."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response

from assistant.config import Settings
from assistant.pages import chat, plans, sessions, signin
from assistant.pages.common import (
    STATIC_DIR,
    SignInRequired,
    optional_viewer_for_error,
    render,
    see_other,
)
from assistant.pages.docs import mount_docs
from assistant.pages.security import CookieSigner, resolve_secret

logger = logging.getLogger("tandem.pages")

# Paths that answer JSON or files, never an HTML page.
NON_PAGE_PREFIXES = ("/v1/", "/health", "/metrics", "/openapi.json", "/static/", "/docs-assets/")


def is_page_path(path: str) -> bool:
    return not path.startswith(NON_PAGE_PREFIXES)


ERROR_TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "That clashes with something",
    410: "Gone",
    413: "Too large",
    422: "Please check what you entered",
}


def error_page(request: Request, status_code: int, message: str) -> Response:
    title = ERROR_TITLES.get(status_code, "Something went wrong")
    if status_code == 404:
        # Same words whether it does not exist or is not yours: a page must not tell
        # what the API would hide.
        message = (
            "There is nothing here for you. It may have been removed, or belong to someone else."
        )
    return render(
        request,
        "error.html",
        viewer=optional_viewer_for_error(request),
        status_code=status_code,
        title=title,
        message=message,
    )


def install_pages(app: FastAPI, settings: Settings) -> None:
    max_age = int(settings.web_session_hours * 3600)
    app.state.cookie_signer = CookieSigner(resolve_secret(settings), max_age)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    mount_docs(app)
    app.include_router(signin.router)
    app.include_router(chat.router)
    app.include_router(plans.router)
    app.include_router(sessions.router)

    @app.exception_handler(SignInRequired)
    async def sign_in_required(_: Request, exc: SignInRequired) -> Response:
        return see_other(
            "/?next=" + quote(exc.next_path, safe="/") if exc.next_path != "/" else "/"
        )
