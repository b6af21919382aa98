"""Conversations and their messages: tables and REST schemas (the OpenAI protocol's
shapes are in `openai_protocol`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow
from assistant.types import OptionalShortText

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
