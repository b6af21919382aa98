"""The context builder for agendas: one function gathers everything a drafter may use.

Everything here is readable by every member of the match (see drafting/models.py), and
retrieved text arrives as data with its chunk id, for the drafter to quote and cite.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.drafting.models import AgendaContext, DatedMilestone, MemberProgress
from assistant.drafting.playbooks import Cited, Playbook, PlaybookLibrary
from assistant.matching.models import Match
from assistant.matching.service import match_out
from assistant.people.models import ParticipantOut
from assistant.people.service import get_participant, participant_out
from assistant.plans.models import PlanOut
from assistant.plans.service import DAYS_PER_MONTH, match_plans, working_plan_out
from assistant.retrieval.models import SearchResult
from assistant.retrieval.notes import NoteIndex
from assistant.retrieval.service import KnowledgeBase
from assistant.sessions.models import MentoringSession, TalkingPoint
from assistant.sessions.service import (
    action_item_out,
    held,
    session_out,
    shared_notes,
    shared_open_action_items,
    talking_point_out,
)

logger = logging.getLogger("tandem.drafting")

CLOSED = frozenset({"done", "dropped"})
NOTES_PER_AGENDA = 3

MODE_GUIDE = {
    "mentor": "knowledge/modes/mentor.md",
    "near_peer": "knowledge/modes/near-peer.md",
    "reverse": "knowledge/modes/reverse.md",
    "peer": "knowledge/modes/peer.md",
    "group": "knowledge/modes/group-peer-coaching-pods.md",
    "flash": "knowledge/modes/flash.md",
}
# Which section of which document backs each part of an agenda, by purpose.
SESSION_GUIDANCE: dict[str, tuple[str, str]] = {
    "first_session": ("knowledge/practice/other-session-structures.md", "A first session"),
    "commitments": ("knowledge/practice/grow-session-structure.md", "Way forward"),
    "structured_feedback": ("knowledge/practice/feedback-sbi.md", "The three parts of SBI"),
    "pair_feedback_round": (
        "knowledge/practice/reciprocal-feedback-in-peer-pairs.md",
        "A 20-minute round for two peers",
    ),
    "group_feedback_round": (
        "knowledge/practice/reciprocal-feedback-in-peer-pairs.md",
        "A round in a group of three to six",
    ),
    "shadowing_debrief": ("knowledge/modes/shadow-coaching.md", "How sessions run"),
    "group_rotation": (
        "knowledge/practice/other-session-structures.md",
        "A group session with rotating focus",
    ),
}


def _section(chunks: list[SearchResult], heading: str) -> Cited | None:
    for chunk in sorted(chunks, key=lambda c: c.chunk_id):
        if chunk.heading.startswith(heading):
            return Cited(
                text=chunk.text.strip(),
                chunk_id=chunk.chunk_id,
                source=chunk.source,
                title=chunk.title,
            )
    return None


def session_guidance(knowledge: KnowledgeBase, mode: str) -> dict[str, Cited]:
    """The guidance sections an agenda leans on, looked up by document and heading
    rather than by similarity: the same session always cites the same advice."""
    wanted = {"how_sessions_run": (MODE_GUIDE[mode], "How sessions run"), **SESSION_GUIDANCE}
    by_source: dict[str, list[SearchResult]] = {}
    found: dict[str, Cited] = {}
    for purpose, (source, heading) in wanted.items():
        if source not in by_source:
            by_source[source] = knowledge.chunks_of(source)
        piece = _section(by_source[source], heading)
        if piece is not None:
            found[purpose] = piece
    return found


def build_agenda_context(
    db: Session,
    *,
    meeting: MentoringSession,
    match: Match,
    now: datetime,
    knowledge: KnowledgeBase,
    notes_index: NoteIndex,
    library: PlaybookLibrary,
    focus: str = "",
) -> AgendaContext:
    remarks: list[str] = []
    out = match_out(db, match)
    members = [participant_out(get_participant(db, m.participant_id)) for m in out.members]
    roles: dict[str, str] = {m.participant_id: m.role for m in out.members}
    others = list(
        db.scalars(
            select(MentoringSession)
            .where(
                MentoringSession.match_id == match.id,
                MentoringSession.id != meeting.id,
                MentoringSession.status.not_in(("cancelled", "missed")),
            )
            .order_by(MentoringSession.scheduled_at, MentoringSession.id)
        )
    )
    earlier = [s for s in others if s.scheduled_at < meeting.scheduled_at]
    held_before = [s for s in earlier if held(s, now)]
    on = meeting.scheduled_at.date()
    interval = DAYS_PER_MONTH / max(out.cadence.sessions_per_month, 1)
    next_on = on + timedelta(days=round(interval))

    plans = {p.owner_id: working_plan_out(db, p) for p in match_plans(db, match.id)}
    progress = [member_progress(plans.get(m.id), m, on, next_on) for m in members]

    points = db.scalars(
        select(TalkingPoint)
        .where(TalkingPoint.session_id == meeting.id)
        .order_by(TalkingPoint.created_at, TalkingPoint.id)
    )
    talking_points = [talking_point_out(p) for p in points]
    action_items = [action_item_out(i) for i in shared_open_action_items(db, match_id=match.id)]

    query = " ".join(
        [focus]
        + [p.current.milestone.title for p in progress if p.current]
        + [t.text for t in talking_points]
        + [i.text for i in action_items[:3]]
    ).strip()
    notes: list[SearchResult] = []
    if held_before and query:
        try:
            notes = shared_notes(
                db, notes_index, match_id=match.id, query=query, k=NOTES_PER_AGENDA
            )
        except Exception as exc:  # the agenda is still useful without them; say so
            logger.warning("notes unavailable for agenda: %s", exc)
            remarks.append(f"Past notes could not be searched ({type(exc).__name__}).")

    guidance: dict[str, Cited] = {}
    playbooks: dict[str, Playbook] = {}
    try:
        guidance = session_guidance(knowledge, out.mode)
        for skill in sorted({s for p in progress if p.current for s in p.current.objective.skills}):
            book = library.playbook(skill)
            if book is not None:
                playbooks[skill] = book
    except Exception as exc:
        logger.warning("guidance unavailable for agenda: %s", exc)
        remarks.append(f"Guidance could not be read ({type(exc).__name__}); nothing is cited.")

    return AgendaContext(
        match=out,
        members=members,
        roles=roles,
        meeting=session_out(meeting),
        number=len(earlier) + 1,
        previous=session_out(held_before[-1]) if held_before else None,
        next_meeting_on=next_on,
        progress=progress,
        action_items=action_items,
        talking_points=talking_points,
        notes=notes,
        guidance=guidance,
        playbooks=playbooks,
        focus=focus,
        remarks=remarks,
    )


def member_progress(
    plan: PlanOut | None, owner: ParticipantOut, on: date, due_soon_until: date
) -> MemberProgress:
    """Where one member stands on the day of the session: due soon means before the
    members expect to meet again."""
    if plan is None:
        return MemberProgress(
            owner=owner,
            plan_id=None,
            current=None,
            overdue=[],
            due_soon=[],
            done=0,
            total=0,
            shadowing=[],
        )
    dated = sorted(
        (
            DatedMilestone(milestone=m, objective=o, owner_id=owner.id)
            for o in plan.objectives
            for m in o.milestones
        ),
        key=lambda d: (d.due, d.milestone.title),
    )
    open_ = [d for d in dated if d.milestone.status not in CLOSED]
    current = open_[0] if open_ else None
    shadowing = (
        [a for a in current.objective.activities if a.kind == "shadowing"] if current else []
    )
    return MemberProgress(
        owner=owner,
        plan_id=plan.id,
        current=current,
        overdue=[d for d in open_ if d.due < on],
        due_soon=[d for d in open_ if on <= d.due <= due_soon_until],
        done=sum(1 for d in dated if d.milestone.status == "done"),
        total=len(dated),
        shadowing=shadowing,
    )
