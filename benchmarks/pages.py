"""Page render time at the app, beside `GET /health` in the same run.

Runs the app in-process on its embedded defaults (SQLite, embedded Chroma with the
built-in guidance, offline drafters), builds a match per mode with plans, an earlier
session with notes and action items and a next session with a drafted agenda, signs a
member in through the sign-in form (cookie session, as a browser holds it) and times:

1. baseline: `GET /health`;
2. `GET /` (the member's home), `GET /plans/{id}` and `GET /sessions/{id}` (the agenda
   page), each a full server-side render with the access rules applied.

Prints p50 / p95 in milliseconds and the p50 ratio to the baseline. Goal: the plan page
and the agenda page under 150 ms at p95.

    python benchmarks/pages.py [--runs 50] [--embedder minilm|word-overlap]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from assistant.api import create_app  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.retrieval.embeddings import Embedder, WordOverlapEmbedder  # noqa: E402
from benchmarks.drafting import (  # noqa: E402
    STAFF,
    Bench,
    FixedClock,
    match_with_history,
    members_for,
    percentile,
    timed,
)

GOAL_MS = 150.0
MODES = ("mentor", "peer", "group")


def sign_in(client: TestClient, key: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").text)
    assert token
    response = client.post(
        "/sign-in", data={"api_key": key, "csrf_token": token.group(1)}, follow_redirects=False
    )
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def page(client: TestClient, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}: {response.status_code}")


def measure_mode(bench: Bench, app: Any, mode: str, runs: int) -> None:
    people = members_for(bench, mode)
    learner = next(p for p, r in people if r in ("mentee", "peer"))
    key = learner["api_key"]
    _, plans, meeting = match_with_history(bench, mode, people)
    bench.call("POST", f"/v1/sessions/{meeting['id']}/agenda", key=key, json={})

    with TestClient(app) as browser:
        sign_in(browser, key)
        rows = [
            ("GET /health", timed(lambda: page(browser, "/health"), runs)),
            ("home", timed(lambda: page(browser, "/"), runs)),
            ("plan page", timed(lambda: page(browser, f"/plans/{plans[0]['id']}"), runs)),
            ("agenda page", timed(lambda: page(browser, f"/sessions/{meeting['id']}"), runs)),
        ]
    base50 = percentile(rows[0][1], 0.5)
    for what, samples in rows:
        p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
        verdict = ""
        if what in ("plan page", "agenda page"):
            verdict = "ok" if p95 < GOAL_MS else "SLOW"
        print(f"{mode:<8} {what:<12} {p50:8.1f} {p95:8.1f} {p50 / base50:11.1f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--embedder", choices=["minilm", "word-overlap"], default="minilm")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(
            environment="test",
            data_dir=Path(data),
            bootstrap_staff_key=STAFF,  # type: ignore[arg-type]
            ingest_on_start=True,
            log_level="WARNING",
        )
        embedder: Embedder | None = (
            WordOverlapEmbedder() if args.embedder == "word-overlap" else None
        )
        app = create_app(settings, clock=FixedClock(), embedder=embedder)
        with TestClient(app) as client:
            bench = Bench(client)
            print(f"{'mode':<8} {'what':<12} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>11}  goal")
            for mode in MODES:
                measure_mode(bench, app, mode, args.runs)


if __name__ == "__main__":
    main()
