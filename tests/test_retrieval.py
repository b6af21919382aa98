"""Knowledge base: idempotent ingest, tagged chunks, filters, hybrid search, the API."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.config import Settings
from assistant.retrieval.documents import DocumentError, split_document
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.retrieval.service import EmbedderMismatch, Filters, KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore

from .conftest import FixedClock
from .support import Api, expect

CORPUS = Path(__file__).resolve().parent.parent / "knowledge"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the built-in corpus that a test may edit."""
    copy = tmp_path / "knowledge"
    shutil.copytree(CORPUS, copy)
    return copy


@pytest.fixture
def knowledge(tmp_path: Path) -> KnowledgeBase:
    store = ChromaVectorStore(path=tmp_path / "chroma")
    return KnowledgeBase(store.client, WordOverlapEmbedder())


def test_the_built_in_corpus_covers_every_mode_and_skill() -> None:
    docs = [p for p in CORPUS.rglob("*.md") if p.name != "README.md"]
    assert len(docs) >= 45
    chunks = [c for p in docs for c in split_document(p.read_text(), source=p.name)]
    modes = {m for c in chunks for m in c.tags["modes"]}
    skills = {s for c in chunks for s in c.tags["skills"]}
    assert {"mentor", "peer", "near_peer", "reverse", "group", "flash", "any"} <= modes
    from assistant.vocabulary import SKILLS

    assert set(SKILLS) <= skills
    # Every skill playbook has the same sections, which the drafting engine reads.
    for slug in SKILLS:
        headings = {c.heading for c in chunks if c.source == f"{slug}.md"}
        for level in range(1, 5):
            assert f"Practice activities > From level {level} to {level + 1}" in headings, slug
        assert "How a peer helps" in headings and "How a mentor helps" in headings, slug


def test_ingest_is_idempotent_and_replaces_exactly_what_changed(
    knowledge: KnowledgeBase, corpus: Path
) -> None:
    first = knowledge.ingest_paths([corpus])
    assert len(first.added) >= 45 and first.chunks_written > 400 and not first.errors
    total = knowledge.count()

    second = knowledge.ingest_paths([corpus])
    assert second.added == second.updated == second.removed == []
    assert len(second.unchanged) == len(first.added) and second.chunks_written == 0

    peer = corpus / "modes" / "peer.md"
    peer.write_text(peer.read_text() + "\n## Tandem note\n\nSwap the timekeeper every session.\n")
    (corpus / "modes" / "flash.md").unlink()
    third = knowledge.ingest_paths([corpus])
    assert third.updated == ["knowledge/modes/peer.md"]
    assert third.removed == ["knowledge/modes/flash.md"]
    assert third.chunks_written == 1  # only the new section; the rest kept their ids
    flash_chunks = len(split_document((CORPUS / "modes" / "flash.md").read_text(), source="x"))
    assert knowledge.count() == total + 1 - flash_chunks
    hits = knowledge.search("swap the timekeeper", k=1, method="lexical")
    assert hits[0].source == "knowledge/modes/peer.md" and hits[0].heading == "Tandem note"


def test_chunks_keep_title_heading_path_and_tags() -> None:
    text = (
        "---\ntitle: Pods\nmodes: [group]\ntopics: [accountability]\ncareer_stages: [mid]\n---\n"
        "# Pods\n\n## Rotating focus\n\n### Who goes first\n\n"
        "The person with the oldest commitment.\n"
    )
    (chunk,) = split_document(text, source="uploads/pods.md")
    assert chunk.title == "Pods" and chunk.heading == "Rotating focus > Who goes first"
    assert chunk.tags == {
        "modes": ["group"],
        "topics": ["accountability"],
        "career_stages": ["mid"],
        "skills": [],
    }
    untagged = split_document("Plain text guidance about agendas.", source="notes.txt")
    assert untagged[0].tags["modes"] == ["any"] and untagged[0].tags["topics"] == ["any"]
    with pytest.raises(DocumentError, match="unknown slugs"):
        split_document("---\nmodes: [buddy]\n---\ntext", source="bad.md")


def test_filters_restrict_results_to_matching_or_untagged_guidance(
    knowledge: KnowledgeBase,
) -> None:
    knowledge.ingest_paths([CORPUS])
    for method in ("dense", "lexical", "hybrid"):
        results = knowledge.search(
            "how often should we meet", k=10, filters=Filters(modes=("peer",)), method=method
        )
        assert results, method
        assert all({"peer", "any"} & set(r.modes) for r in results), method
    skilled = knowledge.search("practice", k=10, filters=Filters(skills=("negotiation",)))
    assert skilled and all(r.skills == ["negotiation"] for r in skilled)


def test_an_index_built_by_another_embedder_is_refused(tmp_path: Path) -> None:
    store = ChromaVectorStore(path=tmp_path / "chroma")
    KnowledgeBase(store.client, WordOverlapEmbedder(1024)).ingest_paths([CORPUS / "modes"])
    other = KnowledgeBase(store.client, WordOverlapEmbedder(512))
    with pytest.raises(EmbedderMismatch, match="tandem ingest --rebuild"):
        other.search("feedback")
    other.rebuild()
    other.ingest_paths([CORPUS / "modes"])
    assert other.search("feedback", k=1)


