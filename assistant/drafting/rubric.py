"""The rubric a draft must pass to be usable without rework, as checks that name what is
wrong. One definition for three readers: the model guard (a model's draft that fails goes
back for one repair round, then the composer's is used), `tandem eval drafting`, and the
tests that keep the offline composer honest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from assistant.drafting.models import AgendaItem, PrepTask
from assistant.drafting.wording import unquoted, wording_problems
from assistant.plans.load import planned_minutes_per_month
from assistant.plans.models import PlanBody

PEER_MODES = frozenset({"peer", "group"})
OWN_TIME_KINDS = frozenset({"deep_dive", "debrief"})


def own_time(items: Sequence[AgendaItem]) -> dict[str, int]:
    """Minutes each member has for their own work: their deep dive and any debrief of
    theirs (an item is theirs by `for_id`, or by who leads it when that is unset)."""
    minutes: dict[str, int] = {}
    for item in items:
        if item.kind in OWN_TIME_KINDS:
            whose = item.for_id or item.lead_id
            if whose is not None:
                minutes[whose] = minutes.get(whose, 0) + item.minutes
    return minutes


def own_time_problems(items: Sequence[AgendaItem], mode: str, learners: Iterable[str]) -> list[str]:
    """In peer and group sessions every learner's own time is the same, to the minute."""
    if mode not in PEER_MODES:
        return []
    minutes = own_time(items)
    wanted = list(learners)
    shares = {who: minutes.get(who, 0) for who in wanted}
    if len(set(shares.values())) > 1:
        listed = ", ".join(f"{who}: {m} min" for who, m in shares.items())
        return [f"own time differs between members ({listed}); give each the same minutes"]
    return []


def wording_issues(texts: Iterable[tuple[str, str]], mode: str, group_size: int) -> list[str]:
    """Words from another mode in what the drafter wrote (members' quoted words aside)."""
    return [
        f"{where}: {problem}"
        for where, text in texts
        for problem in wording_problems(unquoted(text), mode, group_size)
    ]


def agenda_texts(items: Sequence[AgendaItem], prep: Sequence[PrepTask]) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        if item.kind in ("talking_points", "question"):
            continue  # members' own words, quoted as written
        texts += [(f"items.{index}.title", item.title), (f"items.{index}.detail", item.detail)]
    texts += [(f"prep.{index}", task.task) for index, task in enumerate(prep)]
    return texts


def plan_texts(body: PlanBody) -> list[tuple[str, str]]:
    texts = [("summary", body.summary)]
    for o, objective in enumerate(body.objectives):
        at = f"objectives.{o}"
        texts.append((f"{at}.title", objective.title))
        texts += [(f"{at}.success_measures", t) for t in objective.success_measures]
        texts += [(f"{at}.milestones.{i}", m.title) for i, m in enumerate(objective.milestones)]
        texts += [
            (f"{at}.activities.{i}", a.description) for i, a in enumerate(objective.activities)
        ]
    texts += [(f"gives.{i}.how", g.how) for i, g in enumerate(body.gives)]
    return texts


def budget_problems(body: PlanBody, starts_on: date) -> list[str]:
    """Sessions plus the busiest month's activities within the owner's time."""
    budget = body.budget_minutes_per_month
    if budget is None:
        return []
    planned = planned_minutes_per_month(body, starts_on)
    floor = body.cadence.minutes if body.cadence else 0  # one short session is the least
    if planned > max(budget, floor):
        return [f"the plan asks {planned} minutes a month, more than the owner's {budget}"]
    return []
