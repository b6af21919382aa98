"""The LLM plan drafter: an OpenAI-compatible chat model writes the plan from a context of
the owner's goals, the match and the retrieved guidance; the offline composer stands in
whenever the model cannot deliver a usable plan.

The model is trusted for wording and choices only. What it returns is parsed and
validated like any client input, citations it invents are removed, the citations stored
with the plan are rebuilt from the guidance we gave it, and goal ids come from the
owner's profile, never from model text.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, Field

from assistant.config import Settings
from assistant.drafting.composer import ComposerDrafter
from assistant.drafting.goal_milestones import Teachable, focus_first, skill_levels, teachable
from assistant.drafting.playbooks import Cited, Playbook, PlaybookLibrary
from assistant.drafting.rubric import wording_issues
from assistant.drafting.time_budget import Rhythm, fit_sessions
from assistant.llm.client import build_chat_model
from assistant.llm.prompts import PromptTemplate, load_prompt
from assistant.llm.structured import ModelCallFailed, ask_structured, fallback_label
from assistant.people.models import Goal, ParticipantOut, planning_hours
from assistant.plans.models import (
    Activity,
    ActivityKind,
    Citation,
    Give,
    Milestone,
    Objective,
    PlanBody,
    PlanCadence,
)
from assistant.plans.service import CADENCE_FORMATS, DraftedPlan, PlanDrafter, PlanDraftRequest
from assistant.types import Identifier, MediumText, ShortText, SummaryText
from assistant.vocabulary import Skill

logger = logging.getLogger("tandem.drafting.llm")

PEER_MODES = frozenset({"peer", "group"})
FLASH_SPAN_DAYS = 14  # a flash match is one conversation and its follow-up


class Playbooks(Protocol):
    """What the drafter needs from PlaybookLibrary (tests can hand it a few playbooks)."""

    def playbook(self, skill: str) -> Playbook | None: ...


# ---- context -----------------------------------------------------------------------


def quoted(text: str) -> str:
    """People's and the library's text as data: no `<`/`>` survives to close a block."""
    return html.escape(text, quote=False)


def attribute(text: str) -> str:
    return html.escape(text, quote=True)


def _same_goal(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class GoalWindow:
    """A goal the plan must serve, and the days its milestones may fall on."""

    goal: Goal
    current_level: int
    first_day: date
    last_day: date


@dataclass(frozen=True)
class Guidance:
    """One retrieved guidance piece and which part of which playbook it is."""

    piece: Cited
    skill: str
    section: str


@dataclass(frozen=True)
class PlanContext:
    request: PlanDraftRequest
    goals: list[GoalWindow]
    offers: list[Teachable]  # peer/group: what the owner can teach the others
    guidance: list[Guidance]

    @property
    def citation_ids(self) -> frozenset[str]:
        return frozenset(g.piece.chunk_id for g in self.guidance)

    @property
    def budget(self) -> int:
        """The owner's minutes a month (an unset time is assumed, as the composer does)."""
        return round(planning_hours(self.request.owner.hours_per_month) * 60)

    @property
    def rhythm(self) -> Rhythm:
        cadence = self.request.match.cadence
        return fit_sessions(
            self.request.match.mode, self.budget, cadence.sessions_per_month, cadence.minutes
        )

    @property
    def activity_budget(self) -> int:
        return max(0, self.budget - self.rhythm.per_month)

    def citation(self, chunk_id: str) -> Citation:
        """The stored citation for a chunk: its source and title, quoting what we gave."""
        pieces = [g.piece for g in self.guidance if g.piece.chunk_id == chunk_id]
        quote = "\n".join(dict.fromkeys(p.text for p in pieces))[:20_000]
        return Citation(id=chunk_id, source=pieces[0].source, title=pieces[0].title, quote=quote)

    def window(self, goal_text: str) -> GoalWindow | None:
        wanted = _same_goal(html.unescape(goal_text))  # the model saw it escaped
        return next((w for w in self.goals if _same_goal(w.goal.text) == wanted), None)

    def variables(self, schema: type[BaseModel]) -> dict[str, str]:
        return {
            "mode": self.request.match.mode,
            "match": self._match(),
            "owner": _person(self.request.owner),
            "goals": "\n".join(self._goal(w) for w in self.goals),
            "others": "\n\n".join(self._other(o) for o in self.request.others) or "(none)",
            "focus": quoted(
                "\n".join(
                    t
                    for t in (
                        self.request.focus,
                        f"Revision asked for: {self.request.instruction}"
                        if self.request.instruction
                        else "",
                    )
                    if t
                )
            )
            or "(none given)",
            "history": self._history(),
            "guidance": "\n\n".join(self._guidance_blocks()) or "(no guidance available)",
            "schema": json.dumps(schema.model_json_schema()),
        }

    def _history(self) -> str:
        notes = [
            f'<note title="{attribute(n.title)}">\n{quoted(n.text)}\n</note>'
            for n in self.request.history
        ]
        items = [f"- open action item: {quoted(t)}" for t in self.request.open_action_items]
        return "\n".join(notes + items) or "(no sessions yet)"

    def _match(self) -> str:
        request = self.request
        cadence = request.match.cadence
        roles = {m.participant_id: m.role for m in request.match.members}
        return "\n".join(
            [
                f"mode: {request.match.mode}",
                f"cadence: {cadence.sessions_per_month} sessions a month, "
                f"{cadence.minutes} minutes each",
                f"plan starts on: {request.starts_on.isoformat()}",
                f"owner's role: {roles.get(request.owner.id, 'member')}",
                f"owner's time for development: {self.budget} minutes a month",
                f"sessions in this plan: {self.rhythm.sessions_per_month} a month of "
                f"{self.rhythm.minutes} minutes",
                f"minutes a month left for all activities together: {self.activity_budget}",
            ]
        )

    def _goal(self, window: GoalWindow) -> str:
        goal = window.goal
        return (
            f'- goal: "{quoted(goal.text)}"\n'
            f"  skills: {', '.join(goal.skills)}; owner is at level {window.current_level} "
            f"in {goal.skills[0]}, aims for level {goal.target_level} "
            f"(gap {max(goal.target_level - window.current_level, 0)})\n"
            f"  milestones due from {window.first_day.isoformat()} "
            f"to {window.last_day.isoformat()} at the latest"
        )

    def _other(self, other: ParticipantOut) -> str:
        mine = skill_levels(self.request.owner)
        gaps = {s for w in self.goals for s in w.goal.skills}
        helps = [
            f"{skill} (level {level}; owner is at {mine.get(skill, 1)})"
            for skill, level in skill_levels(other).items()
            if skill in gaps and level > mine.get(skill, 1)
        ]
        lines = [_person(other), f"can help the owner with: {', '.join(helps) or 'nothing listed'}"]
        offers = [
            f"{t.skill} (owner at {t.my_level}, {quoted(other.name)} at {t.their_level}, "
            f'for their goal "{quoted(t.goal.text)}")'
            for t in self.offers
            if t.other.id == other.id
        ]
        if self.request.match.mode in PEER_MODES:
            lines.append(f"the owner can offer them: {', '.join(offers) or 'nothing listed'}")
        return "\n".join(lines)

    def _guidance_blocks(self) -> list[str]:
        chunks: dict[str, list[Guidance]] = {}
        for item in self.guidance:
            chunks.setdefault(item.piece.chunk_id, []).append(item)
        blocks = []
        for chunk_id, items in chunks.items():
            first = items[0]
            bullets = "\n".join(f"- {quoted(i.piece.text)}" for i in items)
            blocks.append(
                f'<guidance id="{attribute(chunk_id)}" skill="{attribute(first.skill)}" '
                f'section="{attribute(first.section)}" source="{attribute(first.piece.source)}">\n'
                f"{bullets}\n</guidance>"
            )
        return blocks


