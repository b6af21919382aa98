"""What every page needs: who is signed in, the CSRF check, and rendering a template."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse

from assistant import __version__
from assistant.auth import Principal
from assistant.errors import DomainError
from assistant.pages.security import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    CookieSigner,
    cross_site,
    set_csrf_cookie,
)
from assistant.people.models import Participant
from assistant.signin.service import principal_for_session
from assistant.web import DB, AppServices, Services

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Autoescape on for every template: notes, goals and chat are untrusted input.
templates = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class SignInRequired(Exception):
    """Raised by a page that needs a signed-in person; answered with a redirect to `/`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class CsrfRefused(DomainError):
    status_code = 403


@dataclass(frozen=True)
class Viewer:
    """The signed-in person as pages see them: the principal every service call takes,
    plus the time zone their dates are shown in."""

    principal: Principal
    timezone: ZoneInfo

    @property
    def is_staff(self) -> bool:
        return self.principal.is_staff


def cookie_signer(request: Request) -> CookieSigner:
    signer: CookieSigner = request.app.state.cookie_signer
    return signer


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def signed_in_principal(request: Request, db: Session, services: AppServices) -> Principal | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    token = cookie_signer(request).unsign(raw)
    if token is None:
        return None
    return principal_for_session(db, token, now=services.clock.now())


def _viewer(db: Session, principal: Principal | None) -> Viewer | None:
    if principal is None:
        return None
    tz = "UTC"
    if not principal.is_staff:
        person = db.get(Participant, principal.id)
        tz = person.timezone if person is not None else "UTC"
    return Viewer(principal=principal, timezone=_zone(tz))


def optional_viewer(request: Request, db: DB, services: Services) -> Viewer | None:
    return _viewer(db, signed_in_principal(request, db, services))


def optional_viewer_for_error(request: Request) -> Viewer | None:
    """The viewer for an error page, read in its own short transaction (the request's
    own one was rolled back with the error)."""
    services: AppServices = request.app.state.services
    with services.sessions() as db:
        return _viewer(db, signed_in_principal(request, db, services))


def required_viewer(
    request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)]
) -> Viewer:
    if viewer is None:
        path = request.url.path
        if request.url.query:
            path += "?" + request.url.query
        raise SignInRequired(path)
    return viewer


MaybeSignedIn = Annotated[Viewer | None, Depends(optional_viewer)]
SignedIn = Annotated[Viewer, Depends(required_viewer)]


def csrf_seed(request: Request) -> str:
    """This browser's CSRF seed: from its cookie, or a new one `render` will set."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.new_csrf_seed = seed
    request.state.csrf_seed = seed
    return seed


async def checked_form(request: Request) -> FormData:
    """The posted form, refused with 403 when it comes from another site or without this
    browser's CSRF token. Every page POST depends on this."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if cross_site(request) or not cookie_signer(request).csrf_valid(
        request.cookies.get(CSRF_COOKIE), token if isinstance(token, str) else None
    ):
        raise CsrfRefused(
            "this form expired or came from another site; reload the page and try again"
        )
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def form_text(form: FormData, name: str, default: str = "") -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else default


def local_time(
    value: datetime | None, viewer: Viewer | None, fmt: str = "%a %-d %b %Y, %H:%M"
) -> str:
    if value is None:
        return ""
    zone = viewer.timezone if viewer is not None else ZoneInfo("UTC")
    shown = value.astimezone(zone)
    label = shown.strftime(fmt)
    return f"{label} ({zone.key})" if "%H" in fmt else label


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    return value.strftime("%a %-d %b %Y")


# "plan 8759…", "session 1a2b…" in text written for the API: in a page the 32-character
# id becomes a link on the word before it, so people read words and can still follow it.
_ID_REFERENCE = re.compile(r"\b(plan|Plan|session|Session) ([0-9a-f]{32})\b")
_PAGE_FOR = {"plan": "/plans/", "session": "/sessions/"}


# A citation's chunk id helps an API client find the passage; a reader it only distracts.
_CHUNK_REFERENCE = re.compile(r", chunk [0-9a-f]{32}\b")


def linked_ids(text: str) -> Markup:
    """Escape `text` (untrusted), then turn "plan <id>" / "session <id>" into links and
    drop citations' chunk ids."""
    text = _CHUNK_REFERENCE.sub("", text)
    parts: list[str] = []
    last = 0
    for found in _ID_REFERENCE.finditer(text):
        parts.append(str(escape(text[last : found.start()])))
        word, ident = found.group(1), found.group(2)
        href = _PAGE_FOR[word.lower()] + ident
        parts.append(f'<a href="{href}">{escape(word)}</a>')
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


templates.filters["long_date"] = long_date
templates.filters["linked_ids"] = linked_ids
templates.filters["urlquote"] = lambda value: quote(str(value), safe="")


def render(
    request: Request,
    template: str,
    *,
    viewer: Viewer | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    seed = csrf_seed(request)
    signer = cookie_signer(request)

    def when(value: datetime | None, fmt: str = "%a %-d %b %Y, %H:%M") -> str:
        return local_time(value, viewer, fmt)

    html = templates.get_template(template).render(
        request=request,
        viewer=viewer,
        csrf_token=signer.csrf_token(seed),
        version=__version__,
        when=when,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    # Pages show private data: never cached by a shared cache, nor kept after sign-out.
    response.headers["Cache-Control"] = "no-store"
    new_seed = getattr(request.state, "new_csrf_seed", None)
    if new_seed:
        set_csrf_cookie(response, request, new_seed)
    return response


def see_other(path: str) -> RedirectResponse:
    """After a form post, go to a page (POST/redirect/GET: reload never posts twice)."""
    return RedirectResponse(path, status_code=303)


def safe_next(path: str | None) -> str:
    """Only a path on this site may follow sign-in (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path
