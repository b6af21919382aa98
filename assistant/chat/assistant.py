"""The offline assistant: answers one chat turn from the conversation so far and the
database, with the same service functions (and so the same access rules) as the REST API.

It keeps no state of its own. What it needs to know between turns is in the messages
(the question it asked last, the answers given since the plan was requested) and in the
database (the participant's profile, matches and newest plan), so a client that resends
the whole history, as OpenAI clients do, gets the same answer from any replica.

Nothing changes unless the user asked for it: a plan is drafted only after a plan
request, accepted only on an explicit acceptance, and every reply that changes something
says what changed and names its id (also listed in the reply's `actions`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.chat import intents
from assistant.chat.intents import Intent
from assistant.drafting.service import AgendaRejected, draft_agenda
from assistant.matching.models import WORKING_STATUSES, MatchOut
from assistant.matching.service import list_matches, match_out
from assistant.people.models import (
    Goal,
    ParticipantOut,
    ParticipantUpdate,
    SkillLevel,
    planning_hours,
)
from assistant.people.service import get_participant, participant_out, update_participant
from assistant.plans.instructions import INSTRUCTION_HELP, read_instruction
from assistant.plans.models import Plan, PlanCreate, PlanOut, PlanRevise, PlanVersion, ProgressIn
from assistant.plans.service import (
    accept_plan,
    create_plan,
    log_progress,
    plan_out,
    revise_plan,
    visible_plan,
)
from assistant.retrieval.models import SearchResult
from assistant.sessions.models import ActionItem
from assistant.sessions.service import (
    held,
    list_notes,
    list_sessions,
    search_notes,
    visible_action_items,
)
from assistant.web import AppServices

logger = logging.getLogger("tandem.chat")
Role = Literal["user", "assistant"]
OFFLINE = "offline"


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass
class Reply:
    text: str
    intent: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    assistant: str = OFFLINE
    # The numbered sources a reply quotes: chunk id, where it is from, and the quote.
    citations: list[dict[str, Any]] = field(default_factory=list)


# ---- the questions it asks, one at a time --------------------------------------------

Slot = Literal["goal", "skill", "horizon", "current_level", "target_level", "hours", "match"]
# Each question carries a marker phrase; finding it in the assistant's last message tells
# the next turn which slot the user is answering, without any server-side state.
QUESTION_MARKERS: dict[Slot, str] = {
    "goal": "What would you like to achieve?",
    "skill": "Which skill is this mostly about?",
    "horizon": "By when would you like to get there?",
    "current_level": "Where are you with",
    "target_level": "What level would you like to reach in",
    "hours": "How many hours a month can you give this",
    "match": "Which of your matches is this plan for?",
}
SLOT_ORDER: tuple[Slot, ...] = (
    "goal",
    "skill",
    "horizon",
    "current_level",
    "target_level",
    "hours",
    "match",
)
LEVEL_SCALE = "1 aware, 2 beginner, 3 practitioner, 4 advanced, 5 expert"


def _question(slot: Slot, skill: str | None, options: str = "") -> str:
    name = _skill_name(skill or "")
    return {
        "goal": f"{QUESTION_MARKERS['goal']} One sentence is enough, for example “present "
        "our team's work at the all-hands in three months”.",
        "skill": f"{QUESTION_MARKERS['skill']} For example public speaking, technical "
        "leadership, delegation, stakeholder management or code review.",
        "horizon": f"{QUESTION_MARKERS['horizon']} For example “in 12 weeks” or “in 6 months”.",
        "current_level": f"{QUESTION_MARKERS['current_level']} {name} today, on a scale of "
        f"1 to 5 ({LEVEL_SCALE})?",
        "target_level": f"{QUESTION_MARKERS['target_level']} {name}, from 1 to 5?",
        "hours": f"{QUESTION_MARKERS['hours']}, besides your sessions? For example “4 hours "
        "a month” or “1 hour a week”.",
        "match": f"{QUESTION_MARKERS['match']} {options}",
    }[slot]


def asked_slot(text: str) -> Slot | None:
    """The plan question an assistant message ends with, if any. Only its last line
    counts: a question is always asked last, while a quoted note or guidance chunk
    higher up may contain the same words ("What would you like to achieve?") and must
    never steer the dialog."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if last.startswith(("[", "“", '"', "-")):
        return None
    for slot, marker in QUESTION_MARKERS.items():
        if marker in last:
            return slot
    return None


def _skill_name(slug: str) -> str:
    return slug.replace("_", " ")


def _day(value: date | datetime) -> str:
    return f"{value:%a %d %b %Y}"


@dataclass(frozen=True)
class PlanSlots:
    """What a plan request has told us so far; None is "not said yet"."""

    goal: str | None = None
    skill: str | None = None
    horizon_weeks: int | None = None
    current_level: int | None = None
    target_level: int | None = None
    hours_per_month: int | None = None
    match_hint: str | None = None


def read_answer(slots: PlanSlots, text: str, asked: Slot | None) -> PlanSlots:
    """Fold one user message into the slots; `asked` is the question it answers (None for
    the message that asked for the plan). Later answers correct earlier ones."""
    changes: dict[str, Any] = {}
    if asked is None:
        changes["goal"] = intents.goal_text(text)
    elif asked == "goal" and text.strip():
        changes["goal"] = intents.goal_text(text) or " ".join(text.split())[:300]
    skill = intents.skill_in(text)
    if skill and (slots.skill is None or asked == "skill"):
        changes["skill"] = skill
    number = intents.bare_number(text)
    horizon = intents.horizon_in(text)
    if horizon is None and asked == "horizon" and number is not None:
        horizon = max(1, min(intents.MAX_HORIZON_WEEKS, round(number)))
    if horizon is not None:
        changes["horizon_weeks"] = horizon
    hours = intents.hours_in(text)
    if hours is None and asked == "hours" and number is not None:
        hours = max(1, min(160, round(number)))
    if hours is not None:
        changes["hours_per_month"] = hours
    current, target = intents.levels_in(text)
    if current is None and asked == "current_level":
        current = intents.level_in(text)
    if target is None and asked == "target_level":
        target = intents.level_in(text)
    if current is not None:
        changes["current_level"] = current
    if target is not None:
        changes["target_level"] = target
    if asked == "match":
        changes["match_hint"] = text
    return replace(slots, **changes)


def _answers_the_question(text: str, asked: Slot) -> bool:
    before = PlanSlots()
    after = read_answer(before, text, asked)
    field_for: dict[Slot, str] = {
        "goal": "goal",
        "skill": "skill",
        "horizon": "horizon_weeks",
        "current_level": "current_level",
        "target_level": "target_level",
        "hours": "hours_per_month",
        "match": "match_hint",
    }
    return getattr(after, field_for[asked]) is not None


# ---- quoting retrieved text ------------------------------------------------------------

QUOTE_CHARS = 420
MAX_RECAP_MATCHES = 3
MAX_GOALS = 10  # what a profile holds (people.models)
SHORT_ANSWER_WORDS = 4  # "Robin?" answers "which match"; a longer question asks something
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_STOPWORDS_TEXT = (
    "a an the and or of to in on for with at by from is are was were be been it this "
    "that i me my we our you your how what why when where which who do does did should "
    "can could would will about any some more most into as so if then than there their "
    "them they"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def content_words(text: str) -> set[str]:
    return {w for w in intents.words(text) if w not in STOPWORDS and len(w) > 2}


def excerpt(text: str, query: str, limit: int = QUOTE_CHARS) -> str:
    """The passage of a chunk most about the query, cut from the chunk verbatim (a slice,
    never rewritten), so a quote can always be found in what was indexed."""
    wanted = content_words(query)
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    if not spans:
        return text[:limit].strip()
    best = max(
        range(len(spans)),
        key=lambda i: (len(wanted & content_words(text[spans[i][0] : spans[i][1]])), -i),
    )
    start, end = spans[best]
    for later in spans[best + 1 :]:
        if later[1] - start > limit:
            break
        end = later[1]
    return text[start:end][:limit].strip()


# ---- the assistant ---------------------------------------------------------------------


class OfflineAssistant:
    """One turn of the conversation for one participant."""

    def __init__(self, db: Session, *, actor: Principal, services: AppServices) -> None:
        self.db = db
        self.actor = actor
        self.services = services

    # -- entry -------------------------------------------------------------------------

    def reply(self, history: list[Turn]) -> Reply:
        message = history[-1].content
        earlier = history[:-1]
        last_assistant = earlier[-1].content if earlier and earlier[-1].role == "assistant" else ""
        pending = asked_slot(last_assistant)
        intent = intents.classify(message)
        if pending is not None:
            if intent == "cancel":
                return Reply("All right, I've set the plan aside; nothing was changed.", "cancel")
            answered = _answers_the_question(message, pending)
            if pending == "match":
                # Any text is a candidate answer to "which match"; only one that names a
                # match is, or the user could never ask anything else until they did. A
                # real question ("how do I give feedback to a peer?") is a side question
                # even when it mentions a partner or a mode.
                asks = len(message.split()) > SHORT_ANSWER_WORDS and intents.is_question(message)
                answered = not asks and (
                    self._pick_match(self._working_matches(), message) is not None
                )
            if answered or intent in ("draft_plan", "revise"):
                return self._plan_dialog(history)
            if intent in ("guidance", "small_talk"):
                # A side question mid-dialog: answer it, then ask again, so the question
                # marker stays the last thing said and the dialog can continue.
                side = (
                    self._guidance(message) if intent == "guidance" else self._small_talk(message)
                )
                question = next(
                    line for line in last_assistant.splitlines() if asked_slot(line) == pending
                )
                side.text += f"\n\nBack to your plan: {question}"
                return side
            if intent not in (
                "accept",
                "hold",
                "log_progress",
                "prepare_session",
                "session_info",
                "recap",
                "explain",
            ):
                return Reply(f"Sorry, I didn't catch that. {last_assistant}", "draft_plan")
        handlers = {
            "cancel": lambda: Reply("Nothing is in progress, so nothing to cancel.", intent),
            "accept": lambda: self._accept(message),
            "log_progress": lambda: self._log_progress(message),
            "prepare_session": lambda: self._prepare_session(message),
            "session_info": lambda: self._session_info(message),
            "recap": lambda: self._recap(message),
            "hold": lambda: self._hold(),
            "revise": lambda: self._revise(message, history),
            "explain": lambda: self._explain(message),
            "draft_plan": lambda: self._plan_dialog(history),
            "small_talk": lambda: self._small_talk(message),
            "guidance": lambda: self._guidance(message),
        }
        return handlers[intent]()

    # -- what the database says about the caller ----------------------------------------

    def _me(self) -> ParticipantOut:
        return participant_out(get_participant(self.db, self.actor.id))

    def _working_matches(self) -> list[MatchOut]:
        return [
            match_out(self.db, m)
            for m in list_matches(self.db, actor=self.actor)
            if m.status in WORKING_STATUSES
        ]

    def _newest_own_plan(self, message: str = "") -> PlanOut | None:
        """The plan the conversation is about: the caller's own plan with the newest
        version (the one the assistant drafted or revised last), in the match the
        message names by a partner's name when it names one ("accept my plan with
        Robin" must not accept the plan with Alex)."""
        query = (
            select(Plan)
            .join(
                PlanVersion,
                (PlanVersion.plan_id == Plan.id) & (PlanVersion.version == Plan.current_version),
            )
            .where(Plan.owner_id == self.actor.id)
        )
        if message:
            _, named, _ = self._matches_meant(message)
            if len(named) == 1:
                query = query.where(Plan.match_id == named[0].id)
        row = self.db.scalar(query.order_by(PlanVersion.created_at.desc(), Plan.id.desc()).limit(1))
        if row is None:
            return None
        plan, _ = visible_plan(self.db, self.actor, row.id)
        return plan_out(self.db, plan)

    def _others(self, match: MatchOut) -> str:
        names = [m.name for m in match.members if m.participant_id != self.actor.id]
        return " and ".join(names) or "nobody else"

    # -- small talk -----------------------------------------------------------------------

    def _small_talk(self, message: str) -> Reply:
        lowered = message.lower()
        first = self.actor.name.split()[0] if self.actor.name else "there"
        if re.search(r"\b(thanks?|thank you|cheers)\b", lowered):
            opener = "You're welcome!"
        elif re.search(r"\b(bye|goodbye)\b", lowered):
            return Reply(f"Goodbye, {first}. Your conversation is saved.", "small_talk")
        else:
            opener = f"Hello {first}! I'm Tandem, your mentoring assistant."
        return Reply(
            f"{opener} I can:\n"
            "- draft a development plan from your goal (“I want to get better at public "
            "speaking”), asking only for what I still need;\n"
            "- explain it, change it (“make it 6 weeks”, “I only have 2 hours a month”, "
            "“focus on delegation first”) and accept it when you say so;\n"
            "- log progress (“I finished the first milestone”);\n"
            "- get you ready for a session (“get me ready for Thursday with Sam”);\n"
            "- answer questions from the mentoring guidance and the notes you may read, "
            "quoting them with sources.\n"
            "What would you like to work on?",
            "small_talk",
        )

    # -- plan dialog -----------------------------------------------------------------------

    def _collect(self, history: list[Turn]) -> PlanSlots:
        """Replay the plan dialog: from the message that asked for a plan through every
        answer to a question since, each read as the answer to the question before it."""
        pairs: list[tuple[Slot | None, str]] = []
        index = len(history) - 1
        while index >= 0:
            user = history[index]
            before = history[index - 1] if index > 0 else None
            asked = asked_slot(before.content) if before and before.role == "assistant" else None
            pairs.append((asked, user.content))
            if asked is None:
                break
            index -= 2
            while index >= 0 and history[index].role != "user":
                index -= 1
        slots = PlanSlots()
        for asked, text in reversed(pairs):
            slots = read_answer(slots, text, asked)
        return slots

    def _plan_dialog(self, history: list[Turn]) -> Reply:
        matches = self._working_matches()
        if not matches:
            return Reply(
                "You're not in an open match yet, and a plan belongs to a match with a "
                "mentor or peers. Program staff need to match you first; I'll let them "
                "do that, and I haven't changed anything. Meanwhile I can answer questions "
                "from the mentoring guidance: just ask.",
                "draft_plan",
            )
        slots = self._collect(history)
        me = self._me()
        # "Draft me a plan" with goals already in the profile: those goals are the plan.
        from_profile = slots.goal is None and not history_mentions_goal(slots) and bool(me.goals)
        filled, notes = (slots, []) if from_profile else self._fill_from_profile(slots, me)
        for slot in () if from_profile else SLOT_ORDER:
            if slot != "match" and _slot_value(filled, slot) is None:
                return self._ask(slot, filled, notes)
        match = self._pick_match(matches, filled.match_hint)
        if match is None:
            options = " or ".join(
                f"your {m.mode.replace('_', '-')} match with {self._others(m)}" for m in matches
            )
            return self._ask("match", filled, [], options=f"{options}? Say a name.")
        return self._draft(me, filled, match, from_profile=from_profile, notes=notes)

    def _fill_from_profile(
        self, slots: PlanSlots, me: ParticipantOut
    ) -> tuple[PlanSlots, list[str]]:
        notes: list[str] = []
        changes: dict[str, Any] = {}
        if slots.skill is not None:
            level = next((s.level for s in me.skills if s.skill == slots.skill), None)
            if slots.current_level is None and level is not None:
                changes["current_level"] = level
                notes.append("your current level")
            goal = next((g for g in me.goals if slots.skill in g.skills), None)
            if goal is not None:
                if slots.target_level is None:
                    changes["target_level"] = goal.target_level
                    notes.append("your target level")
                if slots.horizon_weeks is None:
                    changes["horizon_weeks"] = goal.horizon_weeks
                    notes.append("your horizon")
        if slots.hours_per_month is None and (me.hours_per_month or 0) > 0:
            changes["hours_per_month"] = round(me.hours_per_month or 0)
            notes.append("your hours a month")
        filled = replace(slots, **changes)
        if (
            filled.current_level is not None
            and filled.target_level is not None
            and filled.target_level <= filled.current_level
        ):
            filled = replace(filled, target_level=None)
        return filled, notes

    def _ask(self, slot: Slot, slots: PlanSlots, notes: list[str], options: str = "") -> Reply:
        lead = ""
        if slot == "skill" and slots.goal:
            lead = f"Got it: “{slots.goal}”. "
        elif slot == "horizon" and slots.goal and slots.skill:
            lead = f"Got it: “{slots.goal}”, mainly {_skill_name(slots.skill)}. "
        elif slot == "target_level" and slots.current_level is not None:
            lead = f"Noted: level {slots.current_level} today. "
            if slots.target_level is None and slots.current_level >= 5:
                lead += "That is already the top of the scale; "
        return Reply(lead + _question(slot, slots.skill, options), "draft_plan")

    def _pick_match(self, matches: list[MatchOut], hint: str | None) -> MatchOut | None:
        if len(matches) == 1:
            return matches[0]
        if not hint:
            return None
        said = intents.words(hint)
        named = [
            m for m in matches if self._names_partner(m, said) or set(m.mode.split("_")) <= said
        ]
        return named[0] if len(named) == 1 else None

    def _draft(
        self,
        me: ParticipantOut,
        slots: PlanSlots,
        match: MatchOut,
        *,
        from_profile: bool,
        notes: list[str] | None = None,
    ) -> Reply:
        actions: list[dict[str, Any]] = []
        lines: list[str] = []
        focus = ""
        if not from_profile:
            goal, dropped = self._record_goal(me, slots)
            focus = goal.text
            actions.append(
                {
                    "type": "profile_updated",
                    "participant_id": me.id,
                    "goal_id": goal.id,
                    "skill": slots.skill,
                    "current_level": slots.current_level,
                    "hours_per_month": slots.hours_per_month,
                    "goals_removed": dropped,
                }
            )
            lines.append(
                f"I saved your goal “{goal.text}” to your profile (goal {goal.id}): "
                f"{_skill_name(slots.skill or '')} from level {slots.current_level} to "
                f"{slots.target_level} in {slots.horizon_weeks} weeks, with "
                f"{slots.hours_per_month} hours a month"
                # Say where the numbers the user did not give came from, once.
                + (f" (from your profile: {', '.join(notes)})." if notes else ".")
                + (
                    f" A profile holds {MAX_GOALS} goals, so I removed the oldest: "
                    + "; ".join(f"“{text}”" for text in dropped)
                    + "."
                    if dropped
                    else ""
                )
            )
        else:
            lines.append("I used the goals already in your profile.")
        existing = self.db.scalar(
            select(Plan.id).where(Plan.match_id == match.id, Plan.owner_id == me.id)
        )
        if existing is not None:
            instruction = f"focus on {focus} first" if focus else "redraft from my profile"
            out = revised_plan(
                self.db, self.actor, self.services, plan_id=existing, instruction=instruction
            )
            actions.append({"type": "plan_revised", "plan_id": out.id, "version": out.version})
            lines.append(
                f"You already had plan {out.id} with {self._others(match)}, so I redrafted it "
                f"as version {out.version} ({out.status}) with this goal first."
            )
        else:
            out = drafted_plan(self.db, self.actor, self.services, match_id=match.id, focus=focus)
            actions.append({"type": "plan_drafted", "plan_id": out.id, "version": out.version})
            lines.append(
                f"I drafted plan {out.id} (version {out.version}, {out.status}) for your "
                f"{match.mode} match with {self._others(match)}."
            )
        lines.append("")
        lines.append(describe_plan(out))
        lines.append("")
        lines.append(
            "Nothing is final until you accept it. Say “accept it” when it looks right, or "
            "ask me to change it: “make it 6 weeks”, “I only have 2 hours a month”, "
            "“focus on … first”."
        )
        return Reply("\n".join(lines), "draft_plan", actions)

    def _record_goal(self, me: ParticipantOut, slots: PlanSlots) -> tuple[Goal, list[str]]:
        """Save the goal to the profile; returns it and the texts of goals that had to
        go to make room (a profile holds MAX_GOALS), oldest first, so the reply says so."""
        assert slots.goal and slots.skill and slots.current_level and slots.target_level
        assert slots.horizon_weeks and slots.hours_per_month
        same = next((g for g in me.goals if g.text.casefold() == slots.goal.casefold()), None)
        goal = Goal(
            id=same.id if same else None,
            text=slots.goal,
            skills=[slots.skill],
            target_level=slots.target_level,
            horizon_weeks=slots.horizon_weeks,
        )
        goals = [g for g in me.goals if g is not same] + [goal]
        dropped = [g.text for g in goals[:-MAX_GOALS]]
        skills = [s for s in me.skills if s.skill != slots.skill]
        skills.append(SkillLevel(skill=slots.skill, level=slots.current_level))
        updated = update_participant(
            self.db,
            actor=self.actor,
            participant_id=me.id,
            data=ParticipantUpdate(
                goals=goals[-MAX_GOALS:], skills=skills, hours_per_month=slots.hours_per_month
            ),
        )
        return next(g for g in updated.goals if g.text == slots.goal), dropped

    # -- explain, revise, accept --------------------------------------------------------------

    def _no_plan(self, intent: Intent) -> Reply:
        return Reply(
            "You don't have a plan of your own yet. Tell me what you'd like to achieve (“I "
            "want to get better at public speaking”) and I'll draft one.",
            intent,
        )

    def _explain(self, message: str) -> Reply:
        plan = self._newest_own_plan(message)
        if plan is None:
            return self._no_plan("explain")
        part = _milestone_named(plan, message)
        if part is None:
            return Reply(describe_plan(plan, quotes=True), "explain")
        return Reply(describe_milestone(plan, *part), "explain")

    def _revise(self, message: str, history: list[Turn]) -> Reply:
        plan = self._newest_own_plan(message)
        if plan is None:
            if intents.classify(message) == "revise" and intents.goal_text(message):
                return self._plan_dialog(history)
            return self._no_plan("revise")
        instruction, understood = self._instruction(message, plan)
        if not understood:
            return Reply(
                f"I couldn't tell what to change in plan {plan.id}, so I changed nothing. "
                f"{INSTRUCTION_HELP}",
                "revise",
            )
        out = revised_plan(
            self.db, self.actor, self.services, plan_id=plan.id, instruction=instruction
        )
        remarks = " ".join(out.remarks[:2])
        text = (
            f"I revised plan {out.id}: version {out.version} ({out.status}) {understood}. "
            f"{remarks}\n\n{describe_plan(out)}\n\nSay “accept it” when it looks right."
        )
        return Reply(
            text,
            "revise",
            [
                {
                    "type": "plan_revised",
                    "plan_id": out.id,
                    "version": out.version,
                    "instruction": instruction,
                }
            ],
        )

    def _instruction(self, message: str, plan: PlanOut) -> tuple[str, str]:
        """The user's words as an instruction the plan service reads, and what it says in
        words ("" when nothing was understood, so nothing is revised)."""
        lowered = message.lower()
        parts: list[str] = []
        said: list[str] = []
        weeks = intents.horizon_in(message)
        span = plan_span_weeks(plan)
        if weeks is None and re.search(r"\b(shorter|quicker|faster|sooner)\b", lowered):
            weeks = max(2, round(span / 2))
            said.append(f"halving its length from {span} to {weeks} weeks")
        elif weeks is None and re.search(r"\b(longer|slower|more time|later)\b", lowered):
            weeks = min(intents.MAX_HORIZON_WEEKS, span * 2)
            said.append(f"doubling its length from {span} to {weeks} weeks")
        elif weeks is not None:
            said.append(f"finishing within {weeks} weeks")
        hours = intents.hours_in(message)
        if hours is None and re.search(r"\b(fewer|less) (hours|time)\b", lowered):
            current = max(1, round(planning_hours(self._me().hours_per_month)))
            hours = max(1, current // 2)
            said.append(f"halving your time from {current} to {hours} hours a month")
        elif hours is not None:
            said.append(f"planning for {hours} hours a month")
        focus = read_instruction(message).focus
        if focus:
            said.append(f"putting “{focus}” first")
        # Each revision is redrafted from the profile, so what earlier revisions asked
        # for is asked again; otherwise "fewer hours" would undo "make it 6 weeks".
        earlier = read_instruction(plan.instruction)
        kept: list[str] = []
        if weeks is None and earlier.horizon_weeks is not None:
            weeks = earlier.horizon_weeks
            kept.append(f"{weeks} weeks")
        if hours is None and earlier.hours_per_month is not None:
            hours = earlier.hours_per_month
            kept.append(f"{hours} hours a month")
        if focus is None and earlier.focus:
            focus = earlier.focus
            kept.append(f"“{focus}” first")
        if weeks is not None:
            parts.append(f"finish in {weeks} weeks")
        if hours is not None:
            parts.append(f"I only have {hours} hours a month")
        if focus:
            parts.append(f"focus on {focus} first")
        if said and kept:
            said.append(f"keeping {' and '.join(kept)} from before")
        return "; ".join(parts), ", ".join(said)

    def _accept(self, message: str) -> Reply:
        plan = self._newest_own_plan(message)
        if plan is None:
            return self._no_plan("accept")
        if plan.status == "active" and plan.version == plan.latest_version:
            return Reply(
                f"Version {plan.version} of plan {plan.id} is already active; nothing changed.",
                "accept",
            )
        accepted = plan_out(self.db, accept_plan(self.db, actor=self.actor, plan_id=plan.id))
        first = next(
            (m for o in accepted.objectives for m in o.milestones if m.status != "done"), None
        )
        follow = (
            f" Your first milestone is “{first.title}”, due {_day(first.due_date)}; tell me "
            "when you've done it (“I finished the first milestone”)."
            if first
            else ""
        )
        return Reply(
            f"Accepted: plan {accepted.id} version {accepted.version} is now active, and "
            f"your match can see it.{follow}",
            "accept",
            [{"type": "plan_accepted", "plan_id": accepted.id, "version": accepted.version}],
        )

    # -- progress -------------------------------------------------------------------------------

    def _log_progress(self, message: str) -> Reply:
        plan = self._newest_own_plan(message)
        if plan is None:
            return self._no_plan("log_progress")
        milestones = [m for o in plan.objectives for m in o.milestones]
        pointer = intents.milestone_pointer(message)
        chosen = None
        if pointer.index is not None and -len(milestones) <= pointer.index < len(milestones):
            chosen = milestones[pointer.index]
        else:
            said = content_words(pointer.quoted or message)
            scored = sorted(
                ((len(said & content_words(m.title)), i) for i, m in enumerate(milestones)),
                reverse=True,
            )
            if scored and scored[0][0] >= 2 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
                chosen = milestones[scored[0][1]]
        if chosen is None or chosen.id is None:
            listing = "\n".join(
                f"{i}. {m.title} (due {_day(m.due_date)}, {m.status})"
                for i, m in enumerate(milestones, start=1)
            )
            return Reply(
                f"Which milestone of plan {plan.id} do you mean? Say for example “I finished "
                f"milestone 2”. Nothing is logged yet.\n\n{listing}",
                "log_progress",
            )
        status = intents.milestone_status_in(message)
        progress = log_progress(
            self.db,
            actor=self.actor,
            plan_id=plan.id,
            data=ProgressIn(
                milestone_id=chosen.id, status=status, note=f"Logged in chat: {message}"[:2000]
            ),
        )
        now_status = status.replace("_", " ")
        was = progress.previous_status.replace("_", " ")
        return Reply(
            f"Logged: milestone “{chosen.title}” of plan {plan.id} is now {now_status} (was "
            f"{was}); progress entry {progress.id}.",
            "log_progress",
            [
                {
                    "type": "progress_logged",
                    "plan_id": plan.id,
                    "milestone_id": chosen.id,
                    "progress_id": progress.id,
                    "status": status,
                }
            ],
        )

    # -- sessions -------------------------------------------------------------------------------

    def _names_partner(self, match: MatchOut, said: set[str]) -> bool:
        """Whether the words said include a name of someone else in the match."""
        return any(
            intents.words(member.name) & said
            for member in match.members
            if member.participant_id != self.actor.id
        )

    def _matches_meant(self, message: str) -> tuple[list[MatchOut], list[MatchOut], str | None]:
        """(working matches, the ones the message names by a partner's name, a name after
        "with" that is nobody's partner)."""
        matches = self._working_matches()
        said = intents.words(message)
        named = [m for m in matches if self._names_partner(m, said)]
        partner = intents.partner_named(message)
        unknown = partner if partner is not None and not named else None
        return matches, named, unknown

    def _nobody_called(self, name: str, matches: list[MatchOut], intent: str) -> Reply:
        who = "; ".join(self._others(m) for m in matches) or "nobody yet"
        return Reply(
            f"You have no open match with anyone called “{name.title()}”, so I changed "
            f"nothing. Your matches are with: {who}.",
            intent,
        )

    def _prepare_session(self, message: str) -> Reply:
        matches, named, unknown = self._matches_meant(message)
        if unknown is not None:
            return self._nobody_called(unknown, matches, "prepare_session")
        candidates = named or (matches if len(matches) == 1 else [])
        if not candidates:
            who = "; ".join(self._others(m) for m in matches) or "nobody yet"
            return Reply(
                "Which session should I prepare? Tell me who it's with, for example “get me "
                f"ready for Thursday with Sam”. Your matches are with: {who}.",
                "prepare_session",
            )
        now = self.services.clock.now()
        weekday = intents.weekday_in(message)
        upcoming = sorted(
            (
                (row, match)
                for match in candidates
                for row in list_sessions(self.db, actor=self.actor, match_id=match.id)
                if row.status == "scheduled" and row.scheduled_at >= now
            ),
            key=lambda pair: pair[0].scheduled_at,
        )
        if weekday is not None:
            upcoming = [p for p in upcoming if p[0].scheduled_at.weekday() == weekday]
        if not upcoming:
            when = f" on a {intents.WEEKDAYS[weekday].title()}" if weekday is not None else ""
            who = " or ".join(self._others(m) for m in candidates)
            return Reply(
                f"There is no upcoming session with {who}{when} scheduled, so I have nothing "
                "to prepare and changed nothing. Schedule one (POST /v1/matches/{id}/sessions) "
                "and ask me again.",
                "prepare_session",
            )
        row, match = upcoming[0]
        try:
            agenda = draft_agenda(
                self.db,
                actor=self.actor,
                session_id=row.id,
                drafter=self.services.agenda_drafter,
                knowledge=self.services.knowledge,
                notes_index=self.services.notes_index,
                library=self.services.playbooks,
                now=now,
            )
        except AgendaRejected as exc:
            logger.error("agenda rejected in chat: %s", exc)
            return Reply(
                f"I couldn't draft a usable agenda for session {row.id}, so nothing was "
                "stored. Please try again later.",
                "prepare_session",
            )
        names = {m.participant_id: m.name for m in agenda.members}
        numbers = {c.id: n for n, c in enumerate(agenda.citations, start=1)}
        lines = [
            f"Here is the agenda for “{agenda.title}” with {self._others(match)} on "
            f"{agenda.scheduled_at:%a %d %b %Y at %H:%M} UTC ({agenda.total_minutes} minutes). "
            f"I stored it with session {row.id}, where every member can read it.",
            "",
        ]
        for i, item in enumerate(agenda.items, start=1):
            lead = f", led by {names.get(item.lead_id, 'anyone')}" if item.lead_id else ""
            cites = "".join(f"[{numbers[c]}]" for c in item.citation_ids if c in numbers)
            lines.append(f"{i}. {item.title} ({item.minutes} min{lead}): {item.detail} {cites}")
        if agenda.prep:
            lines += ["", "Before the session:"]
            lines += [f"- {names.get(p.participant_id, '?')}: {p.task}" for p in agenda.prep]
        if agenda.citations:
            lines += ["", "Sources:"]
            lines += [
                f"[{n}] {c.title} ({c.source})" for n, c in enumerate(agenda.citations, start=1)
            ]
        return Reply(
            "\n".join(lines),
            "prepare_session",
            [{"type": "agenda_drafted", "session_id": row.id, "match_id": match.id}],
        )

    # -- read-only answers to questions about actions ----------------------------------------

    def _hold(self) -> Reply:
        plan = self._newest_own_plan()
        which = f" Plan {plan.id} stays at version {plan.version} ({plan.status})." if plan else ""
        return Reply(
            "I haven't accepted anything." + which + " Accepting makes a plan's newest "
            "version the active one your match works from; say “accept it” when it looks "
            "right, or ask me to change it first (“make it 6 weeks”, “focus on … first”).",
            "hold",
        )

    def _session_info(self, message: str) -> Reply:
        """When the next sessions are and whether they have an agenda, without drafting
        one: drafting replaces what every member sees, so only a request does that."""
        matches, named, unknown = self._matches_meant(message)
        if unknown is not None:
            return self._nobody_called(unknown, matches, "session_info")
        now = self.services.clock.now()
        lines: list[str] = []
        for match in named or matches:
            upcoming = sorted(
                (
                    row
                    for row in list_sessions(self.db, actor=self.actor, match_id=match.id)
                    if row.status == "scheduled" and row.scheduled_at >= now
                ),
                key=lambda row: row.scheduled_at,
            )
            if not upcoming:
                lines.append(f"With {self._others(match)}: no session scheduled.")
                continue
            row = upcoming[0]
            agenda = "an agenda is stored" if row.agenda else "no agenda yet"
            lines.append(
                f"With {self._others(match)}: {_day(row.scheduled_at)} at "
                f"{row.scheduled_at:%H:%M} UTC, {row.duration_minutes} minutes "
                f"(session {row.id}; {agenda})."
            )
        if not lines:
            lines.append("You're not in an open match yet, so there are no sessions.")
        lines.append("Say “get me ready for <day> with <name>” and I'll draft the agenda.")
        return Reply("\n".join(lines), "session_info")

    # -- recap --------------------------------------------------------------------------------

    def _recap(self, message: str) -> Reply:
        """The latest session's notes the caller may read, quoted, and what is still open,
        per match: "what did we agree last time?" is about us, not about the guidance."""
        matches, named, unknown = self._matches_meant(message)
        if unknown is not None:
            return self._nobody_called(unknown, matches, "recap")
        candidates = named or matches
        if not candidates:
            return Reply(
                "You're not in an open match yet, so there are no sessions to recap.", "recap"
            )
        now = self.services.clock.now()
        lines: list[str] = []
        citations: list[dict[str, Any]] = []
        for match in candidates[:MAX_RECAP_MATCHES]:
            names = {m.participant_id: m.name for m in match.members}
            lines.append(f"With {self._others(match)} ({match.mode} match {match.id}):")
            past = [
                row
                for row in list_sessions(self.db, actor=self.actor, match_id=match.id)
                if held(row, now)
            ]
            shown = False
            for row in sorted(past, key=lambda r: r.scheduled_at, reverse=True):
                notes = list_notes(self.db, actor=self.actor, session_id=row.id)
                if not notes:
                    continue
                lines.append(f"  Last notes, from the session on {_day(row.scheduled_at)}:")
                for note in notes:
                    number = len(citations) + 1
                    author = names.get(note.author_id, "staff")
                    lines.append(f"  [{number}] {author} ({note.visibility}): “{note.text}”")
                    citations.append(
                        {"number": number, "kind": "note", "note_id": note.id, "quote": note.text}
                    )
                shown = True
                break
            if not shown:
                lines.append("  No notes you may read from a past session yet.")
            items = visible_action_items(
                self.db, actor=self.actor, match_id=match.id, open_only=True
            )
            # The same promise carried from session to session is one line, not six.
            grouped: dict[tuple[str, str | None], list[ActionItem]] = {}
            for item in items:
                grouped.setdefault((item.text, item.owner_id), []).append(item)
            if grouped:
                lines.append("  Still open:")
            for (text, owner), same in grouped.items():
                due = next((i.due_date for i in same if i.due_date), None)
                late = f", due {due.isoformat()}" if due else ""
                times = f" ({len(same)} times)" if len(same) > 1 else ""
                lines.append(f"  - {names.get(owner or '', 'someone')}: {text}{late}{times}")
            lines.append("")
        return Reply("\n".join(lines).rstrip(), "recap", citations=citations)

    # -- guidance -----------------------------------------------------------------------------

    def _guidance(self, message: str) -> Reply:
        """Extractive answers only: quotes from guidance chunks and from notes the caller
        may read (the note rule is applied inside the vector query), never new claims.
        Whatever the quoted text says is shown as a quote and acts on nothing."""
        wanted = content_words(message)
        try:
            guidance = self.services.knowledge.search(message, k=3)
            notes = search_notes(self.db, self.services.notes_index, self.actor, message, k=2)
        except Exception:
            # A vector store that is down costs this answer, not the conversation.
            logger.warning("chat search unavailable", exc_info=True)
            return Reply(
                "The guidance search is unavailable right now, so I can't quote anything; "
                "nothing was changed. Please try again in a moment.",
                "guidance",
            )
        found: list[SearchResult] = [
            r for r in [*guidance, *notes] if wanted & content_words(f"{r.title} {r.text}")
        ]
        if not found:
            return Reply(
                "I found nothing in the mentoring guidance or in the notes you may read "
                "about that, and I only answer from those. Try other words, or ask your "
                "mentor in your next session.",
                "guidance",
            )
        lines = ["Here is what I found. These are quotes, not my own words:", ""]
        sources: list[str] = []
        citations: list[dict[str, Any]] = []
        for number, result in enumerate(found, start=1):
            quote = excerpt(result.text, message)
            citations.append(citation_of(result, number, quote))
            lines.append(f"[{number}] “{quote}”")
            lines.append("")
            if result.kind == "note":
                sources.append(
                    f"[{number}] Session note {result.note_id} ({result.title}), chunk "
                    f"{result.chunk_id}"
                )
            else:
                heading = f", “{result.heading}”" if result.heading else ""
                sources.append(
                    f"[{number}] {result.title}{heading} ({result.source}), chunk {result.chunk_id}"
                )
        lines.append("Sources:")
        lines.extend(sources)
        return Reply("\n".join(lines), "guidance", citations=citations)


def citation_of(result: SearchResult, number: int, quote: str) -> dict[str, Any]:
    """A numbered source as a reply lists it: what was quoted, from which chunk."""
    return {
        "number": number,
        "kind": result.kind,
        "chunk_id": result.chunk_id,
        "source": result.source,
        "title": result.title,
        "note_id": result.note_id,
        "quote": quote,
    }


def drafted_plan(
    db: Session, actor: Principal, services: AppServices, *, match_id: str, focus: str
) -> PlanOut:
    """A new plan for the caller in a match, drafted as the REST route drafts it; the
    offline assistant and the model's tool both draft through here."""
    plan = create_plan(
        db,
        actor=actor,
        match_id=match_id,
        data=PlanCreate(owner_id=actor.id, focus=focus[:2000]),
        today=services.clock.today(),
        drafter=services.plan_drafter,
        notes_index=services.notes_index,
    )
    return plan_out(db, plan)


def revised_plan(
    db: Session, actor: Principal, services: AppServices, *, plan_id: str, instruction: str
) -> PlanOut:
    """A new version of a plan redrafted from an instruction in words, as the REST
    route revises it."""
    plan = revise_plan(
        db,
        actor=actor,
        plan_id=plan_id,
        data=PlanRevise(instruction=instruction[:2000]),
        today=services.clock.today(),
        drafter=services.plan_drafter,
        notes_index=services.notes_index,
    )
    return plan_out(db, plan)


def history_mentions_goal(slots: PlanSlots) -> bool:
    return any(
        v is not None
        for v in (slots.skill, slots.horizon_weeks, slots.current_level, slots.target_level)
    )


def _slot_value(slots: PlanSlots, slot: Slot) -> object:
    return {
        "goal": slots.goal,
        "skill": slots.skill,
        "horizon": slots.horizon_weeks,
        "current_level": slots.current_level,
        "target_level": slots.target_level,
        "hours": slots.hours_per_month,
        "match": slots.match_hint,
    }[slot]


def _milestone_named(plan: PlanOut, message: str) -> tuple[int, int] | None:
    """(objective index, milestone index) of the milestone a message asks about: "the
    second milestone", "milestone 2", or its title's words; None for the whole plan."""
    flat = [
        (o, m)
        for o, objective in enumerate(plan.objectives)
        for m in range(len(objective.milestones))
    ]
    pointer = intents.milestone_pointer(message)
    if pointer.index is not None and "milestone" in message.lower():
        if -len(flat) <= pointer.index < len(flat):
            return flat[pointer.index]
        return None
    said = content_words(pointer.quoted or message) - {"plan", "explain", "milestone"}
    scored = sorted(
        (
            (len(said & content_words(plan.objectives[o].milestones[m].title)), o, m)
            for o, m in flat
        ),
        reverse=True,
    )
    if scored and scored[0][0] >= 2 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1], scored[0][2]
    return None


def describe_milestone(plan: PlanOut, objective_index: int, milestone_index: int) -> str:
    """One milestone in context: its goal, date, status and the cited activities toward it,
    with the guidance they come from quoted."""
    objective = plan.objectives[objective_index]
    milestone = objective.milestones[milestone_index]
    numbers = {c.id: n for n, c in enumerate(plan.citations, start=1)}
    lines = [
        f"Milestone {milestone_index + 1} of objective {objective_index + 1} in plan {plan.id} "
        f"(version {plan.version}): {milestone.title.rstrip('.')}, due {_day(milestone.due_date)}"
        f" ({milestone.status.replace('_', ' ')}).",
        f"It serves your goal “{objective.goal}”.",
    ]
    if objective.activities:
        lines += ["", "What gets you there:"]
        for activity in objective.activities:
            cites = "".join(f"[{numbers[c]}]" for c in activity.citation_ids if c in numbers)
            lines.append(f"  - {activity.description} {cites}".rstrip())
    cited = [c for c in plan.citations if any(c.id in a.citation_ids for a in objective.activities)]
    if cited:
        lines += ["", "Sources:"]
        for citation in cited:
            lines.append(f"[{numbers[citation.id]}] {citation.title} ({citation.source}):")
            lines.append(f"    “{citation.quote[:QUOTE_CHARS].strip()}”")
    return "\n".join(lines)


def plan_span_weeks(plan: PlanOut) -> int:
    last = max((m.due_date for o in plan.objectives for m in o.milestones), default=plan.starts_on)
    return max(1, round((last - plan.starts_on).days / 7))


def describe_plan(plan: PlanOut, *, quotes: bool = False) -> str:
    """The plan in words: objectives, dated milestones, activities with numbered sources.
    With `quotes`, each source's quoted guidance follows, so "why" has its answer."""
    numbers = {c.id: n for n, c in enumerate(plan.citations, start=1)}
    lines = [f"Plan {plan.id}, version {plan.version} ({plan.status}): {plan.summary}".rstrip()]
    for index, objective in enumerate(plan.objectives, start=1):
        skills = ", ".join(_skill_name(s) for s in objective.skills)
        lines.append("")
        lines.append(f"Objective {index}: {objective.title}" + (f" ({skills})" if skills else ""))
        lines.append("Milestones:")
        for m_index, milestone in enumerate(objective.milestones, start=1):
            status = milestone.status.replace("_", " ")
            due = _day(milestone.due_date)
            title = milestone.title.rstrip(".")
            lines.append(f"  {m_index}. {title}, due {due} ({status})")
        if objective.activities:
            lines.append("Activities:")
            for activity in objective.activities:
                cites = "".join(f"[{numbers[c]}]" for c in activity.citation_ids if c in numbers)
                lines.append(f"  - {activity.description} {cites}".rstrip())
        if objective.success_measures:
            lines.append("How you will know:")
            lines += [f"  - {measure}" for measure in objective.success_measures]
    if plan.cadence:
        lines.append("")
        lines.append(
            f"Rhythm: {plan.cadence.sessions_per_month} sessions a month of "
            f"{plan.cadence.minutes} minutes ({plan.cadence.format})."
        )
    if plan.citations:
        lines.append("")
        lines.append("Sources:")
        for citation in plan.citations:
            number = numbers[citation.id]
            if quotes:
                lines.append(
                    f"[{number}] {citation.title} ({citation.source}), chunk {citation.id}:"
                )
                lines.append(f"    “{citation.quote[:QUOTE_CHARS].strip()}”")
            else:
                opening = " ".join(citation.quote.split())[:70].rstrip()
                lines.append(f"[{number}] {citation.title} ({citation.source}): “{opening}…”")
    lines.append(f"(Written by the {plan.drafter} drafter.)")
    return "\n".join(lines)
