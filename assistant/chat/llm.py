"""The model-backed assistant: an OpenAI-compatible chat model answers with Tandem's tools
(search guidance, draft, revise and accept a plan, log progress, draft an agenda).

Every tool call runs through the same service functions as the REST API, with the caller
as the actor, so the model can do nothing the caller could not do by hand; a tool that
changes something also needs the user's latest message to ask for that kind of change,
so text in a note or a guidance document cannot talk the model into acting. Whatever
the model does, the reply ends with the changes as recorded (ids included), not as the
model describes them. When the model fails, `ModelFailed` tells the caller to answer
offline instead.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.chat import intents
from assistant.chat.assistant import (
    Reply,
    Turn,
    citation_of,
    content_words,
    drafted_plan,
    excerpt,
    revised_plan,
)
from assistant.drafting.service import AgendaRejected, draft_agenda
from assistant.errors import DomainError
from assistant.llm.prompts import PromptTemplate, load_prompt
from assistant.llm.structured import failure_reason
from assistant.matching.models import WORKING_STATUSES
from assistant.matching.service import list_matches, match_out
from assistant.people.service import get_participant, participant_out
from assistant.plans.models import Plan, PlanOut, ProgressIn
from assistant.plans.service import (
    accept_plan,
    log_progress,
    plan_out,
    visible_plan,
)
from assistant.sessions.service import list_sessions, search_notes
from assistant.web import AppServices

logger = logging.getLogger("tandem.chat.llm")

MAX_TOOL_ROUNDS = 5
TOOL_RESULT_CHARS = 6000


class ModelFailed(Exception):
    """The model gave no usable answer; `reason` is short enough for a label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _function(name: str, description: str, properties: dict[str, Any], required: list[str]) -> Any:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


_TEXT = {"type": "string"}
TOOLS = [
    _function(
        "search_guidance",
        "Search the mentoring guidance and the session notes the user may read.",
        {"query": _TEXT},
        ["query"],
    ),
    _function(
        "draft_plan",
        "Draft the user's development plan in one of their matches from their profile goals.",
        {"match_id": _TEXT, "focus": _TEXT},
        ["match_id"],
    ),
    _function(
        "revise_plan",
        "Redraft a plan with an instruction such as 'finish in 6 weeks', 'I only have 2 "
        "hours a month' or 'focus on delegation first'.",
        {"plan_id": _TEXT, "instruction": _TEXT},
        ["plan_id", "instruction"],
    ),
    _function(
        "accept_plan", "Accept the newest version of a plan.", {"plan_id": _TEXT}, ["plan_id"]
    ),
    _function(
        "log_progress",
        "Record a milestone's new status.",
        {
            "plan_id": _TEXT,
            "milestone_id": _TEXT,
            "status": {"type": "string", "enum": ["in_progress", "done", "blocked", "dropped"]},
            "note": _TEXT,
        },
        ["plan_id", "milestone_id", "status"],
    ),
    _function(
        "draft_agenda",
        "Draft and store the agenda of an upcoming session.",
        {"session_id": _TEXT, "focus": _TEXT},
        ["session_id"],
    ),
]
TOOL_NAMES = tuple(t["function"]["name"] for t in TOOLS)
# A tool that changes something runs only when the user's latest message asks for that
# kind of change (read by the offline intent rules) or consents outright ("yes, do it").
CHANGE_NEEDS: dict[str, frozenset[str]] = {
    "draft_plan": frozenset({"draft_plan", "revise"}),
    "revise_plan": frozenset({"revise", "draft_plan"}),
    "accept_plan": frozenset({"accept"}),
    "log_progress": frozenset({"log_progress"}),
    "draft_agenda": frozenset({"prepare_session"}),
}
_CONSENT = re.compile(
    r"^\s*(yes|yeah|yep|sure|ok(ay)?|please do|go ahead|do it|confirm(ed)?)\b", re.IGNORECASE
)


def _quoted(value: Any) -> str:
    return html.escape(json.dumps(value, ensure_ascii=False, default=str), quote=False)


def _plan_brief(plan: PlanOut) -> dict[str, Any]:
    return {
        "plan_id": plan.id,
        "match_id": plan.match_id,
        "version": plan.version,
        "latest_version": plan.latest_version,
        "status": plan.status,
        "summary": plan.summary,
        "milestones": [
            {"milestone_id": m.id, "title": m.title, "due_date": m.due_date, "status": m.status}
            for o in plan.objectives
            for m in o.milestones
        ],
        "remarks": plan.remarks[:3],
    }


