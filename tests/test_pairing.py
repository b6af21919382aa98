"""The pairing workflow over HTTP: a staff user runs the engine, reviews, approves."""

from __future__ import annotations

from typing import Any

from .support import Api, expect

Body = dict[str, Any]


def _cohort(api: Api) -> tuple[list[Body], list[Body]]:
    mentors = [
        api.mentor(
            name=name,
            skills=[{"skill": skill, "level": 5}],
            mentor_capacity=1,
            timezone=tz,
        )
        for name, skill, tz in (
            ("Priya", "public_speaking", "Europe/Berlin"),
            ("Omar", "stakeholder_management", "America/New_York"),
        )
    ]
    mentees = [
        api.participant(
            name=name,
            career_stage="early",
            skills=[{"skill": skill, "level": 2}],
            goals=[{"text": goal, "skills": [skill], "target_level": 4, "horizon_weeks": 30}],
            timezone="Europe/Berlin",
        )
        for name, skill, goal in (
            ("Sam", "public_speaking", "Present at the all-hands"),
            ("Kim", "stakeholder_management", "Run the planning meeting with product"),
        )
    ]
    return mentors, mentees


def _run(api: Api, people: list[Body], **extra: Any) -> Body:
    body = {"participant_ids": [p["id"] for p in people], "mode": "mentor", **extra}
    result: Body = expect(api.call("POST", "/v1/pairing/runs", json=body), 201)
    return result


def _pair(suggestion: Body) -> dict[str, str]:
    return {m["role"]: m["participant_id"] for m in suggestion["members"]}


def test_a_run_suggests_the_globally_best_pairs_with_reasons(api: Api) -> None:
    (priya, omar), (sam, kim) = _cohort(api)
    run = _run(api, [priya, omar, sam, kim])

    assert run["status"] == "pending_review"
    pairs = {_pair(s)["mentee"]: _pair(s)["mentor"] for s in run["suggestions"]}
    assert pairs == {sam["id"]: priya["id"], kim["id"]: omar["id"]}
    for suggestion in run["suggestions"]:
        assert 0 <= suggestion["score"] <= 1 and suggestion["status"] == "pending"
        assert suggestion["factors"]["skill_coverage"] > 0.5
    sam_pair = next(s for s in run["suggestions"] if _pair(s)["mentee"] == sam["id"])
    assert any(
        "level 5" in r and "public_speaking" in r and "from 2 to 4" in r
        for r in sam_pair["reasons"]
    )
    assert [_pair(a)["mentor"] for a in sam_pair["alternatives"]] == [omar["id"]]
    # Nothing reaches the participants before staff decide.
    expect(api.call("GET", "/v1/matches", key=sam["api_key"]), 200)
    assert expect(api.call("GET", "/v1/matches", key=sam["api_key"]), 200)["items"] == []
    expect(api.call("GET", f"/v1/pairing/runs/{run['id']}", key=sam["api_key"]), 403)


def test_approval_creates_the_match_and_rejection_is_remembered(api: Api) -> None:
    (priya, omar), (sam, kim) = _cohort(api)
    run = _run(api, [priya, omar, sam, kim])
    sam_pair = next(s for s in run["suggestions"] if _pair(s)["mentee"] == sam["id"])
    kim_pair = next(s for s in run["suggestions"] if _pair(s)["mentee"] == kim["id"])

    approved = expect(
        api.call(
            "POST",
            f"/v1/pairing/suggestions/{sam_pair['id']}/decision",
            json={"decision": "approve", "note": "Good fit"},
        ),
        200,
    )
    match = expect(api.call("GET", f"/v1/matches/{approved['match_id']}", key=sam["api_key"]), 200)
    assert match["status"] == "approved" and match["mode"] == "mentor"
    assert {m["participant_id"] for m in match["members"]} == {sam["id"], priya["id"]}

    expect(
        api.call(
            "POST",
            f"/v1/pairing/suggestions/{kim_pair['id']}/decision",
            json={"decision": "reject", "note": "They clashed on a project"},
        ),
        200,
    )
    again = expect(
        api.call(
            "POST",
            f"/v1/pairing/suggestions/{kim_pair['id']}/decision",
            json={"decision": "reject"},
        ),
        409,
    )
    assert "already rejected" in again["detail"]
    assert expect(api.call("GET", f"/v1/pairing/runs/{run['id']}"), 200)["status"] == "reviewed"

    rerun = _run(api, [omar, kim])
    assert rerun["suggestions"] == []
    assert rerun["unmatched"] == [{"participant_id": kim["id"], "reason": "no feasible partner"}]
    events = expect(api.call("GET", "/v1/audit"), 200)["items"]
    actions = {e["action"] for e in events}
    assert {"pairing.suggestion_approved", "pairing.suggestion_rejected"} <= actions


def test_staff_can_swap_in_an_alternative(api: Api) -> None:
    (priya, omar), (sam, kim) = _cohort(api)
    run = _run(api, [priya, omar, sam, kim])
    sam_pair = next(s for s in run["suggestions"] if _pair(s)["mentee"] == sam["id"])
    swapped = expect(
        api.call(
            "POST",
            f"/v1/pairing/suggestions/{sam_pair['id']}/decision",
            json={"decision": "swap", "alternative": 0},
        ),
        200,
    )
    assert _pair(swapped) == {"mentor": omar["id"], "mentee": sam["id"]}
    assert swapped["status"] == "pending"
    assert _pair(swapped["alternatives"][0])["mentor"] == priya["id"]
    bad = api.call(
        "POST",
        f"/v1/pairing/suggestions/{sam_pair['id']}/decision",
        json={"decision": "swap", "alternative": 5},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "alternative"]


