"""A real Chroma server on 127.0.0.1 (`chroma run`), as TANDEM_CHROMA_URL deployments use."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.config import Settings
from assistant.retrieval.embeddings import WordOverlapEmbedder

from .conftest import FixedClock
from .support import Api, expect

CORPUS = Path(__file__).resolve().parent.parent / "knowledge"


def _chroma_command() -> str:
    script = Path(sys.executable).parent / "chroma"
    found = str(script) if script.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the `chroma` command (installed with chromadb) is missing")
    return found


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [_chroma_command(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("chroma run did not start within 60 s")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_service_indexes_and_searches_through_a_chroma_server(
    chroma_server: str, settings: Settings, clock: FixedClock
) -> None:
    settings = settings.model_copy(
        update={"chroma_url": chroma_server, "ingest_on_start": True, "knowledge_dir": CORPUS}
    )
    with TestClient(create_app(settings, clock=clock, embedder=WordOverlapEmbedder())) as client:
        api = Api(client)
        health = expect(client.get("/health"), 200)
        assert health["vector_store"]["reachable"] is True
        assert health["vector_store"]["kind"].startswith("chroma server at 127.0.0.1")
        found = expect(
            api.call("GET", "/v1/knowledge/search?q=reverse mentoring AI tools&k=3"), 200
        )
        assert found["results"] and found["results"][0]["source"].startswith("knowledge/")
        _, mentee, match = api.mentor_pair()
        session = api.session(match, when="2027-03-02T10:00:00Z")
        note = expect(
            api.call(
                "POST",
                f"/v1/sessions/{session['id']}/notes",
                json={
                    "text": "Agreed a rehearsal plan for the roadmap talk",
                    "visibility": "match",
                },
            ),
            201,
        )
        assert note["search_indexed"] is True
        hits = expect(
            api.call(
                "GET",
                "/v1/knowledge/search?q=rehearsal roadmap&scope=notes",
                key=mentee["api_key"],
            ),
            200,
        )["results"]
        assert [h["note_id"] for h in hits] == [note["id"]]
