"""The six things chat can do, as typed commands both assistants run: the offline
assistant builds them from what it read in a message, the model's tool calls are
validated into them. Each runs through the same service function as the REST route,
with the caller's rights, and reports what it changed as an action with its ids.

A command's fields are what the model's tool takes, so the tool's JSON schema is the
command's schema (see `tool_schema`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

from assistant.chat.caller import ChatCaller
from assistant.chat.practice import Practice, practice_for
from assistant.chat.quotes import QUOTE_CHARS, content_words, excerpt
from assistant.drafting.models import AgendaOut
from assistant.drafting.service import draft_agenda as draft_session_agenda
from assistant.plans.models import PlanCreate, PlanOut, PlanRevise, ProgressIn, ProgressOut
from assistant.plans.service import accept_plan as accept_plan_version
from assistant.plans.service import create_plan, plan_out, visible_plan
from assistant.plans.service import log_progress as log_milestone_progress
from assistant.plans.service import revise_plan as revise_plan_version
from assistant.retrieval.models import SearchResult
from assistant.sessions.service import search_notes

logger = logging.getLogger("tandem.chat")
T = TypeVar("T")

TEXT_CHARS = 2000
QUERY_CHARS = 1000


def _cut(limit: int) -> AfterValidator:
    # A long instruction is cut, not refused: the model or a person said too much, and
    # the first part is what matters.
    return AfterValidator(lambda value: value[:limit])


Text = Annotated[str, _cut(TEXT_CHARS)]
Query = Annotated[str, _cut(QUERY_CHARS)]


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchGuidance(Command):
    """Search the mentoring guidance and the session notes the user may read."""

    query: Query


class DraftPlan(Command):
    """Draft the user's development plan in one of their matches from their profile goals."""

    match_id: str
    focus: Text = ""


class RevisePlan(Command):
    """Redraft a plan with an instruction in the user's words, such as 'finish in 6 weeks',
    'I only have 2 hours a month', 'that's a lot' or 'focus on delegation first'."""

    plan_id: str
    instruction: Text


class AcceptPlan(Command):
    """Accept the newest version of a plan."""

    plan_id: str


class LogProgress(Command):
    """Record a milestone's new status."""

    plan_id: str
    milestone_id: str
    status: Literal["in_progress", "done", "blocked", "dropped"]
    note: Text = "Logged in chat"


class DraftAgenda(Command):
    """Draft and store the agenda of an upcoming session."""

    session_id: str
    focus: Text = ""


COMMANDS: dict[str, type[Command]] = {
    "search_guidance": SearchGuidance,
    "draft_plan": DraftPlan,
    "revise_plan": RevisePlan,
    "accept_plan": AcceptPlan,
    "log_progress": LogProgress,
    "draft_agenda": DraftAgenda,
}


def tool_schema(name: str) -> dict[str, Any]:
    """The OpenAI function-tool declaration of a command."""
    command = COMMANDS[name]
    parameters = command.model_json_schema()
    parameters.pop("title", None)
    parameters.pop("description", None)  # said once, in the function's description
    for spec in parameters.get("properties", {}).values():
        spec.pop("title", None)
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": " ".join((command.__doc__ or "").split()),
            "parameters": parameters,
        },
    }


@dataclass(frozen=True)
class Done(Generic[T]):
    """What a change command produced, and the action the reply records for it."""

    value: T
    action: dict[str, Any]


@dataclass(frozen=True)
class Found:
    """One search result worth quoting and the passage quoted from it."""

    result: SearchResult
    quote: str


@dataclass(frozen=True)
class GuidanceFound:
    """What a search found: the practice lines that meet the question, best first, then
    the passages of guidance and of notes the caller may read."""

    practice: list[Practice]
    quotes: list[Found]


class SearchUnavailable(Exception):
    """The vector store could not answer; the reply says so and changes nothing."""


# With practice to lead, a passage must share this many words with the question to
# follow it: a single shared word ("nervous") quotes too much that is beside the point.
WORDS_BESIDE_PRACTICE = 2


