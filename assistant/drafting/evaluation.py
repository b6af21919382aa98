"""`tandem eval drafting`: draft plans and agendas for a spread of realistic scenarios and
score each on the rubric a mentor and a mentee judge them by (see drafting/rubric.py).

Scenarios cover every mode and career stage, one to three goals, tight and generous
budgets, goals that name an event or a difficulty, and sessions with and without a focus.
Everything runs in memory against the guidance index: no database, no model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from assistant.drafting.agenda_composer import AgendaComposer
from assistant.drafting.composer import ComposerDrafter
from assistant.drafting.context import member_progress, session_guidance
from assistant.drafting.models import AgendaBody, AgendaContext
from assistant.drafting.playbooks import PLAYBOOK_SOURCE, Playbook, PlaybookLibrary
from assistant.drafting.relevance import difficulty_in, event_in, stems
from assistant.drafting.rubric import (
    agenda_texts,
    budget_problems,
    own_time_problems,
    plan_texts,
    wording_issues,
)
from assistant.drafting.service import agenda_problems
from assistant.matching.models import MatchOut
from assistant.people.models import ParticipantOut
from assistant.plans.models import PlanBody, PlanOut
from assistant.plans.service import PlanDraftRequest
from assistant.retrieval.service import KnowledgeBase
from assistant.sessions.models import SessionOut, TalkingPointOut
from assistant.vocabulary import CAREER_STAGES, DEFAULT_CADENCE

START = date(2027, 1, 11)
# (skill, the goal in a person's words): some name an event, some a difficulty.
GOALS: list[tuple[str, str]] = [
    ("public_speaking", "Present the Q3 roadmap at the March offsite; I get nervous and rush"),
    ("public_speaking", "Answer hard questions in design reviews without getting defensive"),
    ("code_review", "Review pull requests that teach, not just approve"),
    ("giving_feedback", "Give my team direct feedback after each sprint; I tend to soften it"),
    ("delegation", "Hand the on-call rota to someone else before the June planning"),
    ("stakeholder_management", "Run the quarterly planning meeting with product and design"),
    ("writing", "Write design docs people act on; I ramble and bury the decision"),
    ("system_design", "Lead the architecture review for the payments migration in May"),
    ("digital_tools", "Get fluent with the AI tools my teams now use daily"),
    ("conflict_resolution", "Hold the hard conversation about on-call load with my lead"),
    ("time_management", "Protect two focus mornings a week; I keep saying yes to meetings"),
    ("networking", "Meet five people in the data platform group before the autumn reorg"),
    ("negotiation", "Agree the scope of the Q3 launch with sales without giving everything away"),
    ("technical_leadership", "Run the kickoff for the search rewrite"),
    ("people_management", "Hold my first round of one-to-ones as a new manager"),
    ("coaching", "Coach two juniors through their first on-call rotation"),
]
HOURS = [1.5, 3, 4, 6, 8, 12]
FOCUSES = ["", "how to handle hostile questions", "", "what to do about missed deadlines"]
MODES = ["mentor", "near_peer", "reverse", "peer", "group", "flash"]
VARIANTS_PER_MODE = 6  # 36 scenarios


@dataclass
class Scenario:
    name: str
    mode: str
    stage: str
    hours: float
    learners: list[ParticipantOut]
    guide: ParticipantOut | None
    focus: str
    session_minutes: int
    number: int


@dataclass
class Check:
    name: str
    passed: bool
    detail: str = ""


@dataclass
class ScenarioResult:
    scenario: Scenario
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.checks)


@dataclass
class Report:
    results: list[ScenarioResult]

    @property
    def checks(self) -> int:
        return sum(len(r.checks) for r in self.results)

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def rate(self) -> float:
        return self.passed / self.checks if self.checks else 0.0

    def by_check(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        for result in self.results:
            for check in result.checks:
                passed, count = totals.get(check.name, (0, 0))
                totals[check.name] = (passed + check.passed, count + 1)
        return totals

    def failures(self) -> list[tuple[str, Check]]:
        return [(r.scenario.name, c) for r in self.results for c in r.checks if not c.passed]


def _person(
    ident: str,
    name: str,
    stage: str,
    roles: list[str],
    skills: dict[str, int],
    goals: list[Any],
    hours: float,
) -> ParticipantOut:
    return ParticipantOut.model_validate(
        {
            "id": ident,
            "name": name,
            "email": f"{ident}@example.org",
            "career_stage": stage,
            "roles": roles,
            "hours_per_month": hours,
            "skills": [{"skill": s, "level": lvl} for s, lvl in skills.items()],
            "goals": goals,
            "created_at": "2027-01-01T00:00:00Z",
            "updated_at": "2027-01-01T00:00:00Z",
        }
    )


NAMES = ["Sam Rivera", "Alex Chen", "Jordan Okafor", "Mia Novak", "Lee Park", "Ravi Shah"]


def scenarios() -> list[Scenario]:
    """Every mode and career stage, 1-3 goals, budgets from 1.5 to 12 hours."""
    found: list[Scenario] = []
    n = 0
    for mode in MODES:
        for variant in range(VARIANTS_PER_MODE):
            stage = CAREER_STAGES[(variant + MODES.index(mode)) % len(CAREER_STAGES)]
            hours = HOURS[(variant + n) % len(HOURS)]
            size = 3 + variant % 3 if mode == "group" else 2 if mode == "peer" else 1
            goal_count = 1 + variant % 3
            learners = []
            for index in range(size):
                picked = [GOALS[(n + index * 5 + g * 3) % len(GOALS)] for g in range(goal_count)]
                goals = [
                    {
                        "id": f"g{n}-{index}-{g}",
                        "text": text,
                        "skills": [skill],
                        "target_level": 4 if stage in ("early", "mid") else 5,
                        "horizon_weeks": [6, 12, 16, 26][(variant + g) % 4],
                    }
                    for g, (skill, text) in enumerate(picked)
                ]
                levels: dict[str, int] = {
                    skill: 2 if stage in ("early", "mid") else 3 for skill, _ in picked
                }
                # Peers are strong where another member wants to grow.
                other = GOALS[(n + index * 5 + 7) % len(GOALS)][0]
                levels.setdefault(other, 4)
                role = "peer" if mode in ("peer", "group") else "mentee"
                learners.append(
                    _person(
                        f"p{n}-{index}",
                        NAMES[index % len(NAMES)],
                        stage,
                        [role],
                        levels,
                        goals,
                        hours,
                    )
                )
            guide = None
            if mode not in ("peer", "group"):
                skills: dict[str, int] = {s: 5 for p in learners for g in p.goals for s in g.skills}
                guide = _person(f"g{n}", "Priya Natarajan", "senior", ["mentor"], skills, [], 4)
            minutes = DEFAULT_CADENCE[mode][1]
            found.append(
                Scenario(
                    name=f"{n + 1:02d} {mode} {stage} {goal_count}g {hours:g}h",
                    mode=mode,
                    stage=stage,
                    hours=hours,
                    learners=learners,
                    guide=guide,
                    focus=FOCUSES[variant % len(FOCUSES)],
                    session_minutes=minutes if variant % 2 else 45,
                    number=1 if variant % 3 == 0 else 3,
                )
            )
            n += 1
    return found


def _match(scenario: Scenario) -> MatchOut:
    members = [
        {
            "participant_id": p.id,
            "role": "peer" if scenario.guide is None else "mentee",
            "name": p.name,
        }
        for p in scenario.learners
    ]
    if scenario.guide is not None:
        members.insert(
            0, {"participant_id": scenario.guide.id, "role": "mentor", "name": scenario.guide.name}
        )
    per_month, minutes = DEFAULT_CADENCE[scenario.mode]
    return MatchOut.model_validate(
        {
            "id": "m1",
            "mode": scenario.mode,
            "status": "active",
            "program_id": None,
            "members": members,
            "cadence": {"sessions_per_month": per_month, "minutes": minutes},
            "started_on": START,
            "created_at": "2027-01-01T00:00:00Z",
        }
    )


def _plan_out(body: PlanBody, owner: ParticipantOut, drafter: str) -> PlanOut:
    return PlanOut(
        id=f"plan-{owner.id}",
        match_id="m1",
        owner_id=owner.id,
        version=1,
        latest_version=1,
        status="active",
        drafter=drafter,
        summary=body.summary,
        starts_on=START,
        objectives=body.objectives,
        gives=body.gives,
        cadence=body.cadence,
        citations=body.citations,
        remarks=body.remarks,
        instruction="",
        created_at=datetime(2027, 1, 11, tzinfo=UTC),
        planned_minutes_per_month=0,
        budget_minutes_per_month=body.budget_minutes_per_month,
    )


def _plan_checks(
    body: PlanBody, owner: ParticipantOut, scenario: Scenario, known_ids: set[str]
) -> list[Check]:
    group_size = len(scenario.learners) + (1 if scenario.guide else 0)
    checks: list[Check] = []
    # Goal words used: the capstone is the goal in the person's words.
    for objective in body.objectives:
        words = set(stems(objective.goal))
        capstone = objective.milestones[-1].title
        checks.append(
            Check(
                "plan: goal words used",
                bool(words & set(stems(capstone))) or scenario.mode == "flash",
                capstone,
            )
        )
        event = event_in(objective.goal, START)
        if event is not None and event.on is not None and scenario.mode != "flash":
            due = objective.milestones[-1].due_date
            checks.append(Check("plan: event dates the capstone", due <= event.on, str(due)))
        difficulty = difficulty_in(objective.goal)
        if difficulty and scenario.mode != "flash":
            practice = [a for a in objective.activities if a.kind not in ("session", "feedback")]
            said = any(difficulty[:40] in r for r in body.remarks)
            met = bool(practice) and practice[0].starts_on == START
            how = "met by the first activity" if met else "named in remarks" if said else ""
            checks.append(Check("plan: difficulty met first", met or said, f"{difficulty}: {how}"))
    problems = budget_problems(body, START)
    checks.append(Check("plan: fits the budget", not problems, "; ".join(problems)))
    wording = wording_issues(plan_texts(body), scenario.mode, group_size)
    checks.append(Check("plan: mode-true words", not wording, "; ".join(wording[:2])))
    cited = {c for o in body.objectives for a in o.activities for c in a.citation_ids}
    listed = {c.id for c in body.citations}
    resolve = cited <= listed and listed <= known_ids
    checks.append(Check("plan: citations resolve", resolve, str(sorted(cited - listed))))
    order = all(
        [m.level or 0 for m in o.milestones] == sorted(m.level or 0 for m in o.milestones)
        and [m.due_date for m in o.milestones] == sorted(m.due_date for m in o.milestones)
        for o in body.objectives
    )
    checks.append(Check("plan: milestones climb in order", order))
    first = min(m.due_date for o in body.objectives for m in o.milestones)
    checks.append(
        Check("plan: first step within 3 weeks", first <= START + timedelta(weeks=3), str(first))
    )
    return checks


def _agenda_checks(body: AgendaBody, context: AgendaContext, scenario: Scenario) -> list[Check]:
    mode = scenario.mode
    checks = [Check("agenda: stored rules", not agenda_problems(body, context))]
    learners = [p.id for p in scenario.learners]
    equal = own_time_problems(body.items, mode, learners)
    if mode in ("peer", "group"):
        checks.append(Check("agenda: equal own time", not equal, "; ".join(equal)))
    wording = wording_issues(agenda_texts(body.items, body.prep), mode, len(context.members))
    checks.append(Check("agenda: mode-true words", not wording, "; ".join(wording[:2])))
    prep_ok = all(
        1 <= len(tasks) <= 3 and len(set(tasks)) == len(tasks)
        for tasks in (
            [t.task for t in body.prep if t.participant_id == m.id] for m in context.members
        )
    )
    checks.append(Check("agenda: prep short and personal", prep_ok))
    if scenario.focus:
        shaped = any(scenario.focus in i.detail for i in body.items) and any(
            scenario.focus[:40] in r for r in body.remarks
        )
        checks.append(Check("agenda: focus shapes it", shaped))
    if mode == "flash":
        asked = context.talking_points[0].text if context.talking_points else ""
        verbatim = any(asked in i.detail for i in body.items if i.kind == "question")
        checks.append(Check("agenda: flash question word for word", verbatim))
    cited = {c.id for c in body.citations}
    used = {c for i in body.items for c in i.citation_ids}
    checks.append(Check("agenda: citations resolve", used <= cited <= context.citable_ids()))
    return checks


def evaluate(knowledge: KnowledgeBase, progress: Callable[[str], None] | None = None) -> Report:
    library = PlaybookLibrary(knowledge)
    composer = ComposerDrafter(library)
    known_ids = {
        c.chunk_id
        for skill in sorted({skill for skill, _ in GOALS})
        for c in knowledge.chunks_of(PLAYBOOK_SOURCE.format(skill=skill))
    }
    results: list[ScenarioResult] = []
    for scenario in scenarios():
        if progress is not None:
            progress(scenario.name)
        match = _match(scenario)
        result = ScenarioResult(scenario)
        members = ([scenario.guide] if scenario.guide else []) + scenario.learners
        plans: dict[str, PlanOut] = {}
        for owner in scenario.learners:
            others = [m for m in members if m.id != owner.id]
            drafted = composer.draft_plan(
                PlanDraftRequest(match=match, owner=owner, others=others, focus="", starts_on=START)
            )
            result.checks += _plan_checks(drafted.body, owner, scenario, known_ids)
            plans[owner.id] = _plan_out(drafted.body, owner, drafted.drafter)
        on = START + timedelta(days=14 * (scenario.number - 1) + 1)
        at = datetime(on.year, on.month, on.day, 15, tzinfo=UTC)
        playbooks: dict[str, Playbook] = {}
        progress_list = [
            member_progress(plans.get(m.id), m, on, on + timedelta(days=15)) for m in members
        ]
        for p in progress_list:
            if p.current is not None:
                for skill in p.current.objective.skills:
                    book = library.playbook(skill)
                    if book is not None:
                        playbooks[skill] = book
        roles: dict[str, str] = {m.participant_id: m.role for m in match.members}
        points = []
        if scenario.mode == "flash":
            points = [
                TalkingPointOut(
                    id="t1",
                    session_id="s1",
                    author_id=scenario.learners[0].id,
                    text="How do I say no to a senior stakeholder without burning the bridge?",
                    created_at=at,
                )
            ]
        context = AgendaContext(
            match=match,
            members=members,
            roles=roles,
            meeting=SessionOut(
                id="s1",
                match_id="m1",
                scheduled_at=at,
                duration_minutes=scenario.session_minutes,
                title="",
                status="scheduled",
                agenda=None,
                created_at=at,
            ),
            number=scenario.number,
            previous=None,
            next_meeting_on=on + timedelta(days=15),
            progress=progress_list,
            action_items=[],
            talking_points=points,
            notes=[],
            guidance=session_guidance(knowledge, scenario.mode),
            playbooks=playbooks,
            focus=scenario.focus,
        )
        agenda = AgendaComposer().draft_agenda(context)
        result.checks += _agenda_checks(agenda.body, context, scenario)
        results.append(result)
    return Report(results)
