"""Match routes."""

from __future__ import annotations

from fastapi import APIRouter, status

from assistant.matching import service
from assistant.matching.models import (
    MatchCreate,
    MatchOut,
    MatchPage,
    MatchStatus,
    MatchStatusUpdate,
)
from assistant.web import DB, Caller, Services, StaffCaller

router = APIRouter(prefix="/v1", tags=["matches"])


@router.post("/matches", status_code=status.HTTP_201_CREATED, response_model=MatchOut)
def create_match(body: MatchCreate, db: DB, caller: StaffCaller, services: Services) -> MatchOut:
    match = service.create_match_from_request(
        db, actor=caller, data=body, today=services.clock.today()
    )
    return service.match_out(db, match, with_history=True)


@router.get("/matches", response_model=MatchPage)
def list_matches(
    db: DB,
    caller: Caller,
    program_id: str | None = None,
    status: MatchStatus | None = None,
    participant_id: str | None = None,
) -> MatchPage:
    matches = service.list_matches(
        db, actor=caller, program_id=program_id, status=status, participant_id=participant_id
    )
    return MatchPage(items=[service.match_out(db, m) for m in matches])


@router.get("/matches/{match_id}", response_model=MatchOut)
def get_match(match_id: str, db: DB, caller: Caller) -> MatchOut:
    return service.match_out(db, service.visible_match(db, caller, match_id), with_history=True)


@router.post("/matches/{match_id}/status", response_model=MatchOut)
def change_status(
    match_id: str, body: MatchStatusUpdate, db: DB, caller: Caller, services: Services
) -> MatchOut:
    match = service.change_match_status(
        db,
        actor=caller,
        match_id=match_id,
        to_status=body.status,
        reason=body.reason,
        today=services.clock.today(),
    )
    return service.match_out(db, match, with_history=True)
