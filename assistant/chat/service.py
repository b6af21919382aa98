"""Chat rules: who may read which conversation, what a chat request may carry, how much
history the assistant reads, and storing each exchange with what it changed."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.chat.llm import LLMAssistant, ModelFailed
from assistant.chat.models import (
    ChatMessage,
    Conversation,
    ConversationCreate,
    ConversationDetail,
    ConversationOut,
    ConversationUpdate,
    MessageOut,
)
from assistant.chat.offline import OfflineAssistant
from assistant.chat.turns import Assistant, Reply, Turn
from assistant.config import Settings
from assistant.errors import DomainError, NotAllowed, NotFound
from assistant.web import AppServices

logger = logging.getLogger("tandem.chat")

# The models /v1/models lists. `tandem` is the assistant as configured: the model with
# tools when TANDEM_LLM_* is set (offline when it fails), else offline; `tandem-offline`
# always answers offline, deterministically.
MODELS = {
    "tandem": "Tandem's mentoring assistant (the configured model with tools, or offline)",
    "tandem-offline": "Tandem's offline assistant: rule-based, deterministic, no model",
}
TITLE_CHARS = 80
# What a stored assistant message says wrote it when a client sent it as history.
CLIENT_HISTORY = "client history (not written by Tandem)"
# Conversations checked when a stateless client resends a history without naming its
# conversation: enough for anyone's recent chats, cheap to compare.
CONTINUATION_CANDIDATES = 20
_TOKEN = re.compile(r"\w+|[^\w\s]")


class ChatInputError(Exception):
    """A chat request the protocol refuses (400), with the parameter at fault."""

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code


def approximate_tokens(text: str) -> int:
    """Tokens as words and punctuation marks. An approximation: real tokenizers split
    long words further, so this undercounts by roughly a quarter for English."""
    return len(_TOKEN.findall(text))


# ---- conversations ---------------------------------------------------------------------


def _message_count(db: Session, conversation_id: str) -> int:
    count = db.scalar(
        select(func.count())
        .select_from(ChatMessage)
        .where(ChatMessage.conversation_id == conversation_id)
    )
    return int(count or 0)


def conversation_out(db: Session, row: Conversation) -> ConversationOut:
    return ConversationOut(
        id=row.id,
        owner_id=row.owner_id,
        title=row.title,
        shared=row.shared,
        created_at=row.created_at,
        updated_at=row.updated_at,
        message_count=_message_count(db, row.id),
    )


def message_out(row: ChatMessage) -> MessageOut:
    return MessageOut.model_validate(
        {
            "id": row.id,
            "role": row.role,
            "content": row.content,
            "actions": row.actions or [],
            "assistant": row.assistant,
            "created_at": row.created_at,
        }
    )


def visible_conversation(db: Session, actor: Principal, conversation_id: str) -> Conversation:
    """The owner's, or staff's while the owner shares it; a 404 for anyone else, so a
    conversation's existence never leaks."""
    row = db.get(Conversation, conversation_id)
    if row is None:
        raise NotFound("conversation", conversation_id)
    if actor.is_staff:
        if not row.shared:
            raise NotFound("conversation", conversation_id)
    elif row.owner_id != actor.id:
        raise NotFound("conversation", conversation_id)
    return row


def _own_conversation(db: Session, actor: Principal, conversation_id: str) -> Conversation:
    row = visible_conversation(db, actor, conversation_id)
    if row.owner_id != actor.id:
        raise NotAllowed("only the conversation's owner changes it")
    return row


def list_conversations(db: Session, *, actor: Principal, limit: int) -> list[ConversationOut]:
    query = select(Conversation).order_by(Conversation.updated_at.desc(), Conversation.id)
    if actor.is_staff:
        query = query.where(Conversation.shared.is_(True))
    else:
        query = query.where(Conversation.owner_id == actor.id)
    return [conversation_out(db, row) for row in db.scalars(query.limit(limit))]


def create_conversation(
    db: Session, *, actor: Principal, data: ConversationCreate, now: datetime
) -> Conversation:
    if actor.is_staff:
        raise NotAllowed("conversations belong to participants; staff read shared ones")
    row = Conversation(owner_id=actor.id, title=data.title, created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    return row


def read_conversation(db: Session, *, actor: Principal, conversation_id: str) -> ConversationDetail:
    row = visible_conversation(db, actor, conversation_id)
    messages = db.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == row.id)
        .order_by(ChatMessage.position)
    )
    return ConversationDetail(
        **conversation_out(db, row).model_dump(), messages=[message_out(m) for m in messages]
    )


