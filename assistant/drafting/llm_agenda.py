"""The LLM agenda drafter: the model writes the agenda from the same context the offline
composer uses; whatever it returns must pass the rules every stored agenda passes
(drafting/service.py), or the composer's agenda is stored instead, saying why.
"""

from __future__ import annotations

import json
import logging

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.drafting.agenda_composer import AgendaComposer
from assistant.drafting.llm import attribute, quoted
from assistant.drafting.models import (
    AgendaBody,
    AgendaContext,
    AgendaDrafter,
    AgendaItem,
    DraftedAgenda,
    PrepTask,
)
from assistant.drafting.playbooks import Cited
from assistant.drafting.rubric import agenda_texts, own_time_problems, wording_issues
from assistant.drafting.service import agenda_problems
from assistant.llm.client import build_chat_model
from assistant.llm.prompts import PromptTemplate, load_prompt
from assistant.llm.structured import ModelCallFailed, ask_structured, fallback_label
from assistant.plans.models import Citation

logger = logging.getLogger("tandem.drafting.llm")


class DraftAgenda(BaseModel):
    """What the model is asked for; ids and minutes are checked against the context."""

    items: list[AgendaItem] = Field(min_length=1, max_length=30)
    prep: list[PrepTask] = Field(default_factory=list, max_length=60)


def _citable(context: AgendaContext) -> dict[str, Citation]:
    found: dict[str, Citation] = {}

    def add(piece: Cited) -> None:
        found.setdefault(
            piece.chunk_id,
            Citation(id=piece.chunk_id, source=piece.source, title=piece.title, quote=piece.text),
        )

    for piece in context.guidance.values():
        add(piece)
    for book in context.playbooks.values():
        for piece in [*book.mentor_help[:2], *book.peer_help[:2]]:
            add(piece)
    for note in context.notes:
        found.setdefault(
            note.chunk_id,
            Citation(
                id=note.chunk_id,
                source=note.source,
                title=(note.title or "Session note")[:200],
                quote=note.text,
            ),
        )
    return found


def agenda_variables(context: AgendaContext) -> dict[str, str]:
    meeting = context.meeting
    session = [
        f"mode: {context.match.mode}",
        f"when: {meeting.scheduled_at.isoformat()}, {meeting.duration_minutes} minutes",
        f"this is session number {context.number} of the match",
        "previous session: "
        + (context.previous.scheduled_at.date().isoformat() if context.previous else "none"),
        f"next meeting expected around: {context.next_meeting_on.isoformat()}",
        f"focus asked for: {quoted(context.focus) or '(none)'}",
    ]
    members = []
    for progress in context.progress:
        person = progress.owner
        lines = [
            f"- id: {person.id}; name: {quoted(person.name)}; "
            f"role: {context.roles.get(person.id, 'member')}"
        ]
        if progress.current is not None:
            current = progress.current
            lines.append(
                f'  current milestone: "{quoted(current.milestone.title)}" due '
                f"{current.due.isoformat()} ({progress.done} of {progress.total} done)"
            )
        elif person.goals:
            lines.append(f'  no plan yet; goal: "{quoted(person.goals[0].text)}"')
        for d in progress.overdue[:3]:
            lines.append(f'  overdue: "{quoted(d.milestone.title)}" due {d.due.isoformat()}')
        for d in progress.due_soon[:3]:
            lines.append(f'  due soon: "{quoted(d.milestone.title)}" due {d.due.isoformat()}')
        for a in progress.shadowing[:1]:
            lines.append(f"  shadowing activity in the plan: {quoted(a.description)}")
        members.append("\n".join(lines))
    items = [
        f"- owner {i.owner_id or 'unassigned'}, due "
        f"{i.due_date.isoformat() if i.due_date else 'no date'}: {quoted(i.text)}"
        for i in context.action_items
    ]
    points = [f"- from {p.author_id}: {quoted(p.text)}" for p in context.talking_points]
    notes = [
        f'<note id="{attribute(n.chunk_id)}" title="{attribute(n.title)}">\n'
        f"{quoted(n.text)}\n</note>"
        for n in context.notes
    ]
    guidance = [
        f'<guidance id="{attribute(c.id)}" source="{attribute(c.source)}">\n'
        f"{quoted(c.quote)}\n</guidance>"
        for c in _citable(context).values()
        if not c.source.startswith("notes/")
    ]
    return {
        "mode": context.match.mode,
        "minutes": str(meeting.duration_minutes),
        "session": "\n".join(session),
        "members": "\n".join(members),
        "action_items": "\n".join(items) or "(none open)",
        "talking_points": "\n".join(points) or "(none)",
        "notes": "\n\n".join(notes) or "(no shared notes)",
        "guidance": "\n\n".join(guidance) or "(no guidance available)",
        "schema": json.dumps(DraftAgenda.model_json_schema()),
    }


