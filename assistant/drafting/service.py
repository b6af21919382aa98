"""Agenda rules: who may draft one, what a stored agenda must satisfy, reading it back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal
from assistant.drafting.context import build_agenda_context
from assistant.drafting.export import session_ics
from assistant.drafting.models import AgendaBody, AgendaContext, AgendaDrafter, AgendaOut
from assistant.drafting.playbooks import PlaybookLibrary
from assistant.errors import NotFound, RuleViolation
from assistant.matching.models import WORKING_STATUSES, Match
from assistant.matching.service import match_out
from assistant.retrieval.notes import NoteIndex
from assistant.retrieval.service import KnowledgeBase
from assistant.sessions.models import MentoringSession
from assistant.sessions.service import session_out, visible_session


class AgendaRejected(Exception):
    """A drafter produced an agenda that breaks the rules below (a bug, or a model)."""


def agenda_problems(body: AgendaBody, context: AgendaContext) -> list[str]:
    """What is wrong with an agenda for this context; empty when it may be stored.

    The same check guards every drafter: the offline composer must never trip it, and
    a model's answer that does is repaired or replaced by the composer's.
    """
    problems: list[str] = []
    total = sum(item.minutes for item in body.items)
    if total != context.meeting.duration_minutes:
        problems.append(
            f"the items add up to {total} minutes, not the session's "
            f"{context.meeting.duration_minutes}"
        )
    members = {m.id for m in context.members}
    for index, item in enumerate(body.items):
        if item.lead_id is not None and item.lead_id not in members:
            problems.append(f"item {index} is led by {item.lead_id!r}, who is not a member")
    for index, task in enumerate(body.prep):
        if task.participant_id not in members:
            problems.append(f"prep task {index} is for {task.participant_id!r}, not a member")
    cited = {c.id for c in body.citations}
    readable = context.citable_ids()
    for citation in body.citations:
        if citation.id not in readable:
            problems.append(f"citation {citation.id!r} is not in what every member may read")
    used = [cid for item in body.items for cid in item.citation_ids]
    used += [cid for task in body.prep for cid in task.citation_ids]
    for cid in used:
        if cid not in cited:
            problems.append(f"{cid!r} is cited but not among the agenda's citations")
    return problems


def _working_session(
    db: Session, actor: Principal, session_id: str
) -> tuple[MentoringSession, Match]:
    row = visible_session(db, actor, session_id)
    match = db.get(Match, row.match_id)
    assert match is not None  # the foreign key guarantees it
    return row, match


def draft_agenda(
    db: Session,
    *,
    actor: Principal,
    session_id: str,
    drafter: AgendaDrafter,
    knowledge: KnowledgeBase,
    notes_index: NoteIndex,
    library: PlaybookLibrary,
    now: datetime,
    focus: str = "",
) -> AgendaOut:
    row, match = _working_session(db, actor, session_id)
    if row.status in ("cancelled", "missed"):
        raise RuleViolation(f"the session is {row.status}; agendas are for sessions that happen")
    if match.status not in WORKING_STATUSES:
        raise RuleViolation(f"the match is {match.status}; agendas belong to open matches")
    context = build_agenda_context(
        db,
        meeting=row,
        match=match,
        now=now,
        knowledge=knowledge,
        notes_index=notes_index,
        library=library,
        focus=focus,
    )
    drafted = drafter.draft_agenda(context)
    problems = agenda_problems(drafted.body, context)
    if problems:
        raise AgendaRejected("; ".join(problems))
    agenda = AgendaOut(
        session_id=row.id,
        match_id=match.id,
        mode=match.mode,
        members=context.match.members,
        drafter=drafted.drafter,
        title=row.title or f"Session {context.number}",
        scheduled_at=row.scheduled_at,
        total_minutes=row.duration_minutes,
        items=drafted.body.items,
        prep=drafted.body.prep,
        citations=drafted.body.citations,
        remarks=drafted.body.remarks,
        drafted_at=now,
        drafted_by=actor.id,
    )
    # The agenda is kept with its session: re-drafting replaces it, and the session's
    # calendar entry carries the latest one.
    row.agenda = agenda.model_dump(mode="json")
    record_event(
        db,
        actor=actor,
        action="session.agenda_drafted",
        entity_type="session",
        entity_id=row.id,
        detail={"drafter": drafted.drafter, "items": len(agenda.items)},
    )
    db.flush()
    return agenda


def read_agenda(db: Session, *, actor: Principal, session_id: str) -> AgendaOut:
    row, _ = _working_session(db, actor, session_id)
    if row.agenda is None:
        raise NotFound("agenda for session", session_id)
    return AgendaOut.model_validate(row.agenda)


def session_members(db: Session, *, actor: Principal, session_id: str) -> dict[str, str]:
    """Member names by id, for exports of a session the caller may see."""
    _, match = _working_session(db, actor, session_id)
    return {m.participant_id: m.name for m in match_out(db, match).members}


def session_calendar(db: Session, *, actor: Principal, session_id: str, now: datetime) -> str:
    """The session as an iCalendar event carrying its latest agenda, for the API route
    and the page's download alike (a session without an agenda is still an event)."""
    row = visible_session(db, actor, session_id)
    try:
        agenda: AgendaOut | None = read_agenda(db, actor=actor, session_id=session_id)
    except NotFound:
        agenda = None
    names = list(session_members(db, actor=actor, session_id=session_id).values())
    return session_ics(session_out(row), agenda, names, now)


def calendar_filename(session_id: str) -> str:
    return f"session-{session_id}.ics"
