"""Plans: written by hand or drafted, versioned revisions, acceptance, append-only progress."""

from __future__ import annotations

from datetime import date
from typing import Any

from .support import Api, expect

HAND_WRITTEN = {
    "summary": "Three months to a confident all-hands talk.",
    "starts_on": "2027-03-01",
    "objectives": [
        {
            "title": "Give the all-hands talk",
            "goal": "Present our team's work at the quarterly all-hands",
            "skills": ["public_speaking"],
            "success_measures": ["Delivered without notes"],
            "milestones": [
                {"title": "Outline", "due_date": "2027-03-15"},
                {"title": "Dry run", "due_date": "2027-04-15"},
            ],
            "activities": [
                {
                    "description": "Record a 3-minute rehearsal",
                    "kind": "practice",
                    "citation_ids": ["c1"],
                }
            ],
        }
    ],
    "citations": [
        {"id": "c1", "source": "mentor notes", "title": "Rehearsal", "quote": "Record yourself."}
    ],
}


def _ids(plan: dict[str, Any]) -> dict[str, str]:
    return {m["title"]: m["id"] for o in plan["objectives"] for m in o["milestones"]}


def test_a_mentor_can_write_the_plan_by_hand_and_it_is_stored_as_written(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    response = api.call(
        "POST",
        f"/v1/matches/{match['id']}/plans",
        key=mentor["api_key"],
        json={"owner_id": mentee["id"], **HAND_WRITTEN},
    )
    plan = expect(response, 201)
    assert plan["drafter"] == "hand-written"
    assert plan["summary"] == HAND_WRITTEN["summary"]
    assert [m["title"] for m in plan["objectives"][0]["milestones"]] == ["Outline", "Dry run"]
    assert plan["objectives"][0]["activities"][0]["citation_ids"] == ["c1"]
    assert plan["citations"][0]["quote"] == "Record yourself."
    assert plan["cadence"]["format"].startswith("scheduled 1:1")
    again = expect(api.call("GET", f"/v1/plans/{plan['id']}", key=mentee["api_key"]), 200)
    assert again == plan


def test_drafted_plan_has_an_objective_per_goal_focus_first(api: Api) -> None:
    mentor = api.mentor(skills=[{"skill": "public_speaking", "level": 5}])
    mentee = api.participant(
        skills=[{"skill": "public_speaking", "level": 2}, {"skill": "writing", "level": 1}],
        goals=[
            {
                "text": "Speak at the all-hands",
                "skills": ["public_speaking"],
                "target_level": 4,
                "horizon_weeks": 12,
            },
            {
                "text": "Write design docs people act on",
                "skills": ["writing"],
                "target_level": 3,
                "horizon_weeks": 4,
            },
        ],
    )
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee, focus="design docs first")
    goals = [o["goal"] for o in plan["objectives"]]
    assert goals == ["Write design docs people act on", "Speak at the all-hands"]
    writing, speaking = plan["objectives"]
    assert writing["title"] == "Writing: from aware (1) to practitioner (3)"
    assert speaking["title"] == "Public speaking: from beginner (2) to advanced (4)"
    assert writing["goal_id"] and writing["goal_id"] != speaking["goal_id"]
    # A 4-week goal is a skill sprint: weekly milestones, the last on the horizon.
    assert [m["due_date"] for m in writing["milestones"]] == [
        "2027-03-08",
        "2027-03-15",
        "2027-03-22",
        "2027-03-29",
    ]
    assert speaking["milestones"][-1]["due_date"] == "2027-05-24"
    # Both goals share 4 hours a month: sessions and practice fit it, each goal has
    # practice, and each ends with how the mentor helps.
    assert plan["planned_minutes_per_month"] <= 4 * 60 == plan["budget_minutes_per_month"]
    for objective in (writing, speaking):
        kinds = [a["kind"] for a in objective["activities"]]
        assert kinds[-1] == "session" and {"practice", "shadowing"} & set(kinds[:-1])
        assert all(a["minutes_per_month"] > 0 for a in objective["activities"][:-1])
    assert "design docs first" in plan["summary"]
    assert plan["gives"] == []  # a mentee in mentor mode owes no teaching


def test_peer_plans_say_what_each_member_gives_the_other(api: Api) -> None:
    tom = api.participant(
        roles=["peer"],
        skills=[{"skill": "code_review", "level": 4}, {"skill": "giving_feedback", "level": 2}],
        goals=[
            {
                "text": "Feedback that lands",
                "skills": ["giving_feedback"],
                "target_level": 4,
                "horizon_weeks": 8,
            }
        ],
    )
    aisha = api.participant(
        roles=["peer"],
        skills=[{"skill": "giving_feedback", "level": 4}, {"skill": "code_review", "level": 2}],
        goals=[
            {
                "text": "Rigorous reviews",
                "skills": ["code_review"],
                "target_level": 4,
                "horizon_weeks": 8,
            }
        ],
    )
    match = api.match("peer", (tom, "peer"), (aisha, "peer"))
    toms = api.plan(match, tom)
    aishas = api.plan(match, aisha)
    assert [(g["to_id"], g["skill"]) for g in toms["gives"]] == [(aisha["id"], "code_review")]
    assert [(g["to_id"], g["skill"]) for g in aishas["gives"]] == [(tom["id"], "giving_feedback")]
    assert "reciprocal" in toms["cadence"]["format"]


