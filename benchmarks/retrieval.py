"""Retrieval speed against baselines measured in the same run.

1. Ingest throughput (chunks/s) of `KnowledgeBase.ingest_paths` on the built-in corpus,
   against the raw MiniLM encoder embedding the same chunk texts. Goal: >= 0.8.
2. Search latency (p50 / p95) of the service's hybrid search at 1k, 10k and 100k chunks,
   against a raw Chroma `query` with the same vectors plus embedding the query.
   Goal: service <= 1.5x the baseline.

    python benchmarks/retrieval.py [--sizes 1000 10000 100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.retrieval.documents import split_document  # noqa: E402
from assistant.retrieval.embeddings import MiniLMEmbedder  # noqa: E402
from assistant.retrieval.service import GUIDANCE, Filters, KnowledgeBase  # noqa: E402
from assistant.retrieval.store import ChromaVectorStore  # noqa: E402
from assistant.vocabulary import MODES, SKILLS, TOPICS  # noqa: E402

CORPUS = ROOT / "knowledge"
QUERIES = [
    "my mentee keeps cancelling our sessions",
    "how do two peers give each other feedback without it getting awkward",
    "exercises to move from beginner to practitioner in code review",
    "running a peer coaching pod of four people",
    "a senior leader wants to learn the AI tools their team uses",
    "what goes in a first session agreement",
    "how do I end a mentoring relationship well",
    "one quick question about negotiating a raise",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ingest_ratio(embedder: MiniLMEmbedder) -> None:
    files = sorted(p for p in CORPUS.rglob("*.md") if p.name != "README.md")
    chunks = [c for f in files for c in split_document(f.read_text(), source=f.name)]
    texts = [c.indexed_text for c in chunks]
    embedder.embed(texts[:8])  # load the model outside both timings

    started = time.perf_counter()
    embedder.embed(texts)
    raw = len(texts) / (time.perf_counter() - started)

    with tempfile.TemporaryDirectory() as scratch:
        knowledge = KnowledgeBase(ChromaVectorStore(path=Path(scratch)).client, embedder)
        knowledge.count()  # open Chroma outside the timing, as a running service has
        started = time.perf_counter()
        report = knowledge.ingest_paths([CORPUS])
        service = report.chunks_written / (time.perf_counter() - started)
    print(f"ingest: {len(texts)} chunks")
    print(f"  raw encoder      {raw:8.1f} chunks/s")
    print(f"  service ingest   {service:8.1f} chunks/s   ratio {service / raw:.2f} (goal >= 0.80)")


def synthetic_collection(
    client: Any, size: int, embedder: MiniLMEmbedder, rng: random.Random
) -> None:
    words = sorted(
        {w for f in CORPUS.rglob("*.md") for w in f.read_text().lower().split() if w.isalpha()}
    )
    collection = client.get_or_create_collection(
        GUIDANCE,
        metadata={"embedder": embedder.name, "corpus_version": "synthetic"},
        configuration={"hnsw": {"space": "cosine"}},
        embedding_function=None,
    )
    vectors = (
        np.random.default_rng(7).standard_normal((size, embedder.dimension)).astype(np.float32)
    )
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    batch = 5000
    for start in range(0, size, batch):
        stop = min(size, start + batch)
        metas = []
        docs = []
        for i in range(start, stop):
            mode = rng.choice(MODES)
            topic = rng.choice(TOPICS)
            skill = rng.choice(SKILLS)
            metas.append(
                {
                    "source": f"synthetic/{i // 12}.md",
                    "title": f"Synthetic {i // 12}",
                    "heading": f"Section {i % 12}",
                    "modes": mode,
                    f"mode_{mode}": True,
                    "topics": topic,
                    f"topic_{topic}": True,
                    "career_stages": "any",
                    "career_stage_any": True,
                    "skills": skill,
                    f"skill_{skill}": True,
                }
            )
            docs.append(" ".join(rng.choices(words, k=rng.randint(40, 120))))
        collection.add(
            ids=[f"s{i}" for i in range(start, stop)],
            embeddings=vectors[start:stop].tolist(),
            documents=docs,
            metadatas=metas,
        )


def search_ratio(size: int, queries: int, embedder: MiniLMEmbedder) -> None:
    rng = random.Random(size)
    with tempfile.TemporaryDirectory() as scratch:
        store = ChromaVectorStore(path=Path(scratch))
        started = time.perf_counter()
        synthetic_collection(store.client(), size, embedder, rng)
        load_seconds = time.perf_counter() - started
        collection = store.client().get_collection(GUIDANCE, embedding_function=None)
        knowledge = KnowledgeBase(store.client, embedder)
        knowledge.search(QUERIES[0], k=10)  # builds the lexical index once, as a warm service
        for label, filters in (("no filter", Filters()), ("mode filter", Filters(modes=("peer",)))):
            raw: list[float] = []
            service: list[float] = []
            where = {"$or": [{"mode_peer": True}, {"mode_any": True}]} if filters.modes else None
            for n in range(queries):
                text = QUERIES[n % len(QUERIES)]
                t0 = time.perf_counter()
                vector = embedder.embed([text])[0]
                collection.query(query_embeddings=[vector], n_results=10, where=where)
                raw.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                knowledge.search(text, k=10, filters=filters)
                service.append(time.perf_counter() - t0)
            raw_p50, svc_p50 = statistics.median(raw) * 1000, statistics.median(service) * 1000
            raw_p95, svc_p95 = percentile(raw, 0.95) * 1000, percentile(service, 0.95) * 1000
            print(
                f"search {size:>7} chunks, {label:<11}: raw chroma+embed p50 {raw_p50:6.1f} ms "
                f"p95 {raw_p95:6.1f} ms | service hybrid p50 {svc_p50:6.1f} ms "
                f"p95 {svc_p95:6.1f} ms"
                f" | ratio p50 {svc_p50 / raw_p50:.2f} p95 {svc_p95 / raw_p95:.2f} (goal <= 1.5)"
            )
        print(f"  (loading {size} synthetic chunks with ready vectors took {load_seconds:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    embedder = MiniLMEmbedder()
    if not args.skip_ingest:
        ingest_ratio(embedder)
    for size in args.sizes:
        search_ratio(size, args.queries, embedder)


if __name__ == "__main__":
    main()
