"""`tandem eval drafting` keeps what Tandem drafts usable: the rubric over 36 scenarios
(every mode and career stage, 1-3 goals, tight and generous budgets, goals with events
and difficulties) must hold its floors, or quality has slipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.drafting.evaluation import Report, evaluate, scenarios
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore

# Rules a reader relies on without exception; the rest may slip a little, never below 95%.
MUST_HOLD = (
    "plan: fits the budget",
    "plan: mode-true words",
    "plan: citations resolve",
    "plan: milestones climb in order",
    "agenda: stored rules",
    "agenda: equal own time",
    "agenda: mode-true words",
    "agenda: citations resolve",
    "agenda: flash question word for word",
)


@pytest.fixture(scope="module")
def report(indexed_guidance_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Report:
    path = tmp_path_factory.mktemp("eval") / "chroma"
    shutil.copytree(indexed_guidance_template, path)
    return evaluate(KnowledgeBase(ChromaVectorStore(path=path).client, WordOverlapEmbedder()))


def test_the_scenarios_cover_every_mode_stage_and_budget() -> None:
    found = scenarios()
    assert len(found) >= 30
    assert {s.mode for s in found} == {"mentor", "near_peer", "reverse", "peer", "group", "flash"}
    assert {s.stage for s in found} == {"early", "mid", "senior", "executive"}
    assert min(s.hours for s in found) <= 2 and max(s.hours for s in found) >= 8
    goals = [len(p.goals) for s in found for p in s.learners]
    assert {1, 2, 3} <= set(goals)
    assert any(s.focus for s in found) and any(not s.focus for s in found)


def test_drafts_pass_the_rubric(report: Report) -> None:
    by_check = report.by_check()
    failures = report.failures()
    assert report.rate >= 0.95, failures[:10]
    for name in MUST_HOLD:
        passed, count = by_check[name]
        assert passed == count, [f for f in failures if f[1].name == name][:5]
    # The person's words: events date the capstone, difficulties are met or named.
    for name in ("plan: event dates the capstone", "plan: difficulty met first"):
        passed, count = by_check[name]
        assert count >= 10 and passed == count