class ToolBox:
    """The tools, run as the caller. Each answers a JSON-able result; refusals and rule
    violations are results too (the model tells the user), never exceptions."""

    def __init__(self, db: Session, *, actor: Principal, services: AppServices, request: str):
        self.db = db
        self.actor = actor
        self.services = services
        self.request = request
        self.actions: list[dict[str, Any]] = []
        self.citations: list[dict[str, Any]] = []

    def context(self) -> dict[str, Any]:
        """What the model may know to pick ids: the caller's profile, matches, own plans
        and upcoming sessions, read with the caller's rights."""
        me = participant_out(get_participant(self.db, self.actor.id))
        now = self.services.clock.now()
        matches = [
            m for m in list_matches(self.db, actor=self.actor) if m.status in WORKING_STATUSES
        ]
        plans = [
            _plan_brief(plan_out(self.db, plan))
            for match in matches
            for plan in self.db.scalars(
                select(Plan).where(Plan.match_id == match.id, Plan.owner_id == self.actor.id)
            )
        ]
        sessions = [
            {"session_id": s.id, "match_id": s.match_id, "scheduled_at": s.scheduled_at}
            for match in matches
            for s in list_sessions(self.db, actor=self.actor, match_id=match.id)
            if s.status == "scheduled" and s.scheduled_at >= now
        ]
        return {
            "me": {
                "id": me.id,
                "name": me.name,
                "career_stage": me.career_stage,
                "hours_per_month": me.hours_per_month,
                "skills": [s.model_dump() for s in me.skills],
                "goals": [g.model_dump() for g in me.goals],
            },
            "matches": [
                {
                    "match_id": m.id,
                    "mode": m.mode,
                    "members": [
                        {"name": x.name, "role": x.role} for x in match_out(self.db, m).members
                    ],
                }
                for m in matches
            ],
            "my_plans": plans,
            "upcoming_sessions": sessions,
        }

    def run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        tools: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "search_guidance": self._search_guidance,
            "draft_plan": self._draft_plan,
            "revise_plan": self._revise_plan,
            "accept_plan": self._accept_plan,
            "log_progress": self._log_progress,
            "draft_agenda": self._draft_agenda,
        }
        tool = tools.get(name)
        if tool is None:
            return {"error": f"there is no tool named {name!r}"}
        needs = CHANGE_NEEDS.get(name)
        # "Yes" consents to what was offered; "OK, but don't accept it yet" and a question
        # that starts "Sure, ..." do not.
        consents = (
            _CONSENT.match(self.request) is not None
            and not intents.is_negated(self.request)
            and not intents.is_question(self.request)
        )
        if needs is not None and not (intents.classify(self.request) in needs or consents):
            return {
                "error": "refused: the user's latest message does not ask for this change; "
                "offer it and let them confirm"
            }
        savepoint = self.db.begin_nested()
        try:
            result = tool(args)
            savepoint.commit()
            return result
        except DomainError as exc:
            savepoint.rollback()
            return {"error": exc.message}
        except AgendaRejected as exc:
            savepoint.rollback()
            return {"error": f"no usable agenda could be drafted: {exc}"[:500]}
        except (ValidationError, KeyError, TypeError, ValueError) as exc:
            savepoint.rollback()
            return {"error": f"invalid arguments for {name}: {exc}"[:500]}

    # -- the tools -------------------------------------------------------------------------

    def _search_guidance(self, args: dict[str, Any]) -> dict[str, Any]:
        query = str(args["query"])[:1000]
        wanted = content_words(query)
        try:
            found = [
                *self.services.knowledge.search(query, k=4),
                *search_notes(self.db, self.services.notes_index, self.actor, query, k=2),
            ]
        except Exception:
            logger.warning("chat search unavailable", exc_info=True)
            return {"error": "the guidance search is unavailable right now"}
        results = []
        for result in found:
            if not wanted & content_words(f"{result.title} {result.text}"):
                continue
            quote = excerpt(result.text, query, limit=600)
            citation = citation_of(result, len(self.citations) + 1, quote)
            if all(c["chunk_id"] != result.chunk_id for c in self.citations):
                self.citations.append(citation)
            results.append(
                {
                    "chunk_id": result.chunk_id,
                    "kind": result.kind,
                    "title": result.title,
                    "text": quote,
                }
            )
        return {"results": results}

    def _draft_plan(self, args: dict[str, Any]) -> dict[str, Any]:
        out = drafted_plan(
            self.db,
            self.actor,
            self.services,
            match_id=str(args["match_id"]),
            focus=str(args.get("focus") or ""),
        )
        self.actions.append({"type": "plan_drafted", "plan_id": out.id, "version": out.version})
        return _plan_brief(out)

    def _revise_plan(self, args: dict[str, Any]) -> dict[str, Any]:
        out = revised_plan(
            self.db,
            self.actor,
            self.services,
            plan_id=str(args["plan_id"]),
            instruction=str(args["instruction"]),
        )
        self.actions.append(
            {
                "type": "plan_revised",
                "plan_id": out.id,
                "version": out.version,
                "instruction": out.instruction,
            }
        )
        return _plan_brief(out)

    def _accept_plan(self, args: dict[str, Any]) -> dict[str, Any]:
        out = plan_out(
            self.db, accept_plan(self.db, actor=self.actor, plan_id=str(args["plan_id"]))
        )
        self.actions.append({"type": "plan_accepted", "plan_id": out.id, "version": out.version})
        return _plan_brief(out)

    def _log_progress(self, args: dict[str, Any]) -> dict[str, Any]:
        plan_id = str(args["plan_id"])
        visible_plan(self.db, self.actor, plan_id)
        data = ProgressIn.model_validate(
            {
                "milestone_id": args["milestone_id"],
                "status": args["status"],
                "note": str(args.get("note") or "Logged in chat")[:2000],
            }
        )
        progress = log_progress(self.db, actor=self.actor, plan_id=plan_id, data=data)
        self.actions.append(
            {
                "type": "progress_logged",
                "plan_id": plan_id,
                "milestone_id": progress.milestone_id,
                "progress_id": progress.id,
                "status": progress.status,
            }
        )
        return progress.model_dump(mode="json")

    def _draft_agenda(self, args: dict[str, Any]) -> dict[str, Any]:
        agenda = draft_agenda(
            self.db,
            actor=self.actor,
            session_id=str(args["session_id"]),
            drafter=self.services.agenda_drafter,
            knowledge=self.services.knowledge,
            notes_index=self.services.notes_index,
            library=self.services.playbooks,
            now=self.services.clock.now(),
            focus=str(args.get("focus") or "")[:2000],
        )
        self.actions.append(
            {"type": "agenda_drafted", "session_id": agenda.session_id, "match_id": agenda.match_id}
        )
        return {
            "session_id": agenda.session_id,
            "total_minutes": agenda.total_minutes,
            "items": [
                {"title": i.title, "minutes": i.minutes, "detail": i.detail} for i in agenda.items
            ],
            "prep": [p.task for p in agenda.prep],
        }


