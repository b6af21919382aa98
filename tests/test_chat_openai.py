"""Tandem as a model for the official `openai` client and LangChain's ChatOpenAI: the app
served over real HTTP, spoken to exactly as a chat front-end would."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
import uvicorn
from langchain_openai import ChatOpenAI
from openai.types.chat import ChatCompletionMessageParam

from assistant.api import create_app
from assistant.config import Settings
from assistant.retrieval.embeddings import WordOverlapEmbedder

from .conftest import FixedClock
from .support import STAFF_KEY, mentor_profile, profile

JSON = dict[str, Any]


@dataclass
class Served:
    base: str
    rest: httpx.Client

    def post(self, path: str, body: JSON, key: str = STAFF_KEY) -> JSON:
        response = self.rest.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 201, response.text
        result: JSON = response.json()
        return result

    def get(self, path: str, key: str = STAFF_KEY) -> JSON:
        response = self.rest.get(path, headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200, response.text
        result: JSON = response.json()
        return result

    def client(self, key: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.base}/v1", api_key=key, max_retries=0, timeout=30)


@pytest.fixture
def served(settings: Settings, clock: FixedClock) -> Iterator[Served]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = create_app(settings, clock=clock, embedder=WordOverlapEmbedder())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as rest:
            yield Served(base=base, rest=rest)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _new_mentee(served: Served) -> tuple[JSON, JSON, JSON]:
    """What staff do for a new mentee: a profile with no goals, a mentor, a match."""
    mentor = served.post("/v1/participants", mentor_profile(name="Alex Kim"))
    sam = served.post(
        "/v1/participants", profile(name="Sam Rivera", goals=[], skills=[], hours_per_month=4)
    )
    members = [
        {"participant_id": mentor["id"], "role": "mentor"},
        {"participant_id": sam["id"], "role": "mentee"},
    ]
    match = served.post("/v1/matches", {"mode": "mentor", "members": members})
    return mentor, sam, match


def test_a_new_mentee_goes_from_hello_to_an_accepted_plan(served: Served) -> None:
    _, sam, match = _new_mentee(served)
    client = served.client(sam["api_key"])
    messages: list[ChatCompletionMessageParam] = []
    transcript: list[str] = []
    tandem: list[JSON] = []

    def say(text: str) -> str:
        messages.append({"role": "user", "content": text})
        completion = client.chat.completions.create(model="tandem", messages=messages)
        reply = completion.choices[0].message.content or ""
        messages.append({"role": "assistant", "content": reply})
        transcript.extend([f"Sam: {text}", f"Tandem: {reply}", ""])
        extras = (completion.model_extra or {})["tandem"]
        tandem.append(extras)
        return reply

    assert "Hello Sam" in say("hello")
    assert "By when" in say(
        "I want to get better at public speaking so I can present at the all-hands"
    )
    assert "Where are you with public speaking" in say("in 3 months")
    assert "What level would you like to reach" in say("I'm a beginner, 2")
    drafted = say("4")
    plan_id = tandem[-1]["actions"][-1]["plan_id"]
    assert f"I drafted plan {plan_id}" in drafted and "Sources:" in drafted
    shorter = say("Can you make it shorter?")
    assert "version 2" in shorter and tandem[-1]["actions"][0]["plan_id"] == plan_id
    accepted = say("Looks good, accept it")
    assert f"plan {plan_id} version 2 is now active" in accepted

    if path := os.environ.get("TANDEM_CHAT_TRANSCRIPT"):
        with open(path, "w", encoding="utf-8") as out:
            out.write("\n".join(transcript))
    plan = served.get(f"/v1/plans/{plan_id}", key=sam["api_key"])
    assert plan["status"] == "active" and plan["version"] == 2
    assert plan["match_id"] == match["id"] and plan["owner_id"] == sam["id"]
    # One conversation holds the whole exchange, titled from its first message.
    (conversation,) = served.get("/v1/chat/conversations", key=sam["api_key"])
    assert conversation["title"] == "hello" and conversation["message_count"] == len(messages)
    assert len({t["conversation_id"] for t in tandem}) == 1


def test_streaming_gives_the_same_text_in_chunks_with_usage(served: Served) -> None:
    _, sam, _ = _new_mentee(served)
    client = served.client(sam["api_key"])
    question: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "How do I give feedback to my mentor?"}
    ]
    whole = client.chat.completions.create(model="tandem-offline", messages=question)

    chunks = list(
        client.chat.completions.create(
            model="tandem-offline",
            messages=question,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content and len(chunks) > 3
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == (
        chunks[-1].usage.prompt_tokens + chunks[-1].usage.completion_tokens
    )
    assert chunks[-1].usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)

    # Without include_usage no usage chunk is sent; the raw stream ends with [DONE].
    raw = served.rest.post(
        "/v1/chat/completions",
        json={"model": "tandem", "messages": question, "stream": True},
        headers={"Authorization": f"Bearer {sam['api_key']}"},
    )
    assert raw.headers["content-type"].startswith("text/event-stream")
    events = [line for line in raw.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "data: [DONE]" and '"usage"' not in raw.text


def test_errors_raise_the_openai_clients_own_exceptions(served: Served) -> None:
    _, sam, _ = _new_mentee(served)
    client = served.client(sam["api_key"])
    hello: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hello"}]

    cases: list[tuple[list[ChatCompletionMessageParam], str]] = [
        ([], "at least one message"),
        ([{"role": "user", "content": ""}], "message 0 is empty"),
        ([{"role": "user", "content": "x" * 9000}], "the limit is 8000"),
        ([{"role": "system", "content": "You are helpful."}], "must include a user message"),
    ]
    for sent, message in cases:
        with pytest.raises(openai.BadRequestError, match=message) as raised:
            client.chat.completions.create(model="tandem", messages=sent)
        assert raised.value.status_code == 400
        assert isinstance(raised.value.body, dict) and raised.value.body["message"]
    with pytest.raises(openai.BadRequestError, match="at least one message"):
        list(client.chat.completions.create(model="tandem", messages=[], stream=True))
    with pytest.raises(openai.NotFoundError, match="does not exist"):
        client.chat.completions.create(model="gpt-4o", messages=hello)
    with pytest.raises(openai.AuthenticationError, match="invalid API key"):
        served.client("tdm_p_never-issued-key-0123456789abcdef").chat.completions.create(
            model="tandem", messages=hello
        )
    with pytest.raises(openai.PermissionDeniedError, match="participants"):
        served.client(STAFF_KEY).chat.completions.create(model="tandem", messages=hello)
    with pytest.raises(openai.PermissionDeniedError):
        served.client(STAFF_KEY).models.list()

    assert {m.id for m in client.models.list()} == {"tandem", "tandem-offline"}


def test_langchain_chat_openai_uses_tandem_as_its_model(served: Served) -> None:
    _, sam, _ = _new_mentee(served)
    model = ChatOpenAI(
        base_url=f"{served.base}/v1",
        api_key=sam["api_key"],  # type: ignore[arg-type]
        model="tandem",
        max_retries=0,
    )
    answer = model.invoke("What can you do?")
    assert "draft a development plan" in str(answer.content)
    streamed = "".join(str(chunk.content) for chunk in model.stream("What can you do?"))
    assert streamed == answer.content
