"""One model call, bounded: how many tokens it may generate and how long it may take.

Every model call in Tandem goes through `invoke_bounded`, so none can run a model server
until its context is full (issue 14: a small model generated for 158 s, and the requests
after it queued behind it). Failures become `ModelCallFailed` with a short reason, so
each caller falls back to its offline path and says why.

An HTTP request has one deadline, `TANDEM_LLM_TIMEOUT_SECONDS` after it started, shared
by every model call it makes (`ModelCallBudgetMiddleware`): a chat turn whose model
timed out used to wait a whole timeout again while its offline fallback drafted a plan
through the model. Each call gets the time left; once a call of the request failed or
the time is spent, later calls fail at once without reaching the server. Outside a
request (the CLI) each call gets the model's full timeout.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import openai
from langchain_core.exceptions import ModelConnectionError, ModelTimeoutError
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable
from starlette.types import ASGIApp, Receive, Scope, Send

logger = logging.getLogger("tandem.llm")

# A call with less time than this left cannot get an answer from any model worth asking;
# failing at once spares the server a request it would work on after we gave up.
MIN_CALL_SECONDS = 0.5
NO_TIME_LEFT = "no time left"
EARLIER_CALL_FAILED = "earlier model call failed"


class ModelCallFailed(Exception):
    """The model gave no usable answer; `reason` is short enough for a drafter label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def failure_reason(exc: Exception) -> str:
    """A failed model call in a few words, for the label of what answered instead. Any
    exception counts: a provider's own error type is still a failed call, not a 500."""
    if isinstance(exc, openai.APITimeoutError | ModelTimeoutError | TimeoutError):
        return "timeout"  # before connection errors: a timeout is one of them
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if isinstance(exc, openai.APIConnectionError | ModelConnectionError):
        return "connection failed"
    return f"model error: {type(exc).__name__}"


@dataclass
class CallBudget:
    """What the model calls of one request share: when they must be done by
    (`time.monotonic()`), and why an earlier one failed, if one did."""

    deadline: float
    failed: str | None = None

    def seconds_left(self) -> float:
        return self.deadline - time.monotonic()


# Set per request. The budget is one mutable object, so a failure recorded in a
# threadpool handler (which runs in a copy of the context) is seen by later calls too.
_request_budget: ContextVar[CallBudget | None] = ContextVar("model_call_budget", default=None)


@contextmanager
def call_budget(seconds: float) -> Iterator[CallBudget]:
    """Model calls inside share one deadline `seconds` from now."""
    budget = CallBudget(deadline=time.monotonic() + seconds)
    token = _request_budget.set(budget)
    try:
        yield budget
    finally:
        _request_budget.reset(token)


