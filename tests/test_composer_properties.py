"""Properties of the offline composer over generated profiles and matches (hypothesis)."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.drafting.composer import ComposerDrafter
from assistant.drafting.playbooks import PlaybookLibrary
from assistant.matching.models import MatchOut
from assistant.people.models import ParticipantOut
from assistant.plans.load import planned_minutes_per_month
from assistant.plans.service import PlanDraftRequest
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.retrieval.service import KnowledgeBase
from assistant.retrieval.store import ChromaVectorStore
from assistant.vocabulary import MODES, SKILLS

START = date(2027, 3, 1)


@pytest.fixture(scope="module")
def composer(
    indexed_guidance_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> ComposerDrafter:
    path = tmp_path_factory.mktemp("composer") / "chroma"
    shutil.copytree(indexed_guidance_template, path)
    knowledge = KnowledgeBase(ChromaVectorStore(path=path).client, WordOverlapEmbedder())
    return ComposerDrafter(PlaybookLibrary(knowledge))


goals = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.uuids().map(lambda u: u.hex),
            "text": st.sampled_from(
                ["Lead the migration", "Speak at the offsite", "Grow as a reviewer", "Get promoted"]
            ),
            "skills": st.lists(st.sampled_from(SKILLS), min_size=1, max_size=2, unique=True),
            "target_level": st.integers(1, 5),
            "horizon_weeks": st.integers(1, 52),
        }
    ),
    min_size=1,
    max_size=3,
)
levels = st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=5)


def person(
    ident: str, skill_levels: dict[str, int], their_goals: list[Any], hours: float | None
) -> ParticipantOut:
    return ParticipantOut.model_validate(
        {
            "id": ident,
            "name": ident.title(),
            "email": f"{ident}@example.org",
            "career_stage": "mid",
            "roles": ["peer"],
            "hours_per_month": hours,
            "skills": [{"skill": s, "level": lvl} for s, lvl in skill_levels.items()],
            "goals": their_goals,
            "created_at": "2027-01-01T00:00:00Z",
            "updated_at": "2027-01-01T00:00:00Z",
        }
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mode=st.sampled_from(MODES),
    owner_goals=goals,
    owner_levels=levels,
    other_goals=goals,
    other_levels=levels,
    hours=st.one_of(st.none(), st.floats(0, 40)),  # None: the person has not said
    per_month=st.integers(1, 8),
)
def test_composed_plans_serve_every_goal_inside_its_horizon_with_resolvable_citations(
    composer: ComposerDrafter,
    mode: str,
    owner_goals: list[Any],
    owner_levels: dict[str, int],
    other_goals: list[Any],
    other_levels: dict[str, int],
    hours: float | None,
    per_month: int,
) -> None:
    owner = person("owner", owner_levels, owner_goals, hours)
    other = person("other", other_levels, other_goals, 4)
    match = MatchOut.model_validate(
        {
            "id": "m1",
            "mode": mode,
            "status": "active",
            "program_id": None,
            "members": [],
            "cadence": {"sessions_per_month": per_month, "minutes": 45},
            "started_on": START,
            "created_at": "2027-01-01T00:00:00Z",
        }
    )
    request = PlanDraftRequest(match=match, owner=owner, others=[other], focus="", starts_on=START)
    drafted = composer.draft_plan(request)
    body = drafted.body

    # One objective per distinct goal: the same goal entered twice is served once.
    distinct: dict[tuple[str, tuple[str, ...], int], str] = {}
    for g in owner_goals:
        distinct.setdefault((g["text"], tuple(g["skills"]), g["target_level"]), g["id"])
    served = [o.goal_id for o in body.objectives]
    expected = list(distinct.values())[: 1 if mode == "flash" else None]
    assert sorted(served) == sorted(expected)

    # Time is a budget: sessions plus the busiest month's practice fit the owner's hours
    # (a budget under one short session still gets that one session, and says so; an
    # unset one is planned on an assumed 2 hours, and says that).
    budget = round((2 if hours is None else hours) * 60)
    if hours is None:
        assert any("does not say how much time" in r for r in body.remarks)
    assert body.budget_minutes_per_month == budget
    assert planned_minutes_per_month(body, START) <= max(budget, 30)

    horizons = {g["id"]: g["horizon_weeks"] for g in owner_goals}
    for objective in body.objectives:
        dues = [m.due_date for m in objective.milestones]
        assert dues == sorted(dues) and len(set(dues)) == len(dues)
        assert dues[0] > START
        limit = 14 if mode == "flash" else horizons[objective.goal_id] * 7
        assert dues[-1] <= START + timedelta(days=limit)

    cited = {c for o in body.objectives for a in o.activities for c in a.citation_ids}
    assert cited <= {c.id for c in body.citations}
    assert all(g.to_id == "other" for g in body.gives)
    if mode not in ("peer", "group"):
        assert body.gives == []

    again = composer.draft_plan(request)
    assert again.body == body and again.drafter == drafted.drafter
