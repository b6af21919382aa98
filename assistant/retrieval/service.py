"""The guidance knowledge base: idempotent ingest and hybrid (dense + BM25) search."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from assistant.retrieval.documents import TAG_FIELDS, Chunk, DocumentError, split_document, tag_flag
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.lexical import LexicalIndex, reciprocal_rank_fusion
from assistant.retrieval.models import IngestReport, SearchMethod, SearchResult

logger = logging.getLogger("tandem.retrieval")
_T = TypeVar("_T")

GUIDANCE = "guidance"
# How many candidates each ranking contributes before fusion: enough depth that a chunk
# ranked well by one method and poorly by the other still gets fused.
CANDIDATES = 50
# A replica re-reads the collection's version stamp at most this often, so an ingest on
# one replica reaches every replica's lexical index within seconds, at ~0 cost per query.
VERSION_CHECK_SECONDS = 2.0
ADD_BATCH = 256
# Fusion constant. 60 is the classic value for fusing many long rankings; with two
# rankings of 50 it flattens the top too much (dev set: hit@5 0.89 at 60, 0.91 at 20).
RRF_K = 20
# At most this many chunks of one document in a result list, so five results cite
# several documents rather than five paragraphs of one (callers that want a whole
# playbook ask for more).
PER_SOURCE = 2


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


# Chroma reads a `get` in one SQL statement; past ~32k rows SQLite refuses it ("too many
# SQL variables"), so large reads go page by page.
GET_PAGE = 5000


def get_all(
    collection: Any, *, where: dict[str, Any] | None = None, include: list[str]
) -> dict[str, list[Any]]:
    """Every matching row of a collection, read in pages."""
    out: dict[str, list[Any]] = {"ids": [], **{name: [] for name in include}}
    offset = 0
    while True:
        page = collection.get(where=where, include=include, limit=GET_PAGE, offset=offset)
        out["ids"] += page["ids"]
        for name in include:
            out[name] += page[name] or []
        if len(page["ids"]) < GET_PAGE:
            return out
        offset += GET_PAGE


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
    position: dict[str, int] = field(default_factory=dict)

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
        position={cid: i for i, cid in enumerate(ids)},
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
        self._handle: Any = None

    # ---- the collection -------------------------------------------------------------

    def _collection(self) -> Any:
        # The handle is kept: fetching it costs a round trip per query. A collection
        # dropped by `--rebuild` elsewhere makes the next call fail once and re-fetch.
        if self._handle is not None:
            return self._handle
        collection = self._client_factory().get_or_create_collection(
            GUIDANCE,
            metadata={"embedder": self.embedder.name, "corpus_version": "empty"},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        built_by = (collection.metadata or {}).get("embedder")
        if built_by != self.embedder.name:
            raise EmbedderMismatch(
                f"the '{GUIDANCE}' index was built with embedder {built_by!r} but this "
                f"service embeds with {self.embedder.name!r}; run `tandem ingest --rebuild`"
            )
        self._handle = collection
        return collection

    def _with_collection(self, action: Callable[[Any], _T]) -> _T:
        try:
            return action(self._collection())
        except EmbedderMismatch:
            raise
        except Exception:
            if self._handle is None:
                raise
            self._handle = None  # stale handle (collection re-created): fetch once more
            return action(self._collection())

    def count(self) -> int:
        return int(self._with_collection(lambda c: c.count()))

    def rebuild(self) -> None:
        client = self._client_factory()
        try:
            client.delete_collection(GUIDANCE)
        except Exception:  # absent already: nothing to drop
            logger.info("no guidance collection to drop")
        with self._lock:
            self._lexical = None
            self._handle = None

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
        pending: list[tuple[Chunk, str]] = []
        obsolete: list[str] = []
        for source, text in documents:
            seen_sources.add(source)
            try:
                chunks = split_document(text, source=source)
            except DocumentError as exc:
                report.errors.append(str(exc))
            else:
                to_add, to_remove, part = self._plan_source(collection, source, chunks)
                pending += [(c, root or "") for c in to_add]
                obsolete += to_remove
                report.merge(part)
            if progress:
                progress(source)
        # One embedding pass over everything new: batches sorted by length across the
        # whole corpus pad far less than per-document batches.
        for start in range(0, len(pending), ADD_BATCH * 8):
            batch = pending[start : start + ADD_BATCH * 8]
            vectors = self.embedder.embed([c.indexed_text for c, _ in batch])
            for offset in range(0, len(batch), ADD_BATCH):
                part_chunks = batch[offset : offset + ADD_BATCH]
                collection.add(
                    ids=[c.id for c, _ in part_chunks],
                    embeddings=vectors[offset : offset + ADD_BATCH],
                    documents=[c.text for c, _ in part_chunks],
                    metadatas=[{**c.metadata(), "root": r} for c, r in part_chunks],
                )
        # Old chunks go only after their replacements are in: a failure half-way leaves
        # a document with both versions for a moment, never with neither.
        if obsolete:
            collection.delete(ids=obsolete)
        if root is not None:
            stale = get_all(collection, where={"root": root}, include=["metadatas"])
            gone = sorted({str(m["source"]) for m in stale["metadatas"] or []} - seen_sources)
            for source in gone:
                ids = collection.get(where={"source": source}, include=[])["ids"]
                collection.delete(ids=ids)
                report.removed.append(source)
                report.chunks_removed += len(ids)
        if report.added or report.updated or report.removed:
            self._bump_version(collection)
        return report

    def _plan_source(
        self, collection: Any, source: str, chunks: list[Chunk]
    ) -> tuple[list[Chunk], list[str], IngestReport]:
        """What one document needs: chunks to add (embedded later), chunk ids to drop."""
        report = IngestReport()
        existing = set(collection.get(where={"source": source}, include=[])["ids"])
        wanted = {c.id: c for c in chunks}
        to_add = [c for cid, c in wanted.items() if cid not in existing]
        to_remove = sorted(existing - wanted.keys())
        if not to_add and not to_remove:
            report.unchanged.append(source)
            return [], [], report
        (report.updated if existing else report.added).append(source)
        report.chunks_written = len(to_add)
        report.chunks_removed = len(to_remove)
        return to_add, to_remove, report

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

    def chunks_of(self, source: str) -> list[SearchResult]:
        """Every chunk of one document (callers group them by heading path)."""
        found = self._with_collection(
            lambda c: c.get(where={"source": source}, include=["documents", "metadatas"])
        )
        return [
            result_from(cid, doc or "", dict(meta or {}), 1.0)
            for cid, doc, meta in zip(
                found["ids"], found["documents"] or [], found["metadatas"] or [], strict=True
            )
        ]

    def remove_source(self, source: str) -> int:
        collection = self._collection()
        ids = collection.get(where={"source": source}, include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
            self._bump_version(collection)
        return len(ids)

    # ---- search ---------------------------------------------------------------------

    def _dense_ids(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        """Nearest chunk ids and cosine similarities; texts come from the snapshot."""
        vector = self.embedder.embed([query])[0]

        def run(collection: Any) -> Any:
            return collection.query(
                query_embeddings=[vector],
                n_results=k,
                where=where_for(filters),
                include=["distances"],
            )

        found = self._with_collection(run)
        return [
            (cid, 1.0 - float(dist))
            for cid, dist in zip(found["ids"][0], found["distances"][0], strict=True)
        ]

    def _hydrate(self, scored: Sequence[tuple[str, float]]) -> list[SearchResult]:
        snap = self._lexical_snapshot()
        missing = [cid for cid, _ in scored if cid not in snap.position]
        extra: dict[str, tuple[str, dict[str, Any]]] = {}
        if missing:  # written by another replica since our snapshot: read them directly
            got = self._with_collection(
                lambda c: c.get(ids=missing, include=["documents", "metadatas"])
            )
            for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
                extra[cid] = (doc or "", dict(meta or {}))
        results = []
        for cid, score in scored:
            if cid in snap.position:
                i = snap.position[cid]
                results.append(result_from(cid, snap.texts[i], snap.metadatas[i], score))
            elif cid in extra:
                results.append(result_from(cid, extra[cid][0], extra[cid][1], score))
        return results

    def _lexical_snapshot(self) -> _LexicalSnapshot:
        now = time.monotonic()
        with self._lock:
            fresh = now - self._version_checked_at < VERSION_CHECK_SECONDS
            if self._lexical is not None and fresh:
                return self._lexical
            self._handle = None  # re-read the metadata (version stamp) from the store
            collection = self._collection()
            version = str((collection.metadata or {}).get("corpus_version", ""))
            self._version_checked_at = now
            if self._lexical is not None and self._lexical.version == version:
                return self._lexical
            everything = get_all(collection, include=["documents", "metadatas"])
            self._lexical = _snapshot(
                version,
                list(everything["ids"]),
                [d or "" for d in everything["documents"] or []],
                [dict(m or {}) for m in everything["metadatas"] or []],
            )
            return self._lexical

    def _lexical_ids(self, query: str, k: int, filters: Filters) -> list[tuple[str, float]]:
        snap = self._lexical_snapshot()
        return [(snap.ids[i], score) for i, score in snap.index.top(query, k, snap.mask(filters))]

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        filters: Filters | None = None,
        method: SearchMethod = "hybrid",
        per_source: int | None = PER_SOURCE,
    ) -> list[SearchResult]:
        filters = filters or Filters()
        depth = max(k, CANDIDATES)
        if method == "dense":
            ranked = self._dense_ids(query, depth, filters)
        elif method == "lexical":
            ranked = self._lexical_ids(query, depth, filters)
        else:
            dense = [cid for cid, _ in self._dense_ids(query, depth, filters)]
            lexical = [cid for cid, _ in self._lexical_ids(query, depth, filters)]
            ranked = reciprocal_rank_fusion([dense, lexical], k=RRF_K)
        return self._hydrate(self._diverse(ranked, k, per_source))

    def _diverse(
        self, ranked: Sequence[tuple[str, float]], k: int, per_source: int | None
    ) -> list[tuple[str, float]]:
        if per_source is None:
            return list(ranked[:k])
        snap = self._lexical_snapshot()
        kept: list[tuple[str, float]] = []
        per: dict[str, int] = {}
        for cid, score in ranked:
            source = (
                snap.metadatas[snap.position[cid]].get("source", cid)
                if cid in snap.position
                else cid
            )
            if per.get(source, 0) < per_source:
                per[source] = per.get(source, 0) + 1
                kept.append((cid, score))
                if len(kept) == k:
                    break
        return kept


def fuse(rankings: Sequence[Sequence[SearchResult]], k: int) -> list[SearchResult]:
    by_id = {r.chunk_id: r for ranking in rankings for r in ranking}
    fused = reciprocal_rank_fusion([[r.chunk_id for r in ranking] for ranking in rankings])
    return [by_id[cid].model_copy(update={"score": round(score, 6)}) for cid, score in fused[:k]]


def _source_name(file: Path, root: Path) -> str:
    """A file's name under the folder it was ingested from, e.g. `knowledge/modes/peer.md`:
    the same wherever the folder lives, so re-ingesting from elsewhere changes nothing."""
    base = root.resolve()
    return f"{base.name}/{file.resolve().relative_to(base).as_posix()}"
