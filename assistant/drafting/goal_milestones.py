"""The first offline drafter: one objective per goal, milestones spaced over its horizon.

Deliberately plain; the drafting issue replaces it with a composer grounded in the
retrieved guidance. It sits behind the same PlanDrafter seam, so nothing else changes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import timedelta

from assistant.drafting.wording import mode_label, plural
from assistant.errors import InvalidField
from assistant.people.models import Goal, ParticipantOut
from assistant.plans.models import Give, Milestone, Objective, PlanBody
from assistant.plans.service import DraftedPlan, PlanDraftRequest
from assistant.vocabulary import SKILL_LEVEL_NAMES, skill_name

PEER_MODES = frozenset({"peer", "group"})
TEACHING_LEVEL = 3  # a practitioner can show a peer how they do it


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2}


def focus_first(goals: list[Goal], focus: str) -> list[Goal]:
    """Goals that share words with the focus come first, otherwise the owner's order."""
    wanted = _words(focus)
    if not wanted:
        return goals

    def overlap(goal: Goal) -> int:
        return len(wanted & (_words(goal.text) | _words(" ".join(goal.skills))))

    return sorted(goals, key=overlap, reverse=True)


def skill_levels(person: ParticipantOut) -> dict[str, int]:
    return {s.skill: s.level for s in person.skills}


def _objective(goal: Goal, owner: ParticipantOut, request: PlanDraftRequest) -> Objective:
    skill = goal.skills[0]
    current = skill_levels(owner).get(skill, 1)
    target = max(goal.target_level, current)
    count = max(2, min(6, round(goal.horizon_weeks / 4)))
    span_days = goal.horizon_weeks * 7
    milestones: list[Milestone] = []
    for step in range(1, count + 1):
        due = request.starts_on + timedelta(days=math.ceil(span_days * step / count))
        if step == count:
            title = f"Show it: {goal.text}"
        else:
            level = current + math.ceil((target - current) * step / count)
            title = f"Working at level {level} ({SKILL_LEVEL_NAMES[level]}) in {skill_name(skill)}"
        milestones.append(Milestone(title=title[:200], due_date=due))
    return Objective(
        title=f"Grow {skill_name(skill)} from level {current} to {target}"[:200],
        goal=goal.text,
        goal_id=goal.id,
        skills=list(goal.skills),
        success_measures=[
            f"{skill_name(s).capitalize()} observed at level {target} by another member"
            for s in goal.skills
        ],
        milestones=milestones,
        activities=[],
    )


@dataclass(frozen=True)
class Teachable:
    """The owner can help another member with one of that member's goal skills."""

    other: ParticipantOut
    goal: Goal
    skill: str
    my_level: int
    their_level: int


def teachable(owner: ParticipantOut, others: list[ParticipantOut]) -> list[Teachable]:
    """The owner's strengths (practitioner or better, and ahead of the other) matched to
    the others' goals: what a peer plan's `gives` are made of."""
    mine = skill_levels(owner)
    found = []
    for other in others:
        theirs = skill_levels(other)
        for goal in other.goals:
            for skill in goal.skills:
                level, their_level = mine.get(skill, 0), theirs.get(skill, 1)
                if level >= TEACHING_LEVEL and level > their_level:
                    found.append(Teachable(other, goal, skill, level, their_level))
    return found


def _gives(owner: ParticipantOut, others: list[ParticipantOut]) -> list[Give]:
    return [
        Give(
            to_id=t.other.id,
            skill=t.skill,
            how=(
                f"Share how you work at level {t.my_level} in {skill_name(t.skill)}; "
                f"{t.other.name} aims for {t.goal.target_level}."
            ),
        )
        for t in teachable(owner, others)
    ]


class GoalMilestoneDrafter:
    name = "offline"

    def draft_plan(self, request: PlanDraftRequest) -> DraftedPlan:
        owner = request.owner
        if not owner.goals:
            raise InvalidField(
                ("body", "owner_id"),
                f"{owner.name} has no goals in their profile yet: add goals with "
                f"PATCH /v1/participants/{owner.id}, or send objectives to write the plan",
            )
        goals = focus_first(owner.goals, request.focus)
        objectives = [_objective(goal, owner, request) for goal in goals]
        gives = _gives(owner, request.others) if request.match.mode in PEER_MODES else []
        horizon = max(g.horizon_weeks for g in goals)
        summary = (
            f"{plural(len(objectives), 'objective')} for {owner.name} over {horizon} weeks in "
            f"a {mode_label(request.match.mode, len(request.others) + 1)}"
            + (f", focused on: {request.focus}" if request.focus else "")
            + "."
        )
        body = PlanBody(summary=summary, objectives=objectives, gives=gives, cadence=None)
        return DraftedPlan(body=body, drafter=self.name)
