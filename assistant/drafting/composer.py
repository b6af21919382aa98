"""The offline composer: development plans written from the owner's own words, skill gaps
and the skill playbooks, fitted to the owner's month, every activity cited, shaped by the
match's mode. Deterministic and local: the same profile, match and guidance always give
the same plan.

How a plan is made:
1. Sessions: the match's rhythm, or fewer or shorter sessions when it would take more
   than a share of the owner's hours (time_budget.fit_sessions).
2. Milestones: a small first step two to three weeks out, one observable milestone per
   level to climb (in level order), and the goal itself as the capstone, dated by the
   event the goal names when it names a month.
3. Activities: the playbook's practice lines for those levels, ranked against the goal's
   words; the one that meets a difficulty the person names comes first. They are taken
   in that order while the plan's busiest month still fits, and what did not fit is said.
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
from assistant.drafting.relevance import Event, Ranker, difficulty_in, event_in
from assistant.drafting.time_budget import activity_cost, fit_sessions
from assistant.drafting.wording import adapt, helper_phrase, plural
from assistant.people.models import Goal, ParticipantOut, planning_hours
from assistant.plans.instructions import hours_phrase
from assistant.plans.load import month_loads, plan_end
from assistant.plans.markdown import minutes_text
from assistant.plans.models import (
    Activity,
    Citation,
    Give,
    Milestone,
    Objective,
    PlanBody,
    PlanCadence,
)
from assistant.plans.service import (
    CADENCE_FORMATS,
    DAYS_PER_MONTH,
    DraftedPlan,
    PlanDraftRequest,
)
from assistant.vocabulary import SKILL_LEVEL_NAMES, skill_name

SPRINT_WEEKS = 4  # goals this short get weekly milestones
PEER_MODES = frozenset({"peer", "group"})
MAX_ACTIVITIES_PER_OBJECTIVE = 6
FIRST_STEP_DAYS = (14, 21)  # the first milestone: soon enough to start tomorrow
OPENER = "First step: try the first practice below and talk it through in a session"


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _first_sentence(text: str) -> str:
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _without_cost(text: str) -> str:
    """A practice line without its bracketed cost, for a milestone title."""
    head = text.rsplit(" (", 1)[0] if text.rstrip(". ").endswith(")") else text
    return head.rstrip(" .")


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


@dataclass(eq=False)  # compared by identity: two lines may read the same
class _Candidate:
    """A practice line that could go into the plan, with when it would run."""

    objective: int
    bullet: Cited
    relevance: float
    starts_on: date
    ends_on: date
    meets_difficulty: bool = False


@dataclass
class _Draft:
    """One objective before its activities are chosen."""

    goal: Goal
    skill: str
    current: int
    target: int
    book: Playbook
    milestones: list[Milestone]
    candidates: list[_Candidate]
    difficulty: str | None
    chosen: list[_Candidate] = field(default_factory=list)


class ComposerDrafter:
    name = "offline"

    def __init__(self, library: PlaybookLibrary, fallback: GoalMilestoneDrafter | None = None):
        self._library = library
        self._fallback = fallback or GoalMilestoneDrafter()

    def draft_plan(self, request: PlanDraftRequest) -> DraftedPlan:
        owner = request.owner
        goals = _distinct(focus_first(owner.goals, request.focus))
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

        mode = request.match.mode
        if mode == "flash":
            goals = goals[:1]  # one question per flash relationship
        remarks: list[str] = []
        hours = planning_hours(owner.hours_per_month)
        if owner.hours_per_month is None:
            remarks.append(
                f"Your profile does not say how much time you have, so this plan assumes "
                f"{_time_phrase(hours)} a month; say how much you have (“I have 3 hours a "
                "month”) and it is re-planned."
            )
        budget = round(hours * 60)
        cadence = request.match.cadence
        rhythm = fit_sessions(mode, budget, cadence.sessions_per_month, cadence.minutes)
        if (rhythm.sessions_per_month, rhythm.minutes) != (
            cadence.sessions_per_month,
            cadence.minutes,
        ):
            remarks.append(
                f"Sessions: {_sessions_phrase(rhythm.sessions_per_month, rhythm.minutes)} "
                "instead of the match's "
                f"{_sessions_phrase(cadence.sessions_per_month, cadence.minutes)}, "
                f"to leave time to practise within {_time_phrase(hours)} a month"
                + ("; agree it with the others." if mode in PEER_MODES else ".")
            )
        if rhythm.per_month > budget:
            remarks.append(
                f"{_time_phrase(hours).capitalize()} a month is less than one short session: "
                f"the plan keeps {_sessions_phrase(rhythm.sessions_per_month, rhythm.minutes)} "
                "and no practice beyond it."
            )
        plan_cadence = PlanCadence(
            sessions_per_month=rhythm.sessions_per_month,
            minutes=rhythm.minutes,
            format=CADENCE_FORMATS.get(mode, "scheduled session"),
        )
        citations = _Citations()
        group_size = len(request.others) + 1
        drafts: list[_Draft] = []
        objectives: list[Objective | None] = []
        for index, goal in enumerate(goals):
            book = books.get(goal.skills[0])
            if book is None:
                objectives.append(self._fallback_objective(goal, owner, request))
                continue
            interval = DAYS_PER_MONTH / rhythm.sessions_per_month
            drafts.append(_draft_objective(index, goal, owner, request, book, interval))
            objectives.append(None)

        cut = _choose_activities(
            drafts, budget - rhythm.per_month, request.starts_on, mode == "flash"
        )
        by_goal = {d.goal.id or d.goal.text: d for d in drafts}
        written = [
            o if o is not None else _objective(by_goal[g.id or g.text], mode, group_size, citations)
            for o, g in zip(objectives, goals, strict=True)
        ]
        body = PlanBody(
            summary="",
            objectives=written,
            gives=(
                _gives(owner, request.others, books, self._library) if mode in PEER_MODES else []
            ),
            cadence=plan_cadence,
            citations=sorted(citations.by_id.values(), key=lambda c: c.id),
            budget_minutes_per_month=budget,
        )
        if cut:
            remarks.append(
                f"Left out to fit {_time_phrase(hours)} a month: "
                + "; ".join(f"“{_short(_without_cost(c.bullet.text), 90)}”" for c in cut[:3])
                + (f" and {plural(len(cut) - 3, 'more')}" if len(cut) > 3 else "")
                + ". Add hours to your profile and revise to bring them back."
            )
        for draft in drafts:
            if draft.difficulty and not any(c.meets_difficulty for c in draft.chosen):
                remarks.append(
                    f"You said “{_short(draft.difficulty, 80)}”: the {skill_name(draft.skill)} "
                    "playbook has no practice aimed at it; raise it in your first session."
                )
        body = body.model_copy(
            update={
                "summary": _summary(owner, body, request, mode, group_size),
                "remarks": remarks[:20],
            }
        )
        return DraftedPlan(body=body, drafter=self.name)

    def _fell_back(self, request: PlanDraftRequest, reason: str) -> DraftedPlan:
        drafted = self._fallback.draft_plan(request)
        return DraftedPlan(body=drafted.body, drafter=f"offline (fallback: {reason})")

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


def _time_phrase(hours: float) -> str:
    """'3 hours' when it is whole hours, else '1 h 45 min': never '1.75 hours'."""
    return hours_phrase(hours) if float(hours).is_integer() else minutes_text(hours * 60)


def _distinct(goals: list[Goal]) -> list[Goal]:
    """The same goal entered twice is one objective, not two identical ones."""
    seen: set[tuple[str, tuple[str, ...], int]] = set()
    kept: list[Goal] = []
    for goal in goals:
        key = (" ".join(goal.text.lower().split()), tuple(goal.skills), goal.target_level)
        if key not in seen:
            seen.add(key)
            kept.append(goal)
    return kept


def _sessions_phrase(per_month: int, minutes: int) -> str:
    sessions = "session" if per_month == 1 else "sessions"
    return f"{_count_word(per_month)} {minutes}-minute {sessions} a month"


def _count_word(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(n, str(n))


def _on_or_after_session(start: date, day: int, interval: float, limit: int) -> date:
    """The first session date at or after `day` days in, never past the horizon: a
    milestone falls due when the pair next meets to look at it."""
    sessions_in = math.ceil(day / interval)
    return start + timedelta(days=min(limit, max(1, round(sessions_in * interval))))


def _capstone_title(goal: Goal, difficulty: str | None) -> str:
    """The goal in the person's words, without the difficulty they confided."""
    text = goal.text
    if difficulty and difficulty in text:
        text = text[: text.index(difficulty)].rstrip(" ,;:-(\u2013\u2014").rstrip()
        text = text.removesuffix(" but").removesuffix(" and").rstrip(" ,;")
    return text or goal.text


