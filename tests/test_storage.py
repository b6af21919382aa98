"""Storage: SQLite pragmas, migrations on start-up and on demand, one transaction per write."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from assistant.db import alembic_config, build_engine, upgrade_database

from .support import Api, expect


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_create_every_table_and_are_idempotent(database_url: str) -> None:
    engine = build_engine(database_url)
    upgrade_database(engine)
    upgrade_database(engine)  # a second run finds nothing to do
    tables = set(inspect(engine).get_table_names())
    assert {
        "participants",
        "staff_members",
        "programs",
        "matches",
        "match_members",
        "match_status_changes",
        "plans",
        "plan_versions",
        "progress_updates",
        "sessions",
        "notes",
        "action_items",
        "audit_events",
        "pairing_runs",
        "embedding_cache",
        "chat_conversations",
        "chat_messages",
        "alembic_version",
    } <= tables
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == head


def test_a_rejected_multi_row_write_leaves_nothing_behind(api: Api) -> None:
    mentor = api.mentor()
    mentee = api.participant()
    # A note with one good and one bad action item is refused whole.
    pair = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    session = api.session(pair, when="2027-03-02T10:00:00Z")
    refused = api.call(
        "POST",
        f"/v1/sessions/{session['id']}/notes",
        json={
            "text": "Good session",
            "action_items": [
                {"text": "fine", "owner_id": mentee["id"]},
                {"text": "owner is a stranger", "owner_id": "someone-else"},
            ],
        },
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "action_items", 1, "owner_id"]
    assert expect(api.call("GET", f"/v1/sessions/{session['id']}/notes"), 200) == []
    assert expect(api.call("GET", f"/v1/matches/{pair['id']}/action-items"), 200) == []


@pytest.mark.parametrize("status", ["held", "missed"])
def test_session_status_changes_are_audited(api: Api, status: str) -> None:
    _, _, pair = api.mentor_pair()
    session = api.session(pair, when="2027-02-20T10:00:00Z")
    expect(api.call("PATCH", f"/v1/sessions/{session['id']}", json={"status": status}), 200)
    events = expect(api.call("GET", f"/v1/audit?entity_id={session['id']}"), 200)["items"]
    assert [(e["action"], e["detail"]["to"]) for e in events] == [
        ("session.status_changed", status)
    ]
