"""Pairing runs, their suggestions and staff decisions: tables and API schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow
from assistant.types import Identifier, OptionalNote
from assistant.vocabulary import Mode

RunMode = Literal["mentor", "near_peer", "reverse", "peer", "group", "flash", "auto"]
SuggestionStatus = Literal["pending", "approved", "rejected"]
RunStatus = Literal["pending_review", "reviewed"]


class PairingRun(Base):
    __tablename__ = "pairing_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    program_id: Mapped[str | None] = mapped_column(
        ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    mode: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="pending_review")
    group_size: Mapped[int | None]
    min_score: Mapped[float] = mapped_column(Float)
    participant_ids: Mapped[list[Any]] = mapped_column(default=list)
    unmatched: Mapped[list[Any]] = mapped_column(default=list)
    objectives: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(32))
    # Group runs for cross-functional circles weigh department diversity.
    cross_functional: Mapped[bool] = mapped_column(default=False)
    remarks: Mapped[list[Any]] = mapped_column(default=list)  # what the run could not judge


class PairingSuggestion(Base):
    __tablename__ = "pairing_suggestions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(
        ForeignKey("pairing_runs.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    mode: Mapped[str] = mapped_column(String(20))
    members: Mapped[list[Any]] = mapped_column(default=list)
    score: Mapped[float] = mapped_column(Float)
    factors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    alternatives: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(String(2000), default="")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    match_id: Mapped[str | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))
    # A short prose rationale for staff, and what wrote it ("factors", "openai:<model>",
    # "factors (fallback: <reason>)"); the factor reasons stay the checkable evidence.
    rationale: Mapped[str] = mapped_column(Text, default="")
    rationale_by: Mapped[str] = mapped_column(String(200), default="")


class PairingRejection(Base):
    """A pair staff turned down: no later run in the same program proposes it again."""

    __tablename__ = "pairing_rejections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    program_id: Mapped[str | None] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    first_id: Mapped[str] = mapped_column(String(32), index=True)
    second_id: Mapped[str] = mapped_column(String(32), index=True)
    suggestion_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# ---- API schemas -------------------------------------------------------------------


class PairingRunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_ids: list[Identifier] = Field(min_length=2, max_length=5000)
    mode: RunMode = "auto"
    program_id: Identifier | None = None
    group_size: int = Field(default=4, ge=3, le=6, description="for group runs")
    cross_functional: bool = Field(
        default=False,
        description="group runs for cross-functional circles: department diversity counts",
    )
    min_score: float = Field(default=0.3, ge=0, le=1)
    weights: dict[str, float] | None = Field(
        default=None, description="factor name -> weight, overriding the defaults"
    )
    allow_additional: bool = Field(
        default=False,
        description=(
            "also suggest people who already have an open match of the run's mode as "
            "mentee or peer (left out by default, with that reason)"
        ),
    )

    @field_validator("participant_ids")
    @classmethod
    def _distinct(cls, ids: list[str]) -> list[str]:
        if len(set(ids)) != len(ids):
            raise ValueError("each participant may appear once")
        return ids

    @field_validator("weights")
    @classmethod
    def _non_negative(cls, weights: dict[str, float] | None) -> dict[str, float] | None:
        if weights and any(w < 0 or w > 100 for w in weights.values()):
            raise ValueError("weights are between 0 and 100")
        return weights


class SuggestedMember(BaseModel):
    participant_id: str
    role: str
    name: str = ""


class Alternative(BaseModel):
    members: list[SuggestedMember]
    score: float
    factors: dict[str, float]
    reasons: list[str]
    rationale: str = Field(
        default="", description="why this alternative, written like the suggestion's"
    )


class SuggestionOut(BaseModel):
    id: str
    run_id: str
    mode: Mode
    members: list[SuggestedMember]
    score: float
    factors: dict[str, float]
    reasons: list[str]
    alternatives: list[Alternative]
    status: SuggestionStatus
    note: str
    decided_by: str | None
    decided_at: datetime | None
    match_id: str | None
    rationale: str = Field(default="", description="a short prose summary of the reasons")
    rationale_by: str = Field(
        default="",
        description="what wrote it: factors, openai:<model>, or factors (fallback: <reason>)",
    )


UnmatchedCause = Literal[
    "role", "capacity", "language", "skill", "rule", "score", "already_matched", "fit"
]


class UnmatchedOut(BaseModel):
    participant_id: str
    reason: str
    cause: UnmatchedCause | None = Field(
        default=None,
        description=(
            "role, capacity, language, skill, rule, score (below min_score), "
            "already_matched or fit (a mentor whose possible mentees suit others better); "
            "null for runs stored before causes were recorded"
        ),
    )


class PairingRunOut(BaseModel):
    id: str
    status: RunStatus
    mode: str
    program_id: str | None
    group_size: int | None = None
    cross_functional: bool = False
    suggestions: list[SuggestionOut]
    unmatched: list[UnmatchedOut]
    objectives: dict[str, Any]
    remarks: list[str] = Field(
        default_factory=list, description="what the run could not judge, and why"
    )
    created_at: datetime


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "reject", "swap"]
    note: OptionalNote = ""
    alternative: int | None = Field(
        default=None, ge=0, le=9, description="for swap: which alternative takes its place"
    )


class ScoreSpread(BaseModel):
    count: int
    mean: float | None
    minimum: float | None
    median: float | None
    maximum: float | None


class RunSummary(BaseModel):
    run_id: str
    participants: int
    matched: int
    matched_share: float
    suggestions_by_status: dict[str, int]
    scores: ScoreSpread
    unmatched: list[UnmatchedOut]
    mean_score_by_department: dict[str, float]
    mean_score_by_career_stage: dict[str, float]