def _draft_objective(
    index: int,
    goal: Goal,
    owner: ParticipantOut,
    request: PlanDraftRequest,
    book: Playbook,
    session_interval: float,
) -> _Draft:
    skill = goal.skills[0]
    current = skill_levels(owner).get(skill, 1)
    target = max(goal.target_level, min(current + 1, 5))
    steps = book.steps(current, target) or [min(max(current, 1), 4)]
    mode = request.match.mode
    start = request.starts_on
    difficulty = difficulty_in(goal.text) or difficulty_in(request.focus)
    event = event_in(goal.text, start)
    span_days = 14 if mode == "flash" else goal.horizon_weeks * 7
    if event is not None and event.on is not None and mode != "flash":
        # The event is the deadline: be ready by the start of the month it is in.
        span_days = max(7, min((event.on - start).days, 3 * 365))

    ranker = Ranker([b.text for level in steps for b in book.practice.get(level, [])])
    context = " ".join([goal.text, request.focus])
    relevance = ranker.scores(context)
    hardship = ranker.scores(difficulty) if difficulty else [0.0] * len(relevance)

    milestones = _milestones(
        book, steps, target, goal, request, span_days, difficulty, session_interval, event
    )
    # Each level's practice runs from the previous milestone to the one that shows it.
    level_dues = {m.level: m.due_date for m in milestones if m.level is not None}
    candidates: list[_Candidate] = []
    position = 0
    previous = start
    for level in steps:
        ends = level_dues.get(level + 1, start + timedelta(days=span_days))
        for bullet in book.practice.get(level, []):
            candidates.append(
                _Candidate(index, bullet, relevance[position], previous, max(ends, previous))
            )
            position += 1
        previous = max(previous, ends)
    if difficulty:
        best = max(range(len(candidates)), key=lambda i: (hardship[i], -i), default=None)
        if best is not None and hardship[best] > 0:
            # Met early: the difficulty gets in the way of everything after it.
            chosen = candidates[best]
            chosen.meets_difficulty = True
            chosen.starts_on = start
            first_level = next((m.due_date for m in milestones if m.level), milestones[0].due_date)
            chosen.ends_on = max(first_level, start + timedelta(days=14))
    return _Draft(goal, skill, current, target, book, milestones, candidates, difficulty)