@pytest.fixture
def indexed_client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    settings = settings.model_copy(update={"ingest_on_start": True, "knowledge_dir": CORPUS})
    with TestClient(create_app(settings, clock=clock, embedder=WordOverlapEmbedder())) as client:
        yield client


def test_search_api_returns_cited_chunks_and_validates_filters(indexed_client: TestClient) -> None:
    api = Api(indexed_client)
    mentee = api.participant()
    found = expect(
        api.call(
            "GET",
            "/v1/knowledge/search?q=reciprocal feedback between peers&mode=peer&k=3",
            key=mentee["api_key"],
        ),
        200,
    )
    assert len(found["results"]) == 3
    top = found["results"][0]
    assert top["source"].startswith("knowledge/") and top["chunk_id"] and top["text"]
    assert {"peer", "any"} & set(top["modes"])
    assert api.call("GET", "/v1/knowledge/search?q=x&mode=buddy").status_code == 422
    assert api.call("GET", "/v1/knowledge/search?q=").status_code == 422
    assert api.call("GET", "/v1/knowledge/search?q=x", key=None).status_code == 401


def test_staff_upload_guidance_that_becomes_searchable_and_can_be_removed(
    indexed_client: TestClient,
) -> None:
    api = Api(indexed_client)
    doc = "# Buddy lunches\n\nOnce a quarter the cohort lunches with a senior sponsor."
    report = expect(
        api.call("POST", "/v1/knowledge/documents", json={"name": "lunch.md", "text": doc}), 201
    )
    assert report["added"] == ["uploads/lunch.md"] and report["chunks_written"] == 1
    hits = expect(api.call("GET", "/v1/knowledge/search?q=quarterly sponsor lunches&k=1"), 200)
    assert hits["results"][0]["source"] == "uploads/lunch.md"
    assert hits["results"][0]["modes"] == ["any"]  # no front matter: applies everywhere
    again = expect(
        api.call("POST", "/v1/knowledge/documents", json={"name": "lunch.md", "text": doc}), 201
    )
    assert again["unchanged"] == ["uploads/lunch.md"]
    bad = api.call(
        "POST",
        "/v1/knowledge/documents",
        json={"name": "bad.md", "text": "---\nmodes: [buddy]\n---\nhi"},
    )
    assert bad.status_code == 422 and "buddy" in bad.text
    removed = expect(api.call("DELETE", "/v1/knowledge/documents/lunch.md"), 200)
    assert removed["removed"] == ["uploads/lunch.md"]
    hits = expect(api.call("GET", "/v1/knowledge/search?q=quarterly sponsor lunches&k=3"), 200)
    assert all(r["source"] != "uploads/lunch.md" for r in hits["results"])


def test_the_langchain_retriever_returns_cited_documents(knowledge: KnowledgeBase) -> None:
    from assistant.retrieval.retrievers import GuidanceRetriever

    knowledge.ingest_paths([CORPUS])
    retriever = GuidanceRetriever(knowledge=knowledge, k=3, filters=Filters(modes=("group",)))
    documents = retriever.invoke("rotating who goes first in a pod")
    assert len(documents) == 3
    assert all(d.id and d.metadata["source"].startswith("knowledge/") for d in documents)
    assert all({"group", "any"} & set(d.metadata["modes"]) for d in documents)


def test_large_collections_are_read_in_pages(
    knowledge: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chroma refuses a single `get` of ~32k rows or more; the reads must page. A small
    # page size makes the 600-chunk corpus take many pages.
    import assistant.retrieval.service as service

    monkeypatch.setattr(service, "GET_PAGE", 37)
    knowledge.ingest_paths([CORPUS])
    hits = knowledge.search("reciprocal feedback round", k=5, method="lexical")
    assert hits
    everything = service.get_all(knowledge._collection(), include=["metadatas"])
    assert len(everything["ids"]) == knowledge.count() == len(set(everything["ids"]))


def test_a_release_that_rewrites_built_in_guidance_reaches_an_existing_index(
    settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    corpus = tmp_path / "knowledge"
    shutil.copytree(CORPUS / "modes", corpus / "modes")
    configured = settings.model_copy(
        update={
            "ingest_on_start": True,
            "knowledge_dir": corpus,
            "data_dir": tmp_path / "fresh-data",
        }
    )

    def search(phrase: str) -> list[dict[str, Any]]:
        app = create_app(configured, clock=clock, embedder=WordOverlapEmbedder())
        with TestClient(app) as client:
            api = Api(client)
            found: list[dict[str, Any]] = expect(
                api.call("GET", f"/v1/knowledge/search?q={phrase}&k=3&method=lexical"), 200
            )["results"]
            return found

    assert not any("quokka" in r["text"] for r in search("quokka"))
    page = next((corpus / "modes").glob("*.md"))
    page.write_text(page.read_text() + "\n\nA quokka checklist helps every first session.\n")
    # The next start finds the new sentence without anyone running `tandem ingest`.
    assert any("quokka" in r["text"] for r in search("quokka"))
