"""Browser sessions and sign-in links. Only hashes of their tokens are stored: a copy of
the database signs nobody in."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, new_id, utcnow


class BrowserSession(Base):
    __tablename__ = "browser_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    principal_kind: Mapped[str] = mapped_column(String(20))
    principal_id: Mapped[str] = mapped_column(String(32), index=True)
    # The key hash the person had when they signed in: rotating the key changes it,
    # which ends every browser session opened with the old key.
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class SignInLink(Base):
    __tablename__ = "sign_in_links"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    participant_id: Mapped[str] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    issued_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class SignInLinkOut(BaseModel):
    url: str
    expires_at: datetime
