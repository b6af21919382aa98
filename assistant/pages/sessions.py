"""The match page and the session page: what mentors, mentees and peers work from before,
during and after a session.

Every read and write calls the service functions the REST routes call, with the
signed-in person as the actor, so a page shows and changes exactly what the API would
let them (a service's NotFound becomes the HTML 404 page).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from assistant.drafting import service as agendas
from assistant.drafting.models import AgendaOut, AgendaRequest
from assistant.drafting.rubric import own_time
from assistant.errors import DomainError, NotFound
from assistant.matching.models import WORKING_STATUSES, MatchOut
from assistant.matching.service import match_out, visible_match
from assistant.pages.common import (
    CheckedForm,
    SignedIn,
    Viewer,
    form_text,
    render,
    safe_next,
    see_other,
)
from assistant.people.models import StaffMember
from assistant.plans import service as plans
from assistant.plans.markdown import citation_numbers, minutes_text
from assistant.sessions import service as sessions
from assistant.sessions.models import (
    ActionItem,
    MentoringSession,
    Note,
    NoteCreate,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    TalkingPoint,
    TalkingPointIn,
)
from assistant.web import DB, Services

router = APIRouter(include_in_schema=False)

MODE_WORDS = {
    "mentor": "Mentoring",
    "near_peer": "Near-peer mentoring",
    "reverse": "Reverse mentoring",
    "flash": "Flash mentoring",
    "peer": "Peer pair",
    "group": "Peer group",
}
# What a note's visibility means, in the words the note list shows.
VISIBILITY_WORDS = {
    "private": "Private: only its author reads it",
    "match": "Shared with everyone in this match and program staff",
    "staff": "Program staff and its author only",
}
# The choices of the note form, one per visibility the API allows. None is preselected:
# who reads a note is the writer's decision, never a default they did not see.
VISIBILITY_CHOICES = (
    ("match", "Everyone in this match", "All members read it, and program staff."),
    ("private", "Only me", "Nobody else reads it, not even program staff."),
    ("staff", "Program staff only", "Staff and you; the other members do not see it."),
)
STATUS_ACTIONS = {
    "held": "Mark as held",
    "cancelled": "Mark as cancelled",
    "missed": "Mark as missed",
    "scheduled": "Back to scheduled",
}
# Messages a redirect may ask the next page to announce (fixed text: never echoed input).
FLASHES = {
    "scheduled": "Session scheduled.",
    "drafted": "Agenda drafted.",
    "point-added": "Talking point added.",
    "point-removed": "Talking point removed.",
    "note-saved": "Note saved.",
    "note-saved-unindexed": "Note saved. Search will find it once the search index is back.",
    "item-done": "Action item ticked off.",
    "item-reopened": "Action item reopened.",
    "status": "Session status updated.",
}
ACTION_ITEM_ROWS = 2  # action items one note form carries; more go in another note

FIELD_LABELS = {
    "scheduled_at": "Date and time",
    "duration_minutes": "Length",
    "title": "Title",
    "text": "Text",
    "visibility": "Who can read it",
    "action_items": "Action item",
    "owner_id": "Owner",
    "due_date": "Due date",
    "focus": "Focus",
}


def validation_message(exc: ValidationError) -> str:
    """A schema's complaints as a sentence a person can act on, naming the form's labels."""
    parts = []
    for error in exc.errors():
        names = [FIELD_LABELS.get(str(p), "") for p in error["loc"] if isinstance(p, str)]
        label = next((n for n in reversed(names) if n), "A field")
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_too_short":
            message = "must not be empty"
        parts.append(f"{label}: {message}")
    return "; ".join(dict.fromkeys(parts)) + "."


def flash_for(request: Request) -> str:
    return FLASHES.get(request.query_params.get("done", ""), "")


def with_flash(path: str, key: str) -> str:
    return f"{path}?done={key}"


def local_input_value(value: datetime, viewer: Viewer) -> str:
    """A UTC time as a datetime-local input shows it, in the viewer's zone."""
    return value.astimezone(viewer.timezone).strftime("%Y-%m-%dT%H:%M")


