"""Bad input never breaks the service: 422 naming the field, 409 naming the rule, 413 past the
body limit, never a 500, and nothing half-written after a rejected request."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from assistant.config import Settings

from .support import STAFF_KEY, Api, bearer, expect, mentor_profile, profile

# ---- helpers -----------------------------------------------------------------------


def field_error(response: Response, *loc: str | int) -> dict[str, Any]:
    """Assert a 422 whose field-level errors include one located at `loc` (or inside it)."""
    assert response.status_code == 422, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail, detail
    for error in detail:
        assert {"loc", "msg", "type"} <= set(error), error
        assert isinstance(error["loc"], list) and error["msg"], error
    want = list(loc)
    for error in detail:
        if error["loc"][: len(want)] == want:
            return dict(error)
    raise AssertionError(f"no error at {want}: {detail}")


def conflict(response: Response, *phrases: str) -> str:
    """Assert a 409 whose sentence says which rule was broken."""
    assert response.status_code == 409, (response.status_code, response.text)
    detail = response.json()["detail"]
    assert isinstance(detail, str), detail
    for phrase in phrases:
        assert phrase.lower() in detail.lower(), (phrase, detail)
    return detail


def send_raw(
    api: Api,
    method: str,
    path: str,
    content: bytes | Iterator[bytes],
    *,
    headers: dict[str, str] | None = None,
) -> Response:
    all_headers = {**bearer(STAFF_KEY), "Content-Type": "application/json", **(headers or {})}
    return api.client.request(method, path, content=content, headers=all_headers)


def snapshot(api: Api) -> dict[str, int]:
    """What a rejected request must leave untouched: people, matches and the audit trail."""
    participants = expect(api.call("GET", "/v1/participants?limit=200"), 200)
    matches = expect(api.call("GET", "/v1/matches"), 200)
    audit = expect(api.call("GET", "/v1/audit?limit=500"), 200)
    return {
        "participants": participants["total"],
        "matches": len(matches["items"]),
        "audit_events": len(audit["items"]),
    }


def goal(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "text": "Present our team's work at the quarterly all-hands",
        "skills": ["public_speaking"],
        "target_level": 4,
        "horizon_weeks": 12,
    }
    body.update(overrides)
    return body


def objective(due_date: str = "2027-04-01", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Give the all-hands talk",
        "goal": "Present our team's work at the quarterly all-hands",
        "skills": ["public_speaking"],
        "milestones": [{"title": "Outline the talk", "due_date": due_date}],
    }
    body.update(overrides)
    return body


def members(*pairs: tuple[dict[str, Any], str]) -> list[dict[str, str]]:
    return [{"participant_id": p["id"], "role": role} for p, role in pairs]


def create_match(api: Api, mode: str, *pairs: tuple[dict[str, Any], str]) -> Response:
    return api.call("POST", "/v1/matches", json={"mode": mode, "members": members(*pairs)})


def set_status(api: Api, match: dict[str, Any], status: str) -> Response:
    return api.call("POST", f"/v1/matches/{match['id']}/status", json={"status": status})


@dataclass
class World:
    """A working mentor pair with a plan, a session and a note with one action item."""

    mentor: dict[str, Any]
    mentee: dict[str, Any]
    outsider: dict[str, Any]
    match: dict[str, Any]
    plan: dict[str, Any]
    session: dict[str, Any]
    note: dict[str, Any]

    @property
    def milestone_id(self) -> str:
        return str(self.plan["objectives"][0]["milestones"][0]["id"])

    @property
    def action_item_id(self) -> str:
        return str(self.note["action_items"][0]["id"])

    def ids(self) -> dict[str, str]:
        return {
            "participant_id": self.mentee["id"],
            "match_id": self.match["id"],
            "plan_id": self.plan["id"],
            "session_id": self.session["id"],
            "action_item_id": self.action_item_id,
        }


@pytest.fixture
def lenient(client: TestClient) -> Api:
    """The same app, answering a 500 as a response instead of raising it into the test, so
    a sweep lists every request that fails rather than stopping at the first."""
    return Api(TestClient(client.app, raise_server_exceptions=False))


@pytest.fixture
def world(api: Api) -> World:
    mentor, mentee, match = api.mentor_pair()
    outsider = api.participant(name="Not In The Match")
    plan = api.plan(match, mentee)
    session = api.session(match, key=mentor["api_key"])
    note = expect(
        api.call(
            "POST",
            f"/v1/sessions/{session['id']}/notes",
            key=mentor["api_key"],
            json={
                "text": "Worked on the opening of the talk.",
                "action_items": [
                    {
                        "text": "Draft three slides",
                        "owner_id": mentee["id"],
                        "due_date": "2027-03-09",
                    }
                ],
            },
        ),
        201,
    )
    return World(mentor, mentee, outsider, match, plan, session, note)


# ---- participants: every malformed or out-of-range field is a 422 naming it --------------

BAD_PROFILES: list[tuple[str, dict[str, Any], tuple[str | int, ...]]] = [
    ("unknown-skill", {"skills": [{"skill": "juggling", "level": 2}]}, ("skills", 0, "skill")),
    ("unknown-goal-skill", {"goals": [goal(skills=["juggling"])]}, ("goals", 0, "skills", 0)),
    ("unknown-mode", {"preferred_modes": ["buddy"]}, ("preferred_modes", 0)),
    ("unknown-career-stage", {"career_stage": "intern"}, ("career_stage",)),
    ("unknown-role", {"roles": ["boss"]}, ("roles", 0)),
    ("level-0", {"skills": [{"skill": "writing", "level": 0}]}, ("skills", 0, "level")),
    ("level-7", {"skills": [{"skill": "writing", "level": 7}]}, ("skills", 0, "level")),
    ("level-huge", {"skills": [{"skill": "writing", "level": 10**30}]}, ("skills", 0, "level")),
    ("target-level-6", {"goals": [goal(target_level=6)]}, ("goals", 0, "target_level")),
    ("target-level-0", {"goals": [goal(target_level=0)]}, ("goals", 0, "target_level")),
    ("horizon-0", {"goals": [goal(horizon_weeks=0)]}, ("goals", 0, "horizon_weeks")),
    ("horizon-huge", {"goals": [goal(horizon_weeks=10**30)]}, ("goals", 0, "horizon_weeks")),
    ("empty-goal-text", {"goals": [goal(text="")]}, ("goals", 0, "text")),
    ("blank-goal-text", {"goals": [goal(text="  \n ")]}, ("goals", 0, "text")),
    ("goal-without-skills", {"goals": [goal(skills=[])]}, ("goals", 0, "skills")),
    ("empty-name", {"name": ""}, ("name",)),
    ("whitespace-name", {"name": "   \t "}, ("name",)),
    ("long-name", {"name": "x" * 201}, ("name",)),
    ("very-long-name", {"name": "x" * 200_000}, ("name",)),
    (
        "duplicate-skill",
        {"skills": [{"skill": "writing", "level": 2}, {"skill": "writing", "level": 4}]},
        ("skills",),
    ),
    ("unknown-timezone", {"timezone": "Mars/Olympus_Mons"}, ("timezone",)),
    ("timezone-path", {"timezone": "../../etc/passwd"}, ("timezone",)),
    ("empty-timezone", {"timezone": ""}, ("timezone",)),
    ("invalid-email", {"email": "not-an-email"}, ("email",)),
    ("email-without-domain", {"email": "sam@"}, ("email",)),
    ("nul-in-name", {"name": "Sam\x00Rivera"}, ("name",)),
    ("nul-in-title", {"title": "Engineer\x00"}, ("title",)),
    ("nul-in-department", {"department": "Pay\x00ments"}, ("department",)),
    ("nul-in-goal-text", {"goals": [goal(text="Speak\x00up")]}, ("goals", 0, "text")),
    ("nul-in-goal-id", {"goals": [goal(id="g\x00")]}, ("goals", 0, "id")),
    ("unknown-field", {"salary": 100_000}, ("salary",)),
    (
        "unknown-field-in-skill",
        {"skills": [{"skill": "writing", "level": 2, "years": 3}]},
        ("skills", 0, "years"),
    ),
    ("unknown-field-in-goal", {"goals": [goal(priority="high")]}, ("goals", 0, "priority")),
    ("name-number", {"name": 123}, ("name",)),
    ("roles-string", {"roles": "mentee"}, ("roles",)),
    ("skills-object", {"skills": {"skill": "writing", "level": 2}}, ("skills",)),
    ("goals-string", {"goals": "speak better"}, ("goals",)),
    ("years-string", {"years_experience": "ten"}, ("years_experience",)),
    ("capacity-fraction", {"mentor_capacity": 1.5}, ("mentor_capacity",)),
    ("languages-string", {"languages": "en"}, ("languages",)),
    ("languages-empty", {"languages": []}, ("languages",)),
    ("language-not-a-code", {"languages": ["english"]}, ("languages", 0)),
    ("roles-empty", {"roles": []}, ("roles",)),
    ("years-huge", {"years_experience": 10**30}, ("years_experience",)),
    ("hours-huge", {"hours_per_month": 10**30}, ("hours_per_month",)),
    ("capacity-huge", {"mentor_capacity": 10**30}, ("mentor_capacity",)),
    ("hours-negative", {"hours_per_month": -1}, ("hours_per_month",)),
    ("years-negative", {"years_experience": -0.5}, ("years_experience",)),
    ("capacity-negative", {"mentor_capacity": -1}, ("mentor_capacity",)),
    ("avoid-ids-string", {"avoid_ids": "abc"}, ("avoid_ids",)),
    ("manager-blank", {"manager_id": "   "}, ("manager_id",)),
]


@pytest.mark.parametrize(
    ("overrides", "loc"), [pytest.param(o, loc, id=name) for name, o, loc in BAD_PROFILES]
)
def test_bad_participant_field_is_422_naming_it_and_writes_nothing(
    api: Api, overrides: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    before = snapshot(api)
    field_error(api.call("POST", "/v1/participants", json=profile(**overrides)), "body", *loc)
    assert snapshot(api) == before


@pytest.mark.parametrize("missing", ["name", "email", "career_stage", "roles"])
def test_missing_required_participant_field_is_422(api: Api, missing: str) -> None:
    body = profile()
    del body[missing]
    error = field_error(api.call("POST", "/v1/participants", json=body), "body", missing)
    assert error["type"] == "missing"


def test_goal_id_the_service_accepts_can_be_drafted_into_a_plan(api: Api) -> None:
    # Plans carry the goal's id (at most 64 characters); a longer id must be refused up
    # front, not accepted and then break drafting with a 500.
    mentor = api.mentor()
    response = api.call("POST", "/v1/participants", json=profile(goals=[goal(id="g" * 100)]))
    if response.status_code == 422:
        field_error(response, "body", "goals", 0, "id")
        return
    mentee = expect(response, 201)
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    drafted = api.call(
        "POST",
        f"/v1/matches/{match['id']}/plans",
        key=mentee["api_key"],
        json={"owner_id": mentee["id"]},
    )
    assert drafted.status_code == 201, (drafted.status_code, drafted.text)


def test_duplicate_email_is_409_case_insensitive_and_writes_nothing(api: Api) -> None:
    first = api.participant(email="sam.rivera@example.org")
    before = snapshot(api)
    for email in ("sam.rivera@example.org", "Sam.Rivera@Example.ORG"):
        conflict(api.call("POST", "/v1/participants", json=profile(email=email)), "already exists")
    assert snapshot(api) == before
    other = api.participant()
    response = api.call(
        "PATCH", f"/v1/participants/{other['id']}", json={"email": "SAM.RIVERA@example.org"}
    )
    conflict(response, "already exists")
    assert (
        expect(api.call("GET", f"/v1/participants/{other['id']}"), 200)["email"] == other["email"]
    )
    # The owner of an address may keep it when saving the profile.
    expect(
        api.call("PATCH", f"/v1/participants/{first['id']}", json={"email": first["email"]}),
        200,
    )


def test_unknown_references_on_create_are_422_and_write_nothing(api: Api) -> None:
    known = api.participant()
    before = snapshot(api)
    field_error(
        api.call("POST", "/v1/participants", json=profile(manager_id="no-such-person")),
        "body",
        "manager_id",
    )
    field_error(
        api.call(
            "POST", "/v1/participants", json=profile(avoid_ids=[known["id"], "no-such-person"])
        ),
        "body",
        "avoid_ids",
        1,
    )
    assert snapshot(api) == before


def test_patch_that_breaks_the_reporting_line_is_422_and_changes_nothing(api: Api) -> None:
    top = api.participant(name="Top")
    middle = api.participant(name="Middle", manager_id=top["id"])
    bottom = api.participant(name="Bottom", manager_id=middle["id"])
    before = snapshot(api)

    # Direct cycle (top <- middle, middle <- top), longer cycle, and self-management.
    for person, manager in ((top, middle), (top, bottom), (middle, middle)):
        response = api.call(
            "PATCH",
            f"/v1/participants/{person['id']}",
            json={"name": "Renamed In A Bad Patch", "manager_id": manager["id"]},
        )
        error = field_error(response, "body", "manager_id")
        assert "manager" in error["msg"]
    field_error(
        api.call("PATCH", f"/v1/participants/{top['id']}", json={"manager_id": "nobody"}),
        "body",
        "manager_id",
    )
    field_error(
        api.call("PATCH", f"/v1/participants/{top['id']}", json={"avoid_ids": ["nobody"]}),
        "body",
        "avoid_ids",
        0,
    )
    field_error(
        api.call("PATCH", f"/v1/participants/{top['id']}", json={"avoid_ids": [top["id"]]}),
        "body",
        "avoid_ids",
        0,
    )

    assert snapshot(api) == before
    for person in (top, middle, bottom):
        stored = expect(api.call("GET", f"/v1/participants/{person['id']}"), 200)
        assert stored["name"] == person["name"]
        assert stored["manager_id"] == person["manager_id"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({"skills": [{"skill": "writing", "level": 7}]}, ("skills", 0, "level")),
        pytest.param({"goals": [goal(target_level=6)]}, ("goals", 0, "target_level")),
        pytest.param({"name": "  "}, ("name",)),
        pytest.param({"roles": []}, ("roles",)),
        pytest.param({"timezone": "Nowhere/Special"}, ("timezone",)),
        pytest.param({"email": "not-an-email"}, ("email",)),
        pytest.param({"hours_per_month": -3}, ("hours_per_month",)),
        pytest.param({"title": "Lead\x00"}, ("title",), id="nul-in-title"),
        pytest.param({"nickname": "Sammy"}, ("nickname",), id="unknown-field"),
    ],
)
def test_bad_patch_field_is_422_and_changes_nothing(
    api: Api, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    person = api.participant()
    before = snapshot(api)
    response = api.call("PATCH", f"/v1/participants/{person['id']}", json=body)
    field_error(response, "body", *loc)
    assert snapshot(api) == before
    stored = expect(api.call("GET", f"/v1/participants/{person['id']}"), 200)
    assert {k: stored[k] for k in ("name", "title", "skills", "goals", "timezone")} == {
        k: person[k] for k in ("name", "title", "skills", "goals", "timezone")
    }


# ---- matches: shape is 422, program rules are 409, and a rejection writes nothing -------


def test_match_shape_errors_are_422_naming_members(api: Api) -> None:
    mentor = api.mentor()
    mentee = api.participant()
    peers = [api.participant(roles=["peer"]) for _ in range(7)]
    before = snapshot(api)
    cases = {
        "one member": ("mentor", members((mentor, "mentor"))),
        "matched with themselves": ("peer", members((peers[0], "peer"), (peers[0], "peer"))),
        "group of 2": ("group", members(*((p, "peer") for p in peers[:2]))),
        "group of 7": ("group", members(*((p, "peer") for p in peers))),
        "mentor mode, two mentees": ("mentor", members((mentor, "mentee"), (mentee, "mentee"))),
        "mentor mode, no roles of a guide": ("mentor", members((mentor, "peer"), (mentee, "peer"))),
        "peer mode with a mentor": ("peer", members((mentor, "mentor"), (mentee, "mentee"))),
        "group with a mentor": (
            "group",
            members((mentor, "mentor"), (peers[0], "peer"), (peers[1], "peer")),
        ),
        "flash trio": (
            "flash",
            members((mentor, "mentor"), (mentee, "mentee"), (peers[0], "peer")),
        ),
    }
    for name, (mode, body_members) in cases.items():
        response = api.call("POST", "/v1/matches", json={"mode": mode, "members": body_members})
        assert response.status_code == 422, (name, response.status_code, response.text)
        field_error(response, "body", "members")
    assert snapshot(api) == before


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"mode": "buddy"}, ("mode",), id="unknown-mode"),
        pytest.param({"status": "completed"}, ("status",), id="closed-status-on-create"),
        pytest.param({"cadence": {"sessions_per_month": 2, "minutes": 5}}, ("cadence", "minutes")),
        pytest.param(
            {"cadence": {"sessions_per_month": 10**30, "minutes": 45}},
            ("cadence", "sessions_per_month"),
        ),
        pytest.param({"priority": "high"}, ("priority",), id="unknown-field"),
        pytest.param({"members": "everyone"}, ("members",), id="members-string"),
        pytest.param({"program_id": "no-such-program"}, ("program_id",), id="unknown-program"),
    ],
)
def test_bad_match_field_is_422_and_writes_nothing(
    api: Api, change: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    mentor = api.mentor()
    mentee = api.participant()
    before = snapshot(api)
    body = {"mode": "mentor", "members": members((mentor, "mentor"), (mentee, "mentee"))}
    body.update(change)
    field_error(api.call("POST", "/v1/matches", json=body), "body", *loc)
    assert snapshot(api) == before


def test_unknown_or_malformed_member_is_422_naming_it(api: Api) -> None:
    mentor = api.mentor()
    before = snapshot(api)
    body = {
        "mode": "mentor",
        "members": [
            {"participant_id": mentor["id"], "role": "mentor"},
            {"participant_id": "no-such-person", "role": "mentee"},
        ],
    }
    field_error(api.call("POST", "/v1/matches", json=body), "body", "members", 1, "participant_id")
    body["members"][1] = {"participant_id": mentor["id"] + "x", "role": "boss"}
    field_error(api.call("POST", "/v1/matches", json=body), "body", "members", 1, "role")
    body["members"][1] = {"participant_id": "", "role": "mentee"}
    field_error(api.call("POST", "/v1/matches", json=body), "body", "members", 1, "participant_id")
    body["members"][1] = {"participant_id": 42, "role": "mentee"}
    field_error(api.call("POST", "/v1/matches", json=body), "body", "members", 1, "participant_id")
    assert snapshot(api) == before


def test_mentor_over_capacity_is_409_until_a_match_closes(api: Api) -> None:
    mentor = api.mentor(mentor_capacity=1)
    first = api.participant()
    second = api.participant()
    taken = api.match("mentor", (mentor, "mentor"), (first, "mentee"))
    before = snapshot(api)
    conflict(create_match(api, "mentor", (mentor, "mentor"), (second, "mentee")), "capacity")
    assert snapshot(api) == before

    expect(set_status(api, taken, "completed"), 200)
    expect(create_match(api, "mentor", (mentor, "mentor"), (second, "mentee")), 201)


def test_mentor_with_capacity_zero_is_409(api: Api) -> None:
    mentor = api.mentor(mentor_capacity=0)
    mentee = api.participant()
    before = snapshot(api)
    conflict(create_match(api, "mentor", (mentor, "mentor"), (mentee, "mentee")), "capacity")
    assert snapshot(api) == before


def test_duplicate_open_match_of_the_same_people_is_409(api: Api) -> None:
    mentor = api.mentor(mentor_capacity=5)
    mentee = api.participant()
    api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    peer_a = api.participant(roles=["peer"])
    peer_b = api.participant(roles=["peer"])
    api.match("peer", (peer_a, "peer"), (peer_b, "peer"))
    before = snapshot(api)
    conflict(create_match(api, "mentor", (mentor, "mentor"), (mentee, "mentee")), "duplicate")
    conflict(create_match(api, "peer", (peer_b, "peer"), (peer_a, "peer")), "duplicate")
    assert snapshot(api) == before


def test_mentor_in_the_mentees_reporting_line_is_409_in_mentor_mode_only(api: Api) -> None:
    grand = api.mentor(name="Grand Manager", roles=["mentor", "peer"])
    manager = api.mentor(name="Line Manager", manager_id=grand["id"], roles=["mentor", "peer"])
    report = api.participant(name="Report", manager_id=manager["id"], roles=["mentee", "peer"])
    before = snapshot(api)
    for boss in (manager, grand):
        conflict(
            create_match(api, "mentor", (boss, "mentor"), (report, "mentee")), "reporting line"
        )
    assert snapshot(api) == before
    # Peers may sit in one reporting line: peer mode is not hierarchical mentoring.
    expect(create_match(api, "peer", (manager, "peer"), (report, "peer")), 201)


def test_someone_in_the_others_avoid_list_is_409(api: Api) -> None:
    mentor = api.mentor(name="Alex Kim", mentor_capacity=3)
    wary = api.participant(name="Wary Mentee", avoid_ids=[mentor["id"]])
    other = api.participant(name="Avoided Mentee")
    expect(
        api.call("PATCH", f"/v1/participants/{mentor['id']}", json={"avoid_ids": [other["id"]]}),
        200,
    )
    before = snapshot(api)
    detail = conflict(
        create_match(api, "mentor", (mentor, "mentor"), (wary, "mentee")), "asked not to be matched"
    )
    assert "Wary Mentee" in detail and "Alex Kim" in detail
    conflict(
        create_match(api, "mentor", (mentor, "mentor"), (other, "mentee")),
        "asked not to be matched",
    )
    assert snapshot(api) == before


def test_invalid_status_transitions_are_409_and_leave_history_alone(api: Api) -> None:
    _, _, done = api.mentor_pair()
    expect(set_status(api, done, "completed"), 200)
    _, _, dropped = api.mentor_pair()
    expect(set_status(api, dropped, "cancelled"), 200)
    _, _, live = api.mentor_pair()
    before = snapshot(api)
    histories = {
        m["id"]: expect(api.call("GET", f"/v1/matches/{m['id']}"), 200)["history"]
        for m in (done, dropped, live)
    }

    conflict(set_status(api, done, "active"), "cannot become active")
    conflict(set_status(api, dropped, "paused"), "cannot become paused")
    conflict(set_status(api, live, "active"), "already active")
    conflict(set_status(api, live, "suggested"), "cannot become suggested")
    field_error(set_status(api, live, "finished"), "body", "status")
    field_error(
        api.call("POST", f"/v1/matches/{live['id']}/status", json={"status": "paused", "why": 1}),
        "body",
        "why",
    )

    assert snapshot(api) == before
    for match_id, history in histories.items():
        stored = expect(api.call("GET", f"/v1/matches/{match_id}"), 200)
        assert stored["history"] == history


# ---- plans -----------------------------------------------------------------------------


def plans_of(api: Api, match: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(api.call("GET", f"/v1/matches/{match['id']}/plans"), 200)
    return result


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param(
            {"objectives": [objective(due_date="2027-02-01")]},
            ("objectives", 0, "milestones", 0, "due_date"),
            id="due-before-today",
        ),
        pytest.param(
            {"starts_on": "2027-05-01", "objectives": [objective(due_date="2027-04-01")]},
            ("objectives", 0, "milestones", 0, "due_date"),
            id="due-before-starts-on",
        ),
        pytest.param(
            {"objectives": [objective(due_date="2031-01-01")]},
            ("objectives", 0, "milestones", 0, "due_date"),
            id="due-years-out",
        ),
        pytest.param({"objectives": []}, ("objectives",), id="empty-objectives"),
        pytest.param(
            {"objectives": [objective(milestones=[])]},
            ("objectives", 0, "milestones"),
            id="objective-without-milestones",
        ),
        pytest.param(
            {"objectives": [objective(skills=["juggling"])]},
            ("objectives", 0, "skills", 0),
            id="unknown-skill",
        ),
        pytest.param(
            {"objectives": [objective(due_date="next week")]},
            ("objectives", 0, "milestones", 0, "due_date"),
            id="bad-date",
        ),
        pytest.param({"starts_on": "2027-02-30"}, ("starts_on",), id="impossible-start"),
        pytest.param({"starts_on": "9999-12-31"}, ("starts_on",), id="start-at-end-of-time"),
        pytest.param(
            {"summary": "Plan\x00", "objectives": [objective()]}, ("summary",), id="nul-in-summary"
        ),
        pytest.param({"focus": "x\x00"}, ("focus",), id="nul-in-focus"),
        pytest.param({"deadline": "2027-06-01"}, ("deadline",), id="unknown-field"),
        pytest.param(
            {"cadence": {"sessions_per_month": 0, "minutes": 45}},
            ("cadence", "sessions_per_month"),
            id="cadence-zero",
        ),
    ],
)
def test_bad_plan_field_is_422_naming_it_and_writes_no_plan(
    api: Api, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    _, mentee, match = api.mentor_pair()
    before = snapshot(api)
    response = api.call(
        "POST",
        f"/v1/matches/{match['id']}/plans",
        key=mentee["api_key"],
        json={"owner_id": mentee["id"], **body},
    )
    field_error(response, "body", *loc)
    assert plans_of(api, match) == []
    assert snapshot(api) == before


def test_plan_owner_must_be_a_member_and_have_goals(api: Api) -> None:
    mentor, _, match = api.mentor_pair()
    outsider = api.participant()
    before = snapshot(api)
    url = f"/v1/matches/{match['id']}/plans"
    for owner_id in (outsider["id"], "no-such-person"):
        field_error(api.call("POST", url, json={"owner_id": owner_id}), "body", "owner_id")
    # The mentor has no goals: drafting has nothing to plan for and says what to do.
    error = field_error(
        api.call("POST", url, key=mentor["api_key"], json={"owner_id": mentor["id"]}),
        "body",
        "owner_id",
    )
    assert "no goals" in error["msg"] and "objectives" in error["msg"]
    assert plans_of(api, match) == []
    assert snapshot(api) == before
    # A hand-written plan still works for a member without goals.
    api.plan(match, mentor, objectives=[objective()])
    assert [p["owner_id"] for p in plans_of(api, match)] == [mentor["id"]]


def test_second_plan_for_the_same_owner_is_409(api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    first = api.plan(match, mentee)
    before = snapshot(api)
    response = api.call(
        "POST",
        f"/v1/matches/{match['id']}/plans",
        key=mentee["api_key"],
        json={"owner_id": mentee["id"], "objectives": [objective()]},
    )
    conflict(response, "already has a plan", "revise")
    assert [p["id"] for p in plans_of(api, match)] == [first["id"]]
    assert snapshot(api) == before


def test_gives_to_someone_outside_the_match_is_422(api: Api) -> None:
    a = api.participant(roles=["peer"])
    b = api.participant(roles=["peer"])
    outsider = api.participant()
    match = api.match("peer", (a, "peer"), (b, "peer"))
    url = f"/v1/matches/{match['id']}/plans"
    for to_id in (outsider["id"], a["id"], "no-such-person"):
        body = {
            "owner_id": a["id"],
            "objectives": [objective()],
            "gives": [{"to_id": to_id, "skill": "writing", "how": "Review drafts"}],
        }
        field_error(api.call("POST", url, key=a["api_key"], json=body), "body", "gives", 0, "to_id")
    body["gives"] = [{"to_id": b["id"], "skill": "juggling", "how": "Teach it"}]
    field_error(api.call("POST", url, key=a["api_key"], json=body), "body", "gives", 0, "skill")
    assert plans_of(api, match) == []


def test_activity_citing_an_unknown_citation_is_422(api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    cited = objective(
        activities=[{"description": "Read the SBI guide", "citation_ids": ["no-such-citation"]}]
    )
    response = api.call(
        "POST",
        f"/v1/matches/{match['id']}/plans",
        key=mentee["api_key"],
        json={"owner_id": mentee["id"], "objectives": [cited]},
    )
    field_error(response, "body", "objectives", 0, "activities", 0, "citation_ids")
    assert plans_of(api, match) == []


def progress_of(api: Api, plan: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(api.call("GET", f"/v1/plans/{plan['id']}/progress"), 200)
    return result


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"milestone_id": "no-such-milestone"}, ("milestone_id",), id="unknown-id"),
        pytest.param({"status": "finished"}, ("status",), id="bad-status"),
        pytest.param({"status": None}, ("status",), id="null-status"),
        pytest.param({"evidence_url": "not a url"}, ("evidence_url",), id="url-garbage"),
        pytest.param({"evidence_url": "javascript:alert(1)"}, ("evidence_url",), id="url-js"),
        pytest.param({"evidence_url": "ftp://files.example.org/x"}, ("evidence_url",), id="ftp"),
        pytest.param({"evidence_url": "https://" + "a" * 3000}, ("evidence_url",), id="url-long"),
        pytest.param({"note": "x" * 2001}, ("note",), id="note-too-long"),
        pytest.param({"note": "done\x00"}, ("note",), id="nul-in-note"),
        pytest.param({"percent": 50}, ("percent",), id="unknown-field"),
    ],
)
def test_bad_progress_is_422_and_logs_nothing(
    api: Api, world: World, change: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    before = snapshot(api)
    body = {"milestone_id": world.milestone_id, "status": "done", **change}
    response = api.call(
        "POST", f"/v1/plans/{world.plan['id']}/progress", key=world.mentee["api_key"], json=body
    )
    field_error(response, "body", *loc)
    assert progress_of(api, world.plan) == []
    assert snapshot(api) == before


def versions_of(api: Api, plan: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(api.call("GET", f"/v1/plans/{plan['id']}/versions"), 200)
    return result


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({}, (), id="nothing-to-change"),
        pytest.param({"instruction": "   "}, (), id="blank-instruction"),
        pytest.param(
            {"milestone_patches": [{"id": "no-such-milestone", "title": "Renamed"}]},
            ("milestone_patches", 0, "id"),
            id="unknown-patched-milestone",
        ),
        pytest.param(
            {
                "objectives": [
                    objective(
                        milestones=[
                            {"id": "no-such-milestone", "title": "M", "due_date": "2027-04-01"}
                        ]
                    )
                ]
            },
            ("objectives", 0, "milestones", 0, "id"),
            id="unknown-milestone-in-objectives",
        ),
        pytest.param({"objectives": []}, ("objectives",), id="empty-objectives"),
        pytest.param({"summary": "x" * 4001}, ("summary",), id="summary-too-long"),
        pytest.param({"summary": "Revised\x00"}, ("summary",), id="nul-in-summary"),
        pytest.param({"cadence": {"sessions_per_month": 2, "minutes": 1}}, ("cadence", "minutes")),
        pytest.param({"rewrite": True}, ("rewrite",), id="unknown-field"),
        pytest.param(
            {
                "objectives": [
                    objective(activities=[{"description": "Read", "citation_ids": ["nope"]}])
                ]
            },
            ("objectives", 0, "activities", 0, "citation_ids"),
            id="unknown-citation",
        ),
    ],
)
def test_bad_revision_is_422_and_adds_no_version(
    api: Api, world: World, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    before = snapshot(api)
    response = api.call(
        "POST", f"/v1/plans/{world.plan['id']}/revise", key=world.mentee["api_key"], json=body
    )
    error = field_error(response, "body", *loc)
    if not loc:  # the whole body is what is wrong: it asks for no change at all
        assert error["loc"] == ["body"]
        assert "instruction or at least one change" in error["msg"]
    assert len(versions_of(api, world.plan)) == 1
    assert snapshot(api) == before


def test_revision_moving_a_milestone_before_the_start_names_the_patch(
    api: Api, world: World
) -> None:
    patch = {"milestone_patches": [{"id": world.milestone_id, "due_date": "2027-01-01"}]}
    response = api.call(
        "POST", f"/v1/plans/{world.plan['id']}/revise", key=world.mentee["api_key"], json=patch
    )
    field_error(response, "body", "milestone_patches", 0, "due_date")
    assert len(versions_of(api, world.plan)) == 1


# ---- sessions, notes, action items ----------------------------------------------------


def sessions_of(api: Api, match: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(
        api.call("GET", f"/v1/matches/{match['id']}/sessions"), 200
    )
    return result


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"duration_minutes": 5}, ("duration_minutes",), id="duration-5"),
        pytest.param({"duration_minutes": 1000}, ("duration_minutes",), id="duration-1000"),
        pytest.param({"duration_minutes": 10**30}, ("duration_minutes",), id="duration-huge"),
        pytest.param({"duration_minutes": -45}, ("duration_minutes",), id="duration-negative"),
        pytest.param({"duration_minutes": "long"}, ("duration_minutes",), id="duration-string"),
        pytest.param({"scheduled_at": "next tuesday"}, ("scheduled_at",), id="words"),
        pytest.param({"scheduled_at": "2027-02-30T10:00:00Z"}, ("scheduled_at",), id="feb-30"),
        pytest.param({"scheduled_at": "2027-03-02T25:00:00Z"}, ("scheduled_at",), id="hour-25"),
        pytest.param({"scheduled_at": ""}, ("scheduled_at",), id="empty"),
        pytest.param({"scheduled_at": None}, ("scheduled_at",), id="null"),
        pytest.param(
            {"scheduled_at": "9999-12-31T23:00:00-05:00"}, ("scheduled_at",), id="past-year-9999"
        ),
        pytest.param(
            {"scheduled_at": "0001-01-01T00:00:00+05:00"}, ("scheduled_at",), id="before-year-1"
        ),
        pytest.param({"title": "x" * 2001}, ("title",), id="title-too-long"),
        pytest.param({"location": "Room 1"}, ("location",), id="unknown-field"),
    ],
)
def test_bad_session_field_is_422_and_schedules_nothing(
    api: Api, world: World, change: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    before = sessions_of(api, world.match)
    body = {"scheduled_at": "2027-03-10T15:00:00Z", "duration_minutes": 45, **change}
    response = api.call(
        "POST",
        f"/v1/matches/{world.match['id']}/sessions",
        key=world.mentor["api_key"],
        json=body,
    )
    field_error(response, "body", *loc)
    assert sessions_of(api, world.match) == before


def test_a_session_the_service_accepts_never_breaks_plan_health(api: Api, world: World) -> None:
    # The far edge of the calendar: either refuse it as a scheduled time, or store it
    # and keep answering health for the plan (a 500 there blocks the whole match).
    response = api.call(
        "POST",
        f"/v1/matches/{world.match['id']}/sessions",
        key=world.mentor["api_key"],
        json={"scheduled_at": "9999-12-31T23:59:00Z", "duration_minutes": 45},
    )
    if response.status_code == 422:
        field_error(response, "body", "scheduled_at")
        return
    expect(response, 201)
    health = api.call("GET", f"/v1/plans/{world.plan['id']}/health", key=world.mentee["api_key"])
    assert health.status_code == 200, (health.status_code, health.text)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"status": "done"}, ("status",), id="unknown-status"),
        pytest.param({"duration_minutes": 5}, ("duration_minutes",), id="duration-5"),
        pytest.param({"scheduled_at": "tomorrow"}, ("scheduled_at",), id="bad-datetime"),
        pytest.param({"title": "x\x00"}, ("title",), id="nul-in-title"),
        pytest.param({"match_id": "another"}, ("match_id",), id="unknown-field"),
    ],
)
def test_bad_session_update_is_422_and_changes_nothing(
    api: Api, world: World, change: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    response = api.call(
        "PATCH", f"/v1/sessions/{world.session['id']}", key=world.mentor["api_key"], json=change
    )
    field_error(response, "body", *loc)
    assert expect(api.call("GET", f"/v1/sessions/{world.session['id']}"), 200) == world.session


def notes_of(api: Api, world: World) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(
        api.call("GET", f"/v1/sessions/{world.session['id']}/notes"), 200
    )
    return result


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        pytest.param({"visibility": "public"}, ("visibility",), id="unknown-visibility"),
        pytest.param({"text": ""}, ("text",), id="empty-text"),
        pytest.param({"text": " \n\t "}, ("text",), id="blank-text"),
        pytest.param({"text": "x" * 20_001}, ("text",), id="text-too-long"),
        pytest.param({"text": "Notes\x00"}, ("text",), id="nul-in-text"),
        pytest.param({"text": ["a", "b"]}, ("text",), id="text-list"),
        pytest.param(
            {"action_items": [{"text": "", "owner_id": None}]},
            ("action_items", 0, "text"),
            id="empty-item",
        ),
        pytest.param(
            {"action_items": [{"text": "Slides", "due_date": "soon"}]},
            ("action_items", 0, "due_date"),
            id="item-bad-due-date",
        ),
        pytest.param(
            {"action_items": [{"text": "Slides", "done": True}]},
            ("action_items", 0, "done"),
            id="item-unknown-field",
        ),
        pytest.param(
            {"action_items": [{"text": f"Item {i}"} for i in range(21)]},
            ("action_items",),
            id="too-many-items",
        ),
        pytest.param({"tags": ["x"]}, ("tags",), id="unknown-field"),
    ],
)
def test_bad_note_is_422_and_writes_nothing(
    api: Api, world: World, change: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    before = notes_of(api, world)
    body = {"text": "We talked about slides.", "visibility": "match", **change}
    response = api.call(
        "POST", f"/v1/sessions/{world.session['id']}/notes", key=world.mentor["api_key"], json=body
    )
    field_error(response, "body", *loc)
    assert notes_of(api, world) == before


def test_action_item_owner_outside_the_match_is_422_and_writes_no_note(
    api: Api, world: World
) -> None:
    before = notes_of(api, world)
    items_before = expect(api.call("GET", f"/v1/matches/{world.match['id']}/action-items"), 200)
    for owner_id in (world.outsider["id"], "no-such-person"):
        body = {
            "text": "Good session.",
            "action_items": [
                {"text": "Fine item", "owner_id": world.mentee["id"]},
                {"text": "Someone else's job", "owner_id": owner_id},
            ],
        }
        response = api.call(
            "POST",
            f"/v1/sessions/{world.session['id']}/notes",
            key=world.mentor["api_key"],
            json=body,
        )
        field_error(response, "body", "action_items", 1, "owner_id")
    assert notes_of(api, world) == before
    items = expect(api.call("GET", f"/v1/matches/{world.match['id']}/action-items"), 200)
    assert items == items_before


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        pytest.param({}, ("done",), id="missing"),
        pytest.param({"done": "maybe"}, ("done",), id="not-a-bool"),
        pytest.param({"done": None}, ("done",), id="null"),
        pytest.param({"done": True, "owner_id": "x"}, ("owner_id",), id="unknown-field"),
    ],
)
def test_bad_action_item_update_is_422(
    api: Api, world: World, body: dict[str, Any], loc: tuple[str | int, ...]
) -> None:
    response = api.call(
        "PATCH", f"/v1/action-items/{world.action_item_id}", key=world.mentee["api_key"], json=body
    )
    field_error(response, "body", *loc)
    items = expect(api.call("GET", f"/v1/matches/{world.match['id']}/action-items"), 200)
    assert [i["done"] for i in items] == [False]


# ---- query parameters and path ids -----------------------------------------------------


@pytest.mark.parametrize(
    ("path", "loc"),
    [
        ("/v1/participants?limit=0", ("query", "limit")),
        ("/v1/participants?limit=-5", ("query", "limit")),
        ("/v1/participants?limit=ten", ("query", "limit")),
        ("/v1/participants?offset=-1", ("query", "offset")),
        (f"/v1/participants?offset={10**30}", ("query", "offset")),
        ("/v1/audit?limit=0", ("query", "limit")),
        ("/v1/audit?limit=501", ("query", "limit")),
        ("/v1/matches?status=finished", ("query", "status")),
        ("/v1/plans/{plan_id}?version=0", ("query", "version")),
        ("/v1/plans/{plan_id}?version=-1", ("query", "version")),
        ("/v1/plans/{plan_id}?version=one", ("query", "version")),
        (f"/v1/plans/{{plan_id}}?version={10**30}", ("query", "version")),
        ("/v1/matches/{match_id}/action-items?open_only=maybe", ("query", "open_only")),
    ],
)
def test_bad_query_parameter_is_422_naming_it(
    api: Api, world: World, path: str, loc: tuple[str, ...]
) -> None:
    field_error(api.call("GET", path.format(**world.ids())), *loc)


def test_plan_version_that_does_not_exist_is_404(api: Api, world: World) -> None:
    response = api.call("GET", f"/v1/plans/{world.plan['id']}?version=2")
    assert response.status_code == 404, (response.status_code, response.text)


ID_PATHS: list[tuple[str, str, dict[str, Any] | None]] = [
    # A well-formed body with each write, so only the id can be what is wrong.
    ("GET", "/v1/participants/{bad}", None),
    ("PATCH", "/v1/participants/{bad}", {"name": "Sam"}),
    ("POST", "/v1/participants/{bad}/key", None),
    ("GET", "/v1/matches/{bad}", None),
    ("POST", "/v1/matches/{bad}/status", {"status": "paused"}),
    ("POST", "/v1/matches/{bad}/plans", {"owner_id": "someone"}),
    ("GET", "/v1/plans/{bad}", None),
    ("POST", "/v1/plans/{bad}/accept", None),
    ("GET", "/v1/sessions/{bad}", None),
    ("GET", "/v1/programs/{bad}", None),
    ("PATCH", "/v1/action-items/{bad}", {"done": True}),
]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("%00", id="nul"),
        pytest.param("a%00b", id="embedded-nul"),
        pytest.param("x" * 300, id="long"),
        pytest.param("%E2%98%83", id="non-ascii"),
        pytest.param("%20", id="space"),
    ],
)
def test_impossible_ids_in_the_path_are_404_or_422_never_500(lenient: Api, bad: str) -> None:
    failures = []
    for method, path, body in ID_PATHS:
        response = lenient.call(method, path.format(bad=bad), json=body)
        status = response.status_code
        named = status == 422 and response.json()["detail"][0]["loc"][0] == "path"
        if status != 404 and not named:
            failures.append(f"{method} {path}: {status} {response.text[:100]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/matches?participant_id=%00",
        "/v1/matches?program_id=a%00b",
        "/v1/audit?entity_id=%00",
        "/v1/audit?action=%00",
    ],
)
def test_filters_with_impossible_values_find_nothing(lenient: Api, world: World, path: str) -> None:
    response = lenient.call("GET", path)
    assert response.status_code in (200, 422), (response.status_code, response.text)
    if response.status_code == 200:
        assert response.json()["items"] == []


# ---- body limits and malformed bodies --------------------------------------------------


def padded_profile(size: int) -> bytes:
    """A valid participant as JSON, padded with insignificant whitespace to `size` bytes."""
    body = json.dumps(profile()).encode()
    assert len(body) < size
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_body_over_the_limit_with_content_length_is_413(api: Api, settings: Settings) -> None:
    before = snapshot(api)
    body = padded_profile(settings.max_body_bytes + 1)
    response = send_raw(api, "POST", "/v1/participants", body)
    assert response.request.headers["content-length"] == str(len(body))
    assert response.status_code == 413, (response.status_code, response.text)
    assert str(settings.max_body_bytes) in response.json()["detail"]
    assert snapshot(api) == before


def test_streamed_body_over_the_limit_without_content_length_is_413(
    api: Api, settings: Settings
) -> None:
    before = snapshot(api)
    body = padded_profile(settings.max_body_bytes + 10)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = send_raw(api, "POST", "/v1/participants", chunks())
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, (response.status_code, response.text)
    assert snapshot(api) == before


def test_body_larger_than_its_declared_length_is_413(api: Api, settings: Settings) -> None:
    before = snapshot(api)
    body = padded_profile(settings.max_body_bytes + 10)
    response = send_raw(
        api, "POST", "/v1/participants", iter([body]), headers={"Content-Length": "100"}
    )
    assert response.status_code == 413, (response.status_code, response.text)
    declared_huge = send_raw(
        api, "POST", "/v1/participants", b"{}", headers={"Content-Length": str(10**15)}
    )
    assert declared_huge.status_code == 413, (declared_huge.status_code, declared_huge.text)
    assert snapshot(api) == before


def test_body_exactly_at_the_limit_is_accepted(api: Api, settings: Settings) -> None:
    body = padded_profile(settings.max_body_bytes)
    assert len(body) == settings.max_body_bytes
    expect(send_raw(api, "POST", "/v1/participants", body), 201)


def test_oversized_note_is_413_and_writes_nothing(
    api: Api, world: World, settings: Settings
) -> None:
    before = notes_of(api, world)
    body = json.dumps({"text": "x" * (settings.max_body_bytes + 1)}).encode()
    response = send_raw(api, "POST", f"/v1/sessions/{world.session['id']}/notes", body)
    assert response.status_code == 413, (response.status_code, response.text)
    assert notes_of(api, world) == before


@pytest.mark.parametrize(
    ("raw", "error_type"),
    [
        pytest.param(b'{"name": ', "json_invalid", id="truncated"),
        pytest.param(b"{'name': 'Sam'}", "json_invalid", id="single-quotes"),
        pytest.param(b'{"name": "Sam",}', "json_invalid", id="trailing-comma"),
        pytest.param(b'{"a": 1}{"b": 2}', "json_invalid", id="two-documents"),
        pytest.param(b"", "missing", id="empty"),
        pytest.param(b"null", "model_attributes_type", id="null"),
        pytest.param(b"[]", "model_attributes_type", id="list"),
    ],
)
def test_malformed_json_is_422_and_writes_nothing(api: Api, raw: bytes, error_type: str) -> None:
    before = snapshot(api)
    response = send_raw(api, "POST", "/v1/participants", raw)
    error = field_error(response, "body")
    assert error["type"] == error_type, response.json()
    assert snapshot(api) == before


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"name": "\xff\xfe"}', id="invalid-utf8"),
        pytest.param(b"[" * 50_000 + b"]" * 50_000, id="deep-nesting"),
    ],
)
def test_undecodable_body_is_a_client_error(api: Api, raw: bytes) -> None:
    before = snapshot(api)
    response = send_raw(api, "POST", "/v1/participants", raw)
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert snapshot(api) == before


def test_body_that_is_not_json_is_422(api: Api) -> None:
    body = json.dumps(profile()).encode()
    response = send_raw(
        api, "POST", "/v1/participants", body, headers={"Content-Type": "text/plain"}
    )
    field_error(response, "body")


# ---- the sweep: junk at every POST/PATCH endpoint is a 4xx, never a 5xx ---------------------

JUNK_BODIES: list[tuple[str, bytes]] = [
    ("null", b"null"),
    ("list", b"[]"),
    ("string", b'"x"'),
    ("number", b"123"),
    ("true", b"true"),
    ("huge int", str(10**30).encode()),
    ("float overflow", b"1e400"),
    ("NaN", b"NaN"),
    ("empty key", b'{"": ""}'),
    ("nested garbage", json.dumps({"a": [{"b": [{"c": None}]}], "": {"": [[], {}]}}).encode()),
    ("nested lists", b"[[[[{}]]]]"),
    ("operator object", json.dumps({"$where": {"$ne": None}, "__proto__": {}}).encode()),
    ("long string", json.dumps("x" * 500_000).encode()),
    ("long key", json.dumps({"k" * 100_000: 1}).encode()),
    ("deep nesting", b"[" * 20_000 + b"]" * 20_000),
    ("truncated", b'{"a": '),
    ("two documents", b'{"a": 1}{"b": 2}'),
    ("invalid utf-8", b'{"a": "\xff\xfe"}'),
    ("empty body", b""),
]

FIELD_JUNK: list[Any] = [
    None,
    [],
    {},
    "",
    " ",
    "x" * 10_000,
    10**30,
    -(10**30),
    -1,
    True,
    1.5,
    "\x00",
    {"$ne": None},
    [[["deep"]]],
]


def sample_bodies(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body for each write endpoint, so one junk field is the only thing wrong."""
    return {
        ("post", "/v1/participants"): mentor_profile(),
        ("patch", "/v1/participants/{participant_id}"): {"name": "Sam R.", "hours_per_month": 3},
        ("post", "/v1/programs"): {
            "name": "Spring cohort",
            "default_mode": "mentor",
            "starts_on": "2027-03-01",
            "ends_on": "2027-08-31",
        },
        ("post", "/v1/matches"): {
            "mode": "peer",
            "members": members((world.mentor, "peer"), (world.outsider, "peer")),
        },
        ("post", "/v1/matches/{match_id}/status"): {"status": "paused", "reason": "holiday"},
        ("post", "/v1/matches/{match_id}/plans"): {
            "owner_id": world.mentor["id"],
            "objectives": [objective()],
        },
        ("post", "/v1/plans/{plan_id}/revise"): {"instruction": "Tighten the dates"},
        ("post", "/v1/plans/{plan_id}/progress"): {
            "milestone_id": world.milestone_id,
            "status": "in_progress",
        },
        ("post", "/v1/matches/{match_id}/sessions"): {"scheduled_at": "2027-03-20T10:00:00Z"},
        ("patch", "/v1/sessions/{session_id}"): {"title": "Slides review"},
        ("post", "/v1/sessions/{session_id}/notes"): {"text": "Short note."},
        ("patch", "/v1/action-items/{action_item_id}"): {"done": True},
    }


