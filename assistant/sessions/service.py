"""Session rules: scheduling, who may read which note, action items."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal
from assistant.errors import InvalidField, NotAllowed, NotFound, RuleViolation
from assistant.matching.models import WORKING_STATUSES, Match
from assistant.matching.service import is_member, list_matches, member_ids, visible_match
from assistant.retrieval.models import SearchMethod, SearchResult
from assistant.retrieval.notes import IndexedNote, NoteAccess, NoteIndex
from assistant.sessions.models import (
    ActionItem,
    ActionItemOut,
    MentoringSession,
    Note,
    NoteCreate,
    NoteOut,
    NoteUpdate,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    TalkingPoint,
    TalkingPointIn,
    TalkingPointOut,
)

logger = logging.getLogger("tandem.sessions")


def session_out(row: MentoringSession) -> SessionOut:
    return SessionOut.model_validate(row, from_attributes=True)


def note_out(note: Note) -> NoteOut:
    return NoteOut.model_validate(note, from_attributes=True)


def visible_notes_clause(principal: Principal) -> ColumnElement[bool]:
    """The note access rule as a SQL condition, applied inside every query that reads
    notes or what hangs off them (action items), never as a filter afterwards.

    private: the author alone. match: every member (match membership is checked by the
    caller of this clause) and staff. staff: staff and the author.
    """
    is_author = and_(Note.author_id == principal.id, Note.author_kind == principal.kind)
    if principal.is_staff:
        return or_(Note.visibility.in_(("match", "staff")), is_author)
    return or_(Note.visibility == "match", is_author)


def held(row: MentoringSession, now: datetime) -> bool:
    """Whether a session counts as having happened.

    A scheduled session whose time has passed counts as held unless someone marked it
    cancelled or missed: people forget to tick "held", they rarely forget to cancel.
    """
    if row.status == "held":
        return True
    end = row.scheduled_at + timedelta(minutes=row.duration_minutes)
    return row.status == "scheduled" and end <= now


def visible_session(session: Session, principal: Principal, session_id: str) -> MentoringSession:
    row = session.get(MentoringSession, session_id)
    if row is None:
        raise NotFound("session", session_id)
    try:
        visible_match(session, principal, row.match_id)
    except NotFound:
        raise NotFound("session", session_id) from None
    return row


def _require_working(match: Match) -> None:
    if match.status not in WORKING_STATUSES:
        raise RuleViolation(f"the match is {match.status}; sessions belong to open matches")


def schedule_session(
    session: Session, *, actor: Principal, match_id: str, data: SessionCreate
) -> MentoringSession:
    match = visible_match(session, actor, match_id)
    _require_working(match)
    row = MentoringSession(
        match_id=match.id,
        scheduled_at=data.scheduled_at,
        duration_minutes=data.duration_minutes,
        title=data.title,
        created_by=actor.id,
    )
    session.add(row)
    session.flush()
    return row


def update_session(
    session: Session, *, actor: Principal, session_id: str, data: SessionUpdate
) -> MentoringSession:
    row = visible_session(session, actor, session_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    previous_status = row.status
    for field, value in changes.items():
        setattr(row, field, value)
    if "status" in changes and changes["status"] != previous_status:
        record_event(
            session,
            actor=actor,
            action="session.status_changed",
            entity_type="session",
            entity_id=row.id,
            detail={"from": previous_status, "to": changes["status"]},
        )
    session.flush()
    return row


def list_sessions(session: Session, *, actor: Principal, match_id: str) -> list[MentoringSession]:
    match = visible_match(session, actor, match_id)
    return list(
        session.scalars(
            select(MentoringSession)
            .where(MentoringSession.match_id == match.id)
            .order_by(MentoringSession.scheduled_at, MentoringSession.id)
        )
    )


def add_note(session: Session, *, actor: Principal, session_id: str, data: NoteCreate) -> Note:
    row = visible_session(session, actor, session_id)
    match = session.get(Match, row.match_id)
    assert match is not None  # the foreign key guarantees it
    members = set(member_ids(match))
    for index, item in enumerate(data.action_items):
        if item.owner_id is not None and item.owner_id not in members:
            raise InvalidField(
                ("body", "action_items", index, "owner_id"),
                "an action item's owner must be a member of the match",
            )
    note = Note(
        session_id=row.id,
        match_id=row.match_id,
        author_kind=actor.kind,
        author_id=actor.id,
        text=data.text,
        visibility=data.visibility,
        action_items=[
            ActionItem(
                session_id=row.id,
                match_id=row.match_id,
                text=item.text,
                owner_id=item.owner_id,
                due_date=item.due_date,
            )
            for item in data.action_items
        ],
    )
    session.add(note)
    session.flush()
    return note


def _own_note(session: Session, actor: Principal, note_id: str) -> Note:
    note = session.get(Note, note_id)
    readable = note is not None and session.scalar(
        select(Note.id).where(Note.id == note_id, visible_notes_clause(actor))
    )
    if note is None or not readable:
        raise NotFound("note", note_id)
    try:
        visible_session(session, actor, note.session_id)  # a member of its match?
    except NotFound:
        raise NotFound("note", note_id) from None
    if note.author_id != actor.id or note.author_kind != actor.kind:
        raise NotAllowed("only a note's author edits or deletes it")
    return note


def update_note(
    session: Session, *, actor: Principal, note_id: str, data: NoteUpdate, now: datetime
) -> Note:
    note = _own_note(session, actor, note_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field, value in changes.items():
        setattr(note, field, value)
    note.updated_at = now
    session.flush()
    return note


def delete_note(session: Session, *, actor: Principal, note_id: str) -> None:
    note = _own_note(session, actor, note_id)
    session.delete(note)
    session.flush()


def indexable_note(note: Note, meeting: MentoringSession | None) -> IndexedNote:
    """A note as the search index stores it: text plus what the access rule needs."""
    when = f" on {meeting.scheduled_at.date().isoformat()}" if meeting else ""
    title = (meeting.title if meeting and meeting.title else "Session") + when
    return IndexedNote(
        note_id=note.id,
        session_id=note.session_id,
        match_id=note.match_id,
        author_key=f"{note.author_kind}:{note.author_id}",
        visibility=note.visibility,
        text=note.text,
        title=title,
    )


def index_note(session: Session, notes_index: NoteIndex, note: Note) -> bool:
    """Index a committed note for search; every writer of notes (API and pages) calls
    this after committing, so the index never holds a note the database lacks. A vector
    store that is down costs search, not the note: False says it is not searchable yet."""
    try:
        notes_index.index(indexable_note(note, session.get(MentoringSession, note.session_id)))
        return True
    except Exception:
        logger.exception("note %s saved but not indexed for search", note.id)
        return False


def all_indexable_notes(session: Session) -> list[IndexedNote]:
    rows = session.execute(
        select(Note, MentoringSession).join(
            MentoringSession, MentoringSession.id == Note.session_id
        )
    ).all()
    return [indexable_note(note, meeting) for note, meeting in rows]


def list_notes(session: Session, *, actor: Principal, session_id: str) -> list[Note]:
    row = visible_session(session, actor, session_id)
    return list(
        session.scalars(
            select(Note)
            .where(Note.session_id == row.id, visible_notes_clause(actor))
            .order_by(Note.created_at, Note.id)
        )
    )


def visible_action_items(
    session: Session,
    *,
    actor: Principal,
    match_id: str,
    open_only: bool = False,
) -> list[ActionItem]:
    match = visible_match(session, actor, match_id)
    query = (
        select(ActionItem)
        .join(Note, Note.id == ActionItem.note_id)
        .where(ActionItem.match_id == match.id, visible_notes_clause(actor))
        .where(ActionItem.done == false() if open_only else true())
        .order_by(ActionItem.due_date, ActionItem.created_at, ActionItem.id)
    )
    return list(session.scalars(query))


def set_action_item_done(
    session: Session, *, actor: Principal, action_item_id: str, done: bool, now: datetime
) -> ActionItem:
    item = session.get(ActionItem, action_item_id)
    visible = False
    if item is not None:
        match = session.get(Match, item.match_id)
        readable = session.scalar(
            select(Note.id).where(Note.id == item.note_id, visible_notes_clause(actor))
        )
        visible = (
            match is not None
            and readable is not None
            and (actor.is_staff or is_member(match, actor.id))
        )
    if item is None or not visible:
        raise NotFound("action item", action_item_id)
    if not actor.is_staff and item.owner_id not in (None, actor.id) and not _is_author(item, actor):
        raise NotAllowed("only the item's owner or the note's author ticks it off")
    item.done = done
    item.done_at = now if done else None
    session.flush()
    return item


def _is_author(item: ActionItem, actor: Principal) -> bool:
    return item.note.author_id == actor.id and item.note.author_kind == actor.kind


def action_item_out(item: ActionItem) -> ActionItemOut:
    return ActionItemOut.model_validate(item, from_attributes=True)


def past_due_items(items: list[ActionItem], today: date) -> list[ActionItem]:
    return [i for i in items if not i.done and i.due_date is not None and i.due_date < today]


# ---- talking points ----------------------------------------------------------------

MAX_TALKING_POINTS_PER_SESSION = 30  # beyond this an agenda can give none of them time


def add_talking_point(
    session: Session, *, actor: Principal, session_id: str, data: TalkingPointIn
) -> TalkingPoint:
    row = visible_session(session, actor, session_id)
    match = session.get(Match, row.match_id)
    assert match is not None  # the foreign key guarantees it
    if actor.is_staff or not is_member(match, actor.id):
        raise NotAllowed("talking points come from the match's members")
    if row.status in ("cancelled", "missed"):
        raise RuleViolation(f"the session is {row.status}; talking points are for sessions ahead")
    count = len(list_talking_points(session, actor=actor, session_id=session_id))
    if count >= MAX_TALKING_POINTS_PER_SESSION:
        raise RuleViolation(
            f"this session already has {count} talking points; merge some before adding more"
        )
    point = TalkingPoint(
        session_id=row.id, match_id=row.match_id, author_id=actor.id, text=data.text
    )
    session.add(point)
    session.flush()
    return point


def list_talking_points(
    session: Session, *, actor: Principal, session_id: str
) -> list[TalkingPoint]:
    row = visible_session(session, actor, session_id)
    return list(
        session.scalars(
            select(TalkingPoint)
            .where(TalkingPoint.session_id == row.id)
            .order_by(TalkingPoint.created_at, TalkingPoint.id)
        )
    )


def delete_talking_point(session: Session, *, actor: Principal, talking_point_id: str) -> None:
    point = session.get(TalkingPoint, talking_point_id)
    if point is None:
        raise NotFound("talking point", talking_point_id)
    try:
        visible_session(session, actor, point.session_id)
    except NotFound:
        raise NotFound("talking point", talking_point_id) from None
    if point.author_id != actor.id or actor.is_staff:
        raise NotAllowed("only the member who added a talking point removes it")
    session.delete(point)
    session.flush()


def talking_point_out(point: TalkingPoint) -> TalkingPointOut:
    return TalkingPointOut.model_validate(point, from_attributes=True)


# ---- what the whole match may read ------------------------------------------------


def whole_match_access(match_id: str) -> NoteAccess:
    """The note rule for something every member of a match will read (a stored agenda):
    only notes shared with the match. The principal key matches no author, so nobody's
    private or staff-only note qualifies, whoever asked for the draft."""
    return NoteAccess(principal_key=f"match:{match_id}", is_staff=False, match_ids=(match_id,))


def shared_notes(
    session: Session, notes_index: NoteIndex, *, match_id: str, query: str, k: int
) -> list[SearchResult]:
    """Match-visible notes of one match, best first for `query`; the rule is applied
    inside the vector query, and the database decides which notes still exist."""
    found = notes_index.search(
        query, access=whole_match_access(match_id), k=k, method="hybrid", only_match=match_id
    )
    ids = [r.note_id for r in found if r.note_id]
    existing = set(
        session.scalars(select(Note.id).where(Note.id.in_(ids), Note.visibility == "match"))
    )
    return [r for r in found if r.note_id in existing]


def shared_open_action_items(session: Session, *, match_id: str) -> list[ActionItem]:
    """Open action items hanging off notes the whole match may read."""
    return list(
        session.scalars(
            select(ActionItem)
            .join(Note, Note.id == ActionItem.note_id)
            .where(
                ActionItem.match_id == match_id,
                Note.visibility == "match",
                ActionItem.done == false(),
            )
            .order_by(ActionItem.due_date, ActionItem.created_at, ActionItem.id)
        )
    )


def note_access(session: Session, caller: Principal) -> NoteAccess:
    """The caller in the terms of the note rule: staff, or a member of these matches."""
    key = f"{caller.kind}:{caller.id}"
    if caller.is_staff:
        return NoteAccess(principal_key=key, is_staff=True)
    matches = list_matches(session, actor=caller)
    return NoteAccess(principal_key=key, is_staff=False, match_ids=tuple(m.id for m in matches))


def search_notes(
    session: Session,
    notes_index: NoteIndex,
    caller: Principal,
    query: str,
    *,
    k: int,
    method: SearchMethod = "hybrid",
    match_id: str | None = None,
) -> list[SearchResult]:
    """Notes the caller may read, best first. Shared by the search route and chat, so
    every reader of notes goes through the same rule, inside the vector query."""
    if match_id is not None:
        visible_match(session, caller, match_id)  # 404 for a match the caller cannot see
    found = notes_index.search(
        query, access=note_access(session, caller), k=k, method=method, only_match=match_id
    )
    # A note deleted while the vector store was unreachable may still have vectors;
    # the database decides what exists.
    existing = set(
        session.scalars(select(Note.id).where(Note.id.in_([r.note_id for r in found if r.note_id])))
    )
    return [r for r in found if r.note_id in existing]
