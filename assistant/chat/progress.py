"""Logging progress on a milestone of the caller's plan, named by position or words."""

from __future__ import annotations

from assistant.chat import commands, intents
from assistant.chat.caller import ChatCaller
from assistant.chat.describe import day
from assistant.chat.plan_changes import no_plan
from assistant.chat.quotes import content_words
from assistant.chat.turns import Reply
from assistant.plans.models import Milestone


def milestone_meant(milestones: list[Milestone], message: str) -> Milestone | None:
    """The milestone a message names: "the second milestone", "milestone 2", quoted
    words of its title, or enough of its title's words to tell it from the others."""
    pointer = intents.milestone_pointer(message)
    if pointer.index is not None and -len(milestones) <= pointer.index < len(milestones):
        return milestones[pointer.index]
    said = content_words(pointer.quoted or message)
    scored = sorted(
        ((len(said & content_words(m.title)), i) for i, m in enumerate(milestones)),
        reverse=True,
    )
    if scored and scored[0][0] >= 2 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return milestones[scored[0][1]]
    return None


def log_progress(caller: ChatCaller, message: str) -> Reply:
    plan = caller.newest_own_plan(message)
    if plan is None:
        return no_plan("log_progress")
    milestones = [m for o in plan.objectives for m in o.milestones]
    chosen = milestone_meant(milestones, message)
    if chosen is None or chosen.id is None:
        listing = "\n".join(
            f"{i}. {m.title} (due {day(m.due_date)}, {m.status.replace('_', ' ')})"
            for i, m in enumerate(milestones, start=1)
        )
        return Reply(
            f"Which milestone of plan {plan.id} do you mean? Say for example “I finished "
            f"milestone 2”. Nothing is logged yet.\n\n{listing}",
            "log_progress",
        )
    status = intents.milestone_status_in(message)
    if chosen.status == status:
        return Reply(
            f"Milestone “{chosen.title}” of plan {plan.id} is already "
            f"{status.replace('_', ' ')}, so I logged nothing. Did you mean another one? "
            "Say its number, for example “I finished milestone 2”.",
            "log_progress",
        )
    logged = commands.log_progress(
        caller,
        commands.LogProgress(
            plan_id=plan.id,
            milestone_id=chosen.id,
            status=status,
            note=f"Logged in chat: {message}",
        ),
    )
    progress = logged.value
    return Reply(
        f"Logged: milestone “{chosen.title}” of plan {plan.id} is now "
        f"{status.replace('_', ' ')} (was {progress.previous_status.replace('_', ' ')}); "
        f"progress entry {progress.id}.",
        "log_progress",
        [logged.action],
    )