@dataclass
class WriteEndpoint:
    method: str
    template: str
    path: str
    body_required: bool
    empty_object_valid: bool
    fields: list[str]


def write_endpoints(api: Api, world: World) -> list[WriteEndpoint]:
    """Every POST/PATCH/PUT the app publishes, read from its own OpenAPI document, so an
    endpoint added later is swept too."""
    spec = expect(api.client.get("/openapi.json"), 200)
    schemas = spec.get("components", {}).get("schemas", {})
    ids = world.ids()
    found: list[WriteEndpoint] = []
    for template, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("post", "patch", "put"):
                continue
            request_body = operation.get("requestBody")
            schema: dict[str, Any] = {}
            if request_body:
                schema = request_body["content"].get("application/json", {}).get("schema", {})
                ref = schema.get("$ref", "")
                if ref:
                    schema = schemas[ref.rsplit("/", 1)[-1]]
            path = template
            for name in [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]:
                path = path.replace("{" + name + "}", ids.get(name, "no-such-id"))
            found.append(
                WriteEndpoint(
                    method=method.upper(),
                    template=template,
                    path=path,
                    body_required=bool(request_body and request_body.get("required")),
                    empty_object_valid=not schema.get("required"),
                    fields=sorted(schema.get("properties", {})),
                )
            )
    return found