def utc_from_local_input(text: str, viewer: Viewer) -> datetime | None:
    """A datetime-local value (the viewer's wall clock) as a UTC instant; None when it
    is not a date and time at all."""
    try:
        wall = datetime.fromisoformat(text)
    except ValueError:
        return None
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    return wall.replace(tzinfo=viewer.timezone).astimezone(UTC)


class _FormError(Exception):
    """Input a page could not even hand to a service (a date that is not a date)."""

    status_code = 422


@dataclass
class FormState:
    """What one form on a page shows after a failed post: its error and the input kept."""

    name: str = ""
    error: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def value(self, form: str, key: str, default: Any = "") -> Any:
        return self.values.get(key, default) if self.name == form else default

    def error_for(self, form: str) -> str:
        return self.error if self.name == form else ""


@dataclass(frozen=True)
class ItemView:
    """An action item as the pages list it: owner's name and whether the viewer may tick it."""

    item: ActionItem
    owner_name: str
    can_tick: bool


def _author_names(db: Session, match: MatchOut, notes: list[Note]) -> dict[tuple[str, str], str]:
    names = {("participant", m.participant_id): m.name for m in match.members}
    staff_ids = {n.author_id for n in notes if n.author_kind == "staff"}
    if staff_ids:
        for staff_id, name in db.execute(
            select(StaffMember.id, StaffMember.name).where(StaffMember.id.in_(staff_ids))
        ):
            names[("staff", staff_id)] = f"{name} (program staff)"
    return names


def _item_views(items: list[ActionItem], match: MatchOut, viewer: Viewer) -> list[ItemView]:
    names = {m.participant_id: m.name for m in match.members}
    me = viewer.principal

    def may_tick(item: ActionItem) -> bool:
        # The rule set_action_item_done enforces, so the page offers no button it refuses.
        wrote_it = item.note.author_id == me.id and item.note.author_kind == me.kind
        return me.is_staff or item.owner_id in (None, me.id) or wrote_it

    return [
        ItemView(item, names.get(item.owner_id or "", "Anyone in the match"), may_tick(item))
        for item in items
    ]


def _ended(row: MentoringSession | SessionOut, now: datetime) -> bool:
    return row.scheduled_at + timedelta(minutes=row.duration_minutes) <= now


# ---- the match page -----------------------------------------------------------------


def match_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    services: Services,
    match_id: str,
    *,
    state: FormState | None = None,
    status_code: int = 200,
) -> Response:
    actor = viewer.principal
    match = match_out(db, visible_match(db, actor, match_id))
    now = services.clock.now()
    rows = sessions.list_sessions(db, actor=actor, match_id=match_id)
    upcoming = [r for r in rows if not _ended(r, now)]
    past = [r for r in reversed(rows) if _ended(r, now)]
    items = sessions.visible_action_items(db, actor=actor, match_id=match_id, open_only=True)
    default_start = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    return render(
        request,
        "match.html",
        viewer=viewer,
        status_code=status_code,
        match=match,
        mode_words=MODE_WORDS.get(match.mode, match.mode),
        plans=plans.list_plans(db, actor=actor, match_id=match_id),
        names={m.participant_id: m.name for m in match.members},
        upcoming=upcoming,
        past=past,
        items=_item_views(items, match, viewer),
        working=match.status in WORKING_STATUSES,
        state=state or FormState(),
        default_start=local_input_value(default_start, viewer),
        default_minutes=match.cadence.minutes,
        flash=flash_for(request),
        here=f"/matches/{match.id}",
    )


@router.get("/matches/{match_id}")
def show_match(
    match_id: str, request: Request, viewer: SignedIn, db: DB, services: Services
) -> Response:
    return match_page(request, viewer, db, services, match_id)


