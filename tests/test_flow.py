"""The main flow of docs/api.md: staff set up a match, members plan, meet, note, track."""

from __future__ import annotations

from datetime import date, timedelta

from .conftest import FixedClock
from .support import Api, expect


def test_staff_to_member_flow_is_reflected_in_health(api: Api, clock: FixedClock) -> None:
    mentor = api.mentor(name="Alex Kim")
    mentee = api.participant(name="Sam Rivera")
    assert mentee["api_key"].startswith("tdm_p_")
    assert "api_key" not in expect(api.call("GET", f"/v1/participants/{mentee['id']}"), 200)

    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    assert match["status"] == "active"
    assert {m["participant_id"] for m in match["members"]} == {mentor["id"], mentee["id"]}

    plan = api.plan(match, mentee)
    assert plan["version"] == 1 and plan["status"] == "draft"
    assert plan["drafter"] == "offline"
    objective = plan["objectives"][0]
    assert objective["goal"] == "Present our team's work at the quarterly all-hands"
    milestones = objective["milestones"]
    # A first step at the first session, one milestone per level step (2 -> 3 -> 4) from
    # the playbook, then the goal itself on the horizon; checkpoints fall on session days
    # (2 a month: every ~15 days).
    dues = [date.fromisoformat(m["due_date"]) for m in milestones]
    assert len(milestones) == 4
    assert milestones[0]["title"].startswith("First step: ")
    assert dues[0] <= clock.today() + timedelta(weeks=3)
    assert [m["level"] for m in milestones[1:]] == [3, 4, 4]
    assert dues == sorted(dues)
    assert dues[-1] == clock.today() + timedelta(weeks=12)
    # The goal names its event, so the capstone is the goal in the mentee's own words.
    assert milestones[-1]["title"] == "Present our team's work at the quarterly all-hands"
    for due in dues[:-1]:
        sessions_in = (due - clock.today()).days / 15.22
        assert abs(sessions_in - round(sessions_in)) < 0.1
    # Every activity cites the public-speaking playbook, and every citation resolves.
    cited = {c for a in objective["activities"] for c in a["citation_ids"]}
    assert cited and cited <= {c["id"] for c in plan["citations"]}
    assert {c["source"] for c in plan["citations"]} == {"knowledge/skills/public_speaking.md"}

    accepted = expect(
        api.call("POST", f"/v1/plans/{plan['id']}/accept", key=mentee["api_key"]), 200
    )
    assert accepted["status"] == "active"

    first = milestones[0]
    progress = expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=mentee["api_key"],
            json={"milestone_id": first["id"], "status": "done", "note": "Gave a 5-minute demo"},
        ),
        201,
    )
    assert progress["previous_status"] == "not_started" and progress["status"] == "done"

    session = api.session(match, key=mentor["api_key"])
    note = api.note(
        session,
        "Worked on the opening of the all-hands talk.",
        key=mentor["api_key"],
        action_items=[
            {
                "text": "Draft the first three slides",
                "owner_id": mentee["id"],
                "due_date": "2027-03-09",
            }
        ],
    )
    assert note["action_items"][0]["owner_id"] == mentee["id"]

    clock.advance(3)  # the session has happened
    health = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=mentee["api_key"]), 200)
    assert health["status"] == "on_track"
    assert health["percent_complete"] == round(100 / len(milestones))
    assert health["last_session_id"] == session["id"]
    assert health["days_since_last_session"] == 2

    clock.advance(10)  # the action item is now past due and nobody ticked it off
    health = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=mentee["api_key"]), 200)
    assert health["status"] == "at_risk"
    assert any("Draft the first three slides" in r for r in health["reasons"])

    item_id = note["action_items"][0]["id"]
    expect(
        api.call(
            "PATCH", f"/v1/action-items/{item_id}", key=mentee["api_key"], json={"done": True}
        ),
        200,
    )
    health = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=mentee["api_key"]), 200)
    assert health["status"] == "on_track", health["reasons"]
