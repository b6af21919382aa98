"""Retrieval API schemas: search results with citations, document uploads, ingest reports."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db import Base, utcnow
from assistant.types import ShortText


class EmbeddingCacheRow(Base):
    """A text's vector under one embedder, so profiles are embedded once, not per run."""

    __tablename__ = "embedding_cache"

    embedder: Mapped[str] = mapped_column(String(200), primary_key=True)
    text_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimension: Mapped[int]
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # float32, little-endian
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
