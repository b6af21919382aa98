"""Plan health and the staff roll-up: the status a program lead acts on, and its reasons."""

from __future__ import annotations

from typing import Any

from .conftest import FixedClock
from .support import Api, expect

# A plan written by hand, so due dates are known exactly (the clock starts 2027-03-01).
HAND_PLAN = {
    "starts_on": "2027-03-01",
    "objectives": [
        {
            "title": "Give the all-hands talk",
            "goal": "Present our team's work at the quarterly all-hands",
            "skills": ["public_speaking"],
            "success_measures": ["Talk delivered with fewer than three filler words a minute"],
            "milestones": [
                {"title": "Outline the talk", "due_date": "2027-03-10"},
                {"title": "Rehearse with the mentor", "due_date": "2027-03-20"},
                {"title": "Deliver at the all-hands", "due_date": "2027-04-30"},
            ],
        }
    ],
}


def _setup(api: Api, **match_extra: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    mentor = api.mentor()
    mentee = api.participant()
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"), **match_extra)
    plan = api.plan(match, mentee, **HAND_PLAN)
    return mentee, match, plan


def _health(api: Api, plan: dict[str, Any], key: str) -> dict[str, Any]:
    result: dict[str, Any] = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=key), 200)
    return result


def _milestone(plan: dict[str, Any], title: str) -> str:
    for objective in plan["objectives"]:
        for milestone in objective["milestones"]:
            if milestone["title"] == title:
                return str(milestone["id"])
    raise AssertionError(title)


def _log(api: Api, plan: dict[str, Any], key: str, title: str, status: str) -> None:
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=key,
            json={"milestone_id": _milestone(plan, title), "status": status},
        ),
        201,
    )


def _meet(api: Api, match: dict[str, Any], when: str) -> dict[str, Any]:
    result: dict[str, Any] = expect(
        api.call(
            "POST",
            f"/v1/matches/{match['id']}/sessions",
            json={"scheduled_at": when, "duration_minutes": 45},
        ),
        201,
    )
    return result


def test_new_plan_is_on_track_and_names_what_is_due_soon(api: Api) -> None:
    mentee, _, plan = _setup(api)
    health = _health(api, plan, mentee["api_key"])
    assert health["status"] == "on_track"
    assert health["percent_complete"] == 0
    # Due within the next 14 days: the outline (10 March), not the rehearsal (20 March).
    assert [m["title"] for m in health["due_soon_milestones"]] == ["Outline the talk"]
    assert "Outline the talk" in health["reasons"][0]


def test_overdue_milestone_is_at_risk_then_off_track_when_long_overdue(
    api: Api, clock: FixedClock
) -> None:
    mentee, match, plan = _setup(api)
    _meet(api, match, "2027-03-12T10:00:00Z")
    clock.advance(13)  # 2027-03-14: the outline was due on the 10th
    health = _health(api, plan, mentee["api_key"])
    assert health["status"] == "at_risk"
    assert health["overdue_milestones"][0]["title"] == "Outline the talk"
    assert health["overdue_milestones"][0]["days"] == 4
    assert any("'Outline the talk' is 4 days overdue" in r for r in health["reasons"])

    _meet(api, match, "2027-03-24T10:00:00Z")
    clock.advance(12)  # 2027-03-26: outline 16 days overdue, rehearsal 6 days overdue
    health = _health(api, plan, mentee["api_key"])
    assert health["status"] == "off_track"
    assert any("'Outline the talk' is 16 days overdue" in r for r in health["reasons"])

    _log(api, plan, mentee["api_key"], "Outline the talk", "done")
    _log(api, plan, mentee["api_key"], "Rehearse with the mentor", "done")
    health = _health(api, plan, mentee["api_key"])
    assert health["status"] == "on_track", health["reasons"]
    assert health["percent_complete"] == 67


def test_dropped_milestones_do_not_count_and_blocked_ones_warn(api: Api) -> None:
    mentee, _, plan = _setup(api)
    _log(api, plan, mentee["api_key"], "Outline the talk", "done")
    _log(api, plan, mentee["api_key"], "Rehearse with the mentor", "dropped")
    health = _health(api, plan, mentee["api_key"])
    assert health["percent_complete"] == 50  # 1 done of 2 that still count

    _log(api, plan, mentee["api_key"], "Deliver at the all-hands", "blocked")
    health = _health(api, plan, mentee["api_key"])
    assert health["status"] == "at_risk"
    assert "Milestone 'Deliver at the all-hands' is blocked." in health["reasons"]