class ModelCallBudgetMiddleware:
    """Gives each HTTP request one model-call budget of `seconds`. Plain ASGI, so the
    context variable it sets is in the context every handler, threadpool or async, and
    every streamed response of the request starts from."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with call_budget(self.seconds):
            await self.app(scope, receive, send)


# JSON mode, not `json_schema`: llama.cpp answers a `json_schema` request with a 500 and
# many servers know only `json_object`; the schema is in the prompt and every answer is
# validated against it anyway.
JSON_OBJECT_FORMAT = {"type": "json_object"}
# A refusal is taken to be about JSON mode when it says so, or is a status servers use
# for a parameter they reject. A plain 500 ("overloaded") is not retried: the caller's
# offline path answers sooner than a second try at a failing server would.
_PARAMETER_REFUSALS = frozenset({400, 422, 501})
_FORMAT_WORDS = ("json", "format", "schema")
# Base URLs of servers that refused a request for JSON mode and answered without it.
# Kept for the process's life: a server learns no new capability while Tandem runs.
_servers_without_json_mode: set[str] = set()
_servers_lock = threading.Lock()


def _server_of(model: Runnable[LanguageModelInput, BaseMessage]) -> str:
    bound = getattr(model, "bound", model)  # a model with tools bound wraps the model
    return str(getattr(bound, "openai_api_base", None) or type(bound).__name__)


MAX_PROVIDER_ERROR_CHARS = 1000


def _said(exc: Exception) -> str:
    """What the server (or the client) said about a failed call, cut to a log line."""
    message = exc.message if isinstance(exc, openai.APIError) else str(exc)
    return (message or type(exc).__name__)[:MAX_PROVIDER_ERROR_CHARS]


def _refuses_json_mode(refused: openai.APIStatusError) -> bool:
    said = f"{refused.message} {refused.body}".lower()
    return refused.status_code in _PARAMETER_REFUSALS or any(w in said for w in _FORMAT_WORDS)


def _request_body_options(max_tokens: int, *, json_mode: bool) -> dict[str, Any]:
    # `extra_body`, not the `max_tokens` keyword: ChatOpenAI renames that keyword to
    # `max_completion_tokens`, which llama.cpp before 2026, llama-cpp-python and other
    # OpenAI-compatible servers silently ignore, so the cap would not be a cap there.
    # Every such server reads `max_tokens`. `response_format` goes there too: passed as
    # a keyword it sends ChatOpenAI down its parse-into-a-class path.
    body: dict[str, Any] = {"max_tokens": max_tokens}
    if json_mode:
        body["response_format"] = JSON_OBJECT_FORMAT
    return {"extra_body": body}


def _send(
    model: Runnable[LanguageModelInput, BaseMessage],
    messages: list[BaseMessage],
    options: dict[str, Any],
    budget: CallBudget | None,
) -> BaseMessage:
    if budget is not None:
        if budget.failed is not None:
            # The server that just failed this request would most likely fail again.
            raise ModelCallFailed(f"{EARLIER_CALL_FAILED}: {budget.failed}")
        left = budget.seconds_left()
        if left < MIN_CALL_SECONDS:
            raise ModelCallFailed(NO_TIME_LEFT)
        # Reaches the openai client as the request's own timeout (LangChain passes
        # invoke keywords through to `chat.completions.create`).
        options = {**options, "timeout": left}
    return model.invoke(messages, **options)


def invoke_bounded(
    model: Runnable[LanguageModelInput, BaseMessage],
    messages: list[BaseMessage],
    *,
    max_tokens: int,
    json_object: bool = False,
) -> BaseMessage:
    """The model's answer to `messages`, generating at most `max_tokens` tokens, within
    the time the request has left. With `json_object`, asks for JSON mode where the
    server has not refused it; a server that refuses it is asked once more without it
    (the caller parses the JSON out of prose then) and is not asked for it again."""
    budget = _request_budget.get()
    server = _server_of(model)
    try:
        with _servers_lock:
            json_mode = json_object and server not in _servers_without_json_mode
        if json_mode:
            try:
                return _send(
                    model, messages, _request_body_options(max_tokens, json_mode=True), budget
                )
            except openai.APIStatusError as refused:
                if not _refuses_json_mode(refused):
                    raise
                logger.info(
                    "the model server refused JSON mode; asking again without it",
                    extra={"fields": {"server": server, "status": refused.status_code}},
                )
            answer = _send(
                model, messages, _request_body_options(max_tokens, json_mode=False), budget
            )
            with _servers_lock:
                _servers_without_json_mode.add(server)
            return answer
        return _send(model, messages, _request_body_options(max_tokens, json_mode=False), budget)
    except ModelCallFailed:
        raise
    except Exception as exc:
        reason = failure_reason(exc)
        if budget is not None:
            budget.failed = reason
        # The label keeps the short reason; the log keeps what the server said (a
        # model still loading, a context overflow), which is what an operator needs.
        # The JSON log formatter adds the request id.
        logger.warning(
            "model call failed",
            extra={"fields": {"server": server, "reason": reason, "provider_error": _said(exc)}},
        )
        raise ModelCallFailed(reason) from exc
