"""Participant rules: creation with a one-time key, self-service edits, reporting lines."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal, generate_key, hash_key
from assistant.db import new_id
from assistant.errors import InvalidField, NotAllowed, NotFound, RuleViolation
from assistant.people.models import (
    STAFF_ONLY_FIELDS,
    Goal,
    Participant,
    ParticipantCreate,
    ParticipantCreated,
    ParticipantOut,
    ParticipantUpdate,
)

# Deep enough for any real organisation; the bound keeps a corrupted cycle from looping.
MAX_MANAGER_CHAIN = 50


def participant_out(person: Participant) -> ParticipantOut:
    return ParticipantOut.model_validate(person, from_attributes=True)


def _goals_with_ids(goals: list[Goal]) -> list[dict[str, Any]]:
    # Goals get stable ids so plans can say which goal an objective serves even after
    # the participant rewords it.
    return [g.model_copy(update={"id": g.id or new_id()}).model_dump() for g in goals]


def get_participant(session: Session, participant_id: str) -> Participant:
    person = session.get(Participant, participant_id)
    if person is None:
        raise NotFound("participant", participant_id)
    return person


def visible_participant(session: Session, principal: Principal, participant_id: str) -> Participant:
    """The participant if the principal may see it; a 404 otherwise (never a 403)."""
    if not principal.is_staff and principal.id != participant_id:
        raise NotFound("participant", participant_id)
    return get_participant(session, participant_id)


def _check_references(
    session: Session,
    *,
    self_id: str | None,
    manager_id: str | None,
    avoid_ids: list[str] | None,
) -> None:
    if manager_id is not None:
        if manager_id == self_id:
            raise InvalidField(("body", "manager_id"), "a participant cannot be their own manager")
        if session.get(Participant, manager_id) is None:
            raise InvalidField(("body", "manager_id"), f"no participant with id {manager_id!r}")
        if self_id is not None and self_id in manager_chain(session, manager_id):
            raise InvalidField(
                ("body", "manager_id"), "this manager would make the reporting line a cycle"
            )
    for index, other in enumerate(avoid_ids or []):
        if other == self_id:
            raise InvalidField(
                ("body", "avoid_ids", index), "a participant cannot avoid themselves"
            )
        if session.get(Participant, other) is None:
            raise InvalidField(("body", "avoid_ids", index), f"no participant with id {other!r}")


def _email_taken(session: Session, email: str, except_id: str | None = None) -> bool:
    query = select(Participant.id).where(func.lower(Participant.email) == email.lower())
    if except_id is not None:
        query = query.where(Participant.id != except_id)
    return session.scalar(query) is not None


def create_participant(
    session: Session, *, actor: Principal, data: ParticipantCreate
) -> ParticipantCreated:
    if not actor.is_staff:
        raise NotAllowed("only program staff create participants")
    if _email_taken(session, data.email):
        raise RuleViolation(f"a participant with email {data.email} already exists")
    _check_references(session, self_id=None, manager_id=data.manager_id, avoid_ids=data.avoid_ids)
    key = generate_key("participant")
    values = data.model_dump(exclude={"goals", "skills"})
    person = Participant(
        **values,
        skills=[s.model_dump() for s in data.skills],
        goals=_goals_with_ids(data.goals),
        api_key_hash=hash_key(key),
    )
    session.add(person)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="participant.created",
        entity_type="participant",
        entity_id=person.id,
        detail={"roles": data.roles},
    )
    return ParticipantCreated(**participant_out(person).model_dump(), api_key=key)


def update_participant(
    session: Session, *, actor: Principal, participant_id: str, data: ParticipantUpdate
) -> ParticipantOut:
    person = visible_participant(session, actor, participant_id)
    changes = data.model_dump(exclude_unset=True)
    if not actor.is_staff:
        refused = sorted(STAFF_ONLY_FIELDS & changes.keys())
        if refused:
            raise NotAllowed(f"only program staff may change {', '.join(refused)}")
    # Fields explicitly set to null mean "not given" except manager_id, where null
    # means "no manager".
    changes = {k: v for k, v in changes.items() if v is not None or k == "manager_id"}
    if "email" in changes and _email_taken(session, changes["email"], except_id=person.id):
        raise RuleViolation(f"a participant with email {changes['email']} already exists")
    _check_references(
        session,
        self_id=person.id,
        manager_id=changes.get("manager_id"),
        avoid_ids=changes.get("avoid_ids"),
    )
    if "goals" in changes and data.goals is not None:
        changes["goals"] = _goals_with_ids(data.goals)
    for field, value in changes.items():
        setattr(person, field, value)
    session.flush()
    if changes:
        record_event(
            session,
            actor=actor,
            action="participant.updated",
            entity_type="participant",
            entity_id=person.id,
            detail={"fields": sorted(changes)},
        )
    return participant_out(person)


def rotate_participant_key(session: Session, *, actor: Principal, participant_id: str) -> str:
    person = visible_participant(session, actor, participant_id)
    key = generate_key("participant")
    person.api_key_hash = hash_key(key)
    record_event(
        session,
        actor=actor,
        action="participant.key_rotated",
        entity_type="participant",
        entity_id=person.id,
    )
    return key


def list_participants(
    session: Session, *, actor: Principal, limit: int, offset: int
) -> tuple[list[ParticipantOut], int]:
    if not actor.is_staff:
        person = get_participant(session, actor.id)
        return [participant_out(person)], 1
    total = session.scalar(select(func.count()).select_from(Participant)) or 0
    rows = session.scalars(
        select(Participant)
        .order_by(Participant.created_at, Participant.id)
        .limit(limit)
        .offset(offset)
    )
    return [participant_out(p) for p in rows], total


def manager_chain(session: Session, participant_id: str) -> list[str]:
    """Ids of the participant and everyone above them in the reporting line."""
    chain: list[str] = []
    current: str | None = participant_id
    while current is not None and current not in chain and len(chain) < MAX_MANAGER_CHAIN:
        chain.append(current)
        current = session.scalar(select(Participant.manager_id).where(Participant.id == current))
    return chain


def in_reporting_line(session: Session, a: str, b: str) -> bool:
    """True when one of the two manages the other, directly or further up the line."""
    return b in manager_chain(session, a)[1:] or a in manager_chain(session, b)[1:]