def test_session_gap_against_cadence(api: Api, clock: FixedClock) -> None:
    # Two sessions a month: one expected about every 15 days.
    mentee, match, plan = _setup(api, cadence={"sessions_per_month": 2, "minutes": 45})
    session = _meet(api, match, "2027-03-02T10:00:00Z")
    for title in ("Outline the talk", "Rehearse with the mentor"):
        _log(api, plan, mentee["api_key"], title, "done")

    clock.advance(20)  # 20 days since the session on the 2nd (under 1.5 x 15)
    assert _health(api, plan, mentee["api_key"])["status"] == "on_track"

    clock.advance(5)  # 25 days: more than 1.5 x the interval
    health = _health(api, plan, mentee["api_key"])
    assert health["status"] == "at_risk"
    assert health["days_since_last_session"] == 24
    assert any(session["id"] in r for r in health["reasons"])

    clock.advance(10)  # 35 days: more than twice the interval
    assert _health(api, plan, mentee["api_key"])["status"] == "off_track"


def test_cancelled_sessions_do_not_count_as_held(api: Api, clock: FixedClock) -> None:
    mentee, match, plan = _setup(api)
    session = _meet(api, match, "2027-03-02T10:00:00Z")
    expect(api.call("PATCH", f"/v1/sessions/{session['id']}", json={"status": "cancelled"}), 200)
    clock.advance(3)
    health = _health(api, plan, mentee["api_key"])
    assert health["last_session_id"] is None


def test_action_items_past_due_only_count_when_the_reader_may_see_them(
    api: Api, clock: FixedClock
) -> None:
    mentor = api.mentor()
    mentee = api.participant()
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee, **HAND_PLAN)
    session = _meet(api, match, "2027-03-02T10:00:00Z")
    expect(
        api.call(
            "POST",
            f"/v1/sessions/{session['id']}/notes",
            key=mentor["api_key"],
            json={
                "text": "Private reminder to myself.",
                "visibility": "private",
                "action_items": [{"text": "Find a rehearsal room", "due_date": "2027-03-05"}],
            },
        ),
        201,
    )
    _log(api, plan, mentee["api_key"], "Outline the talk", "done")
    clock.advance(6)
    assert any(
        "Find a rehearsal room" in r for r in _health(api, plan, mentor["api_key"])["reasons"]
    )
    # The mentee may not read the mentor's private note, so health must not quote it.
    mentee_view = _health(api, plan, mentee["api_key"])
    assert not any("rehearsal room" in r for r in mentee_view["reasons"])
    assert mentee_view["past_due_action_items"] == []


def test_health_follows_the_current_version_after_a_revision(api: Api, clock: FixedClock) -> None:
    mentee, match, plan = _setup(api)
    _meet(api, match, "2027-03-12T10:00:00Z")
    clock.advance(13)
    assert _health(api, plan, mentee["api_key"])["status"] == "at_risk"
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/revise",
            key=mentee["api_key"],
            json={
                "instruction": "I was out sick; move the outline back a week",
                "milestone_patches": [
                    {"id": _milestone(plan, "Outline the talk"), "due_date": "2027-03-17"}
                ],
            },
        ),
        201,
    )
    assert _health(api, plan, mentee["api_key"])["status"] == "on_track"


def test_program_rollup(api: Api, clock: FixedClock) -> None:
    program = expect(
        api.call(
            "POST",
            "/v1/programs",
            json={
                "name": "Spring cohort",
                "default_mode": "mentor",
                "starts_on": "2027-03-01",
                "ends_on": "2027-08-31",
                "cadence": {"sessions_per_month": 2, "minutes": 45},
            },
        ),
        201,
    )
    on_track_mentee, on_track_match, on_track_plan = _setup(api, program_id=program["id"])
    _, lagging_match, lagging_plan = _setup(api, program_id=program["id"])
    _, paused_match, _ = _setup(api, program_id=program["id"])
    for title in ("Outline the talk", "Rehearse with the mentor"):
        _log(api, on_track_plan, on_track_mentee["api_key"], title, "done")
    expect(
        api.call(
            "POST",
            f"/v1/matches/{paused_match['id']}/status",
            json={"status": "paused", "reason": "leave"},
        ),
        200,
    )
    for when in ("2027-03-05T10:00:00Z", "2027-03-18T10:00:00Z", "2027-03-30T10:00:00Z"):
        _meet(api, on_track_match, when)
    _meet(api, lagging_match, "2027-03-05T10:00:00Z")
    clock.advance(31)  # 2027-04-01

    rollup = expect(api.call("GET", f"/v1/programs/{program['id']}/rollup"), 200)
    assert rollup["matches_by_status"] == {"active": 2, "paused": 1}
    risky = {p["plan_id"]: p for p in rollup["plans_at_risk"]}
    assert lagging_plan["id"] in risky
    assert any("Outline the talk" in r for r in risky[lagging_plan["id"]]["reasons"])
    # Two active matches at 2 a month for a month: 2 expected each; 4 held in total.
    assert rollup["sessions_expected"] == 4
    assert rollup["sessions_held"] == 4
    assert rollup["sessions_held_ratio"] == 1.0
    assert on_track_plan["id"] not in risky