def test_sweep_finds_every_write_endpoint_of_the_contract(api: Api, world: World) -> None:
    found = {(e.method, e.template) for e in write_endpoints(api, world)}
    assert {
        ("POST", "/v1/participants"),
        ("PATCH", "/v1/participants/{participant_id}"),
        ("POST", "/v1/matches"),
        ("POST", "/v1/matches/{match_id}/status"),
        ("POST", "/v1/matches/{match_id}/plans"),
        ("POST", "/v1/plans/{plan_id}/revise"),
        ("POST", "/v1/plans/{plan_id}/progress"),
        ("POST", "/v1/matches/{match_id}/sessions"),
        ("PATCH", "/v1/sessions/{session_id}"),
        ("POST", "/v1/sessions/{session_id}/notes"),
        ("PATCH", "/v1/action-items/{action_item_id}"),
    } <= found


def test_sweep_junk_bodies_are_always_4xx(api: Api, lenient: Api, world: World) -> None:
    failures: list[str] = []
    for endpoint in write_endpoints(api, world):
        for name, raw in JUNK_BODIES:
            response = send_raw(lenient, endpoint.method, endpoint.path, raw)
            status = response.status_code
            ok = 400 <= status < 500 if endpoint.body_required else status < 500
            if not ok:
                failures.append(f"{endpoint.method} {endpoint.template} <- {name}: {status}")
        empty = send_raw(lenient, endpoint.method, endpoint.path, b"{}").status_code
        expected_empty = empty < 500 if endpoint.empty_object_valid else 400 <= empty < 500
        if not expected_empty:
            failures.append(f"{endpoint.method} {endpoint.template} <- {{}}: {empty}")
    assert not failures, "\n".join(failures)