def _choose_activities(
    drafts: list[_Draft], budget: int, starts_on: date, flash: bool
) -> list[_Candidate]:
    """Take practice in order of what matters most to this person while the busiest
    month still fits; answer what did not fit. The order: a practice that meets a named
    difficulty, then the most relevant practice of each level (so every level climbed
    has practice), then the rest by relevance."""
    first = [c for d in drafts for c in d.candidates if c.meets_difficulty]
    per_level: list[_Candidate] = []
    for draft in drafts:
        by_level: dict[date, list[_Candidate]] = {}
        for c in draft.candidates:
            if not c.meets_difficulty:
                by_level.setdefault(c.ends_on, []).append(c)
        per_level += [max(group, key=lambda c: c.relevance) for group in by_level.values()]
    per_level.sort(key=lambda c: -c.relevance)
    rest = sorted(
        (c for d in drafts for c in d.candidates if c not in first and c not in per_level),
        key=lambda c: -c.relevance,
    )
    ends_on = max((m.due_date for d in drafts for m in d.milestones), default=starts_on)

    def fits(chosen: list[_Candidate]) -> bool:
        trial = [_activity_of(c) for c in chosen]
        return max(month_loads(trial, starts_on, ends_on)) <= budget

    if flash:
        # One question, one step to try: a practice step, not an hour of shadowing.
        ordered = [c for c in first + per_level + rest if not c.bullet.is_shadowing]
        for draft in drafts:
            own = [c for c in ordered if c in draft.candidates]
            draft.chosen = next(([c] for c in own if fits([c])), [])
        return []
    taken: list[_Candidate] = []
    cut: list[_Candidate] = []
    for candidate in first + per_level + rest:
        owner = next(d for d in drafts if candidate in d.candidates)
        if len(owner.chosen) >= MAX_ACTIVITIES_PER_OBJECTIVE:
            continue
        if fits([*taken, candidate]):
            taken.append(candidate)
            owner.chosen.append(candidate)
        else:
            cut.append(candidate)
    return cut


