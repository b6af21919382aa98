"""A small realistic demo program, so a newcomer can explore Tandem at once.


Built through the same services the API uses, so the demo obeys every rule a real
program does (capacity, reporting lines, group sizes) and its audit trail is real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.drafting.goal_milestones import GoalMilestoneDrafter
from assistant.matching.models import MemberIn
from assistant.matching.service import create_match
from assistant.people.models import ParticipantCreate
from assistant.people.service import create_participant
from assistant.plans.models import PlanCreate, PlanOut, ProgressIn
from assistant.plans.service import create_plan, log_progress, plan_out
from assistant.programs.models import Cadence, Program, ProgramCreate
from assistant.programs.service import create_program
from assistant.sessions.models import ActionItemIn, NoteCreate, SessionCreate
from assistant.sessions.service import add_note, schedule_session

DEMO_PROGRAM = "Spring Growth Cohort (demo)"
DEMO_ACTOR = Principal(kind="staff", id="demo-loader", name="tandem demo")


class DemoAlreadyLoaded(Exception):
    pass


@dataclass
class DemoPerson:
    name: str
    stage: str
    roles: list[str]
    id: str
    key: str


@dataclass
class DemoSummary:
    program_id: str
    program_name: str
    people: list[DemoPerson] = field(default_factory=list)
    matches: int = 0
    plans: int = 0
    sessions: int = 0
    notes: int = 0


def _goal(text: str, skills: list[str], target: int, weeks: int) -> dict[str, Any]:
    return {"text": text, "skills": skills, "target_level": target, "horizon_weeks": weeks}


# fmt: off
# ruff: noqa: E501  (one profile per block reads better than wrapped calls)
# Profiles as a program would enter them; "manager" names another demo participant.
PEOPLE: list[dict[str, Any]] = [
    {"name": "Dana Okafor", "career_stage": "executive", "years_experience": 22,
     "department": "Engineering", "title": "VP Engineering", "roles": ["mentor"],
     "skills": [("strategic_thinking", 5), ("people_management", 5), ("negotiation", 4)],
     "goals": [_goal("Get fluent with the AI tools my teams now use daily", ["digital_tools"], 3, 8)],
     "mentor_capacity": 2, "timezone": "America/New_York"},
    {"name": "Priya Raman", "career_stage": "senior", "years_experience": 12,
     "department": "Engineering", "title": "Staff Engineer", "roles": ["mentor"],
     "skills": [("system_design", 5), ("technical_leadership", 4), ("code_review", 5)],
     "goals": [], "mentor_capacity": 2, "timezone": "Europe/Berlin", "manager": "Dana Okafor"},
    {"name": "Marcus Bell", "career_stage": "senior", "years_experience": 10,
     "department": "Product", "title": "Group Product Manager", "roles": ["mentor"],
     "skills": [("stakeholder_management", 5), ("public_speaking", 4), ("writing", 4)],
     "goals": [], "mentor_capacity": 2, "timezone": "Europe/London"},
    {"name": "Sam Rivera", "career_stage": "early", "years_experience": 1,
     "department": "Payments", "title": "Software Engineer", "roles": ["mentee"],
     "skills": [("public_speaking", 2), ("code_review", 2), ("digital_tools", 4)],
     "goals": [_goal("Present our team's work at the quarterly all-hands", ["public_speaking"], 4, 12)],
     "timezone": "Europe/Berlin"},
    {"name": "Lena Fischer", "career_stage": "early", "years_experience": 2,
     "department": "Payments", "title": "Software Engineer", "roles": ["mentee", "peer"],
     "skills": [("system_design", 2), ("writing", 3), ("data_analysis", 3)],
     "goals": [_goal("Design and defend a service end to end", ["system_design"], 4, 16)],
     "timezone": "Europe/Berlin"},
    {"name": "Tom Nguyen", "career_stage": "mid", "years_experience": 5,
     "department": "Platform", "title": "Senior Engineer", "roles": ["peer"],
     "skills": [("code_review", 4), ("giving_feedback", 2), ("system_design", 3)],
     "goals": [_goal("Give feedback that lands, in reviews and 1:1s", ["giving_feedback"], 4, 8)],
     "timezone": "Europe/Amsterdam"},
    {"name": "Aisha Khan", "career_stage": "mid", "years_experience": 6,
     "department": "Data", "title": "Data Scientist", "roles": ["peer"],
     "skills": [("giving_feedback", 4), ("data_analysis", 5), ("code_review", 2)],
     "goals": [_goal("Review code with the rigour I bring to analysis", ["code_review"], 4, 8)],
     "timezone": "Europe/Paris"},
    {"name": "Jonas Weber", "career_stage": "mid", "years_experience": 4,
     "department": "Payments", "title": "Engineer", "roles": ["mentee"],
     "skills": [("technical_leadership", 2), ("delegation", 1)],
     "goals": [_goal("Lead my first cross-team project as tech lead", ["technical_leadership", "delegation"], 4, 24)],
     "timezone": "Europe/Berlin", "manager": "Priya Raman"},
    {"name": "Mei Chen", "career_stage": "early", "years_experience": 2,
     "department": "Design", "title": "Product Designer", "roles": ["mentor", "peer"],
     "skills": [("digital_tools", 5), ("presentation_design", 4)],
     "goals": [_goal("Negotiate scope with product partners", ["negotiation"], 3, 12)],
     "mentor_capacity": 1, "timezone": "America/New_York"},
    {"name": "Rafael Costa", "career_stage": "mid", "years_experience": 7,
     "department": "Sales Engineering", "title": "Solutions Engineer", "roles": ["peer"],
     "skills": [("negotiation", 4), ("public_speaking", 4), ("time_management", 2)],
     "goals": [_goal("Protect focus time without dropping customers", ["time_management"], 4, 6)],
     "timezone": "America/Sao_Paulo"},
    {"name": "Hana Sato", "career_stage": "mid", "years_experience": 5,
     "department": "Operations", "title": "Program Manager", "roles": ["peer"],
     "skills": [("project_management", 5), ("time_management", 4), ("networking", 2)],
     "goals": [_goal("Build a network outside operations", ["networking"], 3, 10)],
     "timezone": "Asia/Tokyo"},
    {"name": "Olu Adeyemi", "career_stage": "mid", "years_experience": 6,
     "department": "Engineering", "title": "Engineering Manager", "roles": ["peer"],
     "skills": [("people_management", 3), ("networking", 4), ("conflict_resolution", 2)],
     "goals": [_goal("Handle conflict in my team early and calmly", ["conflict_resolution"], 4, 12)],
     "timezone": "Europe/London"},
    {"name": "Grace Li", "career_stage": "mid", "years_experience": 8,
     "department": "HR", "title": "People Partner", "roles": ["peer"],
     "skills": [("conflict_resolution", 5), ("coaching", 4), ("project_management", 2)],
     "goals": [_goal("Run programs with a real project plan", ["project_management"], 4, 12)],
     "timezone": "Europe/Dublin"},
    {"name": "Noah Schmidt", "career_stage": "early", "years_experience": 3,
     "department": "Platform", "title": "Engineer", "roles": ["mentee"],
     "skills": [("system_design", 3), ("writing", 2)],
     "goals": [_goal("Write design docs others can act on", ["writing"], 4, 10)],
     "timezone": "Europe/Berlin"},
    {"name": "Ines Moreau", "career_stage": "senior", "years_experience": 11,
     "department": "Finance", "title": "Finance Director", "roles": ["mentor", "mentee"],
     "skills": [("negotiation", 5), ("strategic_thinking", 4), ("digital_tools", 2)],
     "goals": [_goal("Automate my reporting with modern data tools", ["digital_tools"], 4, 8)],
     "mentor_capacity": 1, "timezone": "Europe/Paris"},
    {"name": "Kwame Boateng", "career_stage": "early", "years_experience": 1,
     "department": "Data", "title": "Analyst", "roles": ["mentor", "mentee"],
     "skills": [("digital_tools", 5), ("data_analysis", 4), ("public_speaking", 1)],
     "goals": [_goal("Speak up in leadership meetings", ["public_speaking"], 3, 12)],
     "mentor_capacity": 1, "timezone": "Africa/Accra"},
    {"name": "Elena Petrova", "career_stage": "mid", "years_experience": 5,
     "department": "Product", "title": "Product Manager", "roles": ["mentee"],
     "skills": [("stakeholder_management", 2), ("strategic_thinking", 2)],
     "goals": [_goal("Say no to stakeholders without losing them", ["stakeholder_management"], 4, 12)],
     "timezone": "Europe/Sofia"},
    {"name": "Ben Carter", "career_stage": "early", "years_experience": 2,
     "department": "Support", "title": "Support Engineer", "roles": ["mentee"],
     "skills": [("receiving_feedback", 2)],
     "goals": [_goal("Ask for feedback on my first escalation write-up", ["receiving_feedback"], 3, 2)],
     "timezone": "America/Chicago"},
    {"name": "Yusuf Demir", "career_stage": "senior", "years_experience": 9,
     "department": "Support", "title": "Support Lead", "roles": ["mentor"],
     "skills": [("receiving_feedback", 5), ("giving_feedback", 5), ("coaching", 4)],
     "goals": [], "mentor_capacity": 3, "timezone": "Europe/Istanbul"},
    {"name": "Zoe Martin", "career_stage": "mid", "years_experience": 4,
     "department": "Marketing", "title": "Content Lead", "roles": ["peer"],
     "skills": [("writing", 5), ("presentation_design", 3), ("data_analysis", 2)],
     "goals": [_goal("Use data to back my content bets", ["data_analysis"], 3, 8)],
     "timezone": "Europe/Madrid"},
]

# mode, [(name, role)], months ago it started
MATCHES: list[tuple[str, list[tuple[str, str]], int]] = [
    ("mentor", [("Marcus Bell", "mentor"), ("Sam Rivera", "mentee")], 2),
    ("mentor", [("Priya Raman", "mentor"), ("Lena Fischer", "mentee")], 3),
    ("near_peer", [("Mei Chen", "mentor"), ("Noah Schmidt", "mentee")], 1),
    ("peer", [("Tom Nguyen", "peer"), ("Aisha Khan", "peer")], 1),
    ("reverse", [("Kwame Boateng", "mentor"), ("Ines Moreau", "mentee")], 1),
    ("group", [("Olu Adeyemi", "peer"), ("Grace Li", "peer"), ("Hana Sato", "peer"),
               ("Rafael Costa", "peer")], 2),
    ("flash", [("Yusuf Demir", "mentor"), ("Ben Carter", "mentee")], 0),
    ("mentor", [("Dana Okafor", "mentor"), ("Elena Petrova", "mentee")], 4),
]
# fmt: on


def _profile(raw: dict[str, Any], ids: dict[str, str]) -> ParticipantCreate:
    slug = raw["name"].lower().replace(" ", ".")
    return ParticipantCreate.model_validate(
        {
            "name": raw["name"],
            "email": f"{slug}@demo.tandem.example",
            "title": raw.get("title", ""),
            "department": raw["department"],
            "manager_id": ids.get(raw.get("manager", "")),
            "career_stage": raw["career_stage"],
            "years_experience": raw["years_experience"],
            "languages": ["en"],
            "timezone": raw["timezone"],
            "hours_per_month": 4,
            "roles": raw["roles"],
            "skills": [{"skill": s, "level": lvl} for s, lvl in raw["skills"]],
            "goals": raw["goals"],
            "mentor_capacity": raw.get("mentor_capacity", 0),
            "preferred_modes": [],
        }
    )


def load_demo(session: Session, *, today: date | None = None) -> DemoSummary:
    today = today or datetime.now(UTC).date()
    if session.scalar(select(Program.id).where(Program.name == DEMO_PROGRAM)):
        raise DemoAlreadyLoaded(f"the demo program '{DEMO_PROGRAM}' is already loaded")
    program = create_program(
        session,
        actor=DEMO_ACTOR,
        data=ProgramCreate(
            name=DEMO_PROGRAM,
            default_mode="mentor",
            starts_on=today - timedelta(days=130),
            ends_on=today + timedelta(days=180),
            cadence=Cadence(sessions_per_month=2, minutes=45),
        ),
    )
    summary = DemoSummary(program_id=program.id, program_name=program.name)
    ids: dict[str, str] = {}
    for raw in PEOPLE:
        created = create_participant(session, actor=DEMO_ACTOR, data=_profile(raw, ids))
        ids[raw["name"]] = created.id
        summary.people.append(
            DemoPerson(
                created.name, created.career_stage, list(created.roles), created.id, created.api_key
            )
        )

    drafter = GoalMilestoneDrafter()
    for index, (mode, members, months_ago) in enumerate(MATCHES):
        started = today - timedelta(days=30 * months_ago + 3)
        match = create_match(
            session,
            actor=DEMO_ACTOR,
            mode=mode,
            members=[
                MemberIn.model_validate({"participant_id": ids[n], "role": r}) for n, r in members
            ],
            status="active",
            today=started,
            program_id=program.id,
        )
        summary.matches += 1
        learners = [n for n, r in members if r in ("mentee", "peer") and _has_goals(n)]
        for name in learners:
            plan = create_plan(
                session,
                actor=DEMO_ACTOR,
                match_id=match.id,
                data=PlanCreate(owner_id=ids[name]),
                today=started,
                drafter=drafter,
            )
            summary.plans += 1
            _progress(session, plan_out(session, plan), today=today, seed=index)
        # A rhythm of past sessions, fewer in a match that has lapsed (index 7).
        count = 1 if index == 7 else max(1, months_ago * 2)
        for n in range(count):
            when = datetime.combine(started + timedelta(days=14 * n + 1), time(15, 0), tzinfo=UTC)
            if when.date() >= today:
                break
            row = schedule_session(
                session,
                actor=DEMO_ACTOR,
                match_id=match.id,
                data=SessionCreate(
                    scheduled_at=when, duration_minutes=45, title=f"Session {n + 1}"
                ),
            )
            summary.sessions += 1
            add_note(
                session,
                actor=DEMO_ACTOR,
                session_id=row.id,
                data=NoteCreate(
                    text=f"Session {n + 1}: reviewed progress and agreed next steps.",
                    visibility="match",
                    action_items=[
                        ActionItemIn(
                            text="Prepare one concrete example for next time",
                            owner_id=ids[members[-1][0]],
                            due_date=when.date() + timedelta(days=10),
                        )
                    ],
                ),
            )
            summary.notes += 1
        upcoming = datetime.combine(today + timedelta(days=3 + index), time(15, 0), tzinfo=UTC)
        schedule_session(
            session,
            actor=DEMO_ACTOR,
            match_id=match.id,
            data=SessionCreate(scheduled_at=upcoming, duration_minutes=45, title="Next session"),
        )
        summary.sessions += 1
    return summary


def _has_goals(name: str) -> bool:
    return any(p["name"] == name and p["goals"] for p in PEOPLE)


def _progress(session: Session, plan: PlanOut, *, today: date, seed: int) -> None:
    """Mark past milestones done, most of the time: some plans end up on track, some not."""
    for objective in plan.objectives:
        for position, milestone in enumerate(objective.milestones):
            if milestone.due_date >= today or milestone.id is None:
                continue
            lagging = (seed + position) % 3 == 2
            log_progress(
                session,
                actor=DEMO_ACTOR,
                plan_id=plan.id,
                data=ProgressIn(
                    milestone_id=milestone.id,
                    status="in_progress" if lagging else "done",
                    note="Logged by the demo loader.",
                ),
            )
