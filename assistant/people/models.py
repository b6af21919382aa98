"""Participants and staff: tables and API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow
from assistant.types import Identifier, MediumText, OptionalShortText, ShortText
from assistant.vocabulary import CareerStage, Mode, ParticipantRole, Skill

# What a plan or a pairing assumes for someone who has not said how much time they have.
ASSUMED_HOURS_PER_MONTH = 2.0


def planning_hours(hours_per_month: float | None) -> float:
    return ASSUMED_HOURS_PER_MONTH if hours_per_month is None else hours_per_month


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    manager_id: Mapped[str | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    career_stage: Mapped[str] = mapped_column(String(20))
    years_experience: Mapped[float] = mapped_column(default=0)
    languages: Mapped[list[Any]] = mapped_column(default=list)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # None: the person has not said; drafting assumes ASSUMED_HOURS_PER_MONTH and says so.
    hours_per_month: Mapped[float | None] = mapped_column(default=None)
    roles: Mapped[list[Any]] = mapped_column(default=list)
    skills: Mapped[list[Any]] = mapped_column(default=list)
    goals: Mapped[list[Any]] = mapped_column(default=list)
    mentor_capacity: Mapped[int] = mapped_column(default=0)
    preferred_modes: Mapped[list[Any]] = mapped_column(default=list)
    avoid_ids: Mapped[list[Any]] = mapped_column(default=list)
    # sha256 of the API key; keys are 32 random bytes, so a slow password hash would add
    # latency to every request without adding protection.
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class StaffMember(Base):
    __tablename__ = "staff_members"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- API schemas -------------------------------------------------------------------

Level = Annotated[int, Field(ge=1, le=5, description="1 aware ... 5 expert / can teach")]
LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=12)]


class SkillLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    skill: Skill
    level: Level


class Goal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Identifier | None = Field(default=None, description="assigned by the service if absent")
    text: MediumText
    skills: list[Skill] = Field(min_length=1, max_length=5)
    target_level: Level = 4
    horizon_weeks: int = Field(default=12, ge=1, le=156)


def _unique_skills(items: list[SkillLevel]) -> list[SkillLevel]:
    seen: set[str] = set()
    for item in items:
        if item.skill in seen:
            raise ValueError(f"skill {item.skill!r} is listed twice")
        seen.add(item.skill)
    return items


def _valid_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)") from exc
    return value


class ParticipantFields(BaseModel):
    """Fields shared by create and read; update makes each optional."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText
    email: EmailStr
    title: OptionalShortText = ""
    department: OptionalShortText = ""
    manager_id: Identifier | None = None
    career_stage: CareerStage
    years_experience: float = Field(default=0, ge=0, le=70)
    languages: list[LanguageCode] = Field(
        default_factory=lambda: ["en"], min_length=1, max_length=10
    )
    timezone: str = Field(default="UTC", max_length=64)
    hours_per_month: float | None = Field(
        default=None,
        ge=0,
        le=160,
        description="time for development a month; unset, plans assume "
        f"{ASSUMED_HOURS_PER_MONTH:g} hours and say so, and the chat asks",
    )
    roles: list[ParticipantRole] = Field(min_length=1, max_length=3)
    skills: list[SkillLevel] = Field(default_factory=list, max_length=20)
    goals: list[Goal] = Field(default_factory=list, max_length=10)
    mentor_capacity: int = Field(default=0, ge=0, le=20)
    preferred_modes: list[Mode] = Field(default_factory=list, max_length=6)
    avoid_ids: list[Identifier] = Field(default_factory=list, max_length=100)

    @field_validator("skills")
    @classmethod
    def _skills_unique(cls, value: list[SkillLevel]) -> list[SkillLevel]:
        return _unique_skills(value)

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str) -> str:
        return _valid_timezone(value)

    @field_validator("roles", "preferred_modes", "languages")
    @classmethod
    def _dedupe(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class ParticipantCreate(ParticipantFields):
    pass


class ParticipantUpdate(BaseModel):
    """PATCH body: only the fields present change."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    email: EmailStr | None = None
    title: OptionalShortText | None = None
    department: OptionalShortText | None = None
    manager_id: Identifier | None = None
    career_stage: CareerStage | None = None
    years_experience: float | None = Field(default=None, ge=0, le=70)
    languages: list[LanguageCode] | None = Field(default=None, min_length=1, max_length=10)
    timezone: str | None = Field(default=None, max_length=64)
    hours_per_month: float | None = Field(default=None, ge=0, le=160)
    roles: list[ParticipantRole] | None = Field(default=None, min_length=1, max_length=3)
    skills: list[SkillLevel] | None = Field(default=None, max_length=20)
    goals: list[Goal] | None = Field(default=None, max_length=10)
    mentor_capacity: int | None = Field(default=None, ge=0, le=20)
    preferred_modes: list[Mode] | None = Field(default=None, max_length=6)
    avoid_ids: list[Identifier] | None = Field(default=None, max_length=100)

    @field_validator("skills")
    @classmethod
    def _skills_unique(cls, value: list[SkillLevel] | None) -> list[SkillLevel] | None:
        return None if value is None else _unique_skills(value)

    @field_validator("timezone")
    @classmethod
    def _timezone_known(cls, value: str | None) -> str | None:
        return None if value is None else _valid_timezone(value)


# Fields that decide matching rules (reporting line, capacity, who may be a mentor):
# a participant editing their own profile may not change these; staff may.
STAFF_ONLY_FIELDS = frozenset({"manager_id", "roles", "mentor_capacity", "career_stage"})


class ParticipantOut(ParticipantFields):
    model_config = ConfigDict(extra="ignore")
    id: str
    goals: list[Goal]
    created_at: datetime
    updated_at: datetime


class ParticipantCreated(ParticipantOut):
    api_key: str = Field(description="shown once; only its hash is stored")


class ParticipantPage(BaseModel):
    items: list[ParticipantOut]
    total: int
