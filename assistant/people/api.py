"""Participant routes."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status
from pydantic import BaseModel

from assistant.db import transaction
from assistant.pairing.service import remember_profile_embeddings
from assistant.people import service
from assistant.people.models import (
    ParticipantCreate,
    ParticipantCreated,
    ParticipantOut,
    ParticipantPage,
    ParticipantUpdate,
)
from assistant.web import DB, AppServices, Caller, Services, StaffCaller

router = APIRouter(prefix="/v1", tags=["participants"])
logger = logging.getLogger("tandem.people")


class KeyOut(BaseModel):
    participant_id: str
    api_key: str


@router.post(
    "/participants", status_code=status.HTTP_201_CREATED, response_model=ParticipantCreated
)
def create_participant(
    body: ParticipantCreate,
    db: DB,
    caller: StaffCaller,
    services: Services,
    background: BackgroundTasks,
) -> ParticipantCreated:
    created = service.create_participant(db, actor=caller, data=body)
    background.add_task(_embed_for_pairing, services, created)
    return created


def _embed_for_pairing(services: AppServices, person: ParticipantOut) -> None:
    """After the response: a slow or failing embeddings endpoint never delays or fails
    a profile write; the next pairing run embeds whatever is missing."""
    try:
        with transaction(services.sessions) as db:
            remember_profile_embeddings(db, embedder=services.knowledge.embedder, person=person)
    except Exception:
        logger.warning("could not store a profile's embeddings", exc_info=True)


@router.get("/participants", response_model=ParticipantPage)
def list_participants(
    db: DB,
    caller: Caller,
    services: Services,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> ParticipantPage:
    limit = min(limit, services.settings.max_page_size)
    items, total = service.list_participants(db, actor=caller, limit=limit, offset=offset)
    return ParticipantPage(items=items, total=total)


class WhoAmI(BaseModel):
    kind: str
    id: str
    name: str
    participant: ParticipantOut | None


@router.get("/me", response_model=WhoAmI)
def me(db: DB, caller: Caller) -> WhoAmI:
    profile = None
    if not caller.is_staff:
        profile = service.participant_out(service.get_participant(db, caller.id))
    return WhoAmI(kind=caller.kind, id=caller.id, name=caller.name, participant=profile)


@router.get("/participants/{participant_id}", response_model=ParticipantOut)
def get_participant(participant_id: str, db: DB, caller: Caller) -> ParticipantOut:
    return service.participant_out(service.visible_participant(db, caller, participant_id))


@router.patch("/participants/{participant_id}", response_model=ParticipantOut)
def update_participant(
    participant_id: str, body: ParticipantUpdate, db: DB, caller: Caller, services: Services
) -> ParticipantOut:
    updated = service.update_participant(db, actor=caller, participant_id=participant_id, data=body)
    remember_profile_embeddings(db, embedder=services.knowledge.embedder, person=updated)
    return updated


@router.post("/participants/{participant_id}/key", response_model=KeyOut)
def rotate_key(participant_id: str, db: DB, caller: Caller) -> KeyOut:
    key = service.rotate_participant_key(db, actor=caller, participant_id=participant_id)
    return KeyOut(participant_id=participant_id, api_key=key)
