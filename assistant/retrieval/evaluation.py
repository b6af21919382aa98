"""Retrieval evaluation: hit@5, MRR@10 and nDCG@10 over a labelled query file.

Relevance is by document: a result counts when its source is one the label names. Only
the first chunk of each relevant document earns gain, so a document split into many
chunks cannot fill the top ten and look better than it is.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.retrieval.models import SearchMethod
from assistant.retrieval.service import KnowledgeBase

METHODS: tuple[SearchMethod, ...] = ("dense", "lexical", "hybrid")
DEPTH = 10


@dataclass(frozen=True)
class LabelledQuery:
    query: str
    sources: frozenset[str]
    modes: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass
class Scores:
    hit_at_5: float = 0.0
    mrr_at_10: float = 0.0
    ndcg_at_10: float = 0.0
    queries: int = 0

    def add(self, ranked_sources: Sequence[str], relevant: frozenset[str]) -> None:
        first_hit = next((i for i, s in enumerate(ranked_sources[:DEPTH]) if s in relevant), None)
        self.hit_at_5 += 1.0 if first_hit is not None and first_hit < 5 else 0.0
        self.mrr_at_10 += 1.0 / (first_hit + 1) if first_hit is not None else 0.0
        seen: set[str] = set()
        dcg = 0.0
        for rank, source in enumerate(ranked_sources[:DEPTH]):
            if source in relevant and source not in seen:
                seen.add(source)
                dcg += 1.0 / math.log2(rank + 2)
        ideal = sum(1.0 / math.log2(r + 2) for r in range(min(len(relevant), DEPTH)))
        self.ndcg_at_10 += dcg / ideal if ideal else 0.0
        self.queries += 1

    def averaged(self) -> dict[str, float]:
        n = max(self.queries, 1)
        return {
            "hit@5": round(self.hit_at_5 / n, 3),
            "MRR@10": round(self.mrr_at_10 / n, 3),
            "nDCG@10": round(self.ndcg_at_10 / n, 3),
            "queries": self.queries,
        }


@dataclass
class EvaluationReport:
    overall: dict[str, dict[str, float]] = field(default_factory=dict)
    by_mode: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    by_topic: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)


def load_queries(path: Path) -> list[LabelledQuery]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            queries.append(
                LabelledQuery(
                    query=str(raw["query"]),
                    sources=frozenset(raw["sources"]),
                    modes=tuple(raw.get("modes", ())),
                    topics=tuple(raw.get("topics", ())),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled query ({exc})") from exc
    return queries


def evaluate(
    knowledge: KnowledgeBase,
    queries: Iterable[LabelledQuery],
    methods: Sequence[SearchMethod] = METHODS,
) -> EvaluationReport:
    overall: dict[str, Scores] = {m: Scores() for m in methods}
    by_mode: dict[str, dict[str, Scores]] = defaultdict(lambda: {m: Scores() for m in methods})
    by_topic: dict[str, dict[str, Scores]] = defaultdict(lambda: {m: Scores() for m in methods})
    failures: dict[str, list[str]] = {m: [] for m in methods}
    for labelled in queries:
        for method in methods:
            results = knowledge.search(labelled.query, k=DEPTH, method=method)
            ranked = [r.source for r in results]
            overall[method].add(ranked, labelled.sources)
            for mode in labelled.modes:
                by_mode[mode][method].add(ranked, labelled.sources)
            for topic in labelled.topics:
                by_topic[topic][method].add(ranked, labelled.sources)
            if not labelled.sources & set(ranked[:5]):
                failures[method].append(labelled.query)
    return EvaluationReport(
        overall={m: s.averaged() for m, s in overall.items()},
        by_mode={k: {m: s.averaged() for m, s in v.items()} for k, v in sorted(by_mode.items())},
        by_topic={k: {m: s.averaged() for m, s in v.items()} for k, v in sorted(by_topic.items())},
        failures=failures,
    )
