"""What keeps the pages safe in a browser: the signed session cookie, CSRF tokens bound to
the browser, and the security headers (a CSP without inline scripts) on every response."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.config import Settings

SESSION_COOKIE = "tandem_session"
CSRF_COOKIE = "tandem_csrf"
CSRF_FIELD = "csrf_token"

# Pages: scripts and styles from this origin only, nothing framed, forms post home.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# Swagger UI and ReDoc set inline styles and ReDoc runs a worker from a blob; neither
# needs an inline script (their start-up code is served as a file).
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; font-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


def resolve_secret(settings: Settings) -> bytes:
    """TANDEM_SECRET_KEY, else a random secret kept beside the data (readable by its owner
    only), so sessions survive a restart without anyone having to configure one."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value().encode()
    path: Path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


class CookieSigner:
    """Signs the session token the cookie carries and derives CSRF tokens. A cookie that
    was tampered with or is older than the session lifetime fails before any database
    read."""

    def __init__(self, secret: bytes, max_age_seconds: int) -> None:
        self._secret = secret
        self._serializer = URLSafeTimedSerializer(secret, salt="tandem.session")
        self.max_age_seconds = max_age_seconds

    def sign(self, token: str) -> str:
        return self._serializer.dumps(token)

    def unsign(self, value: str) -> str | None:
        try:
            token = self._serializer.loads(value, max_age=self.max_age_seconds)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def csrf_token(self, seed: str) -> str:
        return hmac.new(self._secret, b"csrf:" + seed.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, seed: str | None, token: str | None) -> bool:
        if not seed or not token:
            return False
        return hmac.compare_digest(self.csrf_token(seed), token)


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, value: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=secure_cookies(request), path="/"
    )


def set_csrf_cookie(response: Response, request: Request, seed: str) -> None:
    # Strict: the seed never travels on a request another site starts.
    response.set_cookie(
        CSRF_COOKIE,
        seed,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/",
    )


def cross_site(request: Request) -> bool:
    """True when the browser says this request was started by another site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return True
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()


class SecurityHeadersMiddleware:
    """Adds the CSP and its companions to every response the app sends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = DOCS_CSP if path.startswith(DOCS_PATHS) else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                # same-origin: a sign-in link's token never leaves in a Referer, and form
                # posts still carry an Origin the CSRF check can read.
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        await self.app(scope, receive, send_with_headers)
