"""Plans and milestones in words, as chat shows them: objectives, dated milestones,
activities with numbered sources, and the quoted guidance when a reader asks why."""

from __future__ import annotations

from datetime import date, datetime

from assistant.chat import intents
from assistant.chat.quotes import QUOTE_CHARS, content_words
from assistant.plans.models import PlanOut


def skill_name(slug: str) -> str:
    return slug.replace("_", " ")


def day(value: date | datetime) -> str:
    return f"{value:%a %d %b %Y}"


def plan_weeks_to_go(plan: PlanOut, today: date) -> int:
    """Weeks from today (or the plan's start, if later) to its last milestone: what a
    revision that finishes "within N weeks" counts from."""
    start = max(today, plan.starts_on)
    last = max((m.due_date for o in plan.objectives for m in o.milestones), default=start)
    return max(1, round((last - start).days / 7))


def milestone_named(plan: PlanOut, message: str) -> tuple[int, int] | None:
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
        f"(version {plan.version}): {milestone.title.rstrip('.')}, due {day(milestone.due_date)}"
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


def describe_plan(plan: PlanOut, *, quotes: bool = False) -> str:
    """The plan in words: objectives, dated milestones, activities with numbered sources.
    With `quotes`, each source's quoted guidance follows, so "why" has its answer."""
    numbers = {c.id: n for n, c in enumerate(plan.citations, start=1)}
    lines = [f"Plan {plan.id}, version {plan.version} ({plan.status}): {plan.summary}".rstrip()]
    for index, objective in enumerate(plan.objectives, start=1):
        skills = ", ".join(skill_name(s) for s in objective.skills)
        lines.append("")
        lines.append(f"Objective {index}: {objective.title}" + (f" ({skills})" if skills else ""))
        lines.append("Milestones:")
        for m_index, milestone in enumerate(objective.milestones, start=1):
            status = milestone.status.replace("_", " ")
            due = day(milestone.due_date)
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
            f"Rhythm: {plan.cadence.sessions_per_month} "
            f"{'session' if plan.cadence.sessions_per_month == 1 else 'sessions'} a month of "
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
