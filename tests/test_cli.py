"""The `tandem` command: init, keys, migrations and the demo program."""

from __future__ import annotations

import re
import shutil
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.api import create_app
from assistant.cli import app as cli
from assistant.config import Settings

from .conftest import FixedClock
from .support import bearer, expect

KEY = re.compile(r"tdm_[sp]_[A-Za-z0-9_-]{20,}")


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Settings:
    monkeypatch.setenv("TANDEM_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("TANDEM_DATABASE_URL", database_url)
    monkeypatch.setenv("TANDEM_ENVIRONMENT", "production")
    monkeypatch.delenv("TANDEM_BOOTSTRAP_STAFF_KEY", raising=False)
    return Settings()


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_init_prints_a_first_staff_key_once_and_it_works(cli_env: Settings) -> None:
    first = _run("init")
    keys = KEY.findall(first)
    assert len(keys) == 1 and keys[0].startswith("tdm_s_")
    assert KEY.findall(_run("init")) == []  # shown once, never again

    with TestClient(create_app(cli_env)) as client:
        me = expect(client.get("/v1/me", headers=bearer(keys[0])), 200)
        assert me["kind"] == "staff"


def test_key_create_for_staff_and_participant_rotation(cli_env: Settings) -> None:
    _run("init")
    staff_key = KEY.findall(_run("key", "create", "--name", "Program lead"))[0]
    with TestClient(create_app(cli_env)) as client:
        me = expect(client.get("/v1/me", headers=bearer(staff_key)), 200)
        assert me["name"] == "Program lead"
        person = expect(
            client.post(
                "/v1/participants",
                headers=bearer(staff_key),
                json={
                    "name": "Rae",
                    "email": "rae@example.org",
                    "career_stage": "mid",
                    "roles": ["peer"],
                },
            ),
            201,
        )
    new_key = KEY.findall(_run("key", "create", "--participant", person["id"]))[0]
    with TestClient(create_app(cli_env)) as client:
        assert client.get("/v1/me", headers=bearer(person["api_key"])).status_code == 401
        assert expect(client.get("/v1/me", headers=bearer(new_key)), 200)["id"] == person["id"]


def test_link_prints_a_one_time_sign_in_link(cli_env: Settings) -> None:
    staff_key = KEY.findall(_run("init"))[0]
    with TestClient(create_app(cli_env)) as client:
        person = expect(
            client.post(
                "/v1/participants",
                headers=bearer(staff_key),
                json={
                    "name": "Rae",
                    "email": "Rae@Example.org",
                    "career_stage": "mid",
                    "roles": ["peer"],
                },
            ),
            201,
        )
    printed = _run("link", "rae@example.org")
    found = re.search(r"http://127\.0\.0\.1:8000(/sign-in/link/\S+)", printed)
    assert found, printed
    with TestClient(create_app(cli_env)) as browser:
        landing = browser.get(found.group(1))
        token = re.search(r'name="csrf_token" value="([^"]+)"', landing.text)
        assert landing.status_code == 200 and token
        signed = browser.post(found.group(1), data={"csrf_token": token.group(1)})
        assert signed.status_code == 200 and "Rae" in signed.text
    unknown = CliRunner().invoke(cli, ["link", "nobody@example.org"])
    assert unknown.exit_code == 1 and "no participant" in unknown.output
    assert person["id"]


def test_db_upgrade_is_safe_to_repeat(cli_env: Settings) -> None:
    assert "latest schema" in _run("db", "upgrade")
    assert "latest schema" in _run("db", "upgrade")


def test_demo_loads_a_program_a_newcomer_can_explore(cli_env: Settings) -> None:
    output = _run("demo")
    keys = KEY.findall(output)
    participant_keys = [k for k in keys if k.startswith("tdm_p_")]
    assert len(participant_keys) == 20
    assert "already loaded" in _run("demo")

    staff_key = next(k for k in keys if k.startswith("tdm_s_"))
    with TestClient(create_app(cli_env, clock=FixedClock(datetime.now(UTC)))) as client:
        staff = bearer(staff_key)
        programs = expect(client.get("/v1/programs", headers=staff), 200)
        assert len(programs) == 1
        matches = expect(client.get("/v1/matches", headers=staff), 200)["items"]
        assert {m["mode"] for m in matches} == {
            "mentor",
            "near_peer",
            "peer",
            "reverse",
            "group",
            "flash",
        }
        rollup = expect(client.get(f"/v1/programs/{programs[0]['id']}/rollup", headers=staff), 200)
        assert rollup["sessions_held"] > 0
        # The demo is realistic: some plans are going well, some are not.
        assert rollup["plans_at_risk"]
        plans = [
            p
            for m in matches
            for p in expect(client.get(f"/v1/matches/{m['id']}/plans", headers=staff), 200)
        ]
        assert len(plans) > len(rollup["plans_at_risk"])
        # A participant key from the table works and sees only their own matches.
        mine = expect(client.get("/v1/matches", headers=bearer(participant_keys[3])), 200)
        assert 1 <= len(mine["items"]) < len(matches)


def test_demo_prints_full_ids_at_a_narrow_terminal_and_files_them_for_the_owner_only(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The skill playbooks are all the demo drafts from; indexing only them keeps this
    # test quick with the real offline model.
    corpus = tmp_path / "knowledge"
    shutil.copytree(
        Path(__file__).resolve().parent.parent / "knowledge" / "skills", corpus / "skills"
    )
    monkeypatch.setenv("TANDEM_KNOWLEDGE_DIR", str(corpus))
    monkeypatch.setenv("COLUMNS", "40")
    output = _run("demo")
    keys_file = cli_env.data_dir / "demo-keys.txt"
    assert str(keys_file.resolve()) in output.replace("\n", "")  # the output says where
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    filed = keys_file.read_text()

    printed = KEY.findall(output)
    staff_key = next(k for k in printed if k.startswith("tdm_s_"))
    assert printed.count(staff_key) == 1  # shown once on screen, kept in the file
    assert set(printed) <= set(KEY.findall(filed)) and staff_key in filed
    with TestClient(create_app(cli_env, clock=FixedClock(datetime.now(UTC)))) as client:
        staff = bearer(staff_key)
        people = expect(client.get("/v1/participants?limit=100", headers=staff), 200)["items"]
        plans = [
            p
            for m in expect(client.get("/v1/matches", headers=staff), 200)["items"]
            for p in expect(client.get(f"/v1/matches/{m['id']}/plans", headers=staff), 200)
        ]
        at_risk = [
            p["id"]
            for p in plans
            if expect(client.get(f"/v1/plans/{p['id']}/health", headers=staff), 200)["status"]
            != "on_track"
        ]
    ids = [p["id"] for p in people] + [p["id"] for p in plans]
    assert len(people) == 20 and all(len(i) == 32 for i in ids)
    # Every id in full, on screen and in the file, however narrow the terminal.
    for full in ids:
        assert full in output and full in filed, full
    # The at-risk plan is named, with the request that shows why.
    assert f"/v1/plans/{at_risk[0]}/health" in output.replace("\n", "")


def test_ingest_twice_reports_everything_unchanged_and_reindexes_notes(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A slice of the built-in corpus keeps this test quick with the real offline model.
    corpus = tmp_path / "knowledge"
    shutil.copytree(Path(__file__).resolve().parent.parent / "knowledge" / "modes", corpus)
    monkeypatch.setenv("TANDEM_KNOWLEDGE_DIR", str(corpus))
    first = _run("ingest")
    documents = len(list(corpus.glob("*.md")))
    assert re.search(rf"│\s+{documents} │\s+0 │\s+0 │\s+0 │", first), first
    second = _run("ingest")
    assert re.search(rf"│\s+0 │\s+0 │\s+0 │\s+{documents} │\s+0 │\s+0 │", second), second

    staff_key = KEY.findall(_run("init"))[0]
    with TestClient(create_app(cli_env)) as client:
        staff = bearer(staff_key)
        people = [
            expect(
                client.post(
                    "/v1/participants",
                    headers=staff,
                    json={
                        "name": n,
                        "email": f"{n}@example.org",
                        "career_stage": "mid",
                        "roles": ["peer"],
                    },
                ),
                201,
            )
            for n in ("kai", "noor")
        ]
        match = expect(
            client.post(
                "/v1/matches",
                headers=staff,
                json={
                    "mode": "peer",
                    "members": [{"participant_id": p["id"], "role": "peer"} for p in people],
                },
            ),
            201,
        )
        session = expect(
            client.post(
                f"/v1/matches/{match['id']}/sessions",
                headers=staff,
                json={"scheduled_at": "2027-03-02T10:00:00Z"},
            ),
            201,
        )
        expect(
            client.post(
                f"/v1/sessions/{session['id']}/notes",
                headers=bearer(people[0]["api_key"]),
                json={"text": "We swapped feedback on the design review", "visibility": "match"},
            ),
            201,
        )
    assert "Re-indexed 1 note chunks" in _run("ingest", "--notes")
