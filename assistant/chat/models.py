"""Conversations and their messages: tables, REST schemas, and the OpenAI protocol shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow
from assistant.types import Identifier, OptionalShortText

StoredRole = Literal["user", "assistant"]


class Conversation(Base):
    """A participant's chat with the assistant. Private to its owner; staff read it only
    while `shared` is set, and never write to it."""

    __tablename__ = "chat_conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200), default="")
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (UniqueConstraint("conversation_id", "position"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE"), index=True
    )
    # Order within the conversation; timestamps alone tie within one request.
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    # What an assistant reply created or changed (plan versions, progress entries, ...),
    # each with its ids, so the record says what the chat did, not only what it said.
    actions: Mapped[list[Any]] = mapped_column(default=list)
    assistant: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- REST schemas ------------------------------------------------------------------


class ConversationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: OptionalShortText = ""


class ConversationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: OptionalShortText | None = None
    shared: bool | None = Field(default=None, description="let program staff read it")


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(description="what the user says; limits as for /v1/chat/completions")


class MessageOut(BaseModel):
    id: str
    role: StoredRole
    content: str
    actions: list[dict[str, Any]]
    assistant: str
    created_at: datetime


class ConversationOut(BaseModel):
    id: str
    owner_id: str
    title: str
    shared: bool
    created_at: datetime
    updated_at: datetime
    message_count: int


class ConversationDetail(ConversationOut):
    messages: list[MessageOut]


# ---- OpenAI chat-completions protocol ----------------------------------------------
# Only what Tandem reads is declared; other fields clients send (temperature, top_p,
# ...) are accepted and ignored, as many OpenAI-compatible servers do.


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