def _person(person: ParticipantOut) -> str:
    skills = ", ".join(f"{s.skill} {s.level}" for s in person.skills) or "none listed"
    role = ", ".join(filter(None, [person.title, person.department]))
    return (
        f"id: {person.id}\nname: {quoted(person.name)}\n"
        f"career stage: {person.career_stage}; {person.years_experience:g} years' experience"
        + (f"; {quoted(role)}" if role else "")
        + f"\nskills (level 1-5): {skills}"
    )


def _guidance_for(
    skill: str, book: Playbook, current: int, target: int, mode: str
) -> list[Guidance]:
    """The playbook pieces for one skill from the current level to the target."""
    steps = book.steps(current, target) or [min(max(current, 1), 4)]
    found: list[Guidance] = []

    def add(section: str, pieces: list[Cited]) -> None:
        found.extend(Guidance(piece=p, skill=skill, section=section) for p in pieces)

    for level in steps:
        add(f"practice from level {level} to {level + 1}", book.practice.get(level, []))
        add(f"milestones reaching level {level + 1}", book.milestones.get(level + 1, []))
    if target in book.levels:
        add(f"what level {target} looks like", [book.levels[target]])
    add("evidence a mentor can look for", book.evidence)
    if mode in PEER_MODES:
        add("how a peer helps", book.peer_help)
    else:
        add("how a mentor helps", book.mentor_help)
    return found


