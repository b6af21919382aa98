"""Prose rationales for pairing suggestions: composed from the factor reasons offline;
written by a model over HTTP (the real `openai` client against a local protocol server)
when one is configured, checked against the reasons, and replaced when it fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.config import Settings
from assistant.retrieval.embeddings import WordOverlapEmbedder

from .conftest import FixedClock
from .fake_openai import ChatReply, FakeOpenAI, fake_openai_server
from .support import Api, expect
from .test_pairing import _cohort

MODEL = "pairing-model"
# One deadline covers a whole request, retrieval and drafting included: room for a
# loaded test machine besides the model.
TIMEOUT = 3
Body = dict[str, Any]


def _run(api: Api, people: list[Body]) -> Body:
    body = {"participant_ids": [p["id"] for p in people], "mode": "mentor"}
    result: Body = expect(api.call("POST", "/v1/pairing/runs", json=body), 201)
    return result


def _by_mentee(run: Body) -> dict[str, Body]:
    return {
        next(m["name"] for m in s["members"] if m["role"] == "mentee"): s
        for s in run["suggestions"]
    }


def test_offline_rationales_are_composed_from_the_reasons(api: Api) -> None:
    run = _run(api, [p for pair in _cohort(api) for p in pair])
    sam = _by_mentee(run)["Sam"]
    assert sam["rationale_by"] == "factors"
    assert sam["rationale"].startswith(f"Priya and Sam: a mentor pair scoring {sam['score']:.2f}")
    # The strongest reason, word for word, so staff can match it to the evidence.
    assert sam["reasons"][0] in sam["rationale"]


@dataclass
class World:
    api: Api
    server: FakeOpenAI
    people: list[Body]


def _world(settings: Settings, clock: FixedClock, **overrides: Any) -> Iterator[World]:
    with fake_openai_server() as server:
        configured = settings.model_copy(
            update={
                "llm_base_url": server.base_url,
                "llm_model": MODEL,
                "llm_timeout_seconds": TIMEOUT,
                **overrides,
            }
        )
        app = create_app(configured, clock=clock, embedder=WordOverlapEmbedder())
        with TestClient(app) as client:
            api = Api(client)
            yield World(api, server, [p for pair in _cohort(api) for p in pair])


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[World]:
    yield from _world(settings, clock)


@pytest.fixture
def limited(settings: Settings, clock: FixedClock) -> Iterator[World]:
    yield from _world(settings, clock, pairing_rationale_limit=1)


def _says(text: str) -> ChatReply:
    return ChatReply(content=json.dumps({"rationale": text}))


GOOD_SAM = (
    "Priya is at level 5 in public_speaking, the skill Sam wants to grow from 2 to 4. "
    "Both work in Europe/Berlin."
)
GOOD_KIM = "Omar is at level 5 in stakeholder_management, which Kim wants to grow to 4."


def test_a_checked_model_rationale_is_stored_with_its_author(world: World) -> None:
    world.server.chat_replies = [_says(GOOD_SAM), _says(GOOD_KIM)]
    run = _run(world.api, world.people)
    # Suggestions are explained best first; both scored alike here, so look them up.
    by_mentee = _by_mentee(run)
    assert {s["rationale_by"] for s in run["suggestions"]} == {f"openai:{MODEL}"}
    assert {by_mentee["Sam"]["rationale"], by_mentee["Kim"]["rationale"]} <= {GOOD_SAM, GOOD_KIM}
    # A rationale is a few sentences: a small model may not ramble on past that.
    assert {r["max_tokens"] for r in world.server.chat_requests} == {
        Settings(environment="test").llm_max_tokens_rationale
    }
    sent = world.server.chat_requests[0]["messages"]
    user = next(m["content"] for m in sent if m["role"] == "user")
    # The reasons reach the model as a tagged data block, not as instructions.
    assert "<reasons>" in user and "</reasons>" in user
    stored = expect(world.api.call("GET", f"/v1/pairing/runs/{run['id']}"), 200)
    assert [s["rationale"] for s in stored["suggestions"]] == [
        s["rationale"] for s in run["suggestions"]
    ]


def test_an_invented_number_is_repaired_once_then_replaced(world: World) -> None:
    invented = _says("Priya has 37 years more than Sam and will surely help Sam and Priya.")
    world.server.chat_replies = [invented, invented, _says(GOOD_KIM), _says(GOOD_KIM)]
    run = _run(world.api, world.people)
    first = run["suggestions"][0]
    assert first["rationale_by"].startswith("factors (fallback: invalid output after repair:")
    assert "appear in no factor or reason" in first["rationale_by"]
    assert "37 years" not in first["rationale"]
    # The repair request told the model what was wrong.
    repair = world.server.chat_requests[1]["messages"][-1]["content"]
    assert "appear in no factor or reason" in repair


def test_a_failing_model_is_asked_once_per_run_and_the_run_still_lands(world: World) -> None:
    world.server.chat_replies = [ChatReply(status=500), _says(GOOD_KIM)]
    run = _run(world.api, world.people)
    assert [s["rationale_by"] for s in run["suggestions"]] == [
        "factors (fallback: HTTP 500)",
        "factors (fallback: HTTP 500)",
    ]
    assert len(world.server.chat_requests) == 1  # no second call into a failing server
    assert all(s["rationale"] for s in run["suggestions"])


def test_past_the_limit_staff_ask_for_a_rationale_one_at_a_time(limited: World) -> None:
    limited.server.chat_replies = [_says(GOOD_SAM), _says(GOOD_KIM)]
    run = _run(limited.api, limited.people)
    first, second = run["suggestions"]
    assert first["rationale_by"] == f"openai:{MODEL}" and second["rationale_by"] == "factors"
    written = expect(
        limited.api.call("POST", f"/v1/pairing/suggestions/{second['id']}/rationale"), 200
    )
    assert written["rationale_by"] == f"openai:{MODEL}"
    assert written["rationale"] in {GOOD_SAM, GOOD_KIM}
    mentee = next(p for p in limited.people if p["name"] == "Sam")
    refused = limited.api.call(
        "POST", f"/v1/pairing/suggestions/{second['id']}/rationale", key=mentee["api_key"]
    )
    assert refused.status_code == 403
