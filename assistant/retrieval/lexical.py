"""BM25 over chunks as a sparse matrix: a query touches only its own terms' postings.

Scoring is one sparse row-slice and a sum, so a query over 100k chunks costs about as much
as the number of chunks containing its words, not the size of the corpus.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

_TOKEN = re.compile(r"[a-z0-9]+")
# Words that carry no topic in mentoring questions; dropping them keeps BM25 from
# rewarding chunks for "how do i" alone.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "you",
        "your",
    ]
)


def tokenize(text: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS]


def _stem(token: str) -> str:
    # A light suffix strip: "cancelling", "cancelled" and "cancels" meet at "cancel".
    for suffix in ("ings", "ing", "edly", "ed", "ies", "es", "s", "ly"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return token


class LexicalIndex:
    """Okapi BM25 (k1=1.2, b=0.75) over a fixed list of texts."""

    def __init__(self, texts: Sequence[str], *, k1: float = 1.2, b: float = 0.75) -> None:
        self.size = len(texts)
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        counts: list[float] = []
        lengths = np.zeros(self.size, dtype=np.float64)
        for doc, text in enumerate(texts):
            terms = Counter(tokenize(text))
            lengths[doc] = sum(terms.values())
            for term, count in terms.items():
                rows.append(vocabulary.setdefault(term, len(vocabulary)))
                cols.append(doc)
                counts.append(count)
        self.vocabulary = vocabulary
        average = float(lengths.mean()) if self.size else 1.0
        tf = np.asarray(counts, dtype=np.float64)
        doc_len = lengths[np.asarray(cols, dtype=np.int64)] if cols else np.zeros(0)
        weight = tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / max(average, 1e-9)))
        term_rows = np.asarray(rows, dtype=np.int64)
        df = np.bincount(term_rows, minlength=len(vocabulary)).astype(np.float64)
        idf = np.log(1 + (self.size - df + 0.5) / (df + 0.5))
        if len(weight):
            weight *= idf[term_rows]
        # term x document: a query reads only the rows of its terms.
        self._matrix: Any = csr_matrix(
            (weight, (term_rows, np.asarray(cols, dtype=np.int64))),
            shape=(len(vocabulary), self.size),
        )

    def scores(self, query: str) -> np.ndarray[Any, Any]:
        ids = [self.vocabulary[t] for t in set(tokenize(query)) if t in self.vocabulary]
        if not ids or not self.size:
            return np.zeros(self.size)
        result: np.ndarray[Any, Any] = np.asarray(self._matrix[ids].sum(axis=0)).ravel()
        return result

    def top(
        self, query: str, k: int, allowed: np.ndarray[Any, Any] | None = None
    ) -> list[tuple[int, float]]:
        """Indices and scores of the k best matches with a score above zero."""
        scores = self.scores(query)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if not len(positive):
            return []
        best = positive[np.argsort(-scores[positive], kind="stable")[:k]]
        return [(int(i), float(scores[i])) for i in best]


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60
) -> list[tuple[str, float]]:
    """Fuse ranked id lists: each list adds 1 / (k + rank). Robust to score scales that
    cannot be compared (cosine vs BM25)."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))
