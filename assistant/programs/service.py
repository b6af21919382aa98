"""Program rules and the staff roll-up: matches by status, plans at risk, sessions held."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal
from assistant.errors import NotFound
from assistant.matching.models import Match
from assistant.plans.models import Plan
from assistant.plans.service import DAYS_PER_MONTH, HealthThresholds, plan_health
from assistant.programs.models import (
    Cadence,
    PlanAtRisk,
    Program,
    ProgramCreate,
    ProgramOut,
    ProgramRollup,
)
from assistant.sessions.models import MentoringSession
from assistant.sessions.service import held


def program_out(program: Program) -> ProgramOut:
    return ProgramOut(
        id=program.id,
        name=program.name,
        default_mode=program.default_mode,
        starts_on=program.starts_on,
        ends_on=program.ends_on,
        cadence=Cadence(
            sessions_per_month=program.sessions_per_month, minutes=program.session_minutes
        ),
        created_at=program.created_at,
    )


def create_program(session: Session, *, actor: Principal, data: ProgramCreate) -> Program:
    program = Program(
        name=data.name,
        default_mode=data.default_mode,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        sessions_per_month=data.cadence.sessions_per_month,
        session_minutes=data.cadence.minutes,
    )
    session.add(program)
    session.flush()
    record_event(
        session, actor=actor, action="program.created", entity_type="program", entity_id=program.id
    )
    return program


def get_program(session: Session, program_id: str) -> Program:
    program = session.get(Program, program_id)
    if program is None:
        raise NotFound("program", program_id)
    return program


def list_programs(session: Session) -> list[Program]:
    return list(session.scalars(select(Program).order_by(Program.starts_on, Program.id)))


def program_rollup(
    session: Session,
    *,
    actor: Principal,
    program_id: str,
    now: datetime,
    thresholds: HealthThresholds,
) -> ProgramRollup:
    program = get_program(session, program_id)
    today = now.date()
    matches = list(session.scalars(select(Match).where(Match.program_id == program.id)))
    by_status = Counter(m.status for m in matches)

    at_risk: list[PlanAtRisk] = []
    working = [m for m in matches if m.status in ("active", "paused")]
    for plan in session.scalars(
        select(Plan).where(Plan.match_id.in_([m.id for m in working])).order_by(Plan.created_at)
    ):
        health = plan_health(session, actor=actor, plan_id=plan.id, now=now, thresholds=thresholds)
        if health.status != "on_track":
            at_risk.append(
                PlanAtRisk(
                    plan_id=plan.id,
                    match_id=plan.match_id,
                    owner_id=plan.owner_id,
                    status=health.status,
                    reasons=health.reasons,
                )
            )

    held_count = 0
    expected = 0.0
    for match in matches:
        if match.started_on is None or match.status not in ("active", "paused", "completed"):
            continue
        held_count += sum(
            1
            for s in session.scalars(
                select(MentoringSession).where(MentoringSession.match_id == match.id)
            )
            if held(s, now)
        )
        # Expected sessions count from the match's start to today (or the program's end),
        # at the match's own cadence; a paused match is not expected to meet.
        end = min(today, program.ends_on)
        if match.status != "paused" and end > match.started_on:
            expected += (end - match.started_on).days / DAYS_PER_MONTH * match.sessions_per_month
    expected_count = int(expected)
    return ProgramRollup(
        program_id=program.id,
        as_of=today,
        matches_by_status=dict(sorted(by_status.items())),
        plans_at_risk=at_risk,
        sessions_held=held_count,
        sessions_expected=expected_count,
        sessions_held_ratio=round(held_count / expected_count, 2) if expected_count else None,
    )
