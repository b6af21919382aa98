"""`/`, `/sign-in`, `/sign-out` and one-time sign-in links."""

from __future__ import annotations

import secrets
from datetime import timedelta

from fastapi import APIRouter, Request
from starlette.responses import Response

from assistant.auth import Principal, principal_for_key
from assistant.pages.common import (
    CheckedForm,
    MaybeSignedIn,
    cookie_signer,
    form_text,
    render,
    safe_next,
    see_other,
)
from assistant.pages.home import home_page
from assistant.pages.security import (
    SESSION_COOKIE,
    clear_session_cookie,
    set_csrf_cookie,
    set_session_cookie,
)
from assistant.signin import service
from assistant.signin.service import SignInRefused
from assistant.web import DB, Services

router = APIRouter(include_in_schema=False)


@router.get("/")
def index(request: Request, viewer: MaybeSignedIn, db: DB, services: Services) -> Response:
    if viewer is None:
        return render(
            request,
            "sign_in.html",
            viewer=None,
            next_path=safe_next(request.query_params.get("next")),
        )
    return home_page(request, viewer, db, services)


def _start(
    request: Request, response: Response, db: DB, services: Services, principal: Principal
) -> Response:
    """Open a browser session for an authenticated principal and set its cookies."""
    lifetime = timedelta(hours=services.settings.web_session_hours)
    token = service.open_session(
        db, principal=principal, now=services.clock.now(), lifetime=lifetime
    )
    signer = cookie_signer(request)
    set_session_cookie(response, request, signer.sign(token), int(lifetime.total_seconds()))
    # A fresh CSRF seed at sign-in: a token seen before signing in is worth nothing after.
    set_csrf_cookie(response, request, secrets.token_urlsafe(24))
    return response


@router.post("/sign-in")
def sign_in(request: Request, form: CheckedForm, db: DB, services: Services) -> Response:
    key = form_text(form, "api_key")
    next_path = safe_next(form_text(form, "next"))
    principal = principal_for_key(db, key) if key else None
    if principal is None:
        return render(
            request,
            "sign_in.html",
            viewer=None,
            status_code=401,
            next_path=next_path,
            error="That key was not recognised. Check it and try again, or ask program staff "
            "for a sign-in link.",
        )
    return _start(request, see_other(next_path), db, services, principal)


@router.post("/sign-out")
def sign_out(request: Request, form: CheckedForm, db: DB) -> Response:
    del form
    raw = request.cookies.get(SESSION_COOKIE)
    token = cookie_signer(request).unsign(raw) if raw else None
    if token:
        service.end_session(db, token)
    response = see_other("/")
    clear_session_cookie(response, request)
    return response


@router.get("/sign-in/link/{token}")
def sign_in_link(
    token: str, request: Request, viewer: MaybeSignedIn, db: DB, services: Services
) -> Response:
    # A GET never uses the link: mail scanners and link previews fetch URLs, and must not
    # spend a one-time link. The person presses the button, which posts.
    usable = service.link_is_usable(db, token, now=services.clock.now())
    return render(
        request,
        "sign_in_link.html",
        viewer=viewer,
        status_code=200 if usable else 410,
        token=token,
        usable=usable,
    )


@router.post("/sign-in/link/{token}")
def use_sign_in_link(
    token: str, request: Request, form: CheckedForm, db: DB, services: Services
) -> Response:
    del form
    try:
        principal = service.redeem_link(db, token, now=services.clock.now())
    except SignInRefused:
        return render(
            request, "sign_in_link.html", viewer=None, status_code=410, token=token, usable=False
        )
    return _start(request, see_other("/"), db, services, principal)
