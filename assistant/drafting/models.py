"""Agendas: what a drafter is given (the context) and what it produces (the schemas).

An agenda is stored on its session and read by every member and by staff, so its
context holds only what all of them may read: notes shared with the match and the
action items hanging off them, never a private or staff-only note of whoever asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.drafting.playbooks import Cited, Playbook
from assistant.matching.models import MatchOut, MemberOut
from assistant.people.models import ParticipantOut
from assistant.plans.models import Activity, Citation, Milestone, Objective
from assistant.retrieval.models import SearchResult
from assistant.sessions.models import ActionItemOut, SessionOut, TalkingPointOut
from assistant.types import Identifier, MediumText, ShortText

AgendaItemKind = Literal[
    "check_in",
    "debrief",
    "review",
    "deep_dive",
    "talking_points",
    "focus",
    "question",
    "feedback",
    "feedback_round",
    "commitments",
]
AgendaFormat = Literal["json", "md"]


class AgendaItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: ShortText
    minutes: int = Field(ge=1, le=480)
    kind: AgendaItemKind
    lead_id: Identifier | None = Field(description="the member who leads this item")
    detail: MediumText
    citation_ids: list[Identifier] = Field(default_factory=list, max_length=10)
    for_id: Identifier | None = Field(
        default=None, description="whose time this is, for items that belong to one member"
    )


class PrepTask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    participant_id: Identifier
    task: MediumText
    citation_ids: list[Identifier] = Field(default_factory=list, max_length=10)


class AgendaBody(BaseModel):
    """What a drafter produces; the service checks it before storing it."""

    model_config = ConfigDict(extra="forbid")
    items: list[AgendaItem] = Field(min_length=1, max_length=30)
    prep: list[PrepTask] = Field(default_factory=list, max_length=60)
    citations: list[Citation] = Field(default_factory=list, max_length=50)
    remarks: list[MediumText] = Field(default_factory=list, max_length=20)


class AgendaOut(BaseModel):
    session_id: str
    match_id: str
    mode: str
    members: list[MemberOut]
    drafter: str
    title: str
    scheduled_at: datetime
    total_minutes: int
    items: list[AgendaItem]
    prep: list[PrepTask]
    citations: list[Citation]
    remarks: list[str]
    drafted_at: datetime
    drafted_by: str


class AgendaRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    focus: str = Field(
        default="",
        max_length=2000,
        description="optional: what this session should concentrate on",
    )


# ---- the context every agenda drafter sees ----------------------------------------


@dataclass(frozen=True)
class DatedMilestone:
    milestone: Milestone
    objective: Objective
    owner_id: str

    @property
    def due(self) -> date:
        return self.milestone.due_date


@dataclass(frozen=True)
class MemberProgress:
    """One member's plan as it stands on the day of the session."""

    owner: ParticipantOut
    plan_id: str | None
    current: DatedMilestone | None  # the first milestone not done or dropped
    overdue: list[DatedMilestone]
    due_soon: list[DatedMilestone]
    done: int
    total: int
    shadowing: list[Activity]  # observe-then-debrief activities of the current objective


@dataclass(frozen=True)
class AgendaContext:
    match: MatchOut
    members: list[ParticipantOut]  # in the match's order
    roles: dict[str, str]
    meeting: SessionOut
    number: int  # this is the match's n-th session (cancelled ones not counted)
    previous: SessionOut | None  # the last held session before this one
    next_meeting_on: date  # when the members are expected to meet again
    progress: list[MemberProgress]
    action_items: list[ActionItemOut]  # open, from notes the whole match may read
    talking_points: list[TalkingPointOut]
    notes: list[SearchResult]  # notes the whole match may read, most relevant first
    guidance: dict[str, Cited]  # purpose ("how_sessions_run", "feedback", ...) -> chunk
    playbooks: dict[str, Playbook]
    focus: str = ""
    remarks: list[str] = field(default_factory=list)

    def name(self, participant_id: str | None) -> str:
        for member in self.members:
            if member.id == participant_id:
                return member.name
        return "someone"

    def citable_ids(self) -> set[str]:
        """Every chunk an agenda for this context may cite: all of it readable by every
        member, which is what makes a stored agenda safe to show them."""
        ids = {c.chunk_id for c in self.guidance.values()}
        ids |= {r.chunk_id for r in self.notes}
        for book in self.playbooks.values():
            for pieces in (book.mentor_help, book.peer_help, book.evidence, book.pitfalls):
                ids |= {p.chunk_id for p in pieces}
        return ids


@dataclass(frozen=True)
class DraftedAgenda:
    body: AgendaBody
    drafter: str


class AgendaDrafter(Protocol):
    def draft_agenda(self, context: AgendaContext) -> DraftedAgenda: ...
