"""Session notes in their own collection, searchable only as the REST API would allow.

The access rule is part of the Chroma query (`where`), for the dense and the lexical
side alike: a note a principal may not read is never fetched for that principal, so no
later step can leak it into a plan, an agenda or a chat answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.retrieval.documents import CHUNK_CHARS, CHUNK_OVERLAP, chunk_id
from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.lexical import LexicalIndex
from assistant.retrieval.models import SearchMethod, SearchResult
from assistant.retrieval.service import (
    CANDIDATES,
    EmbedderMismatch,
    and_all,
    fuse,
    get_all,
    result_from,
)

logger = logging.getLogger("tandem.retrieval.notes")
NOTES = "notes"


@dataclass(frozen=True)
class NoteAccess:
    """Who is searching, in the terms the note rule needs (no domain objects here).

    `principal_key` is "participant:<id>" or "staff:<id>"; `match_ids` are the matches a
    participant belongs to (ignored for staff, who read match and staff notes anywhere).
    """

    principal_key: str
    is_staff: bool
    match_ids: tuple[str, ...] = ()

    def where(self, only_match: str | None = None) -> dict[str, Any] | None:
        """The REST rule as a Chroma filter; None when the principal may read nothing."""
        mine = {"author_key": self.principal_key}
        if self.is_staff:
            readable = {"$or": [{"visibility": {"$in": ["match", "staff"]}}, mine]}
            scope = [{"match_id": only_match}] if only_match else []
            return and_all([*scope, readable])
        matches = [m for m in self.match_ids if only_match in (None, m)]
        if not matches:
            return None
        readable = {"$or": [{"visibility": "match"}, mine]}
        return and_all([{"match_id": {"$in": matches}}, readable])


@dataclass(frozen=True)
class IndexedNote:
    note_id: str
    session_id: str
    match_id: str
    author_key: str
    visibility: str
    text: str
    title: str


class NoteIndex:
    def __init__(self, client_factory: Callable[[], Any], embedder: Embedder) -> None:
        self._client_factory = client_factory
        self.embedder = embedder
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP
        )

    def _collection(self) -> Any:
        collection = self._client_factory().get_or_create_collection(
            NOTES,
            metadata={"embedder": self.embedder.name},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        built_by = (collection.metadata or {}).get("embedder")
        if built_by != self.embedder.name:
            raise EmbedderMismatch(
                f"the '{NOTES}' index was built with embedder {built_by!r} but this service "
                f"embeds with {self.embedder.name!r}; run `tandem ingest --rebuild --notes`"
            )
        return collection

    def index(self, note: IndexedNote) -> int:
        """(Re-)index one note: its old chunks go, its current text's chunks come."""
        collection = self._collection()
        pieces = self._splitter.split_text(note.text) or [note.text]
        source = f"notes/{note.session_id}/{note.note_id}"
        ids = [chunk_id(source, str(i), piece) for i, piece in enumerate(pieces)]
        stale = set(collection.get(where={"note_id": note.note_id}, include=[])["ids"]) - set(ids)
        if stale:
            collection.delete(ids=sorted(stale))
        meta = {
            "kind": "note",
            "note_id": note.note_id,
            "session_id": note.session_id,
            "match_id": note.match_id,
            "author_key": note.author_key,
            "visibility": note.visibility,
            "source": source,
            "title": note.title,
            "heading": "",
        }
        vectors = self.embedder.embed([f"{note.title}.\n{p}" for p in pieces])
        collection.upsert(
            ids=ids, embeddings=vectors, documents=pieces, metadatas=[meta for _ in pieces]
        )
        return len(ids)

    def remove(self, note_id: str) -> int:
        collection = self._collection()
        ids = collection.get(where={"note_id": note_id}, include=[])["ids"]
        if ids:
            collection.delete(ids=ids)
        return len(ids)

    def rebuild(self, notes: Iterable[IndexedNote]) -> int:
        client = self._client_factory()
        try:
            client.delete_collection(NOTES)
        except Exception:
            logger.info("no notes collection to drop")
        return sum(self.index(n) for n in notes)

    def count(self) -> int:
        return int(self._collection().count())

    def search(
        self,
        query: str,
        *,
        access: NoteAccess,
        k: int = 5,
        method: SearchMethod = "hybrid",
        only_match: str | None = None,
    ) -> list[SearchResult]:
        where = access.where(only_match)
        if where is None:
            return []
        collection = self._collection()
        rankings: list[list[SearchResult]] = []
        depth = k if method != "hybrid" else max(k, CANDIDATES)
        if method in ("dense", "hybrid"):
            vector = self.embedder.embed([query])[0]
            found = collection.query(
                query_embeddings=[vector],
                n_results=depth,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            rankings.append(
                [
                    result_from(cid, doc or "", dict(meta or {}), 1.0 - float(dist))
                    for cid, doc, meta, dist in zip(
                        found["ids"][0],
                        found["documents"][0],
                        found["metadatas"][0],
                        found["distances"][0],
                        strict=True,
                    )
                ]
            )
        if method in ("lexical", "hybrid"):
            # The candidates themselves come from a filtered get: BM25 only ever sees
            # notes this principal may read.
            readable = get_all(collection, where=where, include=["documents", "metadatas"])
            texts = [d or "" for d in readable["documents"] or []]
            metas = [dict(m or {}) for m in readable["metadatas"] or []]
            index = LexicalIndex(
                [f"{m.get('title', '')}.\n{t}" for t, m in zip(texts, metas, strict=True)]
            )
            rankings.append(
                [
                    result_from(readable["ids"][i], texts[i], metas[i], score)
                    for i, score in index.top(query, depth)
                ]
            )
        if method != "hybrid":
            return rankings[0][:k]
        return fuse(rankings, k)
