"""Knowledge routes: hybrid search with citations, staff uploads of guidance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from assistant.retrieval.models import (
    DocumentIn,
    IngestReport,
    SearchMethod,
    SearchResponse,
    SearchScope,
)
from assistant.retrieval.service import Filters
from assistant.vocabulary import CareerStage, Mode, Skill, Topic
from assistant.web import Caller, Services, StaffCaller

router = APIRouter(prefix="/v1/knowledge", tags=["knowledge"])

UPLOADS_ROOT = "uploads"


@router.get("/search", response_model=SearchResponse)
def search(
    caller: Caller,
    services: Services,
    q: Annotated[str, Query(min_length=1, max_length=1000)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
    mode: Annotated[list[Mode], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
    topic: Annotated[list[Topic], Query()] = [],  # noqa: B006
    career_stage: Annotated[list[CareerStage], Query()] = [],  # noqa: B006
    skill: Annotated[list[Skill], Query()] = [],  # noqa: B006
    scope: SearchScope = "guidance",
    method: SearchMethod = "hybrid",
) -> SearchResponse:
    filters = Filters(
        modes=tuple(mode),
        topics=tuple(topic),
        career_stages=tuple(career_stage),
        skills=tuple(skill),
    )
    results = services.knowledge.search(q.strip() or q, k=k, filters=filters, method=method)
    return SearchResponse(query=q, method=method, results=results)


@router.post("/documents", status_code=status.HTTP_201_CREATED, response_model=IngestReport)
def upload_document(body: DocumentIn, caller: StaffCaller, services: Services) -> IngestReport:
    source = f"{UPLOADS_ROOT}/{body.name}"
    return services.knowledge.ingest_texts([(source, body.text)])


@router.delete("/documents/{name}", response_model=IngestReport)
def delete_document(name: str, caller: StaffCaller, services: Services) -> IngestReport:
    source = f"{UPLOADS_ROOT}/{name}"
    removed = services.knowledge.remove_source(source)
    return IngestReport(removed=[source] if removed else [], chunks_removed=removed)
