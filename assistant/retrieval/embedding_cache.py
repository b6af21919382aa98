"""Embeddings kept in the database per text and embedder, so a text is embedded once.

Pairing compares every mentee's goals with every mentor's skills and goals; embedding
2,500 profiles with the offline MiniLM takes seconds on two cores, each run again. The
texts rarely change between runs, so their vectors are looked up by a hash of the text
and only new or edited texts reach the model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from assistant.retrieval.embeddings import Embedder
from assistant.retrieval.models import EmbeddingCacheRow

# Well under SQLite's and PostgreSQL's limits on bound parameters per statement.
_LOOKUP_CHUNK = 500


def text_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class CachedEmbedder:
    """An `Embedder` that asks the wrapped one only for texts it has not seen before.

    Vectors are stored as float32 (the models' own precision), keyed by the embedder's
    name, so switching models never mixes vector spaces. Writes go into the caller's
    session and commit with it; a concurrent run that stored the same text first wins.
    """

    def __init__(self, embedder: Embedder, session: Session) -> None:
        self._embedder = embedder
        self._session = session
        self.misses = 0  # texts the wrapped embedder was asked for, for reports and tests

    @property
    def name(self) -> str:
        return self._embedder.name

    @property
    def dimension(self) -> int:
        return self._embedder.dimension

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        digests = [text_digest(text) for text in texts]
        unique = dict(zip(digests, texts, strict=True))
        found = self._lookup(list(unique))
        missing = [digest for digest in unique if digest not in found]
        if missing:
            vectors = self._embedder.embed([unique[digest] for digest in missing])
            self.misses += len(missing)
            fresh = dict(zip(missing, (np.asarray(v, dtype="<f4") for v in vectors), strict=True))
            self._store(fresh)
            found.update(fresh)
        return [found[digest].astype(float).tolist() for digest in digests]

    def _lookup(self, digests: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(digests), _LOOKUP_CHUNK):
            rows = self._session.execute(
                select(EmbeddingCacheRow.text_sha256, EmbeddingCacheRow.vector).where(
                    EmbeddingCacheRow.embedder == self.name,
                    EmbeddingCacheRow.dimension == self.dimension,
                    EmbeddingCacheRow.text_sha256.in_(digests[start : start + _LOOKUP_CHUNK]),
                )
            )
            for digest, blob in rows:
                found[digest] = np.frombuffer(blob, dtype="<f4")
        return found

    def _store(self, vectors: dict[str, np.ndarray]) -> None:
        dialect = self._session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        rows = [
            {
                "embedder": self.name,
                "text_sha256": digest,
                "dimension": int(vector.size),
                "vector": vector.tobytes(),
            }
            for digest, vector in vectors.items()
        ]
        for start in range(0, len(rows), _LOOKUP_CHUNK):
            statement = insert(EmbeddingCacheRow).values(rows[start : start + _LOOKUP_CHUNK])
            self._session.execute(statement.on_conflict_do_nothing())
