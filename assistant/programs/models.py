"""Programs (cohorts): tables and API schemas."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow
from assistant.types import PlausibleDate, ShortText
from assistant.vocabulary import Mode


class Program(Base):
    __tablename__ = "programs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    default_mode: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    sessions_per_month: Mapped[int] = mapped_column(default=2)
    session_minutes: Mapped[int] = mapped_column(default=45)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cadence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sessions_per_month: int = Field(ge=1, le=12)
    minutes: int = Field(ge=10, le=240)


class ProgramCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText
    default_mode: Mode = "mentor"
    starts_on: PlausibleDate
    ends_on: PlausibleDate
    cadence: Cadence = Cadence(sessions_per_month=2, minutes=45)

    @model_validator(mode="after")
    def _ends_after_start(self) -> ProgramCreate:
        if self.ends_on <= self.starts_on:
            raise ValueError("ends_on must be after starts_on")
        return self


class ProgramOut(BaseModel):
    id: str
    name: str
    default_mode: Mode
    starts_on: date
    ends_on: date
    cadence: Cadence
    created_at: datetime


class MatchStatusCount(BaseModel):
    status: str
    count: int


class PlanAtRisk(BaseModel):
    plan_id: str
    match_id: str
    owner_id: str
    status: str
    reasons: list[str]


class ProgramRollup(BaseModel):
    program_id: str
    as_of: date
    matches_by_status: dict[str, int]
    plans_at_risk: list[PlanAtRisk]
    sessions_held: int
    sessions_expected: int
    sessions_held_ratio: float | None = Field(
        description="held / expected; null when no session was expected yet"
    )
