"""Program routes (staff)."""

from __future__ import annotations

from fastapi import APIRouter, status

from assistant.plans.service import HealthThresholds
from assistant.programs import service
from assistant.programs.models import ProgramCreate, ProgramOut, ProgramRollup
from assistant.web import DB, Services, StaffCaller

router = APIRouter(prefix="/v1", tags=["programs"])


@router.post("/programs", status_code=status.HTTP_201_CREATED, response_model=ProgramOut)
def create_program(body: ProgramCreate, db: DB, caller: StaffCaller) -> ProgramOut:
    return service.program_out(service.create_program(db, actor=caller, data=body))


@router.get("/programs", response_model=list[ProgramOut])
def list_programs(db: DB, caller: StaffCaller) -> list[ProgramOut]:
    return [service.program_out(p) for p in service.list_programs(db)]


@router.get("/programs/{program_id}", response_model=ProgramOut)
def get_program(program_id: str, db: DB, caller: StaffCaller) -> ProgramOut:
    return service.program_out(service.get_program(db, program_id))


@router.get("/programs/{program_id}/rollup", response_model=ProgramRollup)
def program_rollup(
    program_id: str, db: DB, caller: StaffCaller, services: Services
) -> ProgramRollup:
    return service.program_rollup(
        db,
        actor=caller,
        program_id=program_id,
        now=services.clock.now(),
        thresholds=HealthThresholds.from_settings(services.settings),
    )