def update_conversation(
    db: Session, *, actor: Principal, conversation_id: str, data: ConversationUpdate
) -> Conversation:
    row = _own_conversation(db, actor, conversation_id)
    if data.title is not None:
        row.title = data.title
    if data.shared is not None:
        row.shared = data.shared
    db.flush()
    return row


def delete_conversation(db: Session, *, actor: Principal, conversation_id: str) -> None:
    row = _own_conversation(db, actor, conversation_id)
    db.delete(row)
    db.flush()


def _stored_turns(db: Session, conversation_id: str) -> list[Turn]:
    return [
        Turn(role="assistant" if m.role == "assistant" else "user", content=m.content)
        for m in db.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.position)
        )
    ]


def _continued_conversation(
    db: Session, owner_id: str, prior: Sequence[Turn]
) -> Conversation | None:
    """The owner's conversation whose stored messages are exactly the history a client
    resent before its new message: OpenAI clients resend everything and name nothing."""
    if not prior:
        return None
    candidates = db.scalars(
        select(Conversation)
        .where(Conversation.owner_id == owner_id)
        .order_by(Conversation.updated_at.desc())
        .limit(CONTINUATION_CANDIDATES)
    )
    wanted = [(t.role, _same_text(t.content)) for t in prior]
    for row in candidates:
        if _message_count(db, row.id) != len(wanted):
            continue
        if [(t.role, _same_text(t.content)) for t in _stored_turns(db, row.id)] == wanted:
            return row
    return None


def _same_text(text: str) -> str:
    # Front-ends differ in the whitespace they keep around a message they resend.
    return " ".join(text.split())


