"""The guidance knowledge base: idempotent ingest and hybrid (dense + BM25) search."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.retrieval.documents import TAG_FIELDS, Chunk, DocumentError, split_document, tag_flag
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.lexical import LexicalIndex, reciprocal_rank_fusion
from assistant.retrieval.models import IngestReport, SearchMethod, SearchResult

logger = logging.getLogger("tandem.retrieval")

GUIDANCE = "guidance"
# How many candidates each ranking contributes before fusion: enough depth that a chunk
# ranked well by one method and poorly by the other still gets fused.
CANDIDATES = 50
# A replica re-reads the collection's version stamp at most this often, so an ingest on
# one replica reaches every replica's lexical index within seconds, at ~0 cost per query.
VERSION_CHECK_SECONDS = 2.0
ADD_BATCH = 256


class EmbedderMismatch(RuntimeError):
    """The collection was built by another embedder; vectors would not be comparable."""


@dataclass(frozen=True)
class Filters:
    """Tags a result must carry: any value within a field, every field given."""

    modes: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    career_stages: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()

    def fields(self) -> dict[str, tuple[str, ...]]:
        return {
            name: values
            for name, values in (
                ("modes", self.modes),
                ("topics", self.topics),
                ("career_stages", self.career_stages),
                ("skills", self.skills),
            )
            if values
        }

    def flags(self) -> list[list[str]]:
        """Per field, the metadata flags any of which satisfies it ("any"-tagged
        guidance applies to every mode, topic and stage)."""
        groups = []
        for name, values in self.fields().items():
            wanted = [tag_flag(name, v) for v in values]
            if name != "skills":
                wanted.append(tag_flag(name, "any"))
            groups.append(wanted)
        return groups


def and_all(clauses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Chroma wants $and / $or with two or more clauses; one clause stands alone."""
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def or_any(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


def where_for(filters: Filters) -> dict[str, Any] | None:
    return and_all([or_any([{flag: True} for flag in group]) for group in filters.flags()])


def _split_tags(meta: dict[str, Any], name: str) -> list[str]:
    raw = meta.get(name) or ""
    return [v for v in str(raw).split(",") if v]


def result_from(chunk_id: str, text: str, meta: dict[str, Any], score: float) -> SearchResult:
    return SearchResult(
        chunk_id=chunk_id,
        source=str(meta.get("source", "")),
        title=str(meta.get("title", "")),
        heading=str(meta.get("heading", "")),
        text=text,
        score=round(score, 6),
        kind="note" if meta.get("kind") == "note" else "guidance",
        modes=_split_tags(meta, "modes"),
        topics=_split_tags(meta, "topics"),
        career_stages=_split_tags(meta, "career_stages"),
        skills=_split_tags(meta, "skills"),
        match_id=meta.get("match_id"),
        session_id=meta.get("session_id"),
        note_id=meta.get("note_id"),
    )


@dataclass
class _LexicalSnapshot:
    version: str
    ids: list[str]
    texts: list[str]
    metadatas: list[dict[str, Any]]
    index: LexicalIndex
    flag_columns: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)

    def mask(self, filters: Filters) -> np.ndarray[Any, Any] | None:
        groups = filters.flags()
        if not groups:
            return None
        allowed = np.ones(len(self.ids), dtype=bool)
        for group in groups:
            any_of = np.zeros(len(self.ids), dtype=bool)
            for flag in group:
                column = self.flag_columns.get(flag)
                if column is not None:
                    any_of |= column
            allowed &= any_of
        return allowed


def _snapshot(
    version: str, ids: list[str], texts: list[str], metas: list[dict[str, Any]]
) -> _LexicalSnapshot:
    snap = _LexicalSnapshot(
        version=version,
        ids=ids,
        texts=texts,
        metadatas=metas,
        index=LexicalIndex([_lexical_text(t, m) for t, m in zip(texts, metas, strict=True)]),
    )
    for name in TAG_FIELDS:
        for position, meta in enumerate(metas):
            for value in _split_tags(meta, name):
                flag = tag_flag(name, value)
                column = snap.flag_columns.setdefault(flag, np.zeros(len(ids), dtype=bool))
                column[position] = True
    return snap


