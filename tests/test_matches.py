"""Matches: shapes by mode, the status life cycle and its record, capacity over time."""

from __future__ import annotations

from .support import Api, expect


def test_status_life_cycle_is_recorded_with_who_and_when(api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    for status in ("paused", "active", "completed"):
        expect(
            api.call(
                "POST",
                f"/v1/matches/{match['id']}/status",
                json={"status": status, "reason": f"to {status}"},
            ),
            200,
        )
    seen = expect(api.call("GET", f"/v1/matches/{match['id']}", key=mentee["api_key"]), 200)
    transitions = [(h["from_status"], h["to_status"]) for h in seen["history"]]
    assert transitions == [
        (None, "active"),
        ("active", "paused"),
        ("paused", "active"),
        ("active", "completed"),
    ]
    assert all(h["actor_kind"] == "staff" and h["at"] for h in seen["history"])
    assert seen["history"][1]["reason"] == "to paused"

    events = expect(api.call("GET", f"/v1/audit?entity_id={match['id']}"), 200)["items"]
    assert sum(e["action"] == "match.status_changed" for e in events) == 4

    # A closed match stays closed.
    refused = api.call("POST", f"/v1/matches/{match['id']}/status", json={"status": "active"})
    assert refused.status_code == 409
    assert "completed match cannot become active" in refused.json()["detail"]


def test_approved_match_starts_when_activated(api: Api) -> None:
    mentor = api.mentor()
    mentee = api.participant()
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"), status="approved")
    assert match["status"] == "approved" and match["started_on"] is None
    active = expect(
        api.call("POST", f"/v1/matches/{match['id']}/status", json={"status": "active"}), 200
    )
    assert active["started_on"] == "2027-03-01"


def test_capacity_is_freed_when_a_match_ends(api: Api) -> None:
    mentor = api.mentor(mentor_capacity=1)
    first, second = api.participant(), api.participant()
    match = api.match("mentor", (mentor, "mentor"), (first, "mentee"))
    body = {
        "mode": "mentor",
        "members": [
            {"participant_id": mentor["id"], "role": "mentor"},
            {"participant_id": second["id"], "role": "mentee"},
        ],
    }
    full = api.call("POST", "/v1/matches", json=body)
    assert full.status_code == 409 and "capacity" in full.json()["detail"]
    expect(api.call("POST", f"/v1/matches/{match['id']}/status", json={"status": "completed"}), 200)
    expect(api.call("POST", "/v1/matches", json=body), 201)


def test_a_person_can_be_in_a_mentor_match_and_a_peer_pod_at_once(api: Api) -> None:
    mentor = api.mentor()
    sam = api.participant(roles=["mentee", "peer"])
    peers = [api.participant(roles=["peer"]) for _ in range(3)]
    api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    pod = api.match("group", (sam, "peer"), *[(p, "peer") for p in peers])
    assert len(pod["members"]) == 4
    mine = expect(api.call("GET", "/v1/matches", key=sam["api_key"]), 200)["items"]
    assert sorted(m["mode"] for m in mine) == ["group", "mentor"]


def test_cadence_defaults_by_mode_and_program(api: Api) -> None:
    a, b = api.participant(roles=["peer"]), api.participant(roles=["peer"])
    peer = api.match("peer", (a, "peer"), (b, "peer"))
    # Peer mentoring runs on frequent, short check-ins.
    assert peer["cadence"] == {"sessions_per_month": 4, "minutes": 30}
    program = expect(
        api.call(
            "POST",
            "/v1/programs",
            json={
                "name": "Pods",
                "default_mode": "peer",
                "starts_on": "2027-03-01",
                "ends_on": "2027-06-01",
                "cadence": {"sessions_per_month": 3, "minutes": 40},
            },
        ),
        201,
    )
    c, d = api.participant(roles=["peer"]), api.participant(roles=["peer"])
    in_program = api.match("peer", (c, "peer"), (d, "peer"), program_id=program["id"])
    assert in_program["cadence"] == {"sessions_per_month": 3, "minutes": 40}


def test_reporting_line_rule_is_only_for_mentor_mode(api: Api) -> None:
    boss = api.mentor(roles=["mentor", "peer"])
    report = api.participant(roles=["mentee", "peer"], manager_id=boss["id"])
    refused = api.call(
        "POST",
        "/v1/matches",
        json={
            "mode": "mentor",
            "members": [
                {"participant_id": boss["id"], "role": "mentor"},
                {"participant_id": report["id"], "role": "mentee"},
            ],
        },
    )
    assert refused.status_code == 409 and "reporting line" in refused.json()["detail"]
    api.match("peer", (boss, "peer"), (report, "peer"))