def plan_context(request: PlanDraftRequest, library: Playbooks) -> PlanContext:
    owner = request.owner
    mode = request.match.mode
    goals = focus_first(owner.goals, request.focus)
    if mode == "flash":
        goals = goals[:1]  # one question per flash relationship, as the composer does
    levels = skill_levels(owner)
    windows = [
        GoalWindow(
            goal=goal,
            current_level=levels.get(goal.skills[0], 1),
            first_day=request.starts_on + timedelta(days=1),
            last_day=request.starts_on
            + timedelta(days=FLASH_SPAN_DAYS if mode == "flash" else goal.horizon_weeks * 7),
        )
        for goal in goals
    ]
    # One range per skill, up to the highest target any goal sets for it; at least one
    # level up, so a goal at its target still gets the next step's guidance.
    targets: dict[str, int] = {}
    for goal in goals:
        for goal_skill in goal.skills:
            aim = max(goal.target_level, min(levels.get(goal_skill, 1) + 1, 5))
            targets[goal_skill] = max(targets.get(goal_skill, 0), aim)
    guidance: list[Guidance] = []
    for skill, target in targets.items():
        book = library.playbook(skill)
        if book is not None:
            guidance += _guidance_for(skill, book, levels.get(skill, 1), target, mode)
    offers = teachable(owner, request.others) if mode in PEER_MODES else []
    for offered in dict.fromkeys(o.skill for o in offers if o.skill not in targets):
        book = library.playbook(offered)
        if book is not None:
            guidance += [Guidance(p, offered, "how a peer helps") for p in book.peer_help]
    return PlanContext(request=request, goals=windows, offers=offers, guidance=guidance)


# ---- the plan drafter --------------------------------------------------------------


class DraftMilestone(BaseModel):
    title: ShortText
    due_date: date


class DraftActivity(BaseModel):
    description: MediumText
    kind: ActivityKind = "practice"
    citation_ids: list[Identifier] = Field(default_factory=list, max_length=10)
    minutes_per_month: int = Field(
        ge=0, le=20_000, description="the minutes this activity takes in a month"
    )


class DraftObjective(BaseModel):
    title: ShortText
    goal: MediumText = Field(description="the text of the owner's goal it serves, exactly")
    skills: list[Skill] = Field(default_factory=list, max_length=5)
    success_measures: list[MediumText] = Field(default_factory=list, max_length=10)
    milestones: list[DraftMilestone] = Field(min_length=1, max_length=20)
    activities: list[DraftActivity] = Field(default_factory=list, max_length=20)


