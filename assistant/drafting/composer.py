"""The offline composer: development plans written from the owner's goals, skill gaps and
the skill playbooks, every activity cited, shaped by the match's mode. Deterministic and
local: the same profile, match and guidance always give the same plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

from assistant.drafting.goal_milestones import (
    GoalMilestoneDrafter,
    focus_first,
    skill_levels,
    teachable,
)
from assistant.drafting.playbooks import Cited, Playbook, PlaybookLibrary
from assistant.people.models import Goal, ParticipantOut
from assistant.plans.models import Activity, Citation, Give, Milestone, Objective, PlanBody
from assistant.plans.service import DAYS_PER_MONTH, DraftedPlan, PlanDraftRequest
from assistant.vocabulary import SKILL_LEVEL_NAMES

SPRINT_WEEKS = 4  # goals this short get weekly milestones
HOURS_PER_ACTIVITY = 1.5  # a rough cost of one playbook activity, for the hours budget
PEER_MODES = frozenset({"peer", "group"})


def _skill_name(slug: str) -> str:
    return slug.replace("_", " ")


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


@dataclass
class _Citations:
    """Collects what a plan cites: one citation per chunk, quoting the parts used."""

    by_id: dict[str, Citation] = field(default_factory=dict)

    def cite(self, piece: Cited) -> str:
        existing = self.by_id.get(piece.chunk_id)
        if existing is None:
            self.by_id[piece.chunk_id] = Citation(
                id=piece.chunk_id, source=piece.source, title=piece.title, quote=piece.text
            )
        elif piece.text not in existing.quote:
            quote = f"{existing.quote}\n{piece.text}"[:20_000]
            self.by_id[piece.chunk_id] = existing.model_copy(update={"quote": quote})
        return piece.chunk_id


class ComposerDrafter:
    name = "offline"

    def __init__(self, library: PlaybookLibrary, fallback: GoalMilestoneDrafter | None = None):
        self._library = library
        self._fallback = fallback or GoalMilestoneDrafter()

    def draft_plan(self, request: PlanDraftRequest) -> DraftedPlan:
        owner = request.owner
        goals = focus_first(owner.goals, request.focus)
        if not goals:
            return self._fallback.draft_plan(request)  # raises the "no goals" 422
        try:
            books: dict[str, Playbook | None] = {
                s: self._library.playbook(s) for g in goals for s in g.skills
            }
        except Exception as exc:  # the index is down: a plain plan, and say so
            return self._fell_back(request, f"guidance unavailable: {type(exc).__name__}")
        if not any(books.values()):
            return self._fell_back(request, "no skill playbooks in the guidance index")

        citations = _Citations()
        mode = request.match.mode
        if mode == "flash":
            goals = goals[:1]  # one question per flash relationship
        objectives = [
            self._objective(goal, owner, request, books.get(goal.skills[0]), citations)
            for goal in goals
        ]
        gives = _gives(owner, request.others, books, self._library) if mode in PEER_MODES else []
        body = PlanBody(
            summary=_summary(owner, goals, mode, request.focus),
            objectives=objectives,
            gives=gives,
            citations=sorted(citations.by_id.values(), key=lambda c: c.id),
        )
        return DraftedPlan(body=body, drafter=self.name)

    def _fell_back(self, request: PlanDraftRequest, reason: str) -> DraftedPlan:
        drafted = self._fallback.draft_plan(request)
        return DraftedPlan(body=drafted.body, drafter=f"offline (fallback: {reason})")

    def _objective(
        self,
        goal: Goal,
        owner: ParticipantOut,
        request: PlanDraftRequest,
        book: Playbook | None,
        citations: _Citations,
    ) -> Objective:
        skill = goal.skills[0]
        current = skill_levels(owner).get(skill, 1)
        target = max(goal.target_level, min(current + 1, 5))
        if book is None:
            return self._fallback_objective(goal, owner, request)
        steps = book.steps(current, target) or [min(max(current, 1), 4)]
        mode = request.match.mode
        span_days = 14 if mode == "flash" else goal.horizon_weeks * 7
        milestones = _milestones(book, steps, target, goal, request, span_days)
        activities = _activities(book, steps, owner, goal, mode, citations)
        measures = [_short(e.text, 2000) for e in book.evidence[:2]]
        if target in book.levels:
            level_text = _first_sentence(book.levels[target].text)
            measures.append(
                _short(
                    f"Working at level {target} ({SKILL_LEVEL_NAMES[target]}): {level_text}", 2000
                )
            )
            citations.cite(book.levels[target])
        for evidence in book.evidence[:2]:
            citations.cite(evidence)
        return Objective(
            title=_short(
                f"{_skill_name(skill).capitalize()}: from {SKILL_LEVEL_NAMES[current]} ({current}) "
                f"to {SKILL_LEVEL_NAMES[target]} ({target})"
            ),
            goal=goal.text,
            goal_id=goal.id,
            skills=list(goal.skills),
            success_measures=measures,
            milestones=milestones,
            activities=activities,
        )

    def _fallback_objective(
        self, goal: Goal, owner: ParticipantOut, request: PlanDraftRequest
    ) -> Objective:
        single = ParticipantOut.model_validate({**owner.model_dump(), "goals": [goal.model_dump()]})
        drafted = self._fallback.draft_plan(
            PlanDraftRequest(
                match=request.match,
                owner=single,
                others=request.others,
                focus="",
                starts_on=request.starts_on,
            )
        )
        return drafted.body.objectives[0]


def _session_days(request: PlanDraftRequest) -> float:
    per_month = request.match.cadence.sessions_per_month
    return DAYS_PER_MONTH / max(per_month, 1)


def _on_or_after_session(start: date, day: int, interval: float, limit: int) -> date:
    """The first session date at or after `day` days in, never past the horizon: a
    milestone falls due when the pair next meets to look at it."""
    sessions_in = math.ceil(day / interval)
    return start + timedelta(days=min(limit, max(1, round(sessions_in * interval))))


def _milestones(
    book: Playbook,
    steps: list[int],
    target: int,
    goal: Goal,
    request: PlanDraftRequest,
    span_days: int,
) -> list[Milestone]:
    reached = [b for level in steps for b in book.milestones.get(level + 1, [])[:1]]
    if not reached:
        reached = book.milestones.get(target, [])[:1]
    titles = [b.text for b in reached]
    weeks = span_days // 7
    if request.match.mode != "flash" and weeks <= SPRINT_WEEKS:
        # A skill sprint: one checkpoint a week, the last one the goal itself.
        extra = [b.text for level in steps for b in book.milestones.get(level + 1, [])[1:]]
        titles = (titles + extra)[: weeks - 1]
        while len(titles) < weeks - 1:
            titles.append(f"Week {len(titles) + 1} practice reviewed together")
        dues = [request.starts_on + timedelta(weeks=w) for w in range(1, weeks + 1)]
    else:
        interval = _session_days(request)
        count = len(titles) + 1
        dues = [
            _on_or_after_session(
                request.starts_on, span_days * n // count, interval, span_days - (count - n)
            )
            for n in range(1, count)
        ] + [request.starts_on + timedelta(days=span_days)]
    if request.match.mode == "flash":
        titles = [f"Bring one question on {_skill_name(goal.skills[0])} to the flash session"]
        dues = [request.starts_on + timedelta(days=7), request.starts_on + timedelta(days=14)]
        final = "Follow-up: report back on the one step you agreed to try"
    else:
        final = f"Show it: {goal.text}"
    titles = [*titles, final]
    # Keep dates strictly in order even when two land on the same session.
    result: list[Milestone] = []
    previous = request.starts_on
    for title, due in zip(titles, dues, strict=False):
        due = max(due, previous + timedelta(days=1))
        result.append(Milestone(title=_short(title), due_date=due))
        previous = due
    return result


def _activities(
    book: Playbook,
    steps: list[int],
    owner: ParticipantOut,
    goal: Goal,
    mode: str,
    citations: _Citations,
) -> list[Activity]:
    hours = owner.hours_per_month * goal.horizon_weeks / (DAYS_PER_MONTH / 7)
    budget = max(2, min(8, round(hours / HOURS_PER_ACTIVITY)))
    if mode == "flash":
        budget = 1
    chosen: list[Cited] = []
    for level in steps:
        bullets = book.practice.get(level, [])
        # Observe-then-debrief first where the playbook offers it: it is the cheapest
        # way to see what good looks like before practising it.
        chosen += [b for b in bullets if b.is_shadowing] + [
            b for b in bullets if not b.is_shadowing
        ]
    if mode == "flash":
        # One question, one step to try: a practice step, not an hour of shadowing.
        chosen = [b for b in chosen if not b.is_shadowing] or chosen
    chosen = chosen[:budget]
    activities = [
        Activity(
            description=_short(b.text, 2000),
            kind="shadowing" if b.is_shadowing else "practice",
            citation_ids=[citations.cite(b)],
        )
        for b in chosen
    ]
    support = {
        "mentor": book.mentor_help,
        "near_peer": book.mentor_help,
        "reverse": book.mentor_help,
        "peer": book.peer_help,
        "group": book.peer_help,
    }.get(mode, [])
    if support:
        kind = "feedback" if mode in PEER_MODES else "session"
        helper = {
            "mentor": "your mentor",
            "near_peer": "your mentor",
            "reverse": "the colleague teaching you",
            "peer": "your peer",
            "group": "your group",
        }[mode]
        activities.append(
            Activity(
                description=_short(f"How {helper} helps: {support[0].text}", 2000),
                kind=kind,
                citation_ids=[citations.cite(support[0])],
            )
        )
    return activities


def _gives(
    owner: ParticipantOut,
    others: list[ParticipantOut],
    books: dict[str, Playbook | None],
    library: PlaybookLibrary,
) -> list[Give]:
    """What the owner offers each other member: the owner's strengths matched to the
    other's goals, in the words of that skill's peer guidance."""
    gives: list[Give] = []
    for t in teachable(owner, others):
        book = books.get(t.skill) or library.playbook(t.skill)
        tip = book.peer_help[0].text if book and book.peer_help else ""
        gives.append(
            Give(
                to_id=t.other.id,
                skill=t.skill,
                how=_short(
                    f"You are at level {t.my_level} in {_skill_name(t.skill)}; {t.other.name} "
                    f"is at {t.their_level} and aims for {t.goal.target_level}. {tip}",
                    2000,
                ),
            )
        )
    return gives


def _summary(owner: ParticipantOut, goals: list[Goal], mode: str, focus: str) -> str:
    levels = skill_levels(owner)
    parts = [
        f"{_skill_name(g.skills[0])} {levels.get(g.skills[0], 1)}→{g.target_level} "
        f"in {g.horizon_weeks} weeks"
        for g in goals
    ]
    rhythm = {
        "mentor": "scheduled sessions with structured feedback from the mentor",
        "near_peer": "regular sessions with advice from recent experience",
        "reverse": "sessions led by the junior member on their expertise",
        "peer": "frequent informal check-ins with feedback both ways",
        "group": "group sessions with rotating focus and shared accountability",
        "flash": "one focused session on a single question, then a follow-up",
    }[mode]
    lead = f"Plan for {owner.name}: " + "; ".join(parts) + f". Rhythm: {rhythm}."
    return _short(lead + (f" Focus: {focus}." if focus else ""), 4000)
