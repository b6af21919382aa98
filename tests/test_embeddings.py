"""The offline MiniLM embedder and retrieval quality on the labelled dev set."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.embeddings import EmbedderUnavailable, MiniLMEmbedder, _minilm_files
from assistant.retrieval.evaluation import evaluate, load_queries
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "tests" / "data" / "retrieval_dev.jsonl"


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_minilm_runs_offline_and_its_similarity_means_something(minilm: MiniLMEmbedder) -> None:
    vectors = np.array(
        minilm.embed(
            [
                "My mentee keeps cancelling our sessions",
                "What to do when meetings are often called off at the last minute",
                "Designing a database schema for a payments service",
            ]
        )
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    assert similarity[0, 1] > similarity[0, 2] + 0.3
    # Batching and order do not change a text's vector.
    again = np.array(minilm.embed(["Designing a database schema for a payments service"]))
    assert np.allclose(again[0], vectors[2], atol=1e-4)


def test_an_altered_model_file_is_refused(tmp_path: Path) -> None:
    model, tokenizer = _minilm_files()
    tampered = tmp_path / "model.onnx"
    shutil.copyfile(model, tampered)
    with tampered.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x00\x01\x02\x03")
    embedder = MiniLMEmbedder(model_path=tampered, tokenizer_path=tokenizer)
    with pytest.raises(EmbedderUnavailable, match="checksum"):
        embedder.embed(["hello"])


def test_hybrid_search_beats_dense_and_lexical_on_the_dev_set(
    minilm: MiniLMEmbedder, tmp_path: Path
) -> None:
    knowledge = KnowledgeBase(ChromaVectorStore(path=tmp_path / "chroma").client, minilm)
    report = knowledge.ingest_paths([ROOT / "knowledge"])
    assert not report.errors
    queries = load_queries(DEV_SET)
    assert len(queries) >= 80
    scores = evaluate(knowledge, queries).overall
    hybrid, dense, lexical = scores["hybrid"], scores["dense"], scores["lexical"]
    print({m: s for m, s in scores.items()})
    assert hybrid["hit@5"] >= 0.9
    for metric in ("hit@5", "MRR@10", "nDCG@10"):
        assert hybrid[metric] > dense[metric], metric
        assert hybrid[metric] > lexical[metric], metric