def describe_change(action: dict[str, Any]) -> str:
    kind = str(action["type"])
    if kind == "plan_drafted":
        return f"drafted plan {action['plan_id']} (version {action['version']}, draft)"
    if kind == "plan_revised":
        return f"revised plan {action['plan_id']}: version {action['version']} (draft)"
    if kind == "plan_accepted":
        return f"accepted plan {action['plan_id']} version {action['version']} (now active)"
    if kind == "progress_logged":
        return (
            f"logged milestone {action['milestone_id']} of plan {action['plan_id']} as "
            f"{action['status']} (progress entry {action['progress_id']})"
        )
    if kind == "agenda_drafted":
        return f"drafted and stored the agenda of session {action['session_id']}"
    return kind


class LLMAssistant:
    def __init__(
        self,
        db: Session,
        *,
        actor: Principal,
        services: AppServices,
        chat_model: BaseChatModel,
        model_name: str,
        prompt: PromptTemplate | None = None,
    ) -> None:
        self.db = db
        self.actor = actor
        self.services = services
        self.chat_model = chat_model
        self.model_name = model_name
        self.prompt = prompt or load_prompt("chat")

    def reply(self, history: list[Turn]) -> Reply:
        tools = ToolBox(
            self.db, actor=self.actor, services=self.services, request=history[-1].content
        )
        messages: list[BaseMessage] = self.prompt.render(
            today=self.services.clock.today().isoformat(),
            caller=html.escape(self.actor.name, quote=False),
            context=_quoted(tools.context()),
        )
        for turn in history:
            messages.append(
                HumanMessage(turn.content) if turn.role == "user" else AIMessage(turn.content)
            )
        bound = self.chat_model.bind_tools(TOOLS)
        for _ in range(MAX_TOOL_ROUNDS):
            answer = _invoke(bound, messages)
            messages.append(answer)
            if not answer.tool_calls:
                text = answer.text.strip()
                if not text:
                    raise ModelFailed("empty answer")
                if tools.actions:
                    changes = "\n".join(f"- {describe_change(a)}" for a in tools.actions)
                    text += f"\n\nChanges made:\n{changes}"
                return Reply(
                    text,
                    "model",
                    actions=tools.actions,
                    assistant=f"openai:{self.model_name}",
                    citations=tools.citations,
                )
            for call in answer.tool_calls:
                result = tools.run(call["name"], dict(call.get("args") or {}))
                logger.info(
                    "chat tool call",
                    extra={"fields": {"tool": call["name"], "ok": "error" not in result}},
                )
                content = json.dumps(result, ensure_ascii=False, default=str)[:TOOL_RESULT_CHARS]
                messages.append(ToolMessage(content, tool_call_id=call.get("id") or call["name"]))
        raise ModelFailed(f"no answer after {MAX_TOOL_ROUNDS} tool rounds")


def _invoke(model: Any, messages: list[BaseMessage]) -> AIMessage:
    try:
        answer = model.invoke(messages)
    except Exception as exc:
        raise ModelFailed(failure_reason(exc)) from exc
    if not isinstance(answer, AIMessage):
        raise ModelFailed("unexpected answer type")
    return answer
