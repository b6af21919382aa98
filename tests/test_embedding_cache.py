"""Stored embeddings: a profile text reaches the model once per embedder, and pairing
runs keep working (with a remark) when the embedder fails."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from assistant.api import create_app
from assistant.config import Settings
from assistant.db import build_engine, session_factory, upgrade_database
from assistant.retrieval.embedding_cache import CachedEmbedder
from assistant.retrieval.embeddings import EmbedderUnavailable, WordOverlapEmbedder

from .conftest import FixedClock
from .support import Api, expect


class CountingEmbedder(WordOverlapEmbedder):
    """The word-overlap fake that remembers every text it was asked to embed."""

    def __init__(self, dimension: int = 1024) -> None:
        super().__init__(dimension)
        self.asked: list[str] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.asked += texts
        return super().embed(texts)


class BrokenEmbedder(WordOverlapEmbedder):
    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise EmbedderUnavailable("the embeddings endpoint refused the connection")


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    engine = build_engine(database_url)
    upgrade_database(engine)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_each_distinct_text_is_embedded_once_and_vectors_match_the_model(db: Session) -> None:
    model = CountingEmbedder()
    texts = ["Present at the all-hands", "Lead the migration", "Present at the all-hands"]
    first = CachedEmbedder(model, db).embed(texts)
    db.commit()
    assert model.asked == ["Present at the all-hands", "Lead the migration"]

    again = CachedEmbedder(model, db)
    second = again.embed([*texts, "Design the billing service"])
    assert model.asked[2:] == ["Design the billing service"] and again.misses == 1
    direct = WordOverlapEmbedder().embed([*texts, "Design the billing service"])
    # Stored as float32: equal to the model's vectors to float32 precision.
    np.testing.assert_allclose(second, direct, atol=1e-6)
    np.testing.assert_allclose(first, direct[:3], atol=1e-6)


def test_vectors_of_one_embedder_are_never_served_for_another(db: Session) -> None:
    CachedEmbedder(CountingEmbedder(1024), db).embed(["Grow into managing a team"])
    db.commit()
    other = CountingEmbedder(256)  # another name, another vector space
    vectors = CachedEmbedder(other, db).embed(["Grow into managing a team"])
    assert other.asked == ["Grow into managing a team"] and len(vectors[0]) == 256


def _app(settings: Settings, clock: FixedClock, embedder: WordOverlapEmbedder) -> TestClient:
    return TestClient(create_app(settings, clock=clock, embedder=embedder))


def _speaking_goal(text: str) -> dict[str, Any]:
    return {"text": text, "skills": ["public_speaking"], "target_level": 4, "horizon_weeks": 30}


def _mentor_cohort(api: Api) -> list[dict[str, Any]]:
    mentor = api.mentor(name="Priya", skills=[{"skill": "public_speaking", "level": 5}])
    mentees = [
        api.participant(
            name=name,
            skills=[{"skill": "public_speaking", "level": 2}],
            goals=[
                {
                    "text": text,
                    "skills": ["public_speaking"],
                    "target_level": 4,
                    "horizon_weeks": 30,
                }
            ],
        )
        for name, text in (("Sam", "Present at the all-hands"), ("Kim", "Speak at a meetup"))
    ]
    return [mentor, *mentees]


def test_profiles_are_embedded_when_written_so_runs_embed_nothing(
    settings: Settings, clock: FixedClock
) -> None:
    model = CountingEmbedder()
    with _app(settings, clock, model) as client:
        api = Api(client)
        people = _mentor_cohort(api)
        # Each profile's goals (as a learner) and skills with goals (as a guide), once.
        assert "Present at the all-hands" in model.asked
        assert "public speaking Present at the all-hands" in model.asked
        written = len(model.asked)
        assert written == len(set(model.asked))
        body = {"participant_ids": [p["id"] for p in people], "mode": "mentor", "min_score": 0}
        first = expect(api.call("POST", "/v1/pairing/runs", json=body), 201)
        second = expect(api.call("POST", "/v1/pairing/runs", json=body), 201)
        assert len(model.asked) == written
        assert [s["factors"] for s in first["suggestions"]] == [
            s["factors"] for s in second["suggestions"]
        ]
        # Editing a goal embeds only the edited texts, at once.
        expect(
            api.call(
                "PATCH",
                f"/v1/participants/{people[1]['id']}",
                json={"goals": [_speaking_goal("Give the keynote at the guild")]},
            ),
            200,
        )
        assert model.asked[written:] == [
            "Give the keynote at the guild",
            "public speaking Give the keynote at the guild",
        ]
        expect(api.call("POST", "/v1/pairing/runs", json=body), 201)
        assert len(model.asked) == written + 2


def test_a_failing_embedder_degrades_the_run_and_says_so(
    settings: Settings, clock: FixedClock
) -> None:
    with _app(settings, clock, BrokenEmbedder()) as client:
        api = Api(client)
        people = _mentor_cohort(api)
        body = {"participant_ids": [p["id"] for p in people], "mode": "mentor", "min_score": 0}
        run = expect(api.call("POST", "/v1/pairing/runs", json=body), 201)
        assert run["suggestions"], "skills, experience and time zones still decide"
        assert {s["factors"]["goal_similarity"] for s in run["suggestions"]} == {0.5}
        assert run["remarks"] == [
            "mentor: goal similarity not judged (neutral 0.5 for every pair): "
            "the embeddings endpoint refused the connection"
        ]
        stored = expect(api.call("GET", f"/v1/pairing/runs/{run['id']}"), 200)
        assert stored["remarks"] == run["remarks"]
