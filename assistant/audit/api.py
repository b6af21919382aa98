"""Audit routes (staff)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from assistant.audit import service
from assistant.audit.models import AuditPage
from assistant.web import DB, StaffCaller

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def list_audit(
    db: DB,
    caller: StaffCaller,
    entity_id: str | None = None,
    action: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    return AuditPage(items=service.list_events(db, entity_id=entity_id, action=action, limit=limit))