def _activity_of(candidate: _Candidate, text: str | None = None, cite: str = "") -> Activity:
    cost = activity_cost(candidate.bullet.text)
    return Activity(
        description=_short(text or candidate.bullet.text, 2000),
        kind="shadowing" if candidate.bullet.is_shadowing else "practice",
        citation_ids=[cite] if cite else [],
        minutes_per_month=cost.minutes,
        recurring=cost.recurring,
        starts_on=candidate.starts_on,
        ends_on=candidate.ends_on,
    )


def _objective(draft: _Draft, mode: str, group_size: int, citations: _Citations) -> Objective:
    book = draft.book
    # In the order they happen: what meets the difficulty first, then level by level.
    ordered = sorted(
        draft.chosen, key=lambda c: (not c.meets_difficulty, c.starts_on, -c.relevance)
    )
    activities = [
        _activity_of(c, adapt(c.bullet.text, mode, group_size), citations.cite(c.bullet))
        for c in ordered
    ]
    milestones = draft.milestones
    if ordered and milestones and milestones[0].title == OPENER:
        step = _without_cost(adapt(ordered[0].bullet.text, mode, group_size))
        if not ordered[0].bullet.is_shadowing:
            step = step.split(": ")[0]  # the practice itself, not why it works
        step = _short(step.split("; ")[0], 140)
        milestones = [
            milestones[0].model_copy(update={"title": _short(f"First step: {step}")}),
            *milestones[1:],
        ]
    support = book.peer_help if mode in PEER_MODES else book.mentor_help
    if support and mode != "flash":
        helper = helper_phrase(mode, group_size)
        activities.append(
            Activity(
                description=_short(
                    f"How {helper} helps: {adapt(support[0].text, mode, group_size)}", 2000
                ),
                kind="feedback" if mode in PEER_MODES else "session",
                citation_ids=[citations.cite(support[0])],
            )
        )
    measures = [_short(adapt(e.text, mode, group_size), 2000) for e in book.evidence[:2]]
    if draft.target in book.levels:
        level_text = _first_sentence(book.levels[draft.target].text)
        measures.append(
            _short(
                f"Working at level {draft.target} ({SKILL_LEVEL_NAMES[draft.target]}): "
                f"{level_text}",
                2000,
            )
        )
        citations.cite(book.levels[draft.target])
    for evidence in book.evidence[:2]:
        citations.cite(evidence)
    return Objective(
        title=_short(
            f"{skill_name(draft.skill).capitalize()}: from "
            f"{SKILL_LEVEL_NAMES[draft.current]} ({draft.current}) "
            f"to {SKILL_LEVEL_NAMES[draft.target]} ({draft.target})"
        ),
        goal=draft.goal.text,
        goal_id=draft.goal.id,
        skills=list(draft.goal.skills),
        success_measures=measures,
        milestones=milestones,
        activities=activities,
    )