@router.post("/matches/{match_id}/sessions")
def schedule_session(
    match_id: str,
    request: Request,
    form: CheckedForm,
    viewer: SignedIn,
    db: DB,
    services: Services,
) -> Response:
    when_text = form_text(form, "scheduled_at")
    minutes = form_text(form, "duration_minutes")
    title = form_text(form, "title")
    kept = {"scheduled_at": when_text, "duration_minutes": minutes, "title": title}
    when = utc_from_local_input(when_text, viewer)
    try:
        if when is None:
            raise _FormError("Date and time: enter the day and time the session starts.")
        fields: dict[str, Any] = {"scheduled_at": when, "title": title}
        if minutes:
            fields["duration_minutes"] = minutes
        data = SessionCreate.model_validate(fields)
        row = sessions.schedule_session(db, actor=viewer.principal, match_id=match_id, data=data)
    except (_FormError, ValidationError, DomainError) as exc:
        if isinstance(exc, NotFound):
            raise
        db.rollback()
        state = FormState("schedule", _message(exc), kept)
        return match_page(
            request, viewer, db, services, match_id, state=state, status_code=_status(exc)
        )
    return see_other(with_flash(f"/sessions/{row.id}", "scheduled"))


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_message(exc)
    if isinstance(exc, DomainError):
        return exc.message[:1].upper() + exc.message[1:] + "."
    return str(exc)


def _status(exc: Exception) -> int:
    if isinstance(exc, ValidationError):
        return 422
    status: int = getattr(exc, "status_code", 422)
    return status


# ---- the session page ---------------------------------------------------------------


@dataclass(frozen=True)
class AgendaView:
    """A stored agenda with what the page adds for reading it: names, each member's time,
    prep per person and source numbers. Nothing is rewritten: wording is the drafter's."""

    agenda: AgendaOut
    names: dict[str, str]
    numbers: dict[str, int]
    member_time: list[tuple[str, str, int, int]]  # name, role, own minutes, minutes leading
    prep: list[tuple[str, list[str]]]  # name, tasks


def _agenda_view(agenda: AgendaOut) -> AgendaView:
    names = {m.participant_id: m.name for m in agenda.members}
    own = own_time(agenda.items)
    member_time: list[tuple[str, str, int, int]] = [
        (
            m.name,
            m.role,
            own.get(m.participant_id, 0),
            sum(i.minutes for i in agenda.items if i.lead_id == m.participant_id),
        )
        for m in agenda.members
    ]
    prep = [
        (m.name, [t.task for t in agenda.prep if t.participant_id == m.participant_id])
        for m in agenda.members
    ]
    return AgendaView(
        agenda=agenda,
        names=names,
        numbers=citation_numbers(agenda.citations),
        member_time=member_time,
        prep=[(name, tasks) for name, tasks in prep if tasks],
    )


def _previous_session(
    rows: list[MentoringSession], current: MentoringSession
) -> MentoringSession | None:
    """The last session before this one that was not called off: its open items are
    what the members agreed to do since."""
    earlier = [
        r
        for r in rows
        if r.id != current.id
        and (r.scheduled_at, r.id) < (current.scheduled_at, current.id)
        and r.status not in ("cancelled", "missed")
    ]
    return earlier[-1] if earlier else None


