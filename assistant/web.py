"""What every router needs from a request: the app's services, a unit of work, the caller."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Protocol

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from langchain_core.language_models import BaseChatModel
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.auth import Principal, principal_for_key
from assistant.config import Settings
from assistant.db import transaction
from assistant.drafting.models import AgendaDrafter
from assistant.drafting.playbooks import PlaybookLibrary
from assistant.pairing.rationale import RationaleWriters
from assistant.plans.service import PlanDrafter
from assistant.retrieval.notes import NoteIndex
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import VectorStore


class Clock(Protocol):
    """Time as the service sees it; tests inject a fixed clock instead of patching."""

    def now(self) -> datetime: ...

    def today(self) -> date: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.now().date()


@dataclass
class AppServices:
    """Everything the app builds once at start-up. No per-user state lives here, so a
    second replica against the same database and vector store behaves identically."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    plan_drafter: PlanDrafter
    agenda_drafter: AgendaDrafter
    playbooks: PlaybookLibrary
    vector_store: VectorStore
    knowledge: KnowledgeBase
    notes_index: NoteIndex
    pairing_rationale: RationaleWriters
    # The configured OpenAI-compatible model for chat's tool calling; None: offline only.
    chat_model: BaseChatModel | None = None


def get_services(request: Request) -> AppServices:
    services: AppServices = request.app.state.services
    return services


Services = Annotated[AppServices, Depends(get_services)]


def unit_of_work(services: Services) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on
    any error, so a rejected request leaves nothing half-written."""
    with transaction(services.sessions) as session:
        yield session


# scope="function" commits before the response is sent: a client never sees a 201 for
# a write that then fails to commit.
DB = Annotated[Session, Depends(unit_of_work, scope="function")]

_bearer = HTTPBearer(auto_error=False)


def current_principal(
    db: DB, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = principal_for_key(db, credentials.credentials)
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "invalid API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


Caller = Annotated[Principal, Depends(current_principal)]


def require_staff(caller: Caller) -> Principal:
    if not caller.is_staff:
        # The route is public knowledge (docs/api.md); what it does is staff's alone. Specific
        # resources a caller may not see answer 404 instead, in the services.
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only program staff may do this")
    return caller


StaffCaller = Annotated[Principal, Depends(require_staff)]
