"""Pairing routes (staff only): run the engine over a cohort, review its suggestions."""

from __future__ import annotations

from fastapi import APIRouter, status

from assistant.pairing import service
from assistant.pairing.models import (
    DecisionIn,
    PairingRunCreate,
    PairingRunOut,
    RunSummary,
    SuggestionOut,
)
from assistant.web import DB, Services, StaffCaller

router = APIRouter(prefix="/v1/pairing", tags=["pairing"])


@router.post("/runs", status_code=status.HTTP_201_CREATED, response_model=PairingRunOut)
def create_run(
    body: PairingRunCreate, db: DB, caller: StaffCaller, services: Services
) -> PairingRunOut:
    run = service.create_run(
        db,
        actor=caller,
        data=body,
        today=services.clock.today(),
        embedder=services.knowledge.embedder,
        rationale=services.pairing_rationale(),
        rationale_limit=services.settings.pairing_rationale_limit,
    )
    return service.run_out(db, run)


@router.get("/runs/{run_id}", response_model=PairingRunOut)
def read_run(run_id: str, db: DB, caller: StaffCaller) -> PairingRunOut:
    return service.run_out(db, service.read_run(db, actor=caller, run_id=run_id))


@router.get("/runs/{run_id}/summary", response_model=RunSummary)
def run_summary(run_id: str, db: DB, caller: StaffCaller) -> RunSummary:
    return service.summarise(db, actor=caller, run_id=run_id)


@router.post("/suggestions/{suggestion_id}/decision", response_model=SuggestionOut)
def decide(
    suggestion_id: str, body: DecisionIn, db: DB, caller: StaffCaller, services: Services
) -> SuggestionOut:
    row = service.decide(
        db,
        actor=caller,
        suggestion_id=suggestion_id,
        data=body,
        today=services.clock.today(),
        now=services.clock.now(),
    )
    return service.suggestion_out(row)


@router.post("/suggestions/{suggestion_id}/rationale", response_model=SuggestionOut)
def rewrite_rationale(
    suggestion_id: str, db: DB, caller: StaffCaller, services: Services
) -> SuggestionOut:
    row = service.rewrite_rationale(
        db, actor=caller, suggestion_id=suggestion_id, writer=services.pairing_rationale()
    )
    return service.suggestion_out(row)
