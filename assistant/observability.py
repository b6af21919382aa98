"""Structured logs with a request id, Prometheus metrics, and the body-size limit.

All three are plain ASGI middleware so they see every request, including the ones
FastAPI rejects before a route runs (401, 413, 422).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qsl

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

logger = logging.getLogger("tandem")


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: easy to ship to any log store, easy to grep by id."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": request_id_var.get(),
        }
        extra = getattr(record, "fields", None)
        if isinstance(extra, dict):
            entry.update(extra)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time of the record, not at set-up, so a
    process that redirects stderr later (a supervisor, a test) still gets the logs."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    handler = StderrHandler()
    handler.setFormatter(
        JsonLogFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    )
    root = logging.getLogger("tandem")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


class Metrics:
    """Per-app registry, so two apps in one process (tests, replicas) never collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "tandem_http_requests_total",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "tandem_http_errors_total",
            "HTTP responses with status >= 400, by route and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tandem_http_request_duration_seconds",
            "Request latency by route template and method",
            ["route", "method"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


def _route_template(scope: Scope) -> str:
    # The template (/v1/plans/{plan_id}), not the raw path, keeps label cardinality
    # bounded; unmatched paths share one label.
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    """Request id, access log and metrics for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = (
            dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        )
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status_holder = {"status": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        started_response = False

        async def tracking_send(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            # Answer here rather than in Starlette's outer error middleware, so the 500
            # carries the request id (header and body) that the log line carries too.
            logger.exception("unhandled error")
            if not started_response:
                await _send_json(
                    tracking_send,
                    500,
                    {
                        "detail": "internal error; quote the request id when reporting it",
                        "request_id": request_id,
                    },
                )
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope.get("method", "")
            status = str(status_holder["status"])
            self.metrics.requests.labels(route, method, status).inc()
            self.metrics.latency.labels(route, method).observe(elapsed)
            if status_holder["status"] >= 400:
                self.metrics.errors.labels(route, method, status).inc()
            logger.info(
                "request",
                extra={
                    "fields": {
                        "method": method,
                        "path": scope.get("path"),
                        "route": route,
                        "status": status_holder["status"],
                        "ms": round(elapsed * 1000, 1),
                    }
                },
            )
            request_id_var.reset(token)


OPENAI_PROTOCOL_PATHS = frozenset({"/v1/chat/completions"})


class BodyLimitMiddleware:
    """413 for bodies over the limit, whether announced by Content-Length or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False
            if too_big:
                await self._reject(scope, send)
                return

        received = 0
        rejected = False

        async def counting_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    rejected = True
                    raise _BodyTooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # Once the body is over the limit, whatever the app makes of the aborted
            # read (FastAPI turns it into a 400) is dropped in favour of our 413.
            if not rejected:
                await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, counting_receive, guarded_send)
        if rejected:
            await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        message = f"request body is larger than the limit of {self.max_bytes} bytes"
        body: dict[str, Any] = {"detail": message}
        if scope.get("path") in OPENAI_PROTOCOL_PATHS:
            # Clients of the OpenAI protocol read errors from {"error": {...}} only.
            error = {"message": message, "type": "invalid_request_error", "param": None}
            body = {"error": {**error, "code": "request_too_large"}}
        await _send_json(send, 413, {**body, "request_id": request_id_var.get()})


class NulGuardMiddleware:
    """NUL bytes in a path or query can never name anything here, and PostgreSQL refuses
    them in parameters; answer 404 / 422 before any route or query sees them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if "\x00" in scope.get("path", ""):
                await _send_json(
                    send, 404, {"detail": "not found", "request_id": request_id_var.get()}
                )
                return
            for name, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
                if "\x00" in name or "\x00" in value:
                    detail = [
                        {
                            "loc": ["query", name],
                            "msg": "must not contain NUL characters",
                            "type": "value_error",
                        }
                    ]
                    await _send_json(
                        send, 422, {"detail": detail, "request_id": request_id_var.get()}
                    )
                    return
        await self.app(scope, receive, send)


async def _send_json(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass
