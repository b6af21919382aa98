"""Matches (pairs and groups), their members and their life cycle: tables and schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assistant.db import Base, new_id, utcnow
from assistant.programs.models import Cadence
from assistant.types import Identifier, OptionalNote
from assistant.vocabulary import MemberRole, Mode

MatchStatus = Literal["suggested", "approved", "active", "paused", "completed", "cancelled"]

# The life cycle: suggested -> approved -> active <-> paused -> completed | cancelled.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    "suggested": frozenset({"approved", "cancelled"}),
    "approved": frozenset({"active", "cancelled"}),
    "active": frozenset({"paused", "completed", "cancelled"}),
    "paused": frozenset({"active", "completed", "cancelled"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}
# Statuses in which a match holds its members: it counts against mentor capacity and
# blocks a duplicate match of the same people.
OPEN_STATUSES = frozenset({"approved", "active", "paused"})
# Statuses in which members work in the match (plans, sessions, notes).
WORKING_STATUSES = frozenset({"approved", "active", "paused"})


class Match(Base):
    __tablename__ = "matches"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    program_id: Mapped[str | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    sessions_per_month: Mapped[int]
    session_minutes: Mapped[int]
    # The day the match first became active; cadence expectations count from here.
    started_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))

    members: Mapped[list[MatchMember]] = relationship(
        back_populates="match", cascade="all, delete-orphan", lazy="selectin"
    )


class MatchMember(Base):
    __tablename__ = "match_members"
    __table_args__ = (UniqueConstraint("match_id", "participant_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    match: Mapped[Match] = relationship(back_populates="members")


class MatchStatusChange(Base):
    __tablename__ = "match_status_changes"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(2000), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- API schemas -------------------------------------------------------------------


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: Identifier
    role: MemberRole


class MemberOut(BaseModel):
    participant_id: str
    role: MemberRole
    name: str


class MatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: Mode
    members: list[MemberIn] = Field(min_length=2, max_length=6)
    program_id: Identifier | None = None
    status: Literal["approved", "active"] = Field(
        default="active",
        description="a match staff create by hand is decided; 'approved' holds it "
        "until the members are told",
    )
    cadence: Cadence | None = None

    @field_validator("members")
    @classmethod
    def _distinct_people(cls, members: list[MemberIn]) -> list[MemberIn]:
        seen: set[str] = set()
        for member in members:
            if member.participant_id in seen:
                raise ValueError(
                    f"participant {member.participant_id!r} appears twice: "
                    "no one is matched with themselves"
                )
            seen.add(member.participant_id)
        return members


class StatusChangeOut(BaseModel):
    from_status: str | None
    to_status: str
    actor_kind: str
    actor_id: str
    reason: str
    at: datetime


class MatchOut(BaseModel):
    id: str
    mode: Mode
    status: MatchStatus
    program_id: str | None
    members: list[MemberOut]
    cadence: Cadence
    started_on: date | None
    created_at: datetime
    history: list[StatusChangeOut] = Field(default_factory=list)


class MatchStatusUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: MatchStatus
    reason: OptionalNote = ""


class MatchPage(BaseModel):
    items: list[MatchOut]