def session_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    services: Services,
    session_id: str,
    *,
    state: FormState | None = None,
    status_code: int = 200,
) -> Response:
    actor = viewer.principal
    row = sessions.visible_session(db, actor, session_id)
    match = match_out(db, visible_match(db, actor, row.match_id))
    try:
        agenda: AgendaOut | None = agendas.read_agenda(db, actor=actor, session_id=row.id)
    except NotFound:
        agenda = None
    all_rows = sessions.list_sessions(db, actor=actor, match_id=row.match_id)
    previous = _previous_session(all_rows, row)
    items = sessions.visible_action_items(db, actor=actor, match_id=row.match_id)
    last_time = [i for i in items if previous is not None and i.session_id == previous.id]
    notes = sessions.list_notes(db, actor=actor, session_id=row.id)
    points = sessions.list_talking_points(db, actor=actor, session_id=row.id)
    names = {m.participant_id: m.name for m in match.members}
    is_member = not actor.is_staff and actor.id in names
    return render(
        request,
        "session.html",
        viewer=viewer,
        status_code=status_code,
        meeting=sessions.session_out(row),
        match=match,
        mode_words=MODE_WORDS.get(match.mode, match.mode),
        names=names,
        agenda=_agenda_view(agenda) if agenda is not None else None,
        minutes_text=minutes_text,
        previous=previous,
        # The section stays once last time had items, so ticking the last one off
        # shows "all done" in place instead of leaving a stale list.
        had_items_last_time=bool(last_time),
        from_last_time=_item_views([i for i in last_time if not i.done], match, viewer),
        session_items=_item_views([i for i in items if i.session_id == row.id], match, viewer),
        notes=notes,
        authors=_author_names(db, match, notes),
        visibility_words=VISIBILITY_WORDS,
        visibility_choices=VISIBILITY_CHOICES,
        points=points,
        may_add_points=is_member and row.status not in ("cancelled", "missed"),
        may_draft=row.status not in ("cancelled", "missed") and match.status in WORKING_STATUSES,
        status_actions={k: v for k, v in STATUS_ACTIONS.items() if k != row.status},
        action_rows=range(1, ACTION_ITEM_ROWS + 1),
        state=state or FormState(),
        flash=flash_for(request),
        here=f"/sessions/{row.id}",
    )


def _retry_session_page(
    request: Request,
    viewer: Viewer,
    db: Session,
    services: Services,
    session_id: str,
    state: FormState,
    exc: Exception,
) -> Response:
    """The session page again after a refused post: the error beside its form, the input
    kept, nothing half-written (the transaction is rolled back first)."""
    if isinstance(exc, NotFound):
        raise exc
    db.rollback()
    return session_page(
        request, viewer, db, services, session_id, state=state, status_code=_status(exc)
    )


@router.get("/sessions/{session_id}")
def show_session(
    session_id: str, request: Request, viewer: SignedIn, db: DB, services: Services
) -> Response:
    return session_page(request, viewer, db, services, session_id)


@router.get("/sessions/{session_id}/session.ics")
def session_calendar_file(
    session_id: str, viewer: SignedIn, db: DB, services: Services
) -> Response:
    text = agendas.session_calendar(
        db, actor=viewer.principal, session_id=session_id, now=services.clock.now()
    )
    filename = agendas.calendar_filename(session_id)
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/sessions/{session_id}/agenda")
def draft_agenda(
    session_id: str,
    request: Request,
    form: CheckedForm,
    viewer: SignedIn,
    db: DB,
    services: Services,
) -> Response:
    focus = form_text(form, "focus")
    try:
        request_body = AgendaRequest(focus=focus)
        agendas.draft_agenda(
            db,
            actor=viewer.principal,
            session_id=session_id,
            drafter=services.agenda_drafter,
            knowledge=services.knowledge,
            notes_index=services.notes_index,
            library=services.playbooks,
            now=services.clock.now(),
            focus=request_body.focus,
        )
    except (ValidationError, DomainError) as exc:
        state = FormState("agenda", _message(exc), {"focus": focus})
        return _retry_session_page(request, viewer, db, services, session_id, state, exc)
    return see_other(with_flash(f"/sessions/{session_id}", "drafted") + "#agenda")


@router.post("/sessions/{session_id}/talking-points")
def add_talking_point(
    session_id: str,
    request: Request,
    form: CheckedForm,
    viewer: SignedIn,
    db: DB,
    services: Services,
) -> Response:
    text = form_text(form, "text")
    try:
        sessions.add_talking_point(
            db, actor=viewer.principal, session_id=session_id, data=TalkingPointIn(text=text)
        )
    except (ValidationError, DomainError) as exc:
        state = FormState("point", _message(exc), {"text": text})
        return _retry_session_page(request, viewer, db, services, session_id, state, exc)
    return see_other(with_flash(f"/sessions/{session_id}", "point-added"))