def test_revision_is_a_new_version_that_keeps_milestone_ids_and_history(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee, **HAND_WRITTEN)
    ids = _ids(plan)
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=mentee["api_key"],
            json={
                "milestone_id": ids["Outline"],
                "status": "done",
                "note": "shared the outline",
                "evidence_url": "https://docs.example.org/outline",
            },
        ),
        201,
    )
    revised = expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/revise",
            key=mentor["api_key"],
            json={
                "instruction": "Add a rehearsal with the team before the dry run",
                "objectives": [
                    {
                        **HAND_WRITTEN["objectives"][0],  # type: ignore[dict-item]
                        "id": plan["objectives"][0]["id"],
                        "milestones": [
                            {"id": ids["Outline"], "title": "Outline", "due_date": "2027-03-15"},
                            {"title": "Team rehearsal", "due_date": "2027-04-01"},
                            {"id": ids["Dry run"], "title": "Dry run", "due_date": "2027-04-20"},
                        ],
                    }
                ],
            },
        ),
        201,
    )
    assert revised["id"] == plan["id"]
    assert revised["version"] == 2 and revised["status"] == "draft"
    new_ids = _ids(revised)
    assert new_ids["Outline"] == ids["Outline"] and new_ids["Dry run"] == ids["Dry run"]
    statuses = {m["title"]: m["status"] for m in revised["objectives"][0]["milestones"]}
    assert statuses == {
        "Outline": "done",
        "Team rehearsal": "not_started",
        "Dry run": "not_started",
    }

    old = expect(api.call("GET", f"/v1/plans/{plan['id']}?version=1", key=mentee["api_key"]), 200)
    assert [m["title"] for m in old["objectives"][0]["milestones"]] == ["Outline", "Dry run"]
    versions = expect(
        api.call("GET", f"/v1/plans/{plan['id']}/versions", key=mentee["api_key"]), 200
    )
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[1]["instruction"].startswith("Add a rehearsal")

    history = expect(
        api.call("GET", f"/v1/plans/{plan['id']}/progress", key=mentee["api_key"]), 200
    )
    assert [(h["milestone_id"], h["status"]) for h in history] == [(ids["Outline"], "done")]
    assert history[0]["evidence_url"] == "https://docs.example.org/outline"
    del mentor


def test_accepting_a_revision_supersedes_the_active_version(api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee, **HAND_WRITTEN)
    expect(api.call("POST", f"/v1/plans/{plan['id']}/accept", key=mentee["api_key"]), 200)
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/revise",
            key=mentee["api_key"],
            json={"summary": "Shorter: only the outline matters now."},
        ),
        201,
    )
    accepted = expect(
        api.call("POST", f"/v1/plans/{plan['id']}/accept", key=mentee["api_key"]), 200
    )
    assert accepted["version"] == 2 and accepted["status"] == "active"
    versions = expect(
        api.call("GET", f"/v1/plans/{plan['id']}/versions", key=mentee["api_key"]), 200
    )
    assert [v["status"] for v in versions] == ["superseded", "active"]
    again = api.call("POST", f"/v1/plans/{plan['id']}/accept", key=mentee["api_key"])
    assert again.status_code == 409


def test_progress_is_append_only_and_each_entry_knows_what_it_changed(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee, **HAND_WRITTEN)
    outline = _ids(plan)["Outline"]
    for key, status in (
        (mentee["api_key"], "in_progress"),
        (mentee["api_key"], "blocked"),
        (mentor["api_key"], "in_progress"),
        (mentee["api_key"], "done"),
    ):
        expect(
            api.call(
                "POST",
                f"/v1/plans/{plan['id']}/progress",
                key=key,
                json={"milestone_id": outline, "status": status},
            ),
            201,
        )
    history = expect(
        api.call("GET", f"/v1/plans/{plan['id']}/progress", key=mentor["api_key"]), 200
    )
    assert [(h["previous_status"], h["status"]) for h in history] == [
        ("not_started", "in_progress"),
        ("in_progress", "blocked"),
        ("blocked", "in_progress"),
        ("in_progress", "done"),
    ]
    assert history[2]["author_id"] == mentor["id"]
    current = expect(api.call("GET", f"/v1/plans/{plan['id']}", key=mentee["api_key"]), 200)
    assert current["objectives"][0]["milestones"][0]["status"] == "done"
    assert date.fromisoformat(history[0]["created_at"][:10])


def test_flash_plans_hold_one_question_and_a_follow_up(api: Api) -> None:
    mentor = api.mentor(mentor_capacity=1)
    mentee = api.participant(
        goals=[
            {
                "text": "Negotiate my first raise",
                "skills": ["negotiation"],
                "target_level": 3,
                "horizon_weeks": 8,
            },
            {
                "text": "Speak at the all-hands",
                "skills": ["public_speaking"],
                "target_level": 4,
                "horizon_weeks": 12,
            },
        ],
    )
    match = api.match("flash", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee)
    (objective,) = plan["objectives"]
    assert objective["goal"] == "Negotiate my first raise"
    assert [m["due_date"] for m in objective["milestones"]] == ["2027-03-08", "2027-03-15"]
    assert objective["milestones"][1]["title"].startswith("Follow-up")
    assert len([a for a in objective["activities"] if a["kind"] != "session"]) == 1


def test_without_playbooks_the_plan_still_drafts_and_says_so(
    settings: Any, clock: Any, tmp_path: Any
) -> None:
    import shutil

    from fastapi.testclient import TestClient

    from assistant.api import create_app
    from assistant.retrieval.embeddings import WordOverlapEmbedder

    shutil.rmtree(settings.data_dir / "chroma")  # an empty index: nothing to draw on
    with TestClient(create_app(settings, clock=clock, embedder=WordOverlapEmbedder())) as client:
        api = Api(client)
        _, mentee, match = api.mentor_pair()
        plan = api.plan(match, mentee)
        assert plan["drafter"] == "offline (fallback: no skill playbooks in the guidance index)"
        assert plan["objectives"][0]["milestones"]
