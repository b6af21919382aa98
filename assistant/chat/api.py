"""Chat routes: the OpenAI-compatible `/v1/chat/completions` and `/v1/models`, and the
REST conversations under `/v1/chat/conversations`.

The OpenAI routes answer every error in OpenAI's shape (`{"error": {"message", "type",
"param", "code"}}`) with the status the official client maps to its exception classes,
so `openai`, LangChain's ChatOpenAI and chat front-ends report them clearly. They parse
the body themselves for the same reason: a FastAPI validation error has another shape.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from assistant.auth import Principal, principal_for_key
from assistant.chat import service
from assistant.chat.models import (
    Completion,
    CompletionChoice,
    CompletionMessage,
    CompletionRequest,
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationUpdate,
    MessageIn,
    MessageOut,
    ModelCard,
    ModelList,
    TandemExtras,
    Usage,
)
from assistant.chat.service import MODELS
from assistant.db import transaction
from assistant.errors import DomainError, InvalidField
from assistant.web import DB, AppServices, Caller, Services

router = APIRouter(prefix="/v1", tags=["chat"])

CONVERSATION_HEADER = "X-Tandem-Conversation"
STREAM_CHUNK_CHARS = 48
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    422: "invalid_request_error",
}


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
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def _participant(services: AppServices, request: Request) -> Principal:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ProtocolError(
            openai_error(
                401,
                "missing API key: send 'Authorization: Bearer <participant key>'",
                code="invalid_api_key",
            )
        )
    with services.sessions() as db:
        principal = principal_for_key(db, key.strip())
    if principal is None:
        raise ProtocolError(openai_error(401, "invalid API key", code="invalid_api_key"))
    if principal.is_staff:
        raise ProtocolError(
            openai_error(
                403,
                "the assistant talks with participants; staff keys cannot chat (conversations "
                "a participant shares are at GET /v1/chat/conversations)",
                code="participants_only",
            )
        )
    return principal


@router.get("/models", response_model=ModelList)
def list_models(request: Request, services: Services) -> Response:
    try:
        _participant(services, request)
    except ProtocolError as refused:
        return refused.response
    created = 1_764_547_200  # 2025-12-01: fixed, so the listing is stable
    cards = [ModelCard(id=name, created=created, description=d) for name, d in MODELS.items()]
    return JSONResponse(ModelList(data=cards).model_dump())


def _parse(raw: bytes) -> CompletionRequest:
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


def _complete(
    services: AppServices, principal: Principal, body: CompletionRequest, header_id: str | None
) -> service.Exchange:
    if body.model not in MODELS:
        raise ProtocolError(
            openai_error(
                404,
                f"the model {body.model!r} does not exist; use one of "
                f"{', '.join(MODELS)} (GET /v1/models)",
                param="model",
                code="model_not_found",
            )
        )
    try:
        turns = service.conversation_turns(body, services.settings)
    except service.ChatInputError as exc:
        refused = openai_error(400, exc.message, param=exc.param, code=exc.code)
        raise ProtocolError(refused) from None
    if header_id is not None and (
        not header_id.strip() or len(header_id) > 64 or any(ord(c) < 32 for c in header_id)
    ):
        raise ProtocolError(
            openai_error(400, f"{CONVERSATION_HEADER} is not a conversation id", param="header")
        )
    conversation_id = body.conversation_id or header_id
    try:
        with transaction(services.sessions) as db:
            return service.exchange(
                db,
                actor=principal,
                services=services,
                turns=turns,
                conversation_id=conversation_id,
                model=body.model,
            )
    except DomainError as exc:
        code = "conversation_not_found" if exc.status_code == 404 else None
        raise ProtocolError(openai_error(exc.status_code, exc.message, code=code)) from None


def _chunk(base: dict[str, Any], delta: dict[str, Any], finish: str | None) -> str:
    payload = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(payload)}\n\n"


def _stream(completion: Completion, include_usage: bool) -> Iterator[str]:
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
    text = completion.choices[0].message.content
    for start in range(0, len(text), STREAM_CHUNK_CHARS):
        yield _chunk(base, {"content": text[start : start + STREAM_CHUNK_CHARS]}, None)
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


@router.post(
    "/chat/completions",
    response_model=Completion,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "An OpenAI chat-completions request (model, messages, stream, "
            "stream_options, user) plus Tandem's optional `conversation_id`.",
        }
    },
)
async def chat_completions(request: Request) -> Response:
    services: AppServices = request.app.state.services
    try:
        principal = await run_in_threadpool(_participant, services, request)
        body = _parse(await request.body())
        done = await run_in_threadpool(
            _complete, services, principal, body, request.headers.get(CONVERSATION_HEADER)
        )
    except ProtocolError as refused:
        return refused.response
    completion = Completion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=body.model,
        choices=[CompletionChoice(message=CompletionMessage(content=done.reply.text))],
        usage=Usage(
            prompt_tokens=done.prompt_tokens,
            completion_tokens=done.completion_tokens,
            total_tokens=done.prompt_tokens + done.completion_tokens,
        ),
        conversation_id=done.conversation_id,
        tandem=TandemExtras(
            conversation_id=done.conversation_id,
            intent=done.reply.intent,
            assistant=done.reply.assistant,
            actions=done.reply.actions,
            citations=done.reply.citations,
        ),
    )
    headers = {CONVERSATION_HEADER: done.conversation_id}
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return StreamingResponse(
            _stream(completion, include_usage),
            media_type="text/event-stream",
            headers={**headers, "Cache-Control": "no-cache"},
        )
    return JSONResponse(completion.model_dump(), headers=headers)


# ---- REST conversations --------------------------------------------------------------------


@router.get("/chat/conversations", response_model=list[ConversationOut])
def list_conversations(
    db: DB,
    caller: Caller,
    services: Services,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> list[ConversationOut]:
    limit = min(limit, services.settings.max_page_size)
    return service.list_conversations(db, actor=caller, limit=limit)


@router.post(
    "/chat/conversations", status_code=status.HTTP_201_CREATED, response_model=ConversationOut
)
def create_conversation(
    body: ConversationCreate, db: DB, caller: Caller, services: Services
) -> ConversationOut:
    row = service.create_conversation(db, actor=caller, data=body, now=services.clock.now())
    return service.conversation_out(db, row)


@router.get("/chat/conversations/{conversation_id}", response_model=ConversationDetail)
def read_conversation(conversation_id: str, db: DB, caller: Caller) -> ConversationDetail:
    return service.read_conversation(db, actor=caller, conversation_id=conversation_id)


@router.patch("/chat/conversations/{conversation_id}", response_model=ConversationOut)
def update_conversation(
    conversation_id: str, body: ConversationUpdate, db: DB, caller: Caller
) -> ConversationOut:
    row = service.update_conversation(db, actor=caller, conversation_id=conversation_id, data=body)
    return service.conversation_out(db, row)


@router.delete("/chat/conversations/{conversation_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_conversation(conversation_id: str, db: DB, caller: Caller) -> Response:
    service.delete_conversation(db, actor=caller, conversation_id=conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/chat/conversations/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessageOut,
)
def post_message(
    conversation_id: str, body: MessageIn, db: DB, caller: Caller, services: Services
) -> MessageOut:
    try:
        return service.post_message(
            db,
            actor=caller,
            services=services,
            conversation_id=conversation_id,
            content=body.content,
        )
    except service.ChatInputError as exc:
        raise InvalidField(("body", exc.param or "content"), exc.message) from None
