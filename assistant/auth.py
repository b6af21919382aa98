"""API keys and principals: who is calling, and the access rules every domain shares."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.people.models import Participant, StaffMember

PrincipalKind = Literal["staff", "participant"]

# Prefixes tell a reader of a log or a support ticket which kind of key leaked,
# without revealing the key.
STAFF_KEY_PREFIX = "tdm_s_"
PARTICIPANT_KEY_PREFIX = "tdm_p_"


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    id: str
    name: str

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def generate_key(kind: PrincipalKind) -> str:
    prefix = STAFF_KEY_PREFIX if kind == "staff" else PARTICIPANT_KEY_PREFIX
    return prefix + secrets.token_urlsafe(32)


def principal_for_key(session: Session, key: str) -> Principal | None:
    digest = hash_key(key)
    staff = session.scalar(select(StaffMember).where(StaffMember.api_key_hash == digest))
    if staff is not None:
        return Principal(kind="staff", id=staff.id, name=staff.name)
    person = session.scalar(select(Participant).where(Participant.api_key_hash == digest))
    if person is not None:
        return Principal(kind="participant", id=person.id, name=person.name)
    return None


def create_staff_key(session: Session, *, name: str, key: str | None = None) -> tuple[str, str]:
    """Create a staff principal; returns (staff id, key). The key is never stored."""
    key = key or generate_key("staff")
    staff = StaffMember(name=name, api_key_hash=hash_key(key))
    session.add(staff)
    session.flush()
    return staff.id, key


def ensure_bootstrap_staff(session: Session, key: str) -> str:
    """Make sure a staff principal with this key exists (idempotent across restarts)."""
    digest = hash_key(key)
    existing = session.scalar(select(StaffMember).where(StaffMember.api_key_hash == digest))
    if existing is not None:
        return existing.id
    staff_id, _ = create_staff_key(session, name="bootstrap staff", key=key)
    return staff_id


def staff_count(session: Session) -> int:
    return len(session.scalars(select(StaffMember.id)).all())
