"""Agendas every member can use (issue 12, findings 3, 4 and 5): a focus shapes the
session, every learner's own time is equal to the minute, prep is short and personal."""

from __future__ import annotations

from typing import Any

from .support import Api, expect

Body = dict[str, Any]


def _agenda(api: Api, session: Body, key: str, **body: Any) -> Body:
    result: Body = expect(
        api.call("POST", f"/v1/sessions/{session['id']}/agenda", key=key, json=body), 201
    )
    return result


def _group(api: Api, size: int = 4) -> tuple[list[Body], Body]:
    peers = [
        api.participant(
            name=f"Peer {chr(65 + n)}",
            roles=["peer"],
            career_stage="mid",
            skills=[{"skill": "public_speaking", "level": 2}, {"skill": "code_review", "level": 4}],
        )
        for n in range(size)
    ]
    return peers, api.match("group", *((p, "peer") for p in peers))


def test_a_focus_shapes_the_agenda_and_a_remark_says_so(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    api.plan(match, mentee)
    session = api.session(match, key=mentor["api_key"])
    focus = "Handling the hostile question at the all-hands"

    agenda = _agenda(api, session, mentor["api_key"], focus=focus)

    focused = [i for i in agenda["items"] if i["kind"] == "focus"]
    assert len(focused) == 1 and focus in focused[0]["detail"]
    dives = [i for i in agenda["items"] if i["kind"] == "deep_dive"]
    assert dives and all(focus in i["detail"] for i in dives)
    assert any(focus in r for r in agenda["remarks"])
    assert sum(i["minutes"] for i in agenda["items"]) == session["duration_minutes"]


def test_a_group_member_who_shadowed_gets_no_more_own_time_than_the_others(api: Api) -> None:
    peers, group = _group(api)
    for peer in peers:
        api.plan(group, peer)
    first = api.session(group, key=peers[0]["api_key"], when="2027-03-02T15:00:00Z")
    api.note(
        first,
        "Good first circle. Peer A will shadow a strong presenter before we meet again.",
        key=peers[0]["api_key"],
        action_items=[
            {
                "text": "Shadow Dana's all-hands talk",
                "owner_id": peers[0]["id"],
                "due_date": "2027-03-10",
            }
        ],
    )
    second = api.session(group, key=peers[0]["api_key"], when="2027-03-16T15:00:00Z", minutes=60)

    agenda = _agenda(api, second, peers[1]["api_key"])

    own = {i["for_id"]: i["minutes"] for i in agenda["items"] if i["kind"] == "deep_dive"}
    assert set(own) == {p["id"] for p in peers}
    assert len(set(own.values())) == 1  # to the minute
    assert not any(i["kind"] == "debrief" for i in agenda["items"])
    shadower = next(i for i in agenda["items"] if i.get("for_id") == peers[0]["id"])
    assert "Shadow Dana's all-hands talk" in shadower["detail"]
    assert sum(i["minutes"] for i in agenda["items"]) == 60


def test_group_prep_is_a_few_distinct_tasks_each_and_no_evidence_before_work_starts(
    api: Api,
) -> None:
    peers, group = _group(api)
    for peer in peers:
        api.plan(group, peer)
    first = api.session(group, key=peers[0]["api_key"], when="2027-03-02T15:00:00Z")

    agenda = _agenda(api, first, peers[0]["api_key"])

    prep = agenda["prep"]
    assert len(prep) <= 3 * len(peers)
    for peer in peers:
        own = [t["task"] for t in prep if t["participant_id"] == peer["id"]]
        assert 1 <= len(own) <= 3 and len(set(own)) == len(own)
    # Feedback prep is one line per member naming everyone, not one line per other member.
    for peer in peers:
        feedback = [
            t["task"]
            for t in prep
            if t["participant_id"] == peer["id"] and "feedback round" in t["task"]
        ]
        assert len(feedback) == 1
        assert all(p["name"] in feedback[0] for p in peers if p is not peer)
    # A first session asks nobody for evidence of a milestone that has not started.
    assert not any(t["task"].startswith("Bring evidence") for t in prep)


def test_a_member_who_finished_their_plan_is_asked_what_comes_next(api: Api) -> None:
    peers, group = _group(api, size=3)
    plans = [api.plan(group, peer) for peer in peers]
    finished = plans[0]
    for milestone in finished["objectives"][0]["milestones"]:
        expect(
            api.call(
                "POST",
                f"/v1/plans/{finished['id']}/progress",
                key=peers[0]["api_key"],
                json={"milestone_id": milestone["id"], "status": "done"},
            ),
            201,
        )
    session = api.session(group, key=peers[0]["api_key"], when="2027-03-02T15:00:00Z")

    agenda = _agenda(api, session, peers[0]["api_key"])

    dive = next(i for i in agenda["items"] if i.get("for_id") == peers[0]["id"])
    assert "has done every milestone of their plan" in dive["detail"]
    assert "no plan yet" not in dive["detail"]
    own = [t["task"] for t in agenda["prep"] if t["participant_id"] == peers[0]["id"]]
    assert own[0] == "Your plan is done: bring what you want to work on next."
