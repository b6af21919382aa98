"""Structured output from a chat model: a JSON object validated against a schema and the
caller's own rules, with one repair round that tells the model what was wrong, and
citation ids it invented removed. Any failure is a `ModelCallFailed` with a short reason,
so callers fall back to their offline path and say why.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from assistant.llm.calls import ModelCallFailed, failure_reason, invoke_bounded
from assistant.llm.prompts import PromptTemplate

__all__ = ["ModelCallFailed", "ask", "ask_structured", "failure_reason", "fallback_label"]

MAX_ERROR_CHARS = 600  # what of a validation error goes back to the model and the remark
MAX_LABEL_REASON = 120  # a drafter label is stored in 200 characters


def fallback_label(reason: str) -> str:
    """`offline (fallback: <reason>)`, the reason cut at a word, never mid-word."""
    if len(reason) > MAX_LABEL_REASON:
        reason = reason[: MAX_LABEL_REASON - 1].rsplit(" ", 1)[0].rstrip(" ;:,") + "…"
    return f"offline (fallback: {reason})"


Structured = TypeVar("Structured", bound=BaseModel)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)
REPAIR_REQUEST = (
    "Your previous answer could not be used: {error}\n"
    "Answer again with the corrected JSON object only, keeping everything that was right."
)


class _Unusable(ValueError):
    """An answer that parsed badly or broke a rule; the message goes back to the model."""


def ask(
    chat_model: BaseChatModel,
    messages: list[BaseMessage],
    *,
    max_tokens: int,
    json_object: bool = False,
) -> str:
    reply = invoke_bounded(chat_model, messages, max_tokens=max_tokens, json_object=json_object)
    refused = reply.additional_kwargs.get("refusal") or (
        isinstance(reply.content, list)
        and any(isinstance(b, dict) and b.get("type") == "refusal" for b in reply.content)
    )
    text = reply.text.strip()
    if refused or not text:
        raise ModelCallFailed("refusal")
    return text


def _validated(
    text: str, schema: type[Structured], check: Callable[[Structured], None] | None
) -> Structured:
    fenced = _FENCE.search(text)
    body = fenced.group(1) if fenced else text
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise _Unusable("the answer holds no JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise _Unusable(f"malformed JSON: {exc}") from exc
    try:
        result = schema.model_validate(data)
    except ValidationError as exc:
        errors = [
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()
        ]
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise _Unusable("; ".join(errors[:5]) + more) from exc
    if check is not None:
        try:
            check(result)
        except ValueError as exc:
            raise _Unusable(str(exc)) from exc
    return result


def _without_unknown_citations(value: Any, allowed: Collection[str]) -> tuple[Any, int]:
    """Every `citation_ids` list anywhere in the answer, kept to the ids we offered."""
    if isinstance(value, BaseModel):
        updates: dict[str, Any] = {}
        removed = 0
        for name in type(value).model_fields:
            item = getattr(value, name)
            if name == "citation_ids" and isinstance(item, list):
                updates[name] = [c for c in item if c in allowed]
                removed += len(item) - len(updates[name])
            else:
                updates[name], count = _without_unknown_citations(item, allowed)
                removed += count
        return value.model_copy(update=updates), removed
    if isinstance(value, list):
        cleaned = [_without_unknown_citations(item, allowed) for item in value]
        return [item for item, _ in cleaned], sum(count for _, count in cleaned)
    return value, 0


def ask_structured(
    chat_model: BaseChatModel,
    prompt: PromptTemplate,
    variables: dict[str, str],
    schema: type[Structured],
    *,
    allowed_citation_ids: Collection[str],
    max_tokens: int,
    check: Callable[[Structured], None] | None = None,
) -> tuple[Structured, int]:
    """Ask for a JSON object matching `schema`; one repair round if it is unusable.

    `check` adds rules the schema cannot express (raise ValueError to send the problem
    back to the model). Returns the answer with invented citation ids removed and how
    many there were. Each call may generate at most `max_tokens` tokens. Raises
    ModelCallFailed when there is nothing usable.
    """
    messages = prompt.render(**variables)
    answer = ask(chat_model, messages, max_tokens=max_tokens, json_object=True)
    try:
        result = _validated(answer, schema, check)
    except _Unusable as problem:
        error = str(problem)[:MAX_ERROR_CHARS]
        repair = [
            *messages,
            AIMessage(content=answer),
            HumanMessage(content=REPAIR_REQUEST.format(error=error)),
        ]
        try:
            repaired = ask(chat_model, repair, max_tokens=max_tokens, json_object=True)
            result = _validated(repaired, schema, check)
        except _Unusable as again:
            reason = f"invalid output after repair: {again}"[:MAX_ERROR_CHARS]
            raise ModelCallFailed(reason) from again
    cleaned, removed = _without_unknown_citations(result, allowed_citation_ids)
    return cast(Structured, cleaned), removed