class LLMAgendaDrafter:
    def __init__(
        self,
        chat_model: BaseChatModel,
        model_name: str,
        fallback: AgendaDrafter | None = None,
        prompt: PromptTemplate | None = None,
        *,
        max_tokens: int,
    ) -> None:
        self._chat_model = chat_model
        self._max_tokens = max_tokens
        self.name = f"openai:{model_name}"
        self._fallback = fallback or AgendaComposer()
        self._prompt = prompt or load_prompt("agenda")  # a broken file fails at start-up

    def draft_agenda(self, context: AgendaContext) -> DraftedAgenda:
        citable = _citable(context)

        def rules(draft: DraftAgenda) -> None:
            problems = agenda_problems(
                AgendaBody(items=draft.items, prep=draft.prep, citations=[]), context
            )
            # Citations are attached below from the context; only the rest is the model's.
            problems = [p for p in problems if "cited but not among" not in p]
            # The rubric the composer keeps: equal own time for peers, the mode's words.
            mode = context.match.mode
            learners = [m.id for m in context.members]
            problems += own_time_problems(draft.items, mode, learners)
            problems += wording_issues(
                agenda_texts(draft.items, draft.prep), mode, len(context.members)
            )
            if problems:
                raise ValueError("; ".join(problems))

        try:
            draft, removed = ask_structured(
                self._chat_model,
                self._prompt,
                agenda_variables(context),
                DraftAgenda,
                allowed_citation_ids=set(citable),
                max_tokens=self._max_tokens,
                check=rules,
            )
        except ModelCallFailed as failure:
            return self._fell_back(context, failure.reason)
        used = {c for item in draft.items for c in item.citation_ids}
        used |= {c for task in draft.prep for c in task.citation_ids}
        remarks = list(context.remarks)
        if removed:
            remarks.append(
                f"{removed} citation{'s' if removed != 1 else ''} the model invented "
                f"{'were' if removed != 1 else 'was'} removed."
            )
        body = AgendaBody(
            items=draft.items,
            prep=draft.prep,
            citations=sorted((citable[c] for c in used), key=lambda c: c.id),
            remarks=remarks,
        )
        return DraftedAgenda(body=body, drafter=self.name)

    def _fell_back(self, context: AgendaContext, reason: str) -> DraftedAgenda:
        logger.warning(
            "the language model could not draft an agenda; using the offline composer",
            extra={"fields": {"model": self.name, "reason": reason}},
        )
        drafted = self._fallback.draft_agenda(context)
        remark = (
            f"The language model ({self.name}) failed ({reason}); this agenda was drafted offline."
        )
        body = drafted.body.model_copy(
            update={"remarks": [remark[:2000], *drafted.body.remarks][:20]}
        )
        return DraftedAgenda(body=body, drafter=fallback_label(reason))


def build_agenda_drafter(settings: Settings) -> AgendaDrafter:
    """The composer when no model is configured, else the model with the composer behind."""
    chat_model = build_chat_model(settings)
    if chat_model is None or settings.llm_model is None:
        return AgendaComposer()
    return LLMAgendaDrafter(
        chat_model,
        settings.llm_model,
        fallback=AgendaComposer(),
        max_tokens=settings.llm_max_tokens_agenda,
    )
