"""Sign-in rules: a browser session per sign-in, one-time links, and what ends them.

A session or link token is 32 random bytes handed to the browser once; the database keeps
its sha256, so reading the database (or a backup of it) signs nobody in.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal, PrincipalKind, hash_key
from assistant.errors import DomainError, NotAllowed
from assistant.people.models import Participant, StaffMember
from assistant.people.service import get_participant
from assistant.signin.models import BrowserSession, SignInLink

SIGN_IN_LINK_LIFETIME = timedelta(minutes=15)


class SignInRefused(DomainError):
    """A key or link that signs nobody in. One message for every cause, so a guesser
    learns nothing about which keys or links exist."""

    status_code = 401


def _current_key_hash(db: Session, kind: str, principal_id: str) -> tuple[str, str] | None:
    """(name, key hash) of a principal as the database has them now, or None if gone."""
    if kind == "staff":
        staff = db.get(StaffMember, principal_id)
        return (staff.name, staff.api_key_hash) if staff else None
    person = db.get(Participant, principal_id)
    return (person.name, person.api_key_hash) if person else None


def open_session(db: Session, *, principal: Principal, now: datetime, lifetime: timedelta) -> str:
    """Start a browser session for someone already authenticated; returns its token."""
    current = _current_key_hash(db, principal.kind, principal.id)
    if current is None:
        raise SignInRefused("that key or link does not sign anyone in")
    token = secrets.token_urlsafe(32)
    db.add(
        BrowserSession(
            token_hash=hash_key(token),
            principal_kind=principal.kind,
            principal_id=principal.id,
            key_hash=current[1],
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    # Expired rows are worthless; sweeping them here keeps the table small without a job.
    db.execute(delete(BrowserSession).where(BrowserSession.expires_at < now))
    db.flush()
    return token


def principal_for_session(db: Session, token: str, *, now: datetime) -> Principal | None:
    row = db.scalar(select(BrowserSession).where(BrowserSession.token_hash == hash_key(token)))
    if row is None or row.expires_at <= now:
        return None
    current = _current_key_hash(db, row.principal_kind, row.principal_id)
    if current is None or current[1] != row.key_hash:
        # The key was rotated (or the person removed) since this session began.
        return None
    kind: PrincipalKind = "staff" if row.principal_kind == "staff" else "participant"
    return Principal(kind=kind, id=row.principal_id, name=current[0])


def end_session(db: Session, token: str) -> None:
    db.execute(delete(BrowserSession).where(BrowserSession.token_hash == hash_key(token)))


def issue_link(
    db: Session, *, actor: Principal, participant_id: str, now: datetime
) -> tuple[str, datetime]:
    """A one-time sign-in link token for a participant (staff only); (token, expires_at)."""
    if not actor.is_staff:
        raise NotAllowed("only program staff may issue sign-in links")
    person = get_participant(db, participant_id)
    token = secrets.token_urlsafe(32)
    expires_at = now + SIGN_IN_LINK_LIFETIME
    db.add(
        SignInLink(
            token_hash=hash_key(token),
            participant_id=person.id,
            issued_by=actor.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    record_event(
        db,
        actor=actor,
        action="participant.sign_in_link_issued",
        entity_type="participant",
        entity_id=person.id,
        detail={"expires_at": expires_at.isoformat()},
    )
    db.flush()
    return token, expires_at


def link_is_usable(db: Session, token: str, *, now: datetime) -> bool:
    link = db.scalar(select(SignInLink).where(SignInLink.token_hash == hash_key(token)))
    return link is not None and link.used_at is None and link.expires_at > now


def redeem_link(db: Session, token: str, *, now: datetime) -> Principal:
    """Use a sign-in link: it signs its holder in once, within its lifetime."""
    link = db.scalar(
        select(SignInLink).where(SignInLink.token_hash == hash_key(token)).with_for_update()
    )
    if link is None or link.used_at is not None or link.expires_at <= now:
        raise SignInRefused(
            "this sign-in link has expired or was already used; ask staff for a new one"
        )
    link.used_at = now
    person = get_participant(db, link.participant_id)
    db.flush()
    return Principal(kind="participant", id=person.id, name=person.name)
