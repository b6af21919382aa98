"""The OpenAI-compatible embeddings path, over HTTP, with the real `openai` client."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.api import build_embedder
from assistant.config import Settings
from assistant.retrieval.embeddings import EmbedderUnavailable, OpenAICompatibleEmbedder
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore

from .fake_openai import fake_openai_server

CORPUS = Path(__file__).resolve().parent.parent / "knowledge"


def test_embeddings_come_back_in_order_normalised_and_authenticated() -> None:
    with fake_openai_server() as server:
        embedder = OpenAICompatibleEmbedder(
            base_url=server.base_url, model="text-embed-test", api_key="sk-local", dimension=64
        )
        vectors = np.array(embedder.embed(["peer feedback", "feedback between peers", "budget"]))
        assert vectors.shape == (3, 64)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
        assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
        assert server.requests[0]["auth"] == "Bearer sk-local"
        assert server.requests[0]["body"]["model"] == "text-embed-test"
        assert embedder.name == "openai:text-embed-test"


def test_a_failing_endpoint_raises_a_clear_error() -> None:
    with fake_openai_server() as server:
        server.fail_with = 503
        embedder = OpenAICompatibleEmbedder(
            base_url=server.base_url, model="m", api_key="k", dimension=64, timeout=5
        )
        with pytest.raises(EmbedderUnavailable, match="embeddings endpoint failed"):
            embedder.embed(["hello"])


def test_settings_select_the_endpoint_and_it_can_build_an_index(tmp_path: Path) -> None:
    with fake_openai_server() as server:
        settings = Settings(
            environment="test",
            embeddings_model="text-embed-test",
            embeddings_base_url=server.base_url,
            embeddings_dimension=64,
        )
        embedder = build_embedder(settings)
        assert embedder.name == "openai:text-embed-test"
        knowledge = KnowledgeBase(ChromaVectorStore(path=tmp_path / "c").client, embedder)
        report = knowledge.ingest_paths([CORPUS / "modes"])
        assert report.chunks_written > 50 and not report.errors
        hits = knowledge.search("reverse mentoring digital tools", k=3, method="dense")
        assert hits[0].source == "modes/reverse.md"
