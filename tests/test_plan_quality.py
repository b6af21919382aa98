"""Plans a mentee would call their own (issue 12, findings 1, 2 and 7): the person's words
shape the plan, the plan fits their month, and revisions keep it coherent."""

from __future__ import annotations

from datetime import date
from typing import Any

from .support import Api, expect
from .support import profile as api_profile

Body = dict[str, Any]
TODAY = date(2027, 3, 1)  # the tests' fixed clock


def _speaker(api: Api, goal: str, *, hours: float = 6, weeks: int = 12) -> Body:
    return api.participant(
        hours_per_month=hours,
        skills=[{"skill": "public_speaking", "level": 2}],
        goals=[
            {
                "text": goal,
                "skills": ["public_speaking"],
                "target_level": 4,
                "horizon_weeks": weeks,
            }
        ],
    )


def _plan_for(api: Api, mentee: Body) -> Body:
    mentor = api.mentor()
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    return api.plan(match, mentee)


def _activities(plan: Body) -> list[str]:
    return [a["description"] for o in plan["objectives"] for a in o["activities"]]


def _milestones(plan: Body) -> list[Body]:
    return [m for o in plan["objectives"] for m in o["milestones"]]


# ---- finding 1: the person's own words -------------------------------------------


def test_an_event_named_in_the_goal_is_the_capstone_dated_before_it(api: Api) -> None:
    mentee = _speaker(api, "Present the Q3 roadmap at the June offsite", weeks=26)
    plan = _plan_for(api, mentee)

    capstone = plan["objectives"][0]["milestones"][-1]
    assert capstone["title"] == "Present the Q3 roadmap at the June offsite"
    # Ready by the start of June, not at the 26-week horizon the profile says.
    assert capstone["due_date"] == "2027-06-01"
    assert all(m["due_date"] <= "2027-06-01" for m in _milestones(plan))
    assert "13 weeks" in plan["summary"]


def test_a_named_difficulty_is_met_by_the_first_activity(api: Api) -> None:
    mentee = _speaker(api, "Present the Q3 roadmap at the June offsite; I get nervous and rush")
    plan = _plan_for(api, mentee)

    first = plan["objectives"][0]["activities"][0]
    assert "pause" in first["description"] and "rush" in first["description"]
    assert first["starts_on"] == TODAY.isoformat()
    # The first milestone, two weeks out, is that practice, so the mentee starts tomorrow.
    opener = plan["objectives"][0]["milestones"][0]
    assert opener["title"].startswith("First step: Rehearse a talk with a marked")
    assert (date.fromisoformat(opener["due_date"]) - TODAY).days <= 21
    # The difficulty is not part of the goal the capstone shows.
    assert "nervous" not in plan["objectives"][0]["milestones"][-1]["title"]


def test_the_same_skill_and_levels_with_different_goals_give_different_plans(api: Api) -> None:
    offsite = _plan_for(api, _speaker(api, "Present at the June offsite without rushing"))
    reviews = _plan_for(
        api, _speaker(api, "Answer hard questions in design reviews without getting defensive")
    )

    assert _activities(offsite) != _activities(reviews)
    assert [m["title"] for m in _milestones(offsite)] != [m["title"] for m in _milestones(reviews)]


# ---- finding 2: time is a constraint ---------------------------------------------


def test_a_plan_fits_three_hours_a_month_and_says_what_it_left_out(api: Api) -> None:
    mentee = _speaker(api, "Present our team's work at the quarterly all-hands", hours=3)
    plan = _plan_for(api, mentee)  # the mentor match's rhythm is 2 x 60 minutes

    assert plan["budget_minutes_per_month"] == 180
    assert plan["planned_minutes_per_month"] <= 180
    cadence = plan["cadence"]
    assert cadence["sessions_per_month"] * cadence["minutes"] < 120
    practice = [a for a in plan["objectives"][0]["activities"] if a["kind"] != "session"]
    assert practice and all(a["minutes_per_month"] > 0 for a in practice)
    assert any(r.startswith("Sessions: ") for r in plan["remarks"])
    assert any(r.startswith("Left out to fit 3 hours a month") for r in plan["remarks"])


