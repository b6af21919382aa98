"""A small local server that speaks the OpenAI HTTP protocol, for the real `openai` client.

It serves /v1/embeddings from the word-overlap embedder, so results mean something, and
can be told to fail, so the callers' error handling is exercised over real HTTP.
"""

from __future__ import annotations

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


@dataclass
class FakeOpenAI:
    base_url: str = ""
    fail_with: int | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    embedder: WordOverlapEmbedder = field(default_factory=lambda: WordOverlapEmbedder(64))


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
