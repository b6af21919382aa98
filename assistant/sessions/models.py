"""Sessions, notes and action items: tables and API schemas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assistant.db import Base, new_id, utcnow
from assistant.types import (
    Identifier,
    LongText,
    MediumText,
    OptionalNote,
    PlausibleDate,
    PlausibleDateTime,
)

SessionStatus = Literal["scheduled", "held", "cancelled", "missed"]
Visibility = Literal["private", "match", "staff"]


class MentoringSession(Base):
    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    scheduled_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    agenda: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    # Denormalised from the session so access filters need no join.
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    author_kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None]

    action_items: Mapped[list[ActionItem]] = relationship(
        back_populates="note", cascade="all, delete-orphan", lazy="selectin"
    )


class ActionItem(Base):
    __tablename__ = "action_items"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(2000))
    owner_id: Mapped[str | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    due_date: Mapped[date | None]
    done: Mapped[bool] = mapped_column(default=False)
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    note: Mapped[Note] = relationship(back_populates="action_items")


class TalkingPoint(Base):
    """Something a member wants to discuss at a session; the agenda gives it time."""

    __tablename__ = "talking_points"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- API schemas -------------------------------------------------------------------


def _as_utc(value: datetime) -> datetime:
    # A time without an offset is read as UTC rather than the server's local zone, so
    # the same request means the same instant on every replica.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_at: PlausibleDateTime
    duration_minutes: int = Field(default=45, ge=10, le=480)
    title: OptionalNote = ""

    @field_validator("scheduled_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)


class SessionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheduled_at: PlausibleDateTime | None = None
    duration_minutes: int | None = Field(default=None, ge=10, le=480)
    title: OptionalNote | None = None
    status: SessionStatus | None = None

    @field_validator("scheduled_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else _as_utc(value)


class SessionOut(BaseModel):
    id: str
    match_id: str
    scheduled_at: datetime
    duration_minutes: int
    title: str
    status: SessionStatus
    agenda: dict[str, Any] | None
    created_at: datetime


class ActionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: MediumText
    owner_id: Identifier | None = None
    due_date: PlausibleDate | None = None


class ActionItemOut(BaseModel):
    id: str
    note_id: str
    session_id: str
    match_id: str
    text: str
    owner_id: str | None
    due_date: date | None
    done: bool
    done_at: datetime | None


class ActionItemUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    done: bool


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: LongText
    visibility: Visibility = "match"
    action_items: list[ActionItemIn] = Field(default_factory=list, max_length=20)


class NoteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: LongText | None = None
    visibility: Visibility | None = None


class NoteOut(BaseModel):
    id: str
    session_id: str
    match_id: str
    author_kind: str
    author_id: str
    text: str
    visibility: Visibility
    created_at: datetime
    updated_at: datetime | None = None
    action_items: list[ActionItemOut]
    search_indexed: bool | None = Field(
        default=None,
        description="false when the note was saved but the search index could not take it",
    )


class TalkingPointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: MediumText


class TalkingPointOut(BaseModel):
    id: str
    session_id: str
    author_id: str
    text: str
    created_at: datetime
