"""Explaining, revising and accepting the caller's own plan, and answering questions
about accepting it without accepting anything."""

from __future__ import annotations

import re
from dataclasses import replace

from assistant.chat import commands, intents
from assistant.chat.caller import ChatCaller
from assistant.chat.describe import (
    day,
    describe_milestone,
    describe_plan,
    milestone_named,
    plan_weeks_to_go,
)
from assistant.chat.plan_dialog import plan_dialog
from assistant.chat.turns import Reply, Turn
from assistant.plans.instructions import INSTRUCTION_HELP, hours_phrase, read_instruction
from assistant.plans.models import PlanOut

# Words the plan service does not read, said in its words: "longer" without a number
# (twice the weeks to go), other words for a lighter month, and "prioritise X".
LONGER = re.compile(r"\b(longer|slower|more time|later)\b")
ALSO_LIGHTER = re.compile(
    r"\b(less (intense|demanding)|a bit much|lower the load|not so (much|intense))\b"
)
PRIORITISE = re.compile(r"\bprioriti[sz]e\s+(?P<what>[^.;,!?]+)", re.IGNORECASE)


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
    # The service's remarks say what the change did (what a lighter month or a shorter
    # plan came to); its "Applied your instruction" line repeats what is said above.
    effects = [r for r in out.remarks if not r.startswith("Applied your instruction")][:2]
    text = (
        f"I revised plan {out.id}: version {out.version} ({out.status}), {understood}. "
        f"{' '.join(effects)}\n\n{describe_plan(out)}\n\nSay “accept it” when it looks right."
    )
    return Reply(text, "revise", [revised.action])


def revision_instruction(caller: ChatCaller, message: str, plan: PlanOut) -> tuple[str, str]:
    """The instruction the plan service redrafts from, and what it says in words ("" when
    nothing was understood, so nothing is revised).

    The instruction is the person's own words ("that's a lot, can you make it
    shorter?"), which the plan service reads (lighter, shorter, N hours, N weeks, focus),
    followed by what earlier revisions asked for and this message does not change: each
    revision is redrafted from the profile, so without it "I only have 2 hours a month"
    would undo "make it 6 weeks". An earlier "lighter" or "shorter" is carried as the
    hours or weeks it came to, so it is not applied twice.
    """
    words = " ".join(message.split())
    said = read_instruction(words)
    understood = list(said.understood)
    extra: list[str] = []
    weeks_said = intents.horizon_in(words)  # "make it 6 weeks", without "in"
    if said.horizon_weeks is None and weeks_said is not None:
        extra.append(f"finish in {weeks_said} weeks")
        understood.append(f"every goal finishes within {weeks_said} weeks")
    elif said.horizon_weeks is None and not said.shorter and LONGER.search(words.lower()):
        to_go = plan_weeks_to_go(plan, caller.services.clock.today())
        longer = min(intents.MAX_HORIZON_WEEKS, to_go * 2)
        extra.append(f"finish in {longer} weeks")
        understood.append(f"twice the time: {longer} weeks instead of {to_go}")
    if not said.lighter and said.hours_per_month is None and ALSO_LIGHTER.search(words.lower()):
        extra.append("make it lighter")
        understood.append("a lighter month")
        said = replace(said, lighter=True)
    if said.focus is None and (prioritise := PRIORITISE.search(words)):
        what = prioritise.group("what").strip().removesuffix(" first")
        extra.append(f"focus on {what} first")
        understood.append(f"“{what}” comes first")
        said = replace(said, focus=what)
    if not understood:
        return "", ""
    earlier = read_instruction(plan.instruction)
    kept: list[str] = []
    sets_weeks = said.horizon_weeks is not None or said.shorter or bool(extra)
    if not sets_weeks and (earlier.horizon_weeks is not None or earlier.shorter):
        weeks = earlier.horizon_weeks or plan_weeks_to_go(plan, caller.services.clock.today())
        extra.append(f"finish in {weeks} weeks")
        kept.append(f"{weeks} weeks")
    sets_hours = said.hours_per_month is not None or said.lighter
    budget = plan.budget_minutes_per_month
    if not sets_hours and earlier.hours_per_month is not None:
        extra.append(f"I only have {earlier.hours_per_month} hours a month")
        kept.append(f"{hours_phrase(earlier.hours_per_month)} a month")
    elif not sets_hours and earlier.lighter and budget:
        per_month = max(1, round(budget / 60))
        extra.append(f"I only have {per_month} hours a month")
        kept.append(f"{hours_phrase(per_month)} a month")
    if said.focus is None and earlier.focus:
        extra.append(f"focus on {earlier.focus} first")
        kept.append(f"“{earlier.focus}” first")
    if kept:
        understood.append(f"keeping {' and '.join(kept)} from before")
    return "; ".join([words, *extra]), "; ".join(understood)


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