def _milestones(
    book: Playbook,
    steps: list[int],
    target: int,
    goal: Goal,
    request: PlanDraftRequest,
    span_days: int,
    difficulty: str | None,
    interval: float,
    event: Event | None,
) -> list[Milestone]:
    start = request.starts_on
    mode = request.match.mode
    if mode == "flash":
        return [
            Milestone(
                title=f"Bring one question on {skill_name(goal.skills[0])} to the flash session",
                due_date=start + timedelta(days=7),
            ),
            Milestone(
                title="Follow-up: report back on the one step you agreed to try",
                due_date=start + timedelta(days=14),
            ),
        ]
    # One observable milestone per level climbed, in level order.
    reached: list[tuple[str, int]] = [
        (b.text, level + 1) for level in steps for b in book.milestones.get(level + 1, [])[:1]
    ]
    if not reached and book.milestones.get(target):
        reached = [(book.milestones[target][0].text, target)]
    weeks = span_days // 7
    capstone = _capstone_title(goal, difficulty)
    if event is None:
        capstone = f"Show it: {capstone}"
    titled: list[tuple[str, int | None]] = list(reached)
    if weeks <= SPRINT_WEEKS:
        # A skill sprint: one checkpoint a week, the last one the goal itself.
        extra = [
            (b.text, level + 1) for level in steps for b in book.milestones.get(level + 1, [])[1:]
        ]
        titled = (titled + extra)[: max(weeks - 1, 0)]
        while len(titled) < weeks - 1:
            titled.append((f"Week {len(titled) + 1} practice reviewed together", None))
        titled.sort(key=lambda t: (t[1] is None, t[1] or 0))  # level order, stable
        dues = [start + timedelta(weeks=w) for w in range(1, len(titled) + 1)]
    else:
        opener = span_days >= 6 * 7
        count = len(titled)
        if opener:
            # Something to start on tomorrow, looked at within two weeks.
            first = FIRST_STEP_DAYS[0]
            days = [first + (span_days - first) * (n + 1) // (count + 1) for n in range(count)]
            titled = [(OPENER, None), *titled]
            days = [first, *days]
        else:
            first = min(span_days // 3, FIRST_STEP_DAYS[1])
            days = [first + (span_days - first) * n // max(count, 1) for n in range(count)]
        dues = []
        for n, day in enumerate(days):
            # A milestone falls due when the pair next meets to look at it, unless that
            # would crowd it onto the one before.
            snapped = _on_or_after_session(start, day, interval, span_days - (len(days) - n))
            previous = dues[-1] if dues else start
            plain = start + timedelta(days=day)
            # The first milestone stays within three weeks however rarely the pair meets:
            # something to do tomorrow, looked at by message if no session falls due.
            early = n == 0 and snapped > start + timedelta(days=FIRST_STEP_DAYS[1])
            dues.append(snapped if snapped > previous + timedelta(days=6) and not early else plain)
    titled.append((capstone, target))
    dues.append(start + timedelta(days=max(span_days, len(titled))))
    # Keep dates strictly in order even when two land on the same session.
    result: list[Milestone] = []
    previous = start
    for (title, level), due in zip(titled, dues, strict=False):
        due = max(due, previous + timedelta(days=1))
        result.append(Milestone(title=_short(title), due_date=due, level=level))
        previous = due
    return result


def _gives(
    owner: ParticipantOut,
    others: list[ParticipantOut],
    books: dict[str, Playbook | None],
    library: PlaybookLibrary,
) -> list[Give]:
    """What the owner offers each other member: the owner's strengths matched to the
    other's goals, in the words of that skill's peer guidance."""
    gives: list[Give] = []
    group_size = len(others) + 1
    mode = "group" if group_size > 2 else "peer"
    for t in teachable(owner, others):
        book = books.get(t.skill) or library.playbook(t.skill)
        tip = adapt(book.peer_help[0].text, mode, group_size) if book and book.peer_help else ""
        gives.append(
            Give(
                to_id=t.other.id,
                skill=t.skill,
                how=_short(
                    f"You are at level {t.my_level} in {skill_name(t.skill)}; {t.other.name} "
                    f"is at {t.their_level} and aims for {t.goal.target_level}. {tip}",
                    2000,
                ),
            )
        )
    return gives


def _summary(
    owner: ParticipantOut, body: PlanBody, request: PlanDraftRequest, mode: str, group_size: int
) -> str:
    levels = skill_levels(owner)
    start = request.starts_on
    parts = []
    for objective in body.objectives:
        skill = objective.skills[0] if objective.skills else ""
        end = max(m.due_date for m in objective.milestones)
        weeks = max(1, round((end - start).days / 7))
        target = max((m.level or 0 for m in objective.milestones), default=0)
        level = f" {levels.get(skill, 1)}→{target}" if target else ""
        parts.append(f"{skill_name(skill)}{level} in {plural(weeks, 'week')}")
    rhythm = {
        "mentor": "scheduled sessions with structured feedback from your mentor",
        "near_peer": "regular sessions with advice from recent experience",
        "reverse": "sessions led by the colleague teaching you, on their expertise",
        "peer": "frequent informal check-ins with feedback both ways",
        "group": f"sessions of the {group_size} of you, with rotating focus and shared "
        "accountability",
        "flash": "one focused session on a single question, then a follow-up",
    }[mode]
    if mode == "group" and group_size <= 2:
        rhythm = "frequent informal check-ins with feedback both ways"
    sessions = session_text = ""
    if body.cadence is not None:
        sessions = _sessions_phrase(body.cadence.sessions_per_month, body.cadence.minutes)
        activities = [a for o in body.objectives for a in o.activities]
        practice = max(month_loads(activities, start, plan_end(body, start)))
        session_text = f" Time: {sessions}" + (
            f" and at most {minutes_text(practice)} of practice in any month" if practice else ""
        )
        if body.budget_minutes_per_month:
            session_text += f", within your {_time_phrase(body.budget_minutes_per_month / 60)}."
        else:
            session_text += "."
    lead = f"Plan for {owner.name}: " + "; ".join(parts) + f". Rhythm: {rhythm}."
    focus = f" Focus: {request.focus}." if request.focus else ""
    return _short(lead + session_text + focus, 4000)
