"""Chat routes: the OpenAI-compatible `/v1/chat/completions` and `/v1/models`, and the
REST conversations under `/v1/chat/conversations`.

The OpenAI routes answer every error in OpenAI's shape (see `openai_protocol`), so
`openai`, LangChain's ChatOpenAI and chat front-ends report them clearly.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.auth import Principal, principal_for_key
from assistant.chat import service
from assistant.chat.models import (
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationUpdate,
    MessageIn,
    MessageOut,
)
from assistant.chat.openai_protocol import (
    Completion,
    CompletionChoice,
    CompletionMessage,
    CompletionRequest,
    ModelCard,
    ModelList,
    ProtocolError,
    TandemExtras,
    Usage,
    conversation_turns,
    openai_error,
    parse_request,
    stream_events,
)
from assistant.chat.service import MODELS
from assistant.db import transaction
from assistant.errors import DomainError, InvalidField
from assistant.web import DB, AppServices, Caller, Services

router = APIRouter(prefix="/v1", tags=["chat"])

CONVERSATION_HEADER = "X-Tandem-Conversation"


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
        turns = conversation_turns(body, services.settings)
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
        body = parse_request(await request.body())
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
            stream_events(completion, include_usage),
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