def _lexical_text(text: str, meta: dict[str, Any]) -> str:
    return f"{meta.get('title', '')}. {meta.get('heading', '')}.\n{text}"


class KnowledgeBase:
    """Guidance chunks in one Chroma collection, searched by meaning and by words."""

    def __init__(self, client_factory: Callable[[], Any], embedder: Embedder) -> None:
        self._client_factory = client_factory
        self.embedder = embedder
        self._lock = threading.Lock()
        self._lexical: _LexicalSnapshot | None = None
        self._version_checked_at = 0.0
        self._version_seen = ""

    # ---- the collection -------------------------------------------------------------

    def _collection(self, *, create: bool = True) -> Any:
        client = self._client_factory()
        if create:
            collection = client.get_or_create_collection(
                GUIDANCE,
                metadata={"embedder": self.embedder.name, "corpus_version": "empty"},
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        else:
            collection = client.get_collection(GUIDANCE, embedding_function=None)
        built_by = (collection.metadata or {}).get("embedder")
        if built_by != self.embedder.name:
            raise EmbedderMismatch(
                f"the '{GUIDANCE}' index was built with embedder {built_by!r} but this "
                f"service embeds with {self.embedder.name!r}; run `tandem ingest --rebuild`"
            )
        return collection

    def count(self) -> int:
        return int(self._collection().count())

    def rebuild(self) -> None:
        client = self._client_factory()
        try:
            client.delete_collection(GUIDANCE)
        except Exception:  # absent already: nothing to drop
            logger.info("no guidance collection to drop")
        with self._lock:
            self._lexical = None

    def _bump_version(self, collection: Any) -> None:
        metadata = dict(collection.metadata or {})
        metadata["corpus_version"] = uuid.uuid4().hex
        collection.modify(metadata=metadata)

    # ---- ingest ---------------------------------------------------------------------

    def ingest_texts(
        self,
        documents: Iterable[tuple[str, str]],
        *,
        root: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> IngestReport:
        """Make the index hold exactly these documents' chunks.

        Chunk ids derive from source and content, so an unchanged document writes
        nothing, a changed one swaps exactly its chunks, and with `root` set every
        document previously ingested from that root but absent now is removed.
        """
        collection = self._collection()
        report = IngestReport()
        seen_sources: set[str] = set()
        for source, text in documents:
            seen_sources.add(source)
            try:
                chunks = split_document(text, source=source)
            except DocumentError as exc:
                report.errors.append(str(exc))
                if progress:
                    progress(source)
                continue
            report.merge(self._sync_source(collection, source, chunks, root=root))
            if progress:
                progress(source)
        if root is not None:
            stale = collection.get(where={"root": root}, include=["metadatas"])
            gone = sorted({str(m["source"]) for m in stale["metadatas"] or []} - seen_sources)
            for source in gone:
                ids = collection.get(where={"source": source}, include=[])["ids"]
                collection.delete(ids=ids)
                report.removed.append(source)
                report.chunks_removed += len(ids)
        if report.added or report.updated or report.removed:
            self._bump_version(collection)
        return report

    def _sync_source(
        self, collection: Any, source: str, chunks: list[Chunk], *, root: str | None
    ) -> IngestReport:
        report = IngestReport()
        existing = set(collection.get(where={"source": source}, include=[])["ids"])
        wanted = {c.id: c for c in chunks}
        to_add = [c for cid, c in wanted.items() if cid not in existing]
        to_remove = sorted(existing - wanted.keys())
        if not to_add and not to_remove:
            report.unchanged.append(source)
            return report
        for start in range(0, len(to_add), ADD_BATCH):
            batch = to_add[start : start + ADD_BATCH]
            vectors = self.embedder.embed([c.indexed_text for c in batch])
            collection.add(
                ids=[c.id for c in batch],
                embeddings=vectors,
                documents=[c.text for c in batch],
                metadatas=[{**c.metadata(), "root": root or ""} for c in batch],
            )
        if to_remove:
            collection.delete(ids=to_remove)
        (report.updated if existing else report.added).append(source)
        report.chunks_written = len(to_add)
        report.chunks_removed = len(to_remove)
        return report

    def ingest_paths(
        self, paths: Sequence[Path], *, progress: Callable[[str], None] | None = None
    ) -> IngestReport:
        report = IngestReport()
        for path in paths:
            if path.is_dir():
                files = sorted(p for p in path.rglob("*") if p.suffix in (".md", ".txt"))
                files = [f for f in files if f.name.lower() != "readme.md"]
                docs = ((_source_name(f, path), f.read_text(encoding="utf-8")) for f in files)
                report.merge(self.ingest_texts(docs, root=path.resolve().name, progress=progress))
            elif path.is_file():
                text = path.read_text(encoding="utf-8")
                report.merge(self.ingest_texts([(path.name, text)], progress=progress))
            else:
                report.errors.append(f"{path}: no such file or directory")
        return report

    def remove_source(self, source: str) -> int:
        collection = self._collection()
        ids = collection.get(where={"source": source}, include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
            self._bump_version(collection)
        return len(ids)

    # ---- search ---------------------------------------------------------------------

    def dense(self, query: str, k: int, filters: Filters) -> list[SearchResult]:
        collection = self._collection()
        if collection.count() == 0:
            return []
        vector = self.embedder.embed([query])[0]
        found = collection.query(
            query_embeddings=[vector],
            n_results=k,
            where=where_for(filters),
            include=["documents", "metadatas", "distances"],
        )
        return [
            result_from(cid, doc or "", dict(meta or {}), 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                found["ids"][0],
                found["documents"][0],
                found["metadatas"][0],
                found["distances"][0],
                strict=True,
            )
        ]

    def _lexical_snapshot(self) -> _LexicalSnapshot:
        now = time.monotonic()
        with self._lock:
            fresh = now - self._version_checked_at < VERSION_CHECK_SECONDS
            if self._lexical is not None and fresh:
                return self._lexical
            collection = self._collection()
            version = str((collection.metadata or {}).get("corpus_version", ""))
            self._version_checked_at = now
            if self._lexical is not None and self._lexical.version == version:
                return self._lexical
            everything = collection.get(include=["documents", "metadatas"])
            self._lexical = _snapshot(
                version,
                list(everything["ids"]),
                [d or "" for d in everything["documents"] or []],
                [dict(m or {}) for m in everything["metadatas"] or []],
            )
            return self._lexical

    def lexical(self, query: str, k: int, filters: Filters) -> list[SearchResult]:
        snap = self._lexical_snapshot()
        return [
            result_from(snap.ids[i], snap.texts[i], snap.metadatas[i], score)
            for i, score in snap.index.top(query, k, snap.mask(filters))
        ]

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        filters: Filters | None = None,
        method: SearchMethod = "hybrid",
    ) -> list[SearchResult]:
        filters = filters or Filters()
        if method == "dense":
            return self.dense(query, k, filters)
        if method == "lexical":
            return self.lexical(query, k, filters)
        depth = max(k, CANDIDATES)
        dense = self.dense(query, depth, filters)
        lexical = self.lexical(query, depth, filters)
        return fuse([dense, lexical], k)


def fuse(rankings: Sequence[Sequence[SearchResult]], k: int) -> list[SearchResult]:
    by_id = {r.chunk_id: r for ranking in rankings for r in ranking}
    fused = reciprocal_rank_fusion([[r.chunk_id for r in ranking] for ranking in rankings])
    return [by_id[cid].model_copy(update={"score": round(score, 6)}) for cid, score in fused[:k]]


def _source_name(file: Path, root: Path) -> str:
    """A file's name under the folder it was ingested from, e.g. `knowledge/modes/peer.md`:
    the same wherever the folder lives, so re-ingesting from elsewhere changes nothing."""
    base = root.resolve()
    return f"{base.name}/{file.resolve().relative_to(base).as_posix()}"
