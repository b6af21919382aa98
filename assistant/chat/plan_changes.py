"""Explaining, revising and accepting the caller's own plan, and answering questions
about accepting it without accepting anything."""

from __future__ import annotations

import re

from assistant.chat import commands, intents
from assistant.chat.caller import ChatCaller
from assistant.chat.describe import (
    day,
    describe_milestone,
    describe_plan,
    hours,
    milestone_named,
    plan_weeks_to_go,
)
from assistant.chat.plan_dialog import plan_dialog
from assistant.chat.turns import Reply, Turn
from assistant.plans.instructions import INSTRUCTION_HELP, read_instruction
from assistant.plans.models import PlanOut

# "Fewer hours", and the load in everyday words ("that's a lot", "too much", "lighter"):
# ask for less time a month and keep the horizon. (Interim: the plan service's own
# reading of these words replaces this once it understands them.)
LOWER_THE_LOAD = re.compile(
    r"\b(fewer|less) (hours|time)\b|\b(a lot|a bit much|too much|overwhelming|too heavy"
    r"|too intense|too demanding|lighter|less intense|less demanding|less work|lower the load"
    r"|ease off|cut (it|this|that) down)\b"
)


def no_plan(intent: str) -> Reply:
    return Reply(
        "You don't have a plan of your own yet. Tell me what you'd like to achieve (“I "
        "want to get better at public speaking”) and I'll draft one.",
        intent,
    )


def explain(caller: ChatCaller, message: str) -> Reply:
    plan = caller.newest_own_plan(message)
    if plan is None:
        return no_plan("explain")
    part = milestone_named(plan, message)
    if part is None:
        return Reply(describe_plan(plan, quotes=True), "explain")
    return Reply(describe_milestone(plan, *part), "explain")


def revise(caller: ChatCaller, message: str, history: list[Turn]) -> Reply:
    plan = caller.newest_own_plan(message)
    if plan is None:
        if intents.classify(message) == "revise" and intents.goal_text(message):
            return plan_dialog(caller, history)
        return no_plan("revise")
    instruction, understood = revision_instruction(caller, message, plan)
    if not understood:
        return Reply(
            f"I couldn't tell what to change in plan {plan.id}, so I changed nothing. "
            f"{INSTRUCTION_HELP}",
            "revise",
        )
    revised = commands.revise_plan(
        caller, commands.RevisePlan(plan_id=plan.id, instruction=instruction)
    )
    out = revised.value
    remarks = " ".join(out.remarks[:2])
    text = (
        f"I revised plan {out.id}: version {out.version} ({out.status}) {understood}. "
        f"{remarks}\n\n{describe_plan(out)}\n\nSay “accept it” when it looks right."
    )
    return Reply(text, "revise", [revised.action])


def revision_instruction(caller: ChatCaller, message: str, plan: PlanOut) -> tuple[str, str]:
    """The user's words as an instruction the plan service reads, and what it says in
    words ("" when nothing was understood, so nothing is revised)."""
    lowered = message.lower()
    parts: list[str] = []
    said: list[str] = []
    weeks = intents.horizon_in(message)
    span = plan_weeks_to_go(plan, caller.services.clock.today())
    if weeks is None and re.search(r"\b(shorter|quicker|faster|sooner)\b", lowered):
        weeks = max(2, round(span / 2))
        said.append(f"halving its length from {span} to {weeks} weeks")
    elif weeks is None and re.search(r"\b(longer|slower|more time|later)\b", lowered):
        weeks = min(intents.MAX_HORIZON_WEEKS, span * 2)
        said.append(f"doubling its length from {span} to {weeks} weeks")
    elif weeks is not None:
        said.append(f"finishing within {weeks} weeks")
    per_month = intents.hours_in(message)
    if per_month is None and LOWER_THE_LOAD.search(lowered):
        current = max(1, round(caller.me().hours_per_month))
        per_month = max(1, current // 2)
        said.append(f"halving your time from {current} to {hours(per_month)} a month")
    elif per_month is not None:
        said.append(f"planning for {hours(per_month)} a month")
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
    if per_month is None and earlier.hours_per_month is not None:
        per_month = earlier.hours_per_month
        kept.append(f"{hours(per_month)} a month")
    if focus is None and earlier.focus:
        focus = earlier.focus
        kept.append(f"“{focus}” first")
    if weeks is not None:
        parts.append(f"finish in {weeks} weeks")
    if per_month is not None:
        parts.append(f"I only have {per_month} hours a month")
    if focus:
        parts.append(f"focus on {focus} first")
    if said and kept:
        said.append(f"keeping {' and '.join(kept)} from before")
    return "; ".join(parts), ", ".join(said)


def accept(caller: ChatCaller, message: str) -> Reply:
    plan = caller.newest_own_plan(message)
    if plan is None:
        return no_plan("accept")
    if plan.status == "active" and plan.version == plan.latest_version:
        return Reply(
            f"Version {plan.version} of plan {plan.id} is already active; nothing changed.",
            "accept",
        )
    accepted = commands.accept_plan(caller, commands.AcceptPlan(plan_id=plan.id))
    out = accepted.value
    milestones = [m for o in out.objectives for m in o.milestones]
    number, first = next(
        ((n, m) for n, m in enumerate(milestones, start=1) if m.status != "done"), (0, None)
    )
    # Named by its number: "the first milestone" would be the first in the list, which
    # may be done already.
    follow = (
        f" Your next milestone is number {number}, “{first.title}”, due "
        f"{day(first.due_date)}; tell me when you've done it (“I finished milestone {number}”)."
        if first
        else ""
    )
    return Reply(
        f"Accepted: plan {out.id} version {out.version} is now active, and "
        f"your match can see it.{follow}",
        "accept",
        [accepted.action],
    )


def hold(caller: ChatCaller) -> Reply:
    """A question about accepting, or a "not yet": what accepting means, nothing done."""
    plan = caller.newest_own_plan()
    which = f" Plan {plan.id} stays at version {plan.version} ({plan.status})." if plan else ""
    return Reply(
        "I haven't accepted anything." + which + " Accepting makes a plan's newest "
        "version the active one your match works from; say “accept it” when it looks "
        "right, or ask me to change it first (“make it 6 weeks”, “focus on … first”).",
        "hold",
    )


def no_change(caller: ChatCaller) -> Reply:
    """ "Don't make it shorter": say what stays, change nothing."""
    plan = caller.newest_own_plan()
    which = (
        f" Plan {plan.id} stays at version {plan.version} ({plan.status})."
        if plan
        else " You don't have a plan of your own yet."
    )
    return Reply("All right, I've changed nothing." + which, "no_change")
