"""The OpenAI chat-completions protocol as Tandem speaks it: the request and response
shapes, reading a request body into conversation turns, errors in OpenAI's shape (with
the status the official client maps to its exception classes), and a finished reply as
server-sent `chat.completion.chunk` events.

Only what Tandem reads is declared; other fields clients send (temperature, top_p, ...)
are accepted and ignored, as many OpenAI-compatible servers do. Bodies are parsed here,
not by FastAPI, because a FastAPI validation error has another shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.chat.service import ChatInputError, check_message_text
from assistant.chat.turns import Turn
from assistant.config import Settings
from assistant.types import Identifier

STREAM_CHUNK_CHARS = 48
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    422: "invalid_request_error",
}
SUPPORTED_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


# ---- shapes ---------------------------------------------------------------------------


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ProtocolMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[ContentPart] | None = None
    name: str | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")
    include_usage: bool = False


class CompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: str
    messages: list[ProtocolMessage]
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int | None = None
    user: str | None = Field(default=None, max_length=256)
    conversation_id: Identifier | None = Field(
        default=None,
        description="Tandem extension: store the exchange in this conversation",
    )


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class CompletionMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class CompletionChoice(BaseModel):
    index: int = 0
    message: CompletionMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class TandemExtras(BaseModel):
    """Tandem's additions to a completion: where it was stored and what it changed."""

    conversation_id: str
    intent: str
    assistant: str
    actions: list[dict[str, Any]]
    citations: list[dict[str, Any]] = Field(default_factory=list)


class Completion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[CompletionChoice]
    usage: Usage
    system_fingerprint: str | None = None
    conversation_id: str
    tandem: TandemExtras


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "tandem"
    description: str = ""


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


# ---- errors ------------------------------------------------------------------------------


def openai_error(
    status_code: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status_code == 401 else None
    body = {
        "error": {
            "message": message,
            "type": ERROR_TYPES.get(status_code, "server_error"),
            "param": param,
            "code": code,
        }
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


class ProtocolError(Exception):
    """A request refused; `response` is the refusal in OpenAI's shape."""

    def __init__(self, response: JSONResponse) -> None:
        self.response = response


# ---- reading a request -------------------------------------------------------------------


def parse_request(raw: bytes) -> CompletionRequest:
    try:
        payload = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(openai_error(400, f"the body is not valid JSON: {exc}")) from None
    except RecursionError:
        # Nesting thousands of levels deep fits in the body limit; it is still bad input.
        raise ProtocolError(openai_error(400, "the body is nested too deeply")) from None
    if not isinstance(payload, dict):
        raise ProtocolError(openai_error(400, "the body must be a JSON object"))
    try:
        return CompletionRequest.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first.get("loc", ()))
        raise ProtocolError(
            openai_error(400, f"{param}: {first.get('msg', 'invalid')}", param=param or None)
        ) from None


def _text_of(content: str | list[ContentPart] | None, param: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for index, part in enumerate(content):
        if part.type != "text" or part.text is None:
            raise ChatInputError(
                f"content part of type {part.type!r} is not supported; send text",
                param=f"{param}.{index}.type",
                code="unsupported_content",
            )
        parts.append(part.text)
    return "\n".join(parts)


def conversation_turns(request: CompletionRequest, settings: Settings) -> list[Turn]:
    """The request's user and assistant messages, checked against the chat limits. System
    and developer messages are accepted and not read: the offline assistant takes no
    instructions from a client, only requests from its user."""
    if not request.messages:
        raise ChatInputError("messages must contain at least one message", param="messages")
    if len(request.messages) > settings.chat_max_messages:
        raise ChatInputError(
            f"too many messages: {len(request.messages)}, the limit is "
            f"{settings.chat_max_messages}; drop older ones",
            param="messages",
            code="too_many_messages",
        )
    if request.n not in (None, 1):
        raise ChatInputError("only n=1 is supported", param="n")
    turns: list[Turn] = []
    for index, message in enumerate(request.messages):
        param = f"messages.{index}"
        if message.role not in SUPPORTED_ROLES:
            raise ChatInputError(
                f"role {message.role!r} is not supported; use system, user, assistant or tool",
                param=f"{param}.role",
                code="unsupported_role",
            )
        if message.role in ("tool", "function"):
            continue  # a client's own tool results: nothing for the assistant to read
        text = _text_of(message.content, f"{param}.content")
        check_message_text(
            text,
            settings,
            param=f"{param}.content",
            name=f"message {index}",
            required=message.role == "user",
        )
        if message.role == "user":
            turns.append(Turn(role="user", content=text))
        elif message.role == "assistant":
            turns.append(Turn(role="assistant", content=text))
    if not any(t.role == "user" for t in turns):
        raise ChatInputError("messages must include a user message", param="messages")
    if turns[-1].role != "user":
        raise ChatInputError("the last message must be the user's", param="messages")
    return turns


# ---- writing a reply -----------------------------------------------------------------------


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None) -> str:
    payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(payload)}\n\n"


def reply_pieces(text: str) -> Iterator[str]:
    """A finished reply cut into the pieces a stream sends: the OpenAI route's chunks and
    the chat page's events, so both stream a reply the same way."""
    for start in range(0, len(text), STREAM_CHUNK_CHARS):
        yield text[start : start + STREAM_CHUNK_CHARS]


def stream_events(completion: Completion, include_usage: bool) -> Iterator[str]:
    """The finished reply as `chat.completion.chunk` events. The offline assistant
    writes its reply whole, so streaming only spares the client the wait for the body."""
    base = {
        "id": completion.id,
        "object": "chat.completion.chunk",
        "created": completion.created,
        "model": completion.model,
        "system_fingerprint": None,
        "conversation_id": completion.conversation_id,
    }
    yield _chunk(base, {"role": "assistant", "content": ""}, None)
    for piece in reply_pieces(completion.choices[0].message.content):
        yield _chunk(base, {"content": piece}, None)
    final = {
        **base,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
        "tandem": completion.tandem.model_dump(),
    }
    yield f"data: {json.dumps(final)}\n\n"
    if include_usage:
        usage = {**base, "choices": [], "usage": completion.usage.model_dump()}
        yield f"data: {json.dumps(usage)}\n\n"
    yield "data: [DONE]\n\n"
