"""Skill playbooks read as structured, citable guidance for the drafters."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.drafting.playbooks import PlaybookLibrary, playbook_from_chunks
from assistant.retrieval.documents import split_document
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.retrieval.models import SearchResult
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore
from assistant.vocabulary import SKILLS

SKILLS_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "skills"


def _chunks(skill: str) -> list[SearchResult]:
    path = SKILLS_DIR / f"{skill}.md"
    return [
        SearchResult(
            chunk_id=c.id, source=c.source, title=c.title, heading=c.heading, text=c.text, score=1
        )
        for c in split_document(path.read_text(), source=f"knowledge/skills/{skill}.md")
    ]


@pytest.mark.parametrize("skill", SKILLS)
def test_every_playbook_gives_levels_steps_milestones_and_evidence(skill: str) -> None:
    book = playbook_from_chunks(skill, _chunks(skill))
    assert sorted(book.levels) == [1, 2, 3, 4, 5]
    assert sorted(book.practice) == [1, 2, 3, 4]
    assert all(3 <= len(bullets) <= 4 for bullets in book.practice.values())
    assert sorted(book.milestones) == [2, 3, 4, 5]
    assert len(book.evidence) >= 4 and book.mentor_help and book.peer_help and book.pitfalls
    # Observe-then-debrief is offered somewhere on the way up.
    assert any(b.is_shadowing for bullets in book.practice.values() for b in bullets)
    # Practice for 2 -> 4 is exactly the 2->3 and 3->4 steps, each bullet cited.
    assert book.steps(2, 4) == [2, 3]
    assert book.activities(2, 4) == book.practice[2] + book.practice[3]
    assert all(b.chunk_id and b.source.endswith(f"{skill}.md") for b in book.activities(1, 5))


def test_the_library_reads_playbooks_from_the_index_with_resolvable_citations(
    tmp_path: Path,
) -> None:
    knowledge = KnowledgeBase(
        ChromaVectorStore(path=tmp_path / "chroma").client, WordOverlapEmbedder()
    )
    knowledge.ingest_paths([SKILLS_DIR.parent])
    library = PlaybookLibrary(knowledge)
    book = library.playbook("delegation")
    assert book is not None
    cited = {b.chunk_id for b in book.activities(1, 5)}
    stored = {c.chunk_id for c in knowledge.chunks_of("knowledge/skills/delegation.md")}
    assert cited <= stored
    assert library.playbook("public_speaking") is not None
    # A skill without a playbook in the index is None, so a drafter can fall back.
    knowledge.remove_source("knowledge/skills/coaching.md")
    assert library.playbook("coaching") is None
