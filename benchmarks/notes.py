"""Session-note search at scale: the access rule inside the query, two layouts compared.

Synthetic notes (70% shared with the match, 20% private, 10% for staff) spread over many
matches, with ready vectors, so only search is timed. For a participant in two matches
and for staff, `NoteIndex.search` (dense and hybrid, the rule in Chroma's `where`) is
timed against the baseline of a raw, unfiltered Chroma query plus embedding the query,
measured in the same run. Then the same notes as one collection per match (the layout
docs/architecture.md describes, where the rule is structural): a participant's search queries their
matches' collections only.

    python benchmarks/notes.py [--chunks 100000] [--matches 2000] [--queries 40]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.retrieval.embeddings import MiniLMEmbedder  # noqa: E402
from assistant.retrieval.notes import NOTES, NoteAccess, NoteIndex  # noqa: E402
from assistant.retrieval.store import ChromaVectorStore  # noqa: E402

WORDS = [
    "feedback", "talk", "slides", "review", "plan", "session", "goal", "practice", "meeting",
    "team", "outline", "demo", "rehearse", "opening", "stakeholder", "roadmap", "design",
    "code", "pause", "question", "audience",
]  # fmt: skip
QUERY = "how did the rehearsal of the opening go"
BATCH = 5000


def synthetic_notes(
    count: int, matches: int, rng: random.Random
) -> tuple[np.ndarray, list[dict[str, Any]], list[str]]:
    vectors = np.random.default_rng(1).standard_normal((count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    metas, docs = [], []
    for i in range(count):
        match = i % matches
        metas.append(
            {
                "kind": "note",
                "note_id": f"n{i}",
                "session_id": f"s{i // 4}",
                "match_id": f"m{match}",
                "author_key": f"participant:p{match}_{rng.randint(0, 1)}",
                "visibility": rng.choices(["match", "private", "staff"], [7, 2, 1])[0],
                "source": f"notes/s{i // 4}/n{i}",
                "title": "Session note",
                "heading": "",
            }
        )
        docs.append(" ".join(rng.choices(WORDS, k=30)))
    return vectors, metas, docs


def p50_p95(run: Callable[[], object], times: int) -> tuple[float, float]:
    taken = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        taken.append((time.perf_counter() - started) * 1000)
    ordered = sorted(taken)
    return statistics.median(taken), ordered[min(len(ordered) - 1, round(0.95 * (times - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--matches", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    embedder = MiniLMEmbedder()
    embedder.embed(["warm up"])
    vectors, metas, docs = synthetic_notes(args.chunks, args.matches, random.Random(3))
    member_of = ("m5", f"m{args.matches // 2}")
    participant = NoteAccess(principal_key="participant:p5_0", is_staff=False, match_ids=member_of)
    staff = NoteAccess(principal_key="staff:s1", is_staff=True)
    print(f"{args.chunks} note chunks over {args.matches} matches; a participant in 2 of them")

    with tempfile.TemporaryDirectory() as scratch:
        store = ChromaVectorStore(path=Path(scratch))
        collection = store.client().get_or_create_collection(
            NOTES,
            metadata={"embedder": embedder.name},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,
        )
        started = time.perf_counter()
        for start in range(0, args.chunks, BATCH):
            stop = min(args.chunks, start + BATCH)
            collection.add(
                ids=[f"c{i}" for i in range(start, stop)],
                embeddings=vectors[start:stop].tolist(),
                documents=docs[start:stop],
                metadatas=metas[start:stop],
            )
        print(f"one collection: loaded in {time.perf_counter() - started:.1f} s")
        index = NoteIndex(store.client, embedder)

        def raw() -> object:
            vector = embedder.embed([QUERY])[0]
            return collection.query(query_embeddings=[vector], n_results=10)

        base50, base95 = p50_p95(raw, args.queries)
        print(f"  baseline raw query + embedding: p50 {base50:.1f} ms, p95 {base95:.1f} ms")
        for label, access, method in (
            ("participant, dense", participant, "dense"),
            ("participant, hybrid", participant, "hybrid"),
            ("staff, dense", staff, "dense"),
        ):
            p50, p95 = p50_p95(
                lambda a=access, m=method: index.search(QUERY, access=a, k=10, method=m),
                args.queries,
            )
            print(
                f"  {label:<20} p50 {p50:6.1f} ms, p95 {p95:6.1f} ms: "
                f"{p50 / base50:.1f}x the baseline"
            )

    with tempfile.TemporaryDirectory() as scratch:
        store = ChromaVectorStore(path=Path(scratch))
        client = store.client()
        started = time.perf_counter()
        rows_of: dict[str, list[int]] = {}
        for i, meta in enumerate(metas):
            rows_of.setdefault(str(meta["match_id"]), []).append(i)
        for match_id, rows in rows_of.items():
            per_match = client.get_or_create_collection(
                f"notes-{match_id}",
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
            per_match.add(
                ids=[f"c{i}" for i in rows],
                embeddings=vectors[rows].tolist(),
                documents=[docs[i] for i in rows],
                metadatas=[metas[i] for i in rows],
            )
        print(f"a collection per match: loaded in {time.perf_counter() - started:.1f} s")
        readable = {"$or": [{"visibility": "match"}, {"author_key": participant.principal_key}]}

        def per_match_search() -> object:
            vector = embedder.embed([QUERY])[0]
            found = []
            for match_id in member_of:
                one = client.get_collection(f"notes-{match_id}", embedding_function=None)
                found.append(one.query(query_embeddings=[vector], n_results=10, where=readable))
            return found

        p50, p95 = p50_p95(per_match_search, args.queries)
        print(
            f"  participant, dense   p50 {p50:6.1f} ms, p95 {p95:6.1f} ms: "
            f"{p50 / base50:.1f}x the one-collection baseline"
        )
        started = time.perf_counter()
        names = [c.name for c in client.list_collections()]
        listed = (time.perf_counter() - started) * 1000
        sample = names[:100]
        started = time.perf_counter()
        vector = embedder.embed([QUERY])[0]
        for name in sample:
            client.get_collection(name, embedding_function=None).query(
                query_embeddings=[vector], n_results=10
            )
        each = (time.perf_counter() - started) * 1000 / len(sample)
        print(
            f"  staff across all matches: listing {len(names)} collections {listed:.0f} ms, "
            f"then {each:.1f} ms per collection queried ({each * len(names) / 1000:.1f} s for all)"
        )


if __name__ == "__main__":
    main()
