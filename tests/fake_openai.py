"""A small local server that speaks the OpenAI HTTP protocol, for the real `openai` client.

It serves /v1/embeddings from the word-overlap embedder, so results mean something, and
can be told to fail, so the callers' error handling is exercised over real HTTP. Chat
completions answer from a script: `state.chat_replies` is consumed one reply per request.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from assistant.retrieval.embeddings import WordOverlapEmbedder


@dataclass(frozen=True)
class ChatReply:
    """One scripted answer to a chat completion: content, an HTTP error, a refusal, or
    tool calls (name and arguments each), sent after `delay` seconds (longer than the
    client's timeout makes it a timeout)."""

    content: str = ""
    status: int = 200
    refusal: str | None = None
    delay: float = 0.0
    tool_calls: tuple[tuple[str, dict[str, Any]], ...] = ()


@dataclass
class FakeOpenAI:
    base_url: str = ""
    fail_with: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    embedder: WordOverlapEmbedder = field(default_factory=lambda: WordOverlapEmbedder(64))
    chat_replies: list[ChatReply] = field(default_factory=list)
    # Requests that offer tools (the chat assistant's) are answered from this script,
    # so a test can script the chat and the plan drafter behind it independently.
    tool_replies: list[ChatReply] = field(default_factory=list)
    # `response_format` types this server cannot do: a request asking for one gets the
    # 500 llama.cpp answers `json_schema` with, before any scripted reply is used.
    refused_response_formats: frozenset[str] = frozenset()

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"] == "/v1/chat/completions"]


_completion_ids = itertools.count(1)


def _chat_completion(body: dict[str, Any], reply: ChatReply) -> dict[str, Any]:
    prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
    completion_tokens = len(reply.content.split())
    message: dict[str, Any] = {
        "role": "assistant",
        "content": None if reply.refusal else reply.content,
        "refusal": reply.refusal,
    }
    if reply.tool_calls:
        message["content"] = reply.content or None
        message["tool_calls"] = [
            {
                "id": f"call_{index}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
            for index, (name, arguments) in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-fake-{next(_completion_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _app(state: FakeOpenAI) -> FastAPI:
    app = FastAPI()

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> JSONResponse:
        body = await request.json()
        state.requests.append(
            {"path": "/v1/embeddings", "body": body, "auth": request.headers.get("authorization")}
        )
        if state.fail_with:
            return JSONResponse(
                {"error": {"message": "overloaded", "type": "server_error", "code": None}},
                status_code=state.fail_with,
            )
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        vectors = state.embedder.embed(texts)
        # Answer out of order: clients must sort by index, as the protocol allows.
        data = [
            {"object": "embedding", "index": i, "embedding": v}
            for i, v in reversed(list(enumerate(vectors)))
        ]
        tokens = sum(len(t.split()) for t in texts)
        return JSONResponse(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            }
        )

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request) -> JSONResponse:
        body = await request.json()
        state.requests.append(
            {
                "path": "/v1/chat/completions",
                "body": body,
                "auth": request.headers.get("authorization"),
            }
        )
        asked_format = (body.get("response_format") or {}).get("type")
        if asked_format in state.refused_response_formats:
            error = {"message": f"{asked_format} is not supported", "type": "server_error"}
            return JSONResponse({"error": error}, status_code=500)
        script = state.tool_replies if "tools" in body else state.chat_replies
        if not script:
            reply = ChatReply(status=500, content="the test scripted no more replies")
        else:
            reply = script.pop(0)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            error = {"message": reply.content or "failed", "type": "server_error", "code": None}
            return JSONResponse({"error": error}, status_code=reply.status)
        return JSONResponse(_chat_completion(body, reply))

    return app


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAI]:
    state = FakeOpenAI()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(_app(state), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    state.base_url = f"http://127.0.0.1:{port}/v1"
    try:
        yield state
    finally:
        server.should_exit = True
        thread.join(timeout=10)
