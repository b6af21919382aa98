"""One model call, bounded: how many tokens it may generate and how long it may take.

Every model call in Tandem goes through `invoke_bounded`, so none can run a model server
until its context is full (issue 14: a small model generated for 158 s, and the requests
after it queued behind it). Failures become `ModelCallFailed` with a short reason, so
each caller falls back to its offline path and says why.
"""

from __future__ import annotations

from typing import Any

import openai
from langchain_core.exceptions import ModelConnectionError, ModelTimeoutError
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable


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


def _request_body_options(max_tokens: int) -> dict[str, Any]:
    # `extra_body`, not the `max_tokens` keyword: ChatOpenAI renames that keyword to
    # `max_completion_tokens`, which llama.cpp before 2026, llama-cpp-python and other
    # OpenAI-compatible servers silently ignore, so the cap would not be a cap there.
    # Every such server reads `max_tokens`.
    return {"extra_body": {"max_tokens": max_tokens}}


def invoke_bounded(
    model: Runnable[LanguageModelInput, BaseMessage],
    messages: list[BaseMessage],
    *,
    max_tokens: int,
) -> BaseMessage:
    """The model's answer to `messages`, generating at most `max_tokens` tokens."""
    try:
        return model.invoke(messages, **_request_body_options(max_tokens))
    except Exception as exc:
        raise ModelCallFailed(failure_reason(exc)) from exc