def _title_from(text: str) -> str:
    title = " ".join(text.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def _append(
    db: Session, row: Conversation, role: str, content: str, now: datetime, **extra: Any
) -> ChatMessage:
    position = (
        db.scalar(
            select(func.max(ChatMessage.position)).where(ChatMessage.conversation_id == row.id)
        )
        or 0
    ) + 1
    message = ChatMessage(
        conversation_id=row.id,
        position=position,
        role=role,
        content=content,
        created_at=now,
        **extra,
    )
    db.add(message)
    row.updated_at = now
    db.flush()
    return message


# ---- what a request may carry ----------------------------------------------------------


def check_message_text(
    text: str, settings: Settings, *, param: str, name: str, required: bool = True
) -> None:
    """The limits every message a user sends or a client resends is held to; `name` is
    how the refusal names the message ("message 3", "the message")."""
    if required and not text.strip():
        raise ChatInputError(f"{name} is empty", param=param)
    if "\x00" in text:
        raise ChatInputError("content must not contain NUL characters", param=param)
    if len(text) > settings.chat_max_message_chars:
        raise ChatInputError(
            f"{name} has {len(text)} characters; the limit is {settings.chat_max_message_chars}",
            param=param,
            code="string_above_max_length",
        )


def trim_history(turns: list[Turn], *, max_messages: int, max_chars: int) -> list[Turn]:
    """The newest turns within the budget: at most `max_messages`, and of those the
    newest whose lengths add up to at most `max_chars`. The newest (the user's message)
    is always kept; everything older than the budget is dropped, not summarised."""
    kept: list[Turn] = []
    used = 0
    for turn in reversed(turns[-max_messages:]):
        if kept and used + len(turn.content) > max_chars:
            break
        kept.append(turn)
        used += len(turn.content)
    kept.reverse()
    # A dialog read from a cut that starts mid-exchange would take an answer for a
    # question; starting at a user message keeps each answer next to its question.
    while len(kept) > 1 and kept[0].role != "user":
        kept.pop(0)
    return kept


# ---- one exchange -----------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    conversation_id: str
    reply: Reply
    prompt_tokens: int
    completion_tokens: int


def _answer(
    db: Session, actor: Principal, services: AppServices, turns: list[Turn], model: str
) -> Reply:
    settings = services.settings
    considered = trim_history(
        turns,
        max_messages=settings.chat_history_messages,
        max_chars=settings.chat_history_chars,
    )
    fallback = ""
    if model == "tandem" and services.chat_model is not None and settings.llm_model:
        model_assistant: Assistant = LLMAssistant(
            db,
            actor=actor,
            services=services,
            chat_model=services.chat_model,
            model_name=settings.llm_model,
            max_tokens=settings.llm_max_tokens_chat,
        )
        savepoint = db.begin_nested()
        try:
            reply = model_assistant.reply(considered)
            savepoint.commit()
            return reply
        except ModelFailed as failure:
            # Whatever the model's tools did before it failed is undone, so the offline
            # answer below is the only thing this message changes.
            savepoint.rollback()
            fallback = failure.reason
            logger.warning(
                "chat model failed; answering offline", extra={"fields": {"reason": fallback}}
            )
    offline: Assistant = OfflineAssistant(db, actor=actor, services=services)
    # A savepoint: when a rule refuses a change half-way (a goal saved, then the plan
    # refused), the change is undone whole and the reply says why; the exchange itself
    # is still stored.
    savepoint = db.begin_nested()
    try:
        reply = offline.reply(considered)
        savepoint.commit()
    except DomainError as exc:
        savepoint.rollback()
        reply = Reply(f"I couldn't do that, so nothing changed: {exc.message}", "refused")
    if fallback:
        reply.text = (
            f"(The language model could not answer ({fallback}), so Tandem's offline "
            f"assistant did.)\n\n{reply.text}"
        )
        reply.assistant = f"offline (fallback: {fallback})"
    return reply


def exchange(
    db: Session,
    *,
    actor: Principal,
    services: AppServices,
    turns: list[Turn],
    conversation_id: str | None,
    model: str = "tandem",
) -> Exchange:
    """Answer the newest user message and store the exchange: in the named conversation,
    in the one whose stored history the client resent, or in a new one titled from the
    first user message."""
    if actor.is_staff:
        raise NotAllowed("the assistant is for participants; use a participant's key")
    now = services.clock.now()
    if conversation_id is not None:
        row = visible_conversation(db, actor, conversation_id)
        if row.owner_id != actor.id:
            raise NotFound("conversation", conversation_id)
    else:
        found = _continued_conversation(db, actor.id, turns[:-1])
        if found is None:
            first = next(t.content for t in turns if t.role == "user")
            found = create_conversation(
                db, actor=actor, data=ConversationCreate(title=_title_from(first)), now=now
            )
            # A history begun elsewhere is kept as sent, so the client's next request,
            # which resends it, is recognised as this conversation.
            for turn in turns[:-1]:
                # Marked as the client's, so no reader takes them for Tandem's replies.
                extra = {"assistant": CLIENT_HISTORY} if turn.role == "assistant" else {}
                _append(db, found, turn.role, turn.content, now, **extra)
        row = found
    if not row.title:
        row.title = _title_from(turns[-1].content)
    reply = _answer(db, actor, services, turns, model)
    _append(db, row, "user", turns[-1].content, now)
    _append(db, row, "assistant", reply.text, now, actions=reply.actions, assistant=reply.assistant)
    logger.info(
        "chat exchange",
        extra={"fields": {"intent": reply.intent, "actions": len(reply.actions)}},
    )
    return Exchange(
        conversation_id=row.id,
        reply=reply,
        prompt_tokens=sum(approximate_tokens(t.content) for t in turns),
        completion_tokens=approximate_tokens(reply.text),
    )


def post_message(
    db: Session, *, actor: Principal, services: AppServices, conversation_id: str, content: str
) -> MessageOut:
    """The REST way to talk: the history is the stored conversation, not resent."""
    row = visible_conversation(db, actor, conversation_id)
    if row.owner_id != actor.id:
        raise NotAllowed("only the conversation's owner talks in it")
    check_message_text(content, services.settings, param="content", name="the message")
    turns = [*_stored_turns(db, row.id), Turn(role="user", content=content)]
    exchange(db, actor=actor, services=services, turns=turns, conversation_id=row.id)
    last = db.scalars(
        select(ChatMessage)
        .where(ChatMessage.conversation_id == row.id)
        .order_by(ChatMessage.position.desc())
        .limit(1)
    ).one()
    return message_out(last)