class DraftGive(BaseModel):
    to_id: Identifier = Field(description="the other member's id")
    skill: Skill
    how: MediumText


class DraftPlan(BaseModel):
    """What the model is asked for: a PlanBody without ids, cadence or citations, which
    are ours to fill in."""

    summary: SummaryText = ""
    objectives: list[DraftObjective] = Field(min_length=1, max_length=10)
    gives: list[DraftGive] = Field(default_factory=list, max_length=20)


def _plan_rules(context: PlanContext) -> Callable[[DraftPlan], None]:
    """Rules the schema cannot express, checked inside the repair loop.

    A due date outside a goal's window is sent back to the model rather than clamped:
    it means the model misread the schedule, clamping would pile milestones onto the
    last day and hide that, and the repair message names each wrong date, which models
    fix reliably. Order within an objective is only presentation, so it is sorted later.
    """

    def check(plan: DraftPlan) -> None:
        problems: list[str] = []
        served: set[str] = set()
        for o_index, objective in enumerate(plan.objectives):
            window = context.window(objective.goal)
            if window is None:
                problems.append(
                    f"objectives.{o_index}.goal {objective.goal!r} is not one of the goals given"
                )
                continue
            served.add(_same_goal(window.goal.text))
            for m_index, milestone in enumerate(objective.milestones):
                if not window.first_day <= milestone.due_date <= window.last_day:
                    problems.append(
                        f"objectives.{o_index}.milestones.{m_index}.due_date "
                        f"{milestone.due_date} is outside {window.first_day}..{window.last_day}"
                    )
        load = sum(a.minutes_per_month for o in plan.objectives for a in o.activities)
        if load > context.activity_budget:
            problems.append(
                f"the activities take {load} minutes a month together, more than the "
                f"{context.activity_budget} left after sessions: drop or shorten activities"
            )
        group_size = len(context.request.others) + 1
        mode = context.request.match.mode
        texts = [("summary", plan.summary)]
        for o, objective in enumerate(plan.objectives):
            texts.append((f"objectives.{o}.title", objective.title))
            texts += [(f"objectives.{o}.success_measures", t) for t in objective.success_measures]
            texts += [(f"objectives.{o}.milestones", m.title) for m in objective.milestones]
            texts += [(f"objectives.{o}.activities", a.description) for a in objective.activities]
        texts += [(f"gives.{i}.how", g.how) for i, g in enumerate(plan.gives)]
        problems += [
            f"{p}; write for this match's mode" for p in wording_issues(texts, mode, group_size)
        ]
        missing = [w.goal.text for w in context.goals if _same_goal(w.goal.text) not in served]
        if missing:
            problems.append(f"no objective serves the goals {missing}")
        if context.offers and not plan.gives:
            problems.append("this peer/group plan must list gives for the other members")
        if problems:
            raise ValueError("; ".join(problems))

    return check


def _citation_remark(removed: int) -> str:
    if removed == 1:
        return "1 citation the model invented was removed"
    return f"{removed} citations the model invented were removed"


