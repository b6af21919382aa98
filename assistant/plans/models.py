"""Development plans, their versions and progress: tables and API schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow
from assistant.types import (
    Identifier,
    LongText,
    MediumText,
    OptionalNote,
    PlausibleDate,
    ShortText,
    SummaryText,
)
from assistant.vocabulary import Skill

MilestoneStatus = Literal["not_started", "in_progress", "done", "blocked", "dropped"]
PlanStatus = Literal["draft", "active", "superseded"]
ActivityKind = Literal[
    "practice", "reading", "shadowing", "feedback", "reflection", "project", "session", "other"
]


class Plan(Base):
    """A plan for one member of one match; its content lives in versions."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    current_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanVersion(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    drafter: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(4000), default="")
    starts_on: Mapped[date]
    # objectives, gives, cadence and citations as validated JSON: a version is written
    # once and read whole, never queried by its parts.
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    instruction: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))


class ProgressUpdate(Base):
    """Append-only: a milestone's status is its latest update; history is never rewritten."""

    __tablename__ = "progress_updates"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    milestone_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(2000), default="")
    evidence_url: Mapped[str | None] = mapped_column(String(2000))
    author_kind: Mapped[str] = mapped_column(String(20))
    author_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# ---- API schemas -------------------------------------------------------------------


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: MediumText
    kind: ActivityKind = "practice"
    citation_ids: list[Identifier] = Field(default_factory=list, max_length=10)
    minutes_per_month: int = Field(
        default=0,
        ge=0,
        le=20_000,
        description="time it takes in a month it runs: every month while it runs when "
        "`recurring`, otherwise once, in full, in the month it starts",
    )
    recurring: bool = False
    starts_on: date | None = Field(default=None, description="when it begins; none: the plan start")
    ends_on: date | None = Field(default=None, description="when it stops; none: the plan end")


class Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Identifier | None = Field(default=None, description="kept across revisions")
    title: ShortText
    due_date: PlausibleDate
    status: MilestoneStatus = "not_started"
    level: int | None = Field(
        default=None, ge=1, le=5, description="the skill level it shows; milestones climb by it"
    )


class Objective(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Identifier | None = None
    title: ShortText
    goal: MediumText = Field(description="the owner's goal text it serves")
    goal_id: Identifier | None = None
    skills: list[Skill] = Field(default_factory=list, max_length=5)
    success_measures: list[MediumText] = Field(default_factory=list, max_length=10)
    milestones: list[Milestone] = Field(min_length=1, max_length=20)
    activities: list[Activity] = Field(default_factory=list, max_length=20)


class Give(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_id: Identifier
    skill: Skill
    how: MediumText


class PlanCadence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sessions_per_month: int = Field(ge=1, le=12)
    minutes: int = Field(ge=10, le=240)
    format: ShortText = "scheduled 1:1"


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Identifier
    source: ShortText
    title: ShortText
    quote: LongText


class PlanBody(BaseModel):
    """What a drafter produces and a version stores (milestone statuses as first written)."""

    model_config = ConfigDict(extra="forbid")
    summary: SummaryText = ""
    objectives: list[Objective] = Field(min_length=1, max_length=10)
    gives: list[Give] = Field(default_factory=list, max_length=20)
    cadence: PlanCadence | None = None
    citations: list[Citation] = Field(default_factory=list, max_length=50)
    budget_minutes_per_month: int | None = Field(
        default=None, ge=0, description="the owner's monthly time the plan was fitted to"
    )
    remarks: list[MediumText] = Field(
        default_factory=list,
        max_length=20,
        description="what the drafter wants the reader to know about this version: an "
        "instruction it applied, an invented citation it removed, why it fell back",
    )


class PlanCreate(BaseModel):
    """With `objectives` the plan is stored as written; without, it is drafted."""

    model_config = ConfigDict(extra="forbid")
    owner_id: Identifier
    focus: OptionalNote = ""
    starts_on: PlausibleDate | None = Field(default=None, description="defaults to today")
    summary: SummaryText = ""
    objectives: list[Objective] | None = Field(default=None, min_length=1, max_length=10)
    gives: list[Give] = Field(default_factory=list, max_length=20)
    cadence: PlanCadence | None = None
    citations: list[Citation] = Field(default_factory=list, max_length=50)


class MilestonePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Identifier
    title: ShortText | None = None
    due_date: PlausibleDate | None = None


class PlanRevise(BaseModel):
    """A new version: replace objectives wholesale, patch milestones, or both.

    Objectives and milestones that keep their `id` keep their progress history.
    """

    model_config = ConfigDict(extra="forbid")
    instruction: OptionalNote = ""
    summary: SummaryText | None = None
    objectives: list[Objective] | None = Field(default=None, min_length=1, max_length=10)
    milestone_patches: list[MilestonePatch] = Field(default_factory=list, max_length=50)
    gives: list[Give] | None = Field(default=None, max_length=20)
    cadence: PlanCadence | None = None

    @model_validator(mode="after")
    def _changes_something(self) -> PlanRevise:
        if (
            not self.instruction
            and self.summary is None
            and self.objectives is None
            and not self.milestone_patches
            and self.gives is None
            and self.cadence is None
        ):
            raise ValueError("a revision needs an instruction or at least one change")
        return self


class PlanOut(BaseModel):
    id: str
    match_id: str
    owner_id: str
    version: int
    latest_version: int
    status: PlanStatus
    drafter: str
    summary: str
    starts_on: date
    objectives: list[Objective]
    gives: list[Give]
    cadence: PlanCadence | None
    citations: list[Citation]
    remarks: list[str] = Field(default_factory=list)
    instruction: str
    created_at: datetime
    planned_minutes_per_month: int = Field(
        description="sessions plus activities in the plan's busiest month"
    )
    budget_minutes_per_month: int | None = Field(
        default=None, description="the owner's monthly time the plan was fitted to"
    )


class PlanVersionSummary(BaseModel):
    version: int
    status: PlanStatus
    drafter: str
    instruction: str
    created_at: datetime
    created_by: str


class ProgressIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    milestone_id: Identifier
    status: MilestoneStatus
    note: OptionalNote = ""
    evidence_url: AnyHttpUrl | None = Field(default=None, max_length=2000)


class ProgressOut(BaseModel):
    id: str
    plan_id: str
    milestone_id: str
    status: MilestoneStatus
    previous_status: MilestoneStatus
    note: str
    evidence_url: str | None
    author_kind: str
    author_id: str
    created_at: datetime


class MilestoneRef(BaseModel):
    milestone_id: str
    title: str
    due_date: date
    status: MilestoneStatus
    days: int = Field(description="days overdue, or days until due")


class ActionItemRef(BaseModel):
    action_item_id: str
    text: str
    owner_id: str | None
    due_date: date
    days_overdue: int


HealthStatus = Literal["on_track", "at_risk", "off_track"]


class PlanHealth(BaseModel):
    plan_id: str
    as_of: date
    status: HealthStatus
    percent_complete: int
    reasons: list[str]
    overdue_milestones: list[MilestoneRef]
    due_soon_milestones: list[MilestoneRef]
    blocked_milestones: list[MilestoneRef]
    last_session_id: str | None
    last_session_at: datetime | None
    days_since_last_session: int | None
    expected_days_between_sessions: float
    past_due_action_items: list[ActionItemRef]