def test_i_only_have_one_hour_a_month_replans_sessions_and_practice_to_fit(api: Api) -> None:
    mentee = _speaker(api, "Present our team's work at the quarterly all-hands", hours=6)
    plan = _plan_for(api, mentee)

    revised = api.revise(plan, mentee["api_key"], "I only have 1 hour a month")

    assert revised["planned_minutes_per_month"] <= 60 < plan["planned_minutes_per_month"]
    assert revised["cadence"]["sessions_per_month"] * revised["cadence"]["minutes"] <= 60
    assert any("planned for 1 hour a month" in r for r in revised["remarks"])
    assert not any("1 hours" in r for r in revised["remarks"])


def test_thats_a_lot_lowers_the_load_and_keeps_the_finish_date(api: Api) -> None:
    mentee = _speaker(api, "Present our team's work at the quarterly all-hands", hours=8)
    plan = _plan_for(api, mentee)

    revised = api.revise(plan, mentee["api_key"], "That's a lot. Can you make it shorter?")

    assert revised["planned_minutes_per_month"] < plan["planned_minutes_per_month"]
    assert max(m["due_date"] for m in _milestones(revised)) == max(
        m["due_date"] for m in _milestones(plan)
    )
    assert any(r.startswith("Lighter: ") for r in revised["remarks"])


def test_shorter_shortens_the_horizon_and_says_what_that_does_to_the_load(api: Api) -> None:
    mentee = _speaker(api, "Present our team's work at the quarterly all-hands", hours=4)
    plan = _plan_for(api, mentee)

    revised = api.revise(plan, mentee["api_key"], "make it shorter")

    last = max(date.fromisoformat(m["due_date"]) for m in _milestones(revised))
    assert last < max(date.fromisoformat(m["due_date"]) for m in _milestones(plan))
    assert revised["planned_minutes_per_month"] <= 240
    remark = next(r for r in revised["remarks"] if r.startswith("Shorter: "))
    assert "instead of 12" in remark and "does less in all" in remark


# ---- finding 7: revisions that make sense ----------------------------------------


def _log(api: Api, plan: Body, key: str, milestone: Body, status: str) -> None:
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=key,
            json={"milestone_id": milestone["id"], "status": status},
        ),
        201,
    )


def test_a_shorter_revision_keeps_begun_milestones_in_level_order_within_the_horizon(
    api: Api,
) -> None:
    mentee = _speaker(api, "Present our team's work at the quarterly all-hands", hours=6)
    plan = _plan_for(api, mentee)
    milestones = plan["objectives"][0]["milestones"]
    opener, level3, level4 = milestones[0], milestones[1], milestones[2]
    _log(api, plan, mentee["api_key"], opener, "done")
    _log(api, plan, mentee["api_key"], level3, "in_progress")
    _log(api, plan, mentee["api_key"], level4, "done")  # done early, out of order

    revised = api.revise(plan, mentee["api_key"], "finish in 10 weeks")

    kept = revised["objectives"][0]["milestones"]
    by_id = {m["id"]: m for m in kept}
    # Nothing begun is dropped, with its status.
    assert by_id[opener["id"]]["status"] == "done"
    assert by_id[level3["id"]]["status"] == "in_progress"
    assert by_id[level4["id"]]["status"] == "done"
    # Level order, dates in the same order, all within the new horizon.
    levels = [m["level"] or 0 for m in kept]
    assert levels == sorted(levels)
    dues = [m["due_date"] for m in kept]
    assert dues == sorted(dues)
    horizon = date.fromisoformat(max(dues))
    assert (horizon - TODAY).days <= 10 * 7
    assert "10 weeks" in revised["summary"]


