"""The plan dialog: from "I want to get better at public speaking" to a drafted plan,
asking one question at a time for what neither the messages nor the profile say.

It keeps no state of its own: each question carries a marker phrase, and the dialog is
replayed from the messages every turn (the question asked, the answers since), so a
client that resends the whole history gets the same answer from any replica.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from assistant.chat import commands, intents
from assistant.chat.caller import ChatCaller
from assistant.chat.describe import describe_plan, skill_name
from assistant.chat.turns import Reply, Turn
from assistant.matching.models import MatchOut
from assistant.people.models import Goal, ParticipantOut, ParticipantUpdate, SkillLevel
from assistant.people.service import update_participant

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
MAX_GOALS = 10  # what a profile holds (people.models)
SHORT_ANSWER_WORDS = 4  # "Robin?" answers "which match"; a longer question asks something
CHANGE_HINT = (
    "Nothing is final until you accept it. Say “accept it” when it looks right, or ask me "
    "to change it: “make it 6 weeks”, “I only have 2 hours a month”, “focus on … first”."
)


def question(slot: Slot, skill: str | None, options: str = "") -> str:
    name = skill_name(skill or "")
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


BACK_TO_THE_PLAN = "Back to your plan: "


def question_line(text: str, slot: Slot) -> str:
    """The line of an assistant message that asks for `slot`, to ask it again after a
    side question (once: a question asked again after two side questions is not
    prefixed twice)."""
    line = next(line for line in text.splitlines() if asked_slot(line) == slot)
    return BACK_TO_THE_PLAN + line.removeprefix(BACK_TO_THE_PLAN)


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

    def value(self, slot: Slot) -> object:
        return {
            "goal": self.goal,
            "skill": self.skill,
            "horizon": self.horizon_weeks,
            "current_level": self.current_level,
            "target_level": self.target_level,
            "hours": self.hours_per_month,
            "match": self.match_hint,
        }[slot]

    @property
    def mentions_goal(self) -> bool:
        return any(
            v is not None
            for v in (self.skill, self.horizon_weeks, self.current_level, self.target_level)
        )


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


def says_a_slot(text: str) -> bool:
    """Whether a message gives the plan dialog a number or a skill ("I only have 2 hours a
    month" mid-dialog is an answer, though not to the question asked)."""
    said = read_answer(PlanSlots(), text, "match")
    return said.mentions_goal or said.hours_per_month is not None


def answers_the_question(text: str, asked: Slot) -> bool:
    return read_answer(PlanSlots(), text, asked).value(asked) is not None


def pick_match(caller: ChatCaller, matches: list[MatchOut], hint: str | None) -> MatchOut | None:
    """The one match a hint names (by a partner's name or the mode), or the only match."""
    if len(matches) == 1:
        return matches[0]
    if not hint:
        return None
    said = intents.words(hint)
    named = [m for m in matches if caller.names_partner(m, said) or set(m.mode.split("_")) <= said]
    return named[0] if len(named) == 1 else None


def answers_which_match(caller: ChatCaller, message: str) -> bool:
    """Any text is a candidate answer to "which match"; only one that names a match is,
    or the user could never ask anything else until they did. A real question ("how do
    I give feedback to a peer?") is a side question even when it mentions a partner."""
    asks = len(message.split()) > SHORT_ANSWER_WORDS and intents.is_question(message)
    return not asks and pick_match(caller, caller.working_matches(), message) is not None


def collect_slots(history: list[Turn]) -> PlanSlots:
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


def plan_dialog(caller: ChatCaller, history: list[Turn]) -> Reply:
    """The next step of the dialog: the next question, or the drafted plan."""
    matches = caller.working_matches()
    if not matches:
        return Reply(
            "You're not in an open match yet, and a plan belongs to a match with a "
            "mentor or peers. Program staff need to match you first; I'll let them "
            "do that, and I haven't changed anything. Meanwhile I can answer questions "
            "from the mentoring guidance: just ask.",
            "draft_plan",
        )
    slots = collect_slots(history)
    me = caller.me()
    # "Draft me a plan" with goals already in the profile: those goals are the plan.
    from_profile = slots.goal is None and not slots.mentions_goal and bool(me.goals)
    filled, notes = (slots, []) if from_profile else fill_from_profile(slots, me)
    for slot in () if from_profile else SLOT_ORDER:
        if slot != "match" and filled.value(slot) is None:
            return ask(slot, filled)
    match = pick_match(caller, matches, filled.match_hint)
    if match is None:
        options = " or ".join(
            f"your {m.mode.replace('_', '-')} match with {caller.others(m)}" for m in matches
        )
        return ask("match", filled, options=f"{options}? Say a name.")
    return draft(caller, me, filled, match, from_profile=from_profile, notes=notes)


def fill_from_profile(slots: PlanSlots, me: ParticipantOut) -> tuple[PlanSlots, list[str]]:
    """The slots the messages left open, from the profile, and what was taken from it."""
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
    # An unset or zero figure is asked for, never assumed.
    if slots.hours_per_month is None and me.hours_per_month:
        changes["hours_per_month"] = max(1, round(me.hours_per_month))
        notes.append("your hours a month")
    filled = replace(slots, **changes)
    if (
        filled.current_level is not None
        and filled.target_level is not None
        and filled.target_level <= filled.current_level
    ):
        filled = replace(filled, target_level=None)
    return filled, notes


def ask(slot: Slot, slots: PlanSlots, options: str = "") -> Reply:
    lead = ""
    if slot == "skill" and slots.goal:
        lead = f"Got it: “{slots.goal}”. "
    elif slot == "horizon" and slots.goal and slots.skill:
        lead = f"Got it: “{slots.goal}”, mainly {skill_name(slots.skill)}. "
    elif slot == "target_level" and slots.current_level is not None:
        lead = f"Noted: level {slots.current_level} today. "
        if slots.target_level is None and slots.current_level >= 5:
            lead += "That is already the top of the scale; "
    return Reply(lead + question(slot, slots.skill, options), "draft_plan")


def draft(
    caller: ChatCaller,
    me: ParticipantOut,
    slots: PlanSlots,
    match: MatchOut,
    *,
    from_profile: bool,
    notes: list[str],
) -> Reply:
    """Save the goal to the profile and draft the plan (or redraft the caller's plan in
    this match with the goal first), saying where every number came from."""
    actions: list[dict[str, Any]] = []
    lines: list[str] = []
    focus = ""
    if not from_profile:
        recorded = record_goal(caller, me, slots)
        goal, dropped = recorded.goal, recorded.dropped
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
        if recorded.replaced is None:
            saved = f"I saved your goal “{goal.text}” to your profile"
        elif recorded.kept_words:
            saved = f"Your goal “{goal.text}” already says this, so I kept its words"
        elif recorded.replaced == goal.text:
            saved = f"Your goal “{goal.text}” is already in your profile; I kept it"
        else:
            saved = f"I updated your goal “{recorded.replaced}” to “{goal.text}” in your profile"
        lines.append(
            f"{saved} (goal {goal.id}): "
            f"{skill_name(slots.skill or '')} from level {slots.current_level} to "
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
    existing = caller.own_plan_in(match.id)
    if existing is not None:
        instruction = f"focus on {focus} first" if focus else "redraft from my profile"
        revised = commands.revise_plan(
            caller, commands.RevisePlan(plan_id=existing, instruction=instruction)
        )
        out = revised.value
        actions.append(revised.action)
        lines.append(
            f"You already had plan {out.id} with {caller.others(match)}, so I redrafted it "
            f"as version {out.version} ({out.status}) with this goal first."
        )
    else:
        drafted = commands.draft_plan(caller, commands.DraftPlan(match_id=match.id, focus=focus))
        out = drafted.value
        actions.append(drafted.action)
        lines.append(
            f"I drafted plan {out.id} (version {out.version}, {out.status}) for your "
            f"{match.mode} match with {caller.others(match)}."
        )
    lines += ["", describe_plan(out), "", CHANGE_HINT]
    return Reply("\n".join(lines), "draft_plan", actions)


@dataclass(frozen=True)
class RecordedGoal:
    """The goal as saved, the text it replaced (None for a new goal), whether its own
    words were kept because the new ones said less, and the texts of goals that had to
    go to make room."""

    goal: Goal
    replaced: str | None
    dropped: list[str]
    kept_words: bool = False


# Words that only say "this skill, more of it": "get better at giving presentations"
# names the skill and nothing else, so it does not replace "present our team's work
# at the quarterly all-hands", the words the plan is built around.
_ONLY_MORE_TEXT = (
    "get better at in my more good improve improving learn develop grow work on be become "
    "a an the skills skill giving give doing do"
)
_ONLY_MORE = frozenset(_ONLY_MORE_TEXT.split())


def says_only_the_skill(text: str) -> bool:
    rest = text.lower()
    for skill in intents.skills_in(text):
        rest = intents.without_skill_words(rest, skill)
    return all(w in _ONLY_MORE for w in re.findall(r"[a-z'-]+", rest))


def same_goal(goals: list[Goal], slots: PlanSlots) -> Goal | None:
    """The profile goal a new statement of a goal updates: the same words, or the same
    skill and target level (one objective per goal: "get better at presenting" and
    "present at the all-hands", both to level 4, are one goal said twice)."""
    assert slots.goal is not None
    for goal in goals:
        if goal.text.casefold() == slots.goal.casefold():
            return goal
    return next(
        (g for g in goals if g.skills == [slots.skill] and g.target_level == slots.target_level),
        None,
    )


def record_goal(caller: ChatCaller, me: ParticipantOut, slots: PlanSlots) -> RecordedGoal:
    """Save the goal to the profile, updating the goal it restates rather than adding a
    second; a profile holds MAX_GOALS, so the oldest go to make room for a new one."""
    assert slots.goal and slots.skill and slots.current_level and slots.target_level
    assert slots.horizon_weeks and slots.hours_per_month
    same = same_goal(me.goals, slots)
    kept_words = same is not None and says_only_the_skill(slots.goal)
    text = same.text if same is not None and kept_words else slots.goal
    goal = Goal(
        id=same.id if same else None,
        text=text,
        skills=[slots.skill],
        target_level=slots.target_level,
        horizon_weeks=slots.horizon_weeks,
    )
    # An updated goal keeps its place; a new one goes last.
    goals = [goal if g is same else g for g in me.goals] if same else [*me.goals, goal]
    dropped = [g.text for g in goals[:-MAX_GOALS]]
    skills = [s for s in me.skills if s.skill != slots.skill]
    skills.append(SkillLevel(skill=slots.skill, level=slots.current_level))
    updated = update_participant(
        caller.db,
        actor=caller.actor,
        participant_id=me.id,
        data=ParticipantUpdate(
            goals=goals[-MAX_GOALS:], skills=skills, hours_per_month=slots.hours_per_month
        ),
    )
    saved = next(g for g in updated.goals if g.text == text)
    return RecordedGoal(
        goal=saved, replaced=same.text if same else None, dropped=dropped, kept_words=kept_words
    )
