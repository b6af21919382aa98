"""Retrieval API schemas: search results with citations, document uploads, ingest reports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.types import ShortText

SearchScope = Literal["guidance", "notes", "all"]
SearchMethod = Literal["hybrid", "dense", "lexical"]


class SearchResult(BaseModel):
    chunk_id: str
    source: str
    title: str
    heading: str
    text: str
    score: float
    kind: Literal["guidance", "note"] = "guidance"
    modes: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    career_stages: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    match_id: str | None = None
    session_id: str | None = None
    note_id: str | None = None


class SearchResponse(BaseModel):
    query: str
    method: SearchMethod
    results: list[SearchResult]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: ShortText = Field(description="file-like name, e.g. 'onboarding-mentors.md'")
    text: str = Field(min_length=1, max_length=500_000)


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    chunks_written: int = 0
    chunks_removed: int = 0
    errors: list[str] = Field(default_factory=list)

    def merge(self, other: IngestReport) -> None:
        self.added += other.added
        self.updated += other.updated
        self.removed += other.removed
        self.unchanged += other.unchanged
        self.chunks_written += other.chunks_written
        self.chunks_removed += other.chunks_removed
        self.errors += other.errors
