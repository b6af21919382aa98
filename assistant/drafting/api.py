"""Agenda routes: draft one for a session, read it back as JSON or Markdown, and the
session as an iCalendar event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, status

from assistant.drafting import service
from assistant.drafting.export import agenda_markdown
from assistant.drafting.models import AgendaFormat, AgendaOut, AgendaRequest
from assistant.web import DB, Caller, Services

router = APIRouter(prefix="/v1", tags=["agendas"])

MARKDOWN = "text/markdown; charset=utf-8"


@router.post(
    "/sessions/{session_id}/agenda",
    status_code=status.HTTP_201_CREATED,
    response_model=AgendaOut,
)
def draft_agenda(
    session_id: str,
    db: DB,
    caller: Caller,
    services: Services,
    body: Annotated[AgendaRequest | None, Body()] = None,
) -> AgendaOut:
    return service.draft_agenda(
        db,
        actor=caller,
        session_id=session_id,
        drafter=services.agenda_drafter,
        knowledge=services.knowledge,
        notes_index=services.notes_index,
        library=services.playbooks,
        now=services.clock.now(),
        focus=body.focus if body else "",
    )


@router.get(
    "/sessions/{session_id}/agenda",
    response_model=AgendaOut,
    responses={200: {"content": {MARKDOWN: {}}}},
)
def read_agenda(
    session_id: str,
    db: DB,
    caller: Caller,
    format: Annotated[AgendaFormat, Query(description="json, or md for Markdown")] = "json",
) -> AgendaOut | Response:
    agenda = service.read_agenda(db, actor=caller, session_id=session_id)
    if format == "md":
        return Response(agenda_markdown(agenda), media_type=MARKDOWN)
    return agenda


@router.get(
    "/sessions/{session_id}/calendar.ics",
    response_class=Response,
    responses={200: {"content": {"text/calendar": {}}}},
)
def session_calendar(session_id: str, db: DB, caller: Caller, services: Services) -> Response:
    text = service.session_calendar(
        db, actor=caller, session_id=session_id, now=services.clock.now()
    )
    filename = service.calendar_filename(session_id)
    return Response(
        text,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