@router.post("/talking-points/{talking_point_id}/remove")
def remove_talking_point(
    talking_point_id: str, form: CheckedForm, viewer: SignedIn, db: DB
) -> Response:
    del form
    point = db.get(TalkingPoint, talking_point_id)
    session_id = point.session_id if point is not None else ""
    sessions.delete_talking_point(db, actor=viewer.principal, talking_point_id=talking_point_id)
    return see_other(with_flash(f"/sessions/{session_id}", "point-removed"))


def _typed_action_items(form: FormData) -> list[dict[str, str]]:
    """The note form's action-item rows exactly as typed, to show again after an error."""
    return [
        {
            "text": form_text(form, f"item_text_{n}"),
            "owner_id": form_text(form, f"item_owner_{n}"),
            "due_date": form_text(form, f"item_due_{n}"),
        }
        for n in range(1, ACTION_ITEM_ROWS + 1)
    ]


def _action_items_for_api(rows: list[dict[str, str]]) -> list[dict[str, str | None]]:
    """The rows with text, as NoteCreate takes them (a row left blank is no item)."""
    return [{key: value or None for key, value in row.items()} for row in rows if row["text"]]


@router.post("/sessions/{session_id}/notes")
def add_note(
    session_id: str,
    request: Request,
    form: CheckedForm,
    viewer: SignedIn,
    db: DB,
    services: Services,
) -> Response:
    text = form_text(form, "text")
    visibility = form_text(form, "visibility")
    rows = _typed_action_items(form)
    kept: dict[str, Any] = {"text": text, "visibility": visibility, "rows": rows}
    try:
        if visibility not in VISIBILITY_WORDS:
            raise _FormError("Who can read it: choose one of the three options.")
        data = NoteCreate.model_validate(
            {"text": text, "visibility": visibility, "action_items": _action_items_for_api(rows)}
        )
        note = sessions.add_note(db, actor=viewer.principal, session_id=session_id, data=data)
    except (_FormError, ValidationError, DomainError) as exc:
        state = FormState("note", _message(exc), kept)
        return _retry_session_page(request, viewer, db, services, session_id, state, exc)
    # Committed before indexing, as the API does: the index never holds a note the
    # database lacks.
    db.commit()
    indexed = sessions.index_note(db, services.notes_index, note)
    flash = "note-saved" if indexed else "note-saved-unindexed"
    return see_other(with_flash(f"/sessions/{session_id}", flash) + "#notes")


@router.post("/sessions/{session_id}/status")
def change_session_status(
    session_id: str,
    request: Request,
    form: CheckedForm,
    viewer: SignedIn,
    db: DB,
    services: Services,
) -> Response:
    status = form_text(form, "status")
    try:
        data = SessionUpdate.model_validate({"status": status})
        sessions.update_session(db, actor=viewer.principal, session_id=session_id, data=data)
    except (ValidationError, DomainError) as exc:
        state = FormState("status", _message(exc), {})
        return _retry_session_page(request, viewer, db, services, session_id, state, exc)
    return see_other(with_flash(f"/sessions/{session_id}", "status"))


@router.post("/action-items/{action_item_id}")
def tick_action_item(
    action_item_id: str, form: CheckedForm, viewer: SignedIn, db: DB, services: Services
) -> Response:
    done = form_text(form, "done") == "true"
    item = sessions.set_action_item_done(
        db,
        actor=viewer.principal,
        action_item_id=action_item_id,
        done=done,
        now=services.clock.now(),
    )
    # Back to the page the box was ticked on (the match page or a session page).
    back = safe_next(form_text(form, "next"))
    if back == "/":
        back = f"/sessions/{item.session_id}"
    return see_other(with_flash(back, "item-done" if done else "item-reopened"))
