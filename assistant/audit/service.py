"""Recording and reading audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.audit.models import AuditEvent, AuditEventOut
from assistant.auth import Principal


def record_event(
    session: Session,
    *,
    actor: Principal,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    # Added to the caller's transaction: the event and the change it describes commit
    # together or not at all.
    event = AuditEvent(
        actor_kind=actor.kind,
        actor_id=actor.id,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        detail=detail or {},
    )
    session.add(event)
    return event


def list_events(
    session: Session,
    *,
    entity_id: str | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditEventOut]:
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id).limit(limit)
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return [AuditEventOut.model_validate(e, from_attributes=True) for e in session.scalars(query)]
