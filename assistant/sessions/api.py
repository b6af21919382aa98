"""Session, note and action-item routes."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response, status

from assistant.sessions import service
from assistant.sessions.models import (
    ActionItemOut,
    ActionItemUpdate,
    NoteCreate,
    NoteOut,
    NoteUpdate,
    SessionCreate,
    SessionOut,
    SessionUpdate,
    TalkingPointIn,
    TalkingPointOut,
)
from assistant.web import DB, Caller, Services

router = APIRouter(prefix="/v1", tags=["sessions"])
logger = logging.getLogger("tandem.sessions")


@router.post(
    "/matches/{match_id}/sessions", status_code=status.HTTP_201_CREATED, response_model=SessionOut
)
def schedule_session(match_id: str, body: SessionCreate, db: DB, caller: Caller) -> SessionOut:
    return service.session_out(
        service.schedule_session(db, actor=caller, match_id=match_id, data=body)
    )


@router.get("/matches/{match_id}/sessions", response_model=list[SessionOut])
def list_sessions(match_id: str, db: DB, caller: Caller) -> list[SessionOut]:
    return [
        service.session_out(s) for s in service.list_sessions(db, actor=caller, match_id=match_id)
    ]


@router.get("/sessions/{session_id}", response_model=SessionOut)
def get_session(session_id: str, db: DB, caller: Caller) -> SessionOut:
    return service.session_out(service.visible_session(db, caller, session_id))


@router.patch("/sessions/{session_id}", response_model=SessionOut)
def update_session(session_id: str, body: SessionUpdate, db: DB, caller: Caller) -> SessionOut:
    return service.session_out(
        service.update_session(db, actor=caller, session_id=session_id, data=body)
    )


@router.post(
    "/sessions/{session_id}/notes", status_code=status.HTTP_201_CREATED, response_model=NoteOut
)
def add_note(
    session_id: str, body: NoteCreate, db: DB, caller: Caller, services: Services
) -> NoteOut:
    note = service.add_note(db, actor=caller, session_id=session_id, data=body)
    # Committed before indexing: the index never holds a note the database lacks.
    db.commit()
    indexed = service.index_note(db, services.notes_index, note)
    return service.note_out(note).model_copy(update={"search_indexed": indexed})


@router.patch("/notes/{note_id}", response_model=NoteOut)
def update_note(
    note_id: str, body: NoteUpdate, db: DB, caller: Caller, services: Services
) -> NoteOut:
    note = service.update_note(
        db, actor=caller, note_id=note_id, data=body, now=services.clock.now()
    )
    db.commit()
    indexed = service.index_note(db, services.notes_index, note)
    return service.note_out(note).model_copy(update={"search_indexed": indexed})


@router.delete("/notes/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_note(note_id: str, db: DB, caller: Caller, services: Services) -> Response:
    service.delete_note(db, actor=caller, note_id=note_id)
    db.commit()
    try:
        services.notes_index.remove(note_id)
    except Exception:
        # The note is gone from the database; search results are re-checked against
        # it, and `tandem ingest --notes` clears what is left.
        logger.exception("note %s deleted but its vectors could not be removed", note_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions/{session_id}/notes", response_model=list[NoteOut])
def list_notes(session_id: str, db: DB, caller: Caller) -> list[NoteOut]:
    return [
        service.note_out(n) for n in service.list_notes(db, actor=caller, session_id=session_id)
    ]


@router.get("/matches/{match_id}/action-items", response_model=list[ActionItemOut])
def list_action_items(
    match_id: str, db: DB, caller: Caller, open_only: bool = False
) -> list[ActionItemOut]:
    items = service.visible_action_items(db, actor=caller, match_id=match_id, open_only=open_only)
    return [service.action_item_out(i) for i in items]


@router.patch("/action-items/{action_item_id}", response_model=ActionItemOut)
def update_action_item(
    action_item_id: str, body: ActionItemUpdate, db: DB, caller: Caller, services: Services
) -> ActionItemOut:
    item = service.set_action_item_done(
        db, actor=caller, action_item_id=action_item_id, done=body.done, now=services.clock.now()
    )
    return service.action_item_out(item)


@router.post(
    "/sessions/{session_id}/talking-points",
    status_code=status.HTTP_201_CREATED,
    response_model=TalkingPointOut,
)
def add_talking_point(
    session_id: str, body: TalkingPointIn, db: DB, caller: Caller
) -> TalkingPointOut:
    point = service.add_talking_point(db, actor=caller, session_id=session_id, data=body)
    return service.talking_point_out(point)


@router.get("/sessions/{session_id}/talking-points", response_model=list[TalkingPointOut])
def list_talking_points(session_id: str, db: DB, caller: Caller) -> list[TalkingPointOut]:
    points = service.list_talking_points(db, actor=caller, session_id=session_id)
    return [service.talking_point_out(p) for p in points]


@router.delete("/talking-points/{talking_point_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_talking_point(talking_point_id: str, db: DB, caller: Caller) -> Response:
    service.delete_talking_point(db, actor=caller, talking_point_id=talking_point_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