def _plan_body(draft: DraftPlan, context: PlanContext, removed: int) -> PlanBody:
    objectives = []
    for objective in draft.objectives:
        window = context.window(objective.goal)
        assert window is not None  # the rules checked every goal
        objectives.append(
            Objective(
                title=objective.title,
                goal=window.goal.text,
                goal_id=window.goal.id,
                skills=objective.skills or list(window.goal.skills),
                success_measures=objective.success_measures,
                milestones=[
                    Milestone(title=m.title, due_date=m.due_date)
                    for m in sorted(objective.milestones, key=lambda m: m.due_date)
                ],
                activities=[
                    Activity(
                        description=a.description,
                        kind=a.kind,
                        citation_ids=list(dict.fromkeys(a.citation_ids)),
                        # The model gives a monthly figure; counted every month, as the
                        # budget check above did.
                        minutes_per_month=a.minutes_per_month,
                        recurring=True,
                    )
                    for a in objective.activities
                ],
            )
        )
    remarks = [_citation_remark(removed)] if removed else []
    gives: list[Give] = []
    if context.request.match.mode in PEER_MODES:
        members = {other.id for other in context.request.others}
        gives = [Give(**g.model_dump()) for g in draft.gives if g.to_id in members]
        if len(gives) < len(draft.gives):
            outside = len(draft.gives) - len(gives)
            remarks.append(
                "1 give to someone outside the match was dropped"
                if outside == 1
                else f"{outside} gives to people outside the match were dropped"
            )
    cited = sorted({c for o in objectives for a in o.activities for c in a.citation_ids})
    rhythm = context.rhythm
    return PlanBody(
        summary=draft.summary,
        objectives=objectives,
        gives=gives,
        cadence=PlanCadence(
            sessions_per_month=rhythm.sessions_per_month,
            minutes=rhythm.minutes,
            format=CADENCE_FORMATS.get(context.request.match.mode, "scheduled session"),
        ),
        citations=[context.citation(c) for c in cited],
        budget_minutes_per_month=context.budget,
        remarks=remarks,
    )


class LLMPlanDrafter:
    def __init__(
        self,
        chat_model: BaseChatModel,
        model_name: str,
        library: Playbooks,
        fallback: PlanDrafter,
        prompt: PromptTemplate | None = None,
        *,
        max_tokens: int,
    ) -> None:
        self._chat_model = chat_model
        self._max_tokens = max_tokens
        self.name = f"openai:{model_name}"
        self._library = library
        self._fallback = fallback
        # Loaded now so a broken prompt file stops the service at start-up.
        self._prompt = prompt or load_prompt("plan")

    def draft_plan(self, request: PlanDraftRequest) -> DraftedPlan:
        if not request.owner.goals:
            return self._fallback.draft_plan(request)  # the fallback's "no goals" 422
        try:
            try:
                context = plan_context(request, self._library)
            except Exception as exc:  # the index is down: the composer says so its own way
                raise ModelCallFailed(f"guidance unavailable: {type(exc).__name__}") from exc
            draft, removed = ask_structured(
                self._chat_model,
                self._prompt,
                context.variables(DraftPlan),
                DraftPlan,
                allowed_citation_ids=context.citation_ids,
                max_tokens=self._max_tokens,
                check=_plan_rules(context),
            )
        except ModelCallFailed as failure:
            return self._fell_back(request, failure.reason)
        return DraftedPlan(body=_plan_body(draft, context, removed), drafter=self.name)

    def _fell_back(self, request: PlanDraftRequest, reason: str) -> DraftedPlan:
        logger.warning(
            "the language model could not draft a plan; using the offline composer",
            extra={"fields": {"model": self.name, "reason": reason, "match_id": request.match.id}},
        )
        drafted = self._fallback.draft_plan(request)
        remark = (
            f"The language model ({self.name}) failed ({reason}); this plan was drafted offline."
        )
        body = drafted.body.model_copy(
            update={"remarks": [remark[:2000], *drafted.body.remarks][:20]}
        )
        return DraftedPlan(body=body, drafter=fallback_label(reason))


# ---- wiring ------------------------------------------------------------------------


def build_plan_drafter(settings: Settings, library: PlaybookLibrary) -> PlanDrafter:
    """The composer when no model is configured, else the model with the composer behind."""
    composer = ComposerDrafter(library)
    chat_model = build_chat_model(settings)
    if chat_model is None or settings.llm_model is None:
        return composer
    return LLMPlanDrafter(
        chat_model,
        settings.llm_model,
        library,
        fallback=composer,
        max_tokens=settings.llm_max_tokens_plan,
    )