# ---- finding 14: only the owner (and a guide) changes a plan ------------------------


def _group_of_four(api: Api) -> tuple[list[Body], Body]:
    peers = [
        api.participant(
            name=name,
            roles=["peer"],
            career_stage="mid",
            skills=[{"skill": "public_speaking", "level": 2}],
        )
        for name in ("Ana", "Ben", "Cy", "Dee")
    ]
    return peers, api.match("group", *((p, "peer") for p in peers))


def test_a_peer_may_read_but_never_change_another_members_plan(api: Api) -> None:
    (ana, ben, *_), group = _group_of_four(api)
    plan = api.plan(group, ana)
    milestone = plan["objectives"][0]["milestones"][0]

    assert api.call("GET", f"/v1/plans/{plan['id']}", key=ben["api_key"]).status_code == 200
    progress = api.call(
        "POST",
        f"/v1/plans/{plan['id']}/progress",
        key=ben["api_key"],
        json={"milestone_id": milestone["id"], "status": "done"},
    )
    assert progress.status_code == 403
    assert "only the plan's owner" in progress.text
    revise = api.call(
        "POST",
        f"/v1/plans/{plan['id']}/revise",
        key=ben["api_key"],
        json={"instruction": "finish in 4 weeks"},
    )
    assert revise.status_code == 403
    drafted_for_other = api.call(
        "POST", f"/v1/matches/{group['id']}/plans", key=ana["api_key"], json={"owner_id": ben["id"]}
    )
    assert drafted_for_other.status_code == 403
    # Nothing changed: still version 1, the milestone still open.
    again = expect(api.call("GET", f"/v1/plans/{plan['id']}", key=ana["api_key"]), 200)
    assert again["version"] == 1
    assert again["objectives"][0]["milestones"][0]["status"] == "not_started"


def test_in_a_mentor_pair_the_mentor_may_log_progress_and_it_says_who(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee)
    milestone = plan["objectives"][0]["milestones"][0]

    logged = expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=mentor["api_key"],
            json={"milestone_id": milestone["id"], "status": "in_progress"},
        ),
        201,
    )
    assert logged["author_id"] == mentor["id"]


# ---- finding 6: health counts the owner's own promises ------------------------------


def test_group_plan_health_ignores_another_members_overdue_item(api: Api, clock: Any) -> None:
    (ana, ben, *_), group = _group_of_four(api)
    plan = api.plan(group, ana)
    meeting = api.session(group, key=ana["api_key"], when="2027-03-02T15:00:00Z")
    api.note(
        meeting,
        "Agreed who does what before the next circle.",
        key=ana["api_key"],
        action_items=[
            {"text": "Book the rehearsal room", "owner_id": ben["id"], "due_date": "2027-03-05"}
        ],
    )
    clock.advance(7)

    health = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=ana["api_key"]), 200)
    assert health["past_due_action_items"] == []
    assert not any("rehearsal room" in r for r in health["reasons"])

    api.note(
        meeting,
        "One more for all of us.",
        key=ana["api_key"],
        action_items=[{"text": "Send the group one recording", "due_date": "2027-03-06"}],
    )
    health = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=ana["api_key"]), 200)
    assert health["status"] == "at_risk"
    assert any(
        r.startswith("Shared action item (no owner) 'Send the group") for r in health["reasons"]
    )


def test_a_profile_without_hours_is_planned_on_an_assumption_it_states(api: Api) -> None:
    body = {k: v for k, v in api_profile().items() if k != "hours_per_month"}
    mentee = expect(api.call("POST", "/v1/participants", json=body), 201)
    assert mentee["hours_per_month"] is None  # not silently 2

    plan = _plan_for(api, mentee)

    assert plan["budget_minutes_per_month"] == 120
    assert plan["planned_minutes_per_month"] <= 120
    assert any("does not say how much time you have" in r for r in plan["remarks"])
