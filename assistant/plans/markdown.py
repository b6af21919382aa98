"""A plan as a page a mentee can read, print and bring to a session."""

from __future__ import annotations

from assistant.plans.models import PlanOut

STATUS_MARK = {
    "done": "[x]",
    "in_progress": "[~]",
    "blocked": "[!]",
    "dropped": "[-]",
    "not_started": "[ ]",
}


def plan_markdown(plan: PlanOut, names: dict[str, str]) -> str:
    numbers = {c.id: n for n, c in enumerate(plan.citations, start=1)}

    def marks(ids: list[str]) -> str:
        found = "".join(f"[{numbers[i]}]" for i in ids if i in numbers)
        return f" {found}" if found else ""

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
                f"- ({a.kind}) {a.description}{marks(a.citation_ids)}" for a in objective.activities
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
    if plan.remarks:
        lines += ["## Notes on this version", ""] + [f"- {r}" for r in plan.remarks] + [""]
    if plan.citations:
        lines += ["## Sources", ""]
        for citation in plan.citations:
            quote = " ".join(citation.quote.split())
            quote = quote if len(quote) <= 200 else quote[:199].rsplit(" ", 1)[0] + "…"
            lines.append(f"{numbers[citation.id]}. {citation.title} ({citation.source}): “{quote}”")
        lines.append("")
    lines.append(f"_Drafter: {plan.drafter}._")
    return "\n".join(lines) + "\n"