def search_guidance(
    caller: ChatCaller,
    command: SearchGuidance,
    *,
    guidance_k: int = 3,
    notes_k: int = 2,
    quote_chars: int = QUOTE_CHARS,
) -> GuidanceFound:
    """The practice lines that meet the query, then guidance chunks and the notes the
    caller may read (the note rule is applied in the vector query), keeping only
    passages about the query and none from a chunk a practice line already quotes."""
    levels: dict[str, int] = {s.skill: s.level for s in caller.me().skills}
    try:
        practice = practice_for(caller.services.playbooks, command.query, levels=levels)
        guidance = caller.services.knowledge.search(command.query, k=guidance_k)
        notes = search_notes(
            caller.db, caller.services.notes_index, caller.actor, command.query, k=notes_k
        )
    except Exception as exc:
        # A vector store that is down costs this answer, not the conversation.
        logger.warning("chat search unavailable", exc_info=True)
        raise SearchUnavailable(str(exc)) from exc
    wanted = content_words(command.query)
    needed = WORDS_BESIDE_PRACTICE if practice else 1
    quoted_chunks = {p.line.chunk_id for p in practice}
    quotes = [
        Found(result, excerpt(result.text, command.query, limit=quote_chars))
        for result in [*guidance, *notes]
        if len(wanted & content_words(f"{result.title} {result.text}")) >= needed
        and result.chunk_id not in quoted_chunks
    ]
    return GuidanceFound(practice=practice, quotes=quotes)


def draft_plan(caller: ChatCaller, command: DraftPlan) -> Done[PlanOut]:
    """A new plan for the caller in a match, drafted as the REST route drafts it."""
    services = caller.services
    plan = create_plan(
        caller.db,
        actor=caller.actor,
        match_id=command.match_id,
        data=PlanCreate(owner_id=caller.actor.id, focus=command.focus),
        today=services.clock.today(),
        drafter=services.plan_drafter,
        notes_index=services.notes_index,
    )
    out = plan_out(caller.db, plan)
    return Done(out, {"type": "plan_drafted", "plan_id": out.id, "version": out.version})


def revise_plan(caller: ChatCaller, command: RevisePlan) -> Done[PlanOut]:
    """A new version of a plan redrafted from an instruction in words."""
    services = caller.services
    plan = revise_plan_version(
        caller.db,
        actor=caller.actor,
        plan_id=command.plan_id,
        data=PlanRevise(instruction=command.instruction),
        today=services.clock.today(),
        drafter=services.plan_drafter,
        notes_index=services.notes_index,
    )
    out = plan_out(caller.db, plan)
    action = {
        "type": "plan_revised",
        "plan_id": out.id,
        "version": out.version,
        "instruction": command.instruction,
    }
    return Done(out, action)


def accept_plan(caller: ChatCaller, command: AcceptPlan) -> Done[PlanOut]:
    out = plan_out(
        caller.db, accept_plan_version(caller.db, actor=caller.actor, plan_id=command.plan_id)
    )
    return Done(out, {"type": "plan_accepted", "plan_id": out.id, "version": out.version})


def log_progress(caller: ChatCaller, command: LogProgress) -> Done[ProgressOut]:
    visible_plan(caller.db, caller.actor, command.plan_id)
    progress = log_milestone_progress(
        caller.db,
        actor=caller.actor,
        plan_id=command.plan_id,
        data=ProgressIn(
            milestone_id=command.milestone_id,
            status=command.status,
            note=command.note or "Logged in chat",
        ),
    )
    action = {
        "type": "progress_logged",
        "plan_id": command.plan_id,
        "milestone_id": progress.milestone_id,
        "progress_id": progress.id,
        "status": progress.status,
    }
    return Done(progress, action)


def draft_agenda(caller: ChatCaller, command: DraftAgenda) -> Done[AgendaOut]:
    """Drafts and stores the agenda every member of the session's match reads. Raises
    `AgendaRejected` when no usable agenda could be drafted."""
    services = caller.services
    agenda = draft_session_agenda(
        caller.db,
        actor=caller.actor,
        session_id=command.session_id,
        drafter=services.agenda_drafter,
        knowledge=services.knowledge,
        notes_index=services.notes_index,
        library=services.playbooks,
        now=services.clock.now(),
        focus=command.focus,
    )
    action = {
        "type": "agenda_drafted",
        "session_id": agenda.session_id,
        "match_id": agenda.match_id,
    }
    return Done(agenda, action)
