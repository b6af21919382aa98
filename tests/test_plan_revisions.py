"""Revising a plan in words, and the printable Markdown plan."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from .support import Api, expect

Body = dict[str, Any]
TODAY = date(2027, 3, 1)  # the tests' fixed clock


def _two_goal_mentee(api: Api, hours: int = 8) -> Body:
    return api.participant(
        name="Sam Rivera",
        hours_per_month=hours,
        skills=[
            {"skill": "public_speaking", "level": 2},
            {"skill": "stakeholder_management", "level": 2},
        ],
        goals=[
            {
                "text": "Present our team's work at the quarterly all-hands",
                "skills": ["public_speaking"],
                "target_level": 4,
                "horizon_weeks": 16,
            },
            {
                "text": "Run the quarterly planning meeting with product and design",
                "skills": ["stakeholder_management"],
                "target_level": 3,
                "horizon_weeks": 12,
            },
        ],
    )


def _milestone_ids(plan: Body) -> set[str]:
    return {m["id"] for o in plan["objectives"] for m in o["milestones"]}


def test_focus_first_reorders_and_keeps_ids_and_progress(api: Api) -> None:
    mentor = api.mentor(skills=[{"skill": "stakeholder_management", "level": 5}])
    mentee = _two_goal_mentee(api)
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee)
    assert "all-hands" in plan["objectives"][0]["goal"]
    done = plan["objectives"][0]["milestones"][0]
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=mentee["api_key"],
            json={"milestone_id": done["id"], "status": "done", "note": "Gave the dry run"},
        ),
        201,
    )

    revised = api.revise(plan, mentee["api_key"], "Please focus on stakeholder management first")

    assert revised["version"] == 2
    assert "planning meeting" in revised["objectives"][0]["goal"]
    assert {o["id"] for o in revised["objectives"]} == {o["id"] for o in plan["objectives"]}
    assert _milestone_ids(plan) <= _milestone_ids(revised)
    statuses = {m["id"]: m["status"] for o in revised["objectives"] for m in o["milestones"]}
    assert statuses[done["id"]] == "done"
    history = expect(
        api.call("GET", f"/v1/plans/{plan['id']}/progress", key=mentee["api_key"]), 200
    )
    assert [h["milestone_id"] for h in history] == [done["id"]]
    assert any("stakeholder management" in r for r in revised["remarks"])
    assert revised["instruction"] == "Please focus on stakeholder management first"


def test_fewer_hours_means_fewer_activities_and_leaves_the_profile_alone(api: Api) -> None:
    mentor = api.mentor()
    mentee = _two_goal_mentee(api, hours=12)
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee)

    revised = api.revise(plan, mentee["api_key"], "I only have 2 hours a month")

    def activities(p: Body) -> int:
        return sum(len(o["activities"]) for o in p["objectives"])

    assert activities(revised) < activities(plan)
    assert any("2 hours a month" in r for r in revised["remarks"])
    profile = expect(
        api.call("GET", f"/v1/participants/{mentee['id']}", key=mentee["api_key"]), 200
    )
    assert profile["hours_per_month"] == 12


def test_a_shorter_horizon_becomes_a_weekly_sprint_from_today(api: Api) -> None:
    mentor = api.mentor()
    mentee = _two_goal_mentee(api)
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee)

    revised = api.revise(plan, mentee["api_key"], "Can we finish in 4 weeks?")

    for objective in revised["objectives"]:
        dues = [date.fromisoformat(m["due_date"]) for m in objective["milestones"]]
        assert dues == sorted(dues)
        assert all(TODAY < d <= TODAY + timedelta(weeks=4) for d in dues)
        assert len(dues) == 4  # one checkpoint a week


def test_an_instruction_it_cannot_read_changes_nothing_and_says_so(api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee)
    revised = api.revise(plan, mentee["api_key"], "Make it more exciting")
    assert revised["version"] == 2
    assert revised["objectives"] == plan["objectives"]
    assert "could be applied" in revised["remarks"][0] and "focus on" in revised["remarks"][0]


def test_plan_as_markdown_for_a_peer(api: Api) -> None:
    alex, sam, match = api.complementary_peers()
    plan = api.plan(match, alex)

    response = api.call("GET", f"/v1/plans/{plan['id']}?format=md", key=sam["api_key"])

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/markdown")
    md = response.text
    assert md.startswith("# Development plan: Alex Chen")
    for milestone in plan["objectives"][0]["milestones"]:
        assert f"[ ] {milestone['due_date']}: {milestone['title']}" in md
    assert "## What Alex Chen offers the others" in md and "To Sam Rivera, in code review" in md
    assert f"{len(plan['citations'])}. " in md and "## Sources" in md
    expect(api.call("GET", f"/v1/plans/{plan['id']}?format=pdf", key=sam["api_key"]), 422)
