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
from typing import Any

from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.runnables import Runnable
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.chat import commands, intents
from assistant.chat.caller import ChatCaller
from assistant.chat.quotes import citation_of
from assistant.chat.turns import Reply, Turn
from assistant.drafting.service import AgendaRejected
from assistant.errors import DomainError
from assistant.llm.calls import ModelCallFailed, invoke_bounded
from assistant.llm.prompts import PromptTemplate, load_prompt
from assistant.plans.models import Plan, PlanOut
from assistant.plans.service import plan_out
from assistant.sessions.service import list_sessions
from assistant.web import AppServices

logger = logging.getLogger("tandem.chat.llm")

MAX_TOOL_ROUNDS = 5
TOOL_RESULT_CHARS = 6000
SEARCH_QUOTE_CHARS = 600


class ModelFailed(Exception):
    """The model gave no usable answer; `reason` is short enough for a label."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


TOOL_NAMES = tuple(commands.COMMANDS)
TOOLS = [commands.tool_schema(name) for name in TOOL_NAMES]
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
    """The model's tools: each call is validated into a command and run as the caller.
    Each answers a JSON-able result; refusals and rule violations are results too (the
    model tells the user), never exceptions."""

    def __init__(self, caller: ChatCaller, *, request: str) -> None:
        self.caller = caller
        self.request = request
        self.actions: list[dict[str, Any]] = []
        self.citations: list[dict[str, Any]] = []

    def context(self) -> dict[str, Any]:
        """What the model may know to pick ids: the caller's profile, matches, own plans
        and upcoming sessions, read with the caller's rights."""
        caller = self.caller
        me = caller.me()
        now = caller.services.clock.now()
        matches = caller.working_matches()
        plans = [
            _plan_brief(plan_out(caller.db, plan))
            for match in matches
            for plan in caller.db.scalars(
                select(Plan).where(Plan.match_id == match.id, Plan.owner_id == caller.actor.id)
            )
        ]
        sessions = [
            {"session_id": s.id, "match_id": s.match_id, "scheduled_at": s.scheduled_at}
            for match in matches
            for s in list_sessions(caller.db, actor=caller.actor, match_id=match.id)
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
                    "members": [{"name": x.name, "role": x.role} for x in m.members],
                }
                for m in matches
            ],
            "my_plans": plans,
            "upcoming_sessions": sessions,
        }

    def _consents(self) -> bool:
        # "Yes" consents to what was offered; "OK, but don't accept it yet" and a question
        # that starts "Sure, ..." do not.
        return (
            _CONSENT.match(self.request) is not None
            and not intents.is_negated(self.request)
            and not intents.is_question(self.request)
        )

    def run(self, name: str, args: dict[str, Any]) -> dict[str, Any]:
        command_type = commands.COMMANDS.get(name)
        if command_type is None:
            return {"error": f"there is no tool named {name!r}"}
        needs = CHANGE_NEEDS.get(name)
        if needs is not None and not (intents.classify(self.request) in needs or self._consents()):
            return {
                "error": "refused: the user's latest message does not ask for this change; "
                "offer it and let them confirm"
            }
        try:
            command = command_type.model_validate(args)
        except ValidationError as exc:
            return {"error": f"invalid arguments for {name}: {exc}"[:500]}
        savepoint = self.caller.db.begin_nested()
        try:
            result = self._run(command)
            savepoint.commit()
            return result
        except DomainError as exc:
            savepoint.rollback()
            return {"error": exc.message}
        except AgendaRejected as exc:
            savepoint.rollback()
            return {"error": f"no usable agenda could be drafted: {exc}"[:500]}
        except (ValidationError, ValueError) as exc:
            savepoint.rollback()
            return {"error": f"invalid arguments for {name}: {exc}"[:500]}

    def _run(self, command: commands.Command) -> dict[str, Any]:
        caller = self.caller
        if isinstance(command, commands.SearchGuidance):
            return self._search(command)
        if isinstance(command, commands.DraftPlan):
            return self._record(commands.draft_plan(caller, command))
        if isinstance(command, commands.RevisePlan):
            return self._record(commands.revise_plan(caller, command))
        if isinstance(command, commands.AcceptPlan):
            return self._record(commands.accept_plan(caller, command))
        if isinstance(command, commands.LogProgress):
            logged = commands.log_progress(caller, command)
            self.actions.append(logged.action)
            return logged.value.model_dump(mode="json")
        if isinstance(command, commands.DraftAgenda):
            drafted = commands.draft_agenda(caller, command)
            self.actions.append(drafted.action)
            agenda = drafted.value
            return {
                "session_id": agenda.session_id,
                "total_minutes": agenda.total_minutes,
                "items": [
                    {"title": i.title, "minutes": i.minutes, "detail": i.detail}
                    for i in agenda.items
                ],
                "prep": [p.task for p in agenda.prep],
            }
        raise AssertionError(f"no runner for {type(command).__name__}")

    def _record(self, done: commands.Done[PlanOut]) -> dict[str, Any]:
        self.actions.append(done.action)
        return _plan_brief(done.value)

    def _search(self, command: commands.SearchGuidance) -> dict[str, Any]:
        try:
            found = commands.search_guidance(
                self.caller, command, guidance_k=4, quote_chars=SEARCH_QUOTE_CHARS
            )
        except commands.SearchUnavailable:
            return {"error": "the guidance search is unavailable right now"}
        results: list[dict[str, Any]] = []
        for practice in found.practice:
            line = practice.line
            self._cite(line.chunk_id, practice.citation(len(self.citations) + 1))
            results.append(
                {
                    "chunk_id": line.chunk_id,
                    "kind": "practice",
                    "title": f"{line.title}: {practice.where}",
                    "text": line.text,
                }
            )
        for hit in found.quotes:
            result = hit.result
            self._cite(result.chunk_id, citation_of(result, len(self.citations) + 1, hit.quote))
            results.append(
                {
                    "chunk_id": result.chunk_id,
                    "kind": result.kind,
                    "title": result.title,
                    "text": hit.quote,
                }
            )
        return {"results": results}

    def _cite(self, chunk_id: str, citation: dict[str, Any]) -> None:
        if all(c["chunk_id"] != chunk_id for c in self.citations):
            self.citations.append(citation)


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
        max_tokens: int,
        prompt: PromptTemplate | None = None,
    ) -> None:
        self.db = db
        self.max_tokens = max_tokens
        self.actor = actor
        self.services = services
        self.chat_model = chat_model
        self.model_name = model_name
        self.prompt = prompt or load_prompt("chat")

    def reply(self, history: list[Turn]) -> Reply:
        caller = ChatCaller(db=self.db, actor=self.actor, services=self.services)
        tools = ToolBox(caller, request=history[-1].content)
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
            answer = _invoke(bound, messages, max_tokens=self.max_tokens)
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


def _invoke(
    model: Runnable[LanguageModelInput, BaseMessage],
    messages: list[BaseMessage],
    *,
    max_tokens: int,
) -> AIMessage:
    try:
        answer = invoke_bounded(model, messages, max_tokens=max_tokens)
    except ModelCallFailed as failure:
        raise ModelFailed(failure.reason) from failure
    if not isinstance(answer, AIMessage):
        raise ModelFailed("unexpected answer type")
    return answer
