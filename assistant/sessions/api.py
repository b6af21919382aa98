"""Session, note and action-item routes."""

from __future__ import annotations

from fastapi import APIRouter, status

from assistant.sessions import service
from assistant.sessions.models import (
    ActionItemOut,
    ActionItemUpdate,
    NoteCreate,
    NoteOut,
    SessionCreate,
    SessionOut,
    SessionUpdate,
)
from assistant.web import DB, Caller, Services

router = APIRouter(prefix="/v1", tags=["sessions"])


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
def add_note(session_id: str, body: NoteCreate, db: DB, caller: Caller) -> NoteOut:
    return service.note_out(service.add_note(db, actor=caller, session_id=session_id, data=body))


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