def test_sweep_one_junk_field_in_a_good_body_is_never_5xx(
    api: Api, lenient: Api, world: World
) -> None:
    samples = sample_bodies(world)
    failures: list[str] = []
    for endpoint in write_endpoints(api, world):
        base = samples.get((endpoint.method.lower(), endpoint.template), {})
        for field in endpoint.fields:
            for junk in FIELD_JUNK:
                body = {**base, field: junk}
                response = lenient.call(endpoint.method, endpoint.path, json=body)
                if response.status_code >= 500:
                    failures.append(
                        f"{endpoint.method} {endpoint.template} {field}={junk!r:.40}: "
                        f"{response.status_code}"
                    )
    assert not failures, "\n".join(failures)


def test_empty_patch_is_a_no_op_that_records_nothing(api: Api, world: World) -> None:
    before = snapshot(api)
    person = expect(api.call("PATCH", f"/v1/participants/{world.mentee['id']}", json={}), 200)
    assert person["name"] == world.mentee["name"]
    session = expect(api.call("PATCH", f"/v1/sessions/{world.session['id']}", json={}), 200)
    assert session == world.session
    assert snapshot(api) == before


def test_rejections_do_not_stop_the_next_good_request(api: Api) -> None:
    # A rejected request rolls back its own transaction only: the very next valid one works.
    bad: list[Callable[[], Response]] = [
        lambda: api.call("POST", "/v1/participants", json=profile(manager_id="nobody")),
        lambda: send_raw(api, "POST", "/v1/participants", b'{"name": '),
        lambda: api.call("POST", "/v1/participants", json=profile(name="x\x00")),
    ]
    for send in bad:
        assert send().status_code == 422
        api.participant()
    assert snapshot(api)["participants"] == len(bad)
