"""A plan as a page a mentee can read, print and bring to a session."""

from __future__ import annotations

from assistant.plans.models import Activity, Citation, PlanOut

STATUS_MARK = {
    "done": "[x]",
    "in_progress": "[~]",
    "blocked": "[!]",
    "dropped": "[-]",
    "not_started": "[ ]",
}


def plan_markdown(plan: PlanOut, names: dict[str, str]) -> str:
    numbers = citation_numbers(plan.citations)

    def marks(ids: list[str]) -> str:
        return citation_marks(ids, numbers)

    owner = names.get(plan.owner_id, "")
    lines = [
        f"# Development plan: {owner}",
        "",
        f"Version {plan.version} ({plan.status}) · starts {plan.starts_on.isoformat()}"
        + (
            f" · {plan.cadence.sessions_per_month} "
            f"session{'s' if plan.cadence.sessions_per_month != 1 else ''} a month of "
            f"{plan.cadence.minutes} minutes, {plan.cadence.format}"
            if plan.cadence
            else ""
        ),
        "",
    ]
    if plan.summary:
        lines += [plan.summary, ""]

    for n, objective in enumerate(plan.objectives, start=1):
        lines += [f"## {n}. {objective.title}", "", f"Goal: {objective.goal}", ""]
        lines += ["### Milestones", ""]
        lines += [
            f"- {STATUS_MARK[m.status]} {m.due_date.isoformat()}: {m.title}"
            for m in objective.milestones
        ]
        lines.append("")
        if objective.activities:
            lines += ["### What to do", ""]
            lines += [
                f"- ({a.kind}{_when(a)}) {a.description}{marks(a.citation_ids)}"
                for a in objective.activities
            ]
            lines.append("")
        if objective.success_measures:
            lines += ["### How you will know", ""]
            lines += [f"- {measure}" for measure in objective.success_measures]
            lines.append("")
    if plan.gives:
        lines += [f"## What {owner} offers the others", ""]
        lines += [
            f"- To {names.get(g.to_id, 'a member')}, in {g.skill.replace('_', ' ')}: {g.how}"
            for g in plan.gives
        ]
        lines.append("")
    lines += closing_sections("Notes on this version", plan.remarks, plan.citations, plan.drafter)
    return "\n".join(lines) + "\n"


def minutes_text(minutes: float) -> str:
    """'45 min', '2 h', '3 h 10 min': how a person writes a duration."""
    hours, rest = divmod(round(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _when(activity: Activity) -> str:
    """When and how long, as a mentee plans a week: 'from 2027-03-01, 1 h 27 min a month'."""
    parts = []
    if activity.starts_on is not None:
        parts.append(f"from {activity.starts_on.isoformat()}")
    stated = activity.description.rstrip(". ").endswith(")")  # the guidance gives its cost
    if activity.minutes_per_month and not stated:
        every = " a month" if activity.recurring else ", once"
        parts.append(f"{minutes_text(activity.minutes_per_month)}{every}")
    return (", " + ", ".join(parts)) if parts else ""


def citation_numbers(citations: list[Citation]) -> dict[str, int]:
    """Citations numbered in order, as a printed page refers to them: [1], [2], ..."""
    return {c.id: n for n, c in enumerate(citations, start=1)}


def citation_marks(ids: list[str], numbers: dict[str, int]) -> str:
    found = "".join(f"[{numbers[i]}]" for i in ids if i in numbers)
    return f" {found}" if found else ""


def closing_sections(
    remarks_heading: str, remarks: list[str], citations: list[Citation], drafter: str
) -> list[str]:
    """The end of every exported draft: what the drafter wants known, the numbered
    sources with a short quote each, and what wrote it."""
    lines: list[str] = []
    if remarks:
        lines += [f"## {remarks_heading}", ""] + [f"- {r}" for r in remarks] + [""]
    if citations:
        numbers = citation_numbers(citations)
        lines += ["## Sources", ""]
        for citation in citations:
            quote = " ".join(citation.quote.split())
            quote = quote if len(quote) <= 200 else quote[:199].rsplit(" ", 1)[0] + "…"
            lines.append(f"{numbers[citation.id]}. {citation.title} ({citation.source}): “{quote}”")
        lines.append("")
    lines.append(f"_Drafter: {drafter}._")
    return lines
