"""Plan routes."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from assistant.plans import service
from assistant.plans.markdown import plan_markdown
from assistant.plans.models import (
    PlanCreate,
    PlanHealth,
    PlanOut,
    PlanRevise,
    PlanVersionSummary,
    ProgressIn,
    ProgressOut,
)
from assistant.web import DB, Caller, Services

router = APIRouter(prefix="/v1", tags=["plans"])


@router.post(
    "/matches/{match_id}/plans", status_code=status.HTTP_201_CREATED, response_model=PlanOut
)
def create_plan(
    match_id: str, body: PlanCreate, db: DB, caller: Caller, services: Services
) -> PlanOut:
    plan = service.create_plan(
        db,
        actor=caller,
        match_id=match_id,
        data=body,
        today=services.clock.today(),
        drafter=services.plan_drafter,
        notes_index=services.notes_index,
    )
    return service.plan_out(db, plan)


@router.get("/matches/{match_id}/plans", response_model=list[PlanOut])
def list_plans(match_id: str, db: DB, caller: Caller) -> list[PlanOut]:
    return service.list_plans(db, actor=caller, match_id=match_id)


@router.get(
    "/plans/{plan_id}",
    response_model=PlanOut,
    responses={200: {"content": {"text/markdown": {}}}},
)
def get_plan(
    plan_id: str,
    db: DB,
    caller: Caller,
    version: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    format: Annotated[
        Literal["json", "md"], Query(description="json, or md for Markdown")
    ] = "json",
) -> PlanOut | Response:
    plan = service.read_plan(db, actor=caller, plan_id=plan_id, version=version)
    if format == "md":
        names = service.member_names(db, plan.match_id)
        return Response(plan_markdown(plan, names), media_type="text/markdown; charset=utf-8")
    return plan


@router.get("/plans/{plan_id}/versions", response_model=list[PlanVersionSummary])
def list_versions(plan_id: str, db: DB, caller: Caller) -> list[PlanVersionSummary]:
    return service.list_versions(db, actor=caller, plan_id=plan_id)


@router.post("/plans/{plan_id}/revise", status_code=status.HTTP_201_CREATED, response_model=PlanOut)
def revise_plan(
    plan_id: str, body: PlanRevise, db: DB, caller: Caller, services: Services
) -> PlanOut:
    plan = service.revise_plan(
        db,
        actor=caller,
        plan_id=plan_id,
        data=body,
        today=services.clock.today(),
        drafter=services.plan_drafter,
        notes_index=services.notes_index,
    )
    return service.plan_out(db, plan)


@router.post("/plans/{plan_id}/accept", response_model=PlanOut)
def accept_plan(plan_id: str, db: DB, caller: Caller) -> PlanOut:
    plan = service.accept_plan(db, actor=caller, plan_id=plan_id)
    return service.plan_out(db, plan)


@router.post(
    "/plans/{plan_id}/progress", status_code=status.HTTP_201_CREATED, response_model=ProgressOut
)
def log_progress(plan_id: str, body: ProgressIn, db: DB, caller: Caller) -> ProgressOut:
    return service.log_progress(db, actor=caller, plan_id=plan_id, data=body)


@router.get("/plans/{plan_id}/progress", response_model=list[ProgressOut])
def progress_history(plan_id: str, db: DB, caller: Caller) -> list[ProgressOut]:
    return service.progress_history(db, actor=caller, plan_id=plan_id)


@router.get("/plans/{plan_id}/health", response_model=PlanHealth)
def plan_health(plan_id: str, db: DB, caller: Caller, services: Services) -> PlanHealth:
    return service.plan_health(
        db,
        actor=caller,
        plan_id=plan_id,
        now=services.clock.now(),
        thresholds=service.HealthThresholds.from_settings(services.settings),
    )
