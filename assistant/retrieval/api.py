"""Knowledge routes: hybrid search with citations, staff uploads of guidance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from assistant.errors import InvalidField
from assistant.retrieval.models import (
    DocumentIn,
    IngestReport,
    SearchMethod,
    SearchResponse,
    SearchResult,
    SearchScope,
)
from assistant.retrieval.service import Filters, fuse
from assistant.sessions.service import search_notes
from assistant.vocabulary import CareerStage, Mode, Skill, Topic
from assistant.web import DB, Caller, Services, StaffCaller

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])

UPLOADS_ROOT = "uploads"


@router.get("/search", response_model=SearchResponse)
def search(
    caller: Caller,
    services: Services,
    db: DB,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    mode: Annotated[list[Mode], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    topic: Annotated[list[Topic], Query()] = [],  # noqa: B006
    career_stage: Annotated[list[CareerStage], Query()] = [],  # noqa: B006
    skill: Annotated[list[Skill], Query()] = [],  # noqa: B006
    scope: SearchScope = "guidance",
    method: SearchMethod = "hybrid",
    match_id: Annotated[str | None, Query(max_length=64)] = None,
) -> SearchResponse:
    filters = Filters(
        modes=tuple(mode),
        topics=tuple(topic),
        career_stages=tuple(career_stage),
        skills=tuple(skill),
    )
    guidance: list[SearchResult] = []
    notes: list[SearchResult] = []
    if scope in ("guidance", "all"):
        guidance = services.knowledge.search(q, k=k, filters=filters, method=method)
    if scope in ("notes", "all"):
        notes = search_notes(
            db, services.notes_index, caller, q, k=k, method=method, match_id=match_id
        )
    results = fuse([guidance, notes], k) if scope == "all" else guidance or notes
    return SearchResponse(query=q, method=method, results=results)


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=IngestReport)
def upload_document(body: DocumentIn, caller: StaffCaller, services: Services) -> IngestReport:
    source = f"{UPLOADS_ROOT}/{body.name}"
    report = services.knowledge.ingest_texts([(source, body.text)])
    if report.errors:
        # Nothing was written for a document that cannot be parsed; say why, per field.
        raise InvalidField(("body", "text"), "; ".join(report.errors))
    return report


@router.delete("/documents/{name}", response_model=IngestReport)
def delete_document(name: str, caller: StaffCaller, services: Services) -> IngestReport:
    source = f"{UPLOADS_ROOT}/{name}"
    removed = services.knowledge.remove_source(source)
    return IngestReport(removed=[source] if removed else [], chunks_removed=removed)