def test_hard_rules_leave_people_out_with_a_reason(api: Api) -> None:
    (priya, _omar), (sam, _kim) = _cohort(api)
    german_only = api.participant(
        name="Lena",
        languages=["de"],
        goals=[{"text": "Speak up", "skills": ["public_speaking"], "target_level": 3}],
    )
    run = _run(api, [priya, sam, german_only])
    assert [_pair(s)["mentee"] for s in run["suggestions"]] == [sam["id"]]
    assert run["unmatched"] == [
        {"participant_id": german_only["id"], "reason": "no feasible partner"}
    ]


def test_peer_and_group_runs(api: Api) -> None:
    peers = [
        api.participant(
            name=f"Peer {n}",
            roles=["peer"],
            career_stage="mid",
            skills=[{"skill": strong, "level": 4}, {"skill": weak, "level": 2}],
            goals=[{"text": f"Grow in {weak}", "skills": [weak], "target_level": 3}],
        )
        for n, (strong, weak) in enumerate(
            [
                ("code_review", "public_speaking"),
                ("public_speaking", "code_review"),
                ("writing", "negotiation"),
                ("negotiation", "writing"),
            ]
        )
    ]
    run = _run(api, peers, mode="peer")
    pairs = {frozenset(m["participant_id"] for m in s["members"]) for s in run["suggestions"]}
    assert pairs == {
        frozenset({peers[0]["id"], peers[1]["id"]}),
        frozenset({peers[2]["id"], peers[3]["id"]}),
    }
    group = _run(api, peers, mode="group", group_size=4)
    (suggestion,) = group["suggestions"]
    assert len(suggestion["members"]) == 4 and group["objectives"]["group"] > 0
    assert group["objectives"]["group"] == suggestion["score"]
    # Scored whole: everyone's gap is covered by someone in the group, everyone gives.
    assert suggestion["factors"]["gap_coverage"] == 1.0
    assert suggestion["factors"]["contribution"] == 1.0
    assert "every member can teach another member a skill they want" in suggestion["reasons"]
    approved = expect(
        api.call(
            "POST",
            f"/v1/pairing/suggestions/{suggestion['id']}/decision",
            json={"decision": "approve"},
        ),
        200,
    )
    assert approved["match_id"]
    # People who already work together in an open match are not suggested again.
    rerun = _run(api, peers, mode="peer")
    assert rerun["suggestions"] == []
    assert {u["reason"] for u in rerun["unmatched"]} == {"no feasible partner"}


def test_summary_reports_share_spread_and_fairness(api: Api) -> None:
    (priya, omar), (sam, kim) = _cohort(api)
    lena = api.participant(name="Lena", languages=["de"])
    run = _run(api, [priya, omar, sam, kim, lena])
    summary = expect(api.call("GET", f"/v1/pairing/runs/{run['id']}/summary"), 200)
    assert summary["participants"] == 5 and summary["matched"] == 4
    assert summary["matched_share"] == 0.8
    assert summary["scores"]["count"] == 2
    assert summary["unmatched"][0]["participant_id"] == lena["id"]
    assert set(summary["mean_score_by_career_stage"]) == {"early", "senior"}


def test_bad_runs_are_422_and_store_nothing(api: Api) -> None:
    (priya, _), (sam, _) = _cohort(api)
    duplicate = api.call(
        "POST", "/v1/pairing/runs", json={"participant_ids": [sam["id"], sam["id"]]}
    )
    assert duplicate.status_code == 422
    unknown = api.call("POST", "/v1/pairing/runs", json={"participant_ids": [sam["id"], "nobody"]})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "participant_ids", 1]
    typo = api.call(
        "POST",
        "/v1/pairing/runs",
        json={"participant_ids": [sam["id"], priya["id"]], "weights": {"skil_coverage": 2}},
    )
    assert typo.status_code == 422 and "skil_coverage" in str(typo.json()["detail"])
    events = expect(api.call("GET", "/v1/audit"), 200)["items"]
    assert not any(e["action"] == "pairing.run_created" for e in events)


def test_cross_functional_group_runs_weigh_departments_and_weak_groups_are_left_out(
    api: Api,
) -> None:
    people = [
        api.participant(
            name=f"Peer {n}",
            roles=["peer"],
            department=department,
            skills=[{"skill": "writing", "level": 4}],
            goals=[{"text": "Negotiate", "skills": ["negotiation"], "target_level": 3}],
        )
        for n, department in enumerate(["Sales", "Sales", "Sales", "Legal", "Legal", "Legal"])
    ]
    run = _run(api, people, mode="group", group_size=3, cross_functional=True, min_score=0)
    assert run["cross_functional"] is True and run["group_size"] == 3
    for suggestion in run["suggestions"]:
        assert suggestion["factors"]["department_diversity"] == 0.5
        assert any("(a cross-functional circle)" in r for r in suggestion["reasons"])
    # Staff can swap in a group with one member replaced.
    first = run["suggestions"][0]
    alternative = first["alternatives"][0]
    before = {m["participant_id"] for m in first["members"]}
    after = {m["participant_id"] for m in alternative["members"]}
    assert len(before & after) == 2
    swapped = expect(
        api.call(
            "POST",
            f"/v1/pairing/suggestions/{first['id']}/decision",
            json={"decision": "swap", "alternative": 0},
        ),
        200,
    )
    assert {m["participant_id"] for m in swapped["members"]} == after
    assert swapped["score"] == alternative["score"] and swapped["status"] == "pending"
    # Nobody can teach anyone negotiation: a minimum above what such groups score leaves
    # everyone out, with the reason.
    weak = _run(api, people, mode="group", group_size=3, min_score=0.9)
    assert weak["suggestions"] == []
    assert {u["reason"] for u in weak["unmatched"]} == {"below minimum score"}
