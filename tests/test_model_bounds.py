"""Bounds on model calls (issue 14): one deadline per HTTP request shared by every model
call it makes, and a request after a slow one is not slowed. Over HTTP, with the real
`openai` client inside ChatOpenAI talking to tests/fake_openai.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langchain_core.messages import HumanMessage

from assistant.api import create_app
from assistant.config import Settings
from assistant.llm.calls import MIN_CALL_SECONDS, ModelCallFailed, call_budget, invoke_bounded
from assistant.llm.client import build_chat_model
from assistant.retrieval.embeddings import WordOverlapEmbedder

from .conftest import FixedClock
from .fake_openai import ChatReply, FakeOpenAI, fake_openai_server
from .support import Api, expect

MODEL = "bounded-test-model"
TIMEOUT = 1.5
# The brief's bound for a whole request: the shared deadline plus the work around it.
REQUEST_BOUND = 1.1 * TIMEOUT + 1.0
JSON = dict[str, Any]


@dataclass
class Bounded:
    api: Api
    server: FakeOpenAI
    settings: Settings

    def ask(self, key: str, text: str) -> tuple[JSON, float]:
        body = {"model": "tandem", "messages": [{"role": "user", "content": text}]}
        started = time.monotonic()
        response = self.api.call("POST", "/v1/chat/completions", key=key, json=body)
        elapsed = time.monotonic() - started
        completion: JSON = expect(response, 200)
        return completion, elapsed

    def ask_streamed(self, key: str, text: str) -> tuple[str, float]:
        body = {"model": "tandem", "messages": [{"role": "user", "content": text}], "stream": True}
        started = time.monotonic()
        response = self.api.call("POST", "/v1/chat/completions", key=key, json=body)
        elapsed = time.monotonic() - started
        assert response.status_code == 200
        return response.text, elapsed


@pytest.fixture
def bounded(settings: Settings, clock: FixedClock) -> Iterator[Bounded]:
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
            yield Bounded(api=Api(client), server=server, settings=configured)


def _plans(api: Api, match: JSON) -> list[JSON]:
    plans: list[JSON] = expect(api.call("GET", f"/v1/matches/{match['id']}/plans"), 200)
    return plans


def test_a_timed_out_chat_drafts_its_plan_offline_within_one_timeout(bounded: Bounded) -> None:
    _, sam, match = bounded.api.mentor_pair()
    # The chat model is slower than the timeout; the plan drafter's reply would be fast.
    bounded.server.tool_replies.append(ChatReply(content="late", delay=TIMEOUT + 1.5))
    bounded.server.chat_replies.append(ChatReply(content="{}"))

    completion, elapsed = bounded.ask(sam["api_key"], "I want a plan")

    assert elapsed <= REQUEST_BOUND
    assert completion["tandem"]["assistant"] == "offline (fallback: timeout)"
    # The offline assistant drafted the plan without waiting on the model again, and
    # the plan says why the model did not write it.
    (plan,) = _plans(bounded.api, match)
    assert plan["drafter"] == "offline (fallback: earlier model call failed: timeout)"
    assert [("tools" in r) for r in bounded.server.chat_requests] == [True]

    # The server is still generating the first answer; the next request is not slowed.
    bounded.server.tool_replies.append(ChatReply(content="Hello again."))
    completion, elapsed = bounded.ask(sam["api_key"], "hello")
    assert completion["tandem"]["assistant"] == f"openai:{MODEL}"
    assert completion["choices"][0]["message"]["content"] == "Hello again."
    assert elapsed < 1.0


def test_a_plan_drafted_by_a_chat_tool_waits_only_for_the_time_the_request_has_left(
    bounded: Bounded,
) -> None:
    _, sam, match = bounded.api.mentor_pair()
    bounded.server.tool_replies.append(
        ChatReply(tool_calls=(("draft_plan", {"match_id": match["id"]}),))
    )
    bounded.server.chat_replies.append(ChatReply(content="{}", delay=TIMEOUT + 2))

    completion, elapsed = bounded.ask(sam["api_key"], "I want a plan")

    assert elapsed <= REQUEST_BOUND
    # The drafter's call timed out at the request's deadline; the chat's next round and
    # the offline assistant's plan drafting then asked the model nothing.
    assert (
        completion["tandem"]["assistant"]
        == "offline (fallback: earlier model call failed: timeout)"
    )
    (plan,) = _plans(bounded.api, match)
    assert plan["drafter"] == "offline (fallback: earlier model call failed: timeout)"
    assert [("tools" in r) for r in bounded.server.chat_requests] == [True, False]


def test_a_streamed_chat_shares_one_deadline_too(bounded: Bounded) -> None:
    _, sam, match = bounded.api.mentor_pair()
    bounded.server.tool_replies.append(ChatReply(content="late", delay=TIMEOUT + 1.5))
    bounded.server.chat_replies.append(ChatReply(content="{}"))

    streamed, elapsed = bounded.ask_streamed(sam["api_key"], "I want a plan")

    assert elapsed <= REQUEST_BOUND
    assert "The language model could not answer (timeout)" in streamed
    (plan,) = _plans(bounded.api, match)
    assert plan["drafter"] == "offline (fallback: earlier model call failed: timeout)"
    assert len(bounded.server.chat_requests) == 1


def test_a_call_gets_only_the_time_its_request_has_left(settings: Settings) -> None:
    with fake_openai_server() as server:
        configured = settings.model_copy(
            update={"llm_base_url": server.base_url, "llm_model": MODEL, "llm_timeout_seconds": 30}
        )
        model = build_chat_model(configured)
        assert model is not None
        server.chat_replies += [ChatReply(content="late", delay=3), ChatReply(content="ok")]
        started = time.monotonic()
        with call_budget(1.0), pytest.raises(ModelCallFailed) as failed:
            invoke_bounded(model, [HumanMessage("hi")], max_tokens=100)
        # The model's own 30 s timeout gave way to the 1 s the request had.
        assert failed.value.reason == "timeout"
        assert time.monotonic() - started < 1.8
        # With the time spent, a call fails at once and the server hears nothing of it.
        with call_budget(MIN_CALL_SECONDS / 2), pytest.raises(ModelCallFailed) as failed:
            invoke_bounded(model, [HumanMessage("hi")], max_tokens=100)
        assert failed.value.reason == "no time left"
        assert len(server.chat_requests) == 1
        # Outside a request (the CLI) a failed call does not stop the next one.
        assert invoke_bounded(model, [HumanMessage("hi")], max_tokens=100).text == "ok"
