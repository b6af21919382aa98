"""The LLM agenda drafter, end to end over HTTP against a local OpenAI-protocol server.

The app is configured by settings alone (TANDEM_LLM_*). Whatever the model answers must
pass the rules every stored agenda passes, or the offline composer's agenda is stored
and the answer says why.
"""

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

MODEL = "agenda-model"
# One deadline covers a whole request, retrieval and drafting included: room for a
# loaded test machine besides the model.
TIMEOUT = 3
Body = dict[str, Any]


@dataclass
class World:
    api: Api
    server: FakeOpenAI
    mentor: Body
    mentee: Body
    meeting: Body


@pytest.fixture
def world(settings: Settings, clock: FixedClock) -> Iterator[World]:
    with fake_openai_server() as server:
        configured = settings.model_copy(
            update={
                "llm_base_url": server.base_url,
                "llm_model": MODEL,
                "llm_timeout_seconds": TIMEOUT,
            }
        )
        app = create_app(configured, clock=clock, embedder=WordOverlapEmbedder())
        with TestClient(app) as client:
            api = Api(client)
            mentor, mentee, match = api.mentor_pair()
            meeting = api.session(match, minutes=30)
            yield World(api, server, mentor, mentee, meeting)


def _answer(w: World, minutes: list[int], cite: list[str] | None = None) -> str:
    kinds = ["check_in", "deep_dive", "commitments"]
    items = [
        {
            "title": f"Part {n}",
            "minutes": m,
            "kind": kinds[min(n, 2)],
            "lead_id": w.mentee["id"] if n == 1 else w.mentor["id"],
            "detail": f"What happens in part {n}.",
            "citation_ids": cite or [],
        }
        for n, m in enumerate(minutes)
    ]
    prep = [{"participant_id": w.mentee["id"], "task": "Bring the slides."}]
    return json.dumps({"items": items, "prep": prep})


def _draft(w: World) -> Body:
    result: Body = expect(
        w.api.call(
            "POST", f"/v1/sessions/{w.meeting['id']}/agenda", key=w.mentee["api_key"], json={}
        ),
        201,
    )
    return result


def test_a_good_answer_is_stored_as_the_models_agenda(world: World) -> None:
    world.server.chat_replies.append(ChatReply(content=_answer(world, [5, 20, 5])))
    agenda = _draft(world)
    assert agenda["drafter"] == f"openai:{MODEL}"
    assert [i["minutes"] for i in agenda["items"]] == [5, 20, 5]
    (sent,) = world.server.chat_requests
    prompt = sent["messages"][1]["content"]
    assert world.mentee["id"] in prompt and "30 minutes" in prompt
    assert sent["max_tokens"] == Settings(environment="test").llm_max_tokens_agenda


def test_minutes_that_do_not_add_up_are_sent_back_once_then_replaced(world: World) -> None:
    world.server.chat_replies += [
        ChatReply(content=_answer(world, [5, 30, 5])),
        ChatReply(content=_answer(world, [5, 5, 5])),
    ]
    agenda = _draft(world)
    assert len(world.server.chat_requests) == 2
    repair = world.server.chat_requests[1]["messages"][-1]["content"]
    assert "add up to 40 minutes, not the session's 30" in repair
    assert agenda["drafter"].startswith("offline (fallback: invalid output after repair")
    assert sum(i["minutes"] for i in agenda["items"]) == 30
    assert "failed" in agenda["remarks"][0]


def test_a_server_error_falls_back_to_the_composer(world: World) -> None:
    world.server.chat_replies.append(ChatReply(status=500, content="overloaded"))
    agenda = _draft(world)
    assert agenda["drafter"] == "offline (fallback: HTTP 500)"
    assert agenda["items"][0]["kind"] == "check_in"
    assert sum(i["minutes"] for i in agenda["items"]) == 30


def test_a_timeout_falls_back_to_the_composer(world: World) -> None:
    world.server.chat_replies.append(
        ChatReply(content=_answer(world, [5, 20, 5]), delay=TIMEOUT + 1)
    )
    agenda = _draft(world)
    assert agenda["drafter"] == "offline (fallback: timeout)"


def test_an_invented_citation_is_removed_and_counted(world: World) -> None:
    world.server.chat_replies.append(
        ChatReply(content=_answer(world, [5, 20, 5], cite=["made-up-chunk"]))
    )
    agenda = _draft(world)
    assert agenda["drafter"] == f"openai:{MODEL}"
    assert all(i["citation_ids"] == [] for i in agenda["items"])
    assert agenda["citations"] == []
    assert any("3 citations the model invented were removed" in r for r in agenda["remarks"])


def test_a_group_agenda_with_unequal_own_time_goes_back_then_is_replaced(
    settings: Settings, clock: FixedClock
) -> None:
    with fake_openai_server() as server:
        configured = settings.model_copy(
            update={
                "llm_base_url": server.base_url,
                "llm_model": MODEL,
                "llm_timeout_seconds": TIMEOUT,
            }
        )
        app = create_app(configured, clock=clock, embedder=WordOverlapEmbedder())
        with TestClient(app) as client:
            api = Api(client)
            peers = [api.participant(name=f"Peer {n}", roles=["peer"]) for n in range(3)]
            group = api.match("group", *((p, "peer") for p in peers))
            meeting = api.session(group, minutes=40)

            def dives(minutes: list[int]) -> str:
                items = [
                    {
                        "title": f"Deep dive {n}",
                        "minutes": m,
                        "kind": "deep_dive",
                        "lead_id": p["id"],
                        "for_id": p["id"],
                        "detail": "Shows where things stand; the others ask questions.",
                    }
                    for n, (p, m) in enumerate(zip(peers, minutes, strict=True))
                ]
                prep = [{"participant_id": p["id"], "task": "Bring one example."} for p in peers]
                return json.dumps({"items": items, "prep": prep})

            server.chat_replies += [
                ChatReply(content=dives([16, 12, 12])),
                ChatReply(content=dives([14, 14, 12])),
            ]
            agenda = expect(
                api.call(
                    "POST", f"/v1/sessions/{meeting['id']}/agenda", key=peers[0]["api_key"], json={}
                ),
                201,
            )

    repair = server.chat_requests[1]["messages"][-1]["content"]
    assert "own time differs between members" in repair
    assert agenda["drafter"].startswith("offline (fallback: invalid output after repair: ")
    own = [i["minutes"] for i in agenda["items"] if i["kind"] == "deep_dive"]
    assert len(own) == 3 and len(set(own)) == 1
