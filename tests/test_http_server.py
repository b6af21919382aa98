"""The README's serve path for real: `tandem serve` in its own process, spoken to over HTTP."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tandem_command() -> list[str]:
    script = Path(sys.executable).parent / "tandem"
    if script.exists():
        return [str(script)]
    found = shutil.which("tandem")
    return [found] if found else [sys.executable, "-m", "assistant.cli"]


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[str, str]]:
    port = _free_port()
    env = {
        **os.environ,
        "TANDEM_DATA_DIR": str(tmp_path / "served"),
        "TANDEM_DATABASE_URL": database_url,
        "TANDEM_ENVIRONMENT": "production",
        "TANDEM_LOG_LEVEL": "WARNING",
        # Indexing the corpus with the real model is covered in test_embeddings; here it
        # would only make start-up slow on a loaded CI machine.
        "TANDEM_INGEST_ON_START": "false",
    }
    env.pop("TANDEM_BOOTSTRAP_STAFF_KEY", None)
    process = subprocess.Popen(
        [*_tandem_command(), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    output: list[str] = []
    try:
        key = None
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise AssertionError("tandem serve exited:\n" + "".join(output))
            output.append(line)
            found = re.search(r"tdm_s_[A-Za-z0-9_-]+", line)
            if found:
                key = found.group(0)
            if "Serving Tandem" in line:
                break
        assert key, "no staff key printed:\n" + "".join(output)
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, key
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_served_over_http_the_main_flow_works(served: tuple[str, str]) -> None:
    base, staff_key = served
    with httpx.Client(base_url=base, timeout=30) as http:
        staff = {"Authorization": f"Bearer {staff_key}"}
        assert http.get("/health").json()["status"] == "ok"
        mentor = http.post(
            "/v1/participants",
            headers=staff,
            json={
                "name": "Alex Kim",
                "email": "alex@example.org",
                "career_stage": "senior",
                "years_experience": 11,
                "roles": ["mentor"],
                "mentor_capacity": 2,
                "skills": [{"skill": "public_speaking", "level": 5}],
            },
        ).json()
        mentee = http.post(
            "/v1/participants",
            headers=staff,
            json={
                "name": "Sam Rivera",
                "email": "sam@example.org",
                "career_stage": "early",
                "roles": ["mentee"],
                "skills": [{"skill": "public_speaking", "level": 2}],
                "goals": [
                    {
                        "text": "Present at the all-hands",
                        "skills": ["public_speaking"],
                        "target_level": 4,
                        "horizon_weeks": 12,
                    }
                ],
            },
        ).json()
        match = http.post(
            "/v1/matches",
            headers=staff,
            json={
                "mode": "mentor",
                "members": [
                    {"participant_id": mentor["id"], "role": "mentor"},
                    {"participant_id": mentee["id"], "role": "mentee"},
                ],
            },
        )
        assert match.status_code == 201
        sam = {"Authorization": f"Bearer {mentee['api_key']}"}
        plan = http.post(
            f"/v1/matches/{match.json()['id']}/plans", headers=sam, json={"owner_id": mentee["id"]}
        )
        assert plan.status_code == 201
        milestone = plan.json()["objectives"][0]["milestones"][0]["id"]
        logged = http.post(
            f"/v1/plans/{plan.json()['id']}/progress",
            headers=sam,
            json={"milestone_id": milestone, "status": "done"},
        )
        assert logged.status_code == 201
        health = http.get(f"/v1/plans/{plan.json()['id']}/health", headers=sam).json()
        assert health["percent_complete"] > 0
        assert http.get("/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
        metrics = http.get("/metrics").text
        assert 'route="/v1/plans/{plan_id}/health"' in metrics
