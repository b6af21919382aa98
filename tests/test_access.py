"""Who may call what: every endpoint against every kind of caller, and the privacy rules.

The rules (docs: architecture.md, api.md): no valid key is a 401 on every /v1 route; a staff-only
action answers a participant 403; a specific resource the caller may not see answers 404,
never 403, so its existence does not leak; members work freely on what hangs off their
match; /health and /metrics answer anyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import Response

from .conftest import FixedClock
from .support import STAFF_KEY, Api, bearer, expect, profile

JSON = dict[str, Any]
PRINCIPALS = ("staff", "member", "non_member", "no_key", "bad_key")
# Well formed, with the participant prefix, but never issued.
BAD_KEY = "tdm_p_this-key-was-never-issued-0123456789abcdef"


@dataclass
class World:
    """A mentor and a mentee in an active `mentor` match inside a program; the mentee owns
    a drafted plan with one progress update; a held-to-be session carries a `match` note by
    the mentor with an action item owned by the mentee; an outsider belongs to nothing."""

    api: Api
    staff_id: str
    program: JSON
    mentor: JSON
    mentee: JSON
    outsider: JSON
    match: JSON
    plan: JSON
    session: JSON
    note: JSON
    talking_point: JSON
    run: JSON
    conversation: JSON

    @property
    def item(self) -> JSON:
        item: JSON = self.note["action_items"][0]
        return item

    @property
    def milestones(self) -> list[JSON]:
        milestones: list[JSON] = self.plan["objectives"][0]["milestones"]
        return milestones

    def key(self, who: str) -> str | None:
        return {
            "staff": STAFF_KEY,
            "member": self.mentee["api_key"],
            "mentor": self.mentor["api_key"],
            "non_member": self.outsider["api_key"],
            "no_key": None,
            "bad_key": BAD_KEY,
        }[who]

    def caller_id(self, who: str) -> str:
        return {
            "staff": self.staff_id,
            "member": self.mentee["id"],
            "mentor": self.mentor["id"],
            "non_member": self.outsider["id"],
        }[who]

    def ref(self, name: str) -> str:
        ids: dict[str, str] = {
            "participant": self.mentee["id"],
            "program": self.program["id"],
            "match": self.match["id"],
            "plan": self.plan["id"],
            "session": self.session["id"],
            "action_item": self.item["id"],
            "document": "program-faq.md",
            "note": self.note["id"],
            "talking_point": self.talking_point["id"],
            "run": self.run["id"],
            "suggestion": self.run["suggestions"][0]["id"],
            "conversation": self.conversation["id"],
        }
        return ids[name]

    def as_(self, who: str, method: str, path: str, json: Any = None) -> Response:
        return self.api.call(method, path, key=self.key(who), json=json)


@pytest.fixture
def world(api: Api) -> World:
    program = expect(
        api.call(
            "POST",
            "/v1/programs",
            json={"name": "Spring cohort", "starts_on": "2027-01-01", "ends_on": "2027-12-31"},
        ),
        201,
    )
    mentor = api.mentor(name="Alex Kim")
    mentee = api.participant(name="Sam Rivera")
    outsider = api.participant(name="Robin Park")
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"), program_id=program["id"])
    plan = api.plan(match, mentee)
    first = plan["objectives"][0]["milestones"][0]
    expect(
        api.call(
            "POST",
            f"/v1/plans/{plan['id']}/progress",
            key=mentee["api_key"],
            json={"milestone_id": first["id"], "status": "in_progress", "note": "Outlined it"},
        ),
        201,
    )
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
    talking_point = expect(
        api.call(
            "POST",
            f"/v1/sessions/{session['id']}/talking-points",
            key=mentor["api_key"],
            json={"text": "How to handle hostile questions"},
        ),
        201,
    )
    expect(
        api.call("POST", f"/v1/sessions/{session['id']}/agenda", key=mentor["api_key"], json={}),
        201,
    )
    run = expect(
        api.call(
            "POST",
            "/v1/pairing/runs",
            json={"participant_ids": [mentor["id"], outsider["id"]], "mode": "mentor"},
        ),
        201,
    )
    conversation = expect(
        api.call(
            "POST", "/v1/chat/conversations", key=mentee["api_key"], json={"title": "Planning"}
        ),
        201,
    )
    expect(
        api.call(
            "POST",
            f"/v1/chat/conversations/{conversation['id']}/messages",
            key=mentee["api_key"],
            json={"content": "hello"},
        ),
        201,
    )
    staff_id = expect(api.call("GET", "/v1/me"), 200)["id"]
    return World(
        api=api,
        staff_id=staff_id,
        program=program,
        mentor=mentor,
        mentee=mentee,
        outsider=outsider,
        match=match,
        plan=plan,
        session=session,
        note=note,
        talking_point=talking_point,
        run=run,
        conversation=conversation,
    )


# ---- what each endpoint should answer on success ----------------------------------------

Check = Callable[[Response, World, str, Any], None]


def _ids(items: list[JSON]) -> list[str]:
    return [item["id"] for item in items]


def _participant_created(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["email"] == sent["email"] and body["name"] == sent["name"]
    assert body["api_key"].startswith("tdm_p_")
    assert body["id"] not in {w.mentor["id"], w.mentee["id"], w.outsider["id"]}
    assert expect(w.as_("staff", "GET", f"/v1/participants/{body['id']}"), 200)["id"] == body["id"]


def _participants_listed(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    if who == "staff":
        assert body["total"] == 3
        assert set(_ids(body["items"])) == {w.mentor["id"], w.mentee["id"], w.outsider["id"]}
    else:
        # A participant sees only their own profile.
        assert body["total"] == 1
        assert _ids(body["items"]) == [w.caller_id(who)]
    assert all("api_key" not in item for item in body["items"])


def _participant_read(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.mentee["id"] and body["email"] == w.mentee["email"]
    assert "api_key" not in body


def _participant_patched(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.mentee["id"] and r.json()["title"] == sent["title"]
    stored = expect(w.as_("staff", "GET", f"/v1/participants/{w.mentee['id']}"), 200)
    assert stored["title"] == sent["title"]


def _key_rotated(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["participant_id"] == w.mentee["id"]
    assert body["api_key"].startswith("tdm_p_") and body["api_key"] != w.mentee["api_key"]


def _sign_in_link(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    # Its lifetime and single use are tested in test_pages_security.
    assert body["url"].startswith("http") and "/sign-in/link/" in body["url"]
    assert body["expires_at"]


def _me(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.caller_id(who)
    if who == "staff":
        assert body["kind"] == "staff" and body["participant"] is None
    else:
        assert body["kind"] == "participant"
        assert body["participant"]["id"] == w.caller_id(who)


def _program_created(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["name"] == sent["name"] and body["id"] != w.program["id"]


def _programs_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert _ids(r.json()) == [w.program["id"]]


def _program_read(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.program["id"] and r.json()["name"] == "Spring cohort"


def _rollup(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["program_id"] == w.program["id"]
    assert body["matches_by_status"] == {"active": 1}


def _match_created(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] != w.match["id"] and body["status"] == "active"
    assert {m["participant_id"] for m in body["members"]} == {w.mentor["id"], w.outsider["id"]}


def _matches_listed(r: Response, w: World, who: str, sent: Any) -> None:
    expected = [] if who == "non_member" else [w.match["id"]]
    assert _ids(r.json()["items"]) == expected


def _match_read(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.match["id"]
    assert {m["participant_id"] for m in body["members"]} == {w.mentor["id"], w.mentee["id"]}


def _match_status_changed(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.match["id"] and body["status"] == "paused"
    assert body["history"][-1]["to_status"] == "paused"


def _plan_created(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] != w.plan["id"] and body["match_id"] == w.match["id"]
    assert body["owner_id"] == w.mentor["id"]
    assert body["version"] == 1 and body["status"] == "draft"


def _plans_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert _ids(r.json()) == [w.plan["id"]]


def _plan_read(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.plan["id"] and body["owner_id"] == w.mentee["id"]
    assert body["objectives"][0]["milestones"][0]["status"] == "in_progress"


def _versions_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert [v["version"] for v in r.json()] == [1]


def _plan_revised(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.plan["id"] and body["version"] == 2 and body["latest_version"] == 2
    assert body["summary"] == sent["summary"]


def _plan_accepted(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.plan["id"] and r.json()["status"] == "active"


def _progress_logged(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["plan_id"] == w.plan["id"] and body["milestone_id"] == sent["milestone_id"]
    assert body["previous_status"] == "in_progress" and body["status"] == "done"
    assert body["author_id"] == w.caller_id(who)


def _progress_listed(r: Response, w: World, who: str, sent: Any) -> None:
    (update,) = r.json()
    assert update["plan_id"] == w.plan["id"] and update["milestone_id"] == w.milestones[0]["id"]
    assert update["author_id"] == w.mentee["id"]


def _health(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["plan_id"] == w.plan["id"]
    assert body["status"] in {"on_track", "at_risk", "off_track"} and body["reasons"]


def _session_scheduled(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] != w.session["id"] and body["match_id"] == w.match["id"]
    assert body["scheduled_at"].startswith("2027-03-16T15:00")


def _sessions_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert _ids(r.json()) == [w.session["id"]]


def _session_read(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.session["id"] and r.json()["match_id"] == w.match["id"]


def _session_patched(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.session["id"] and r.json()["title"] == sent["title"]


def _note_added(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["session_id"] == w.session["id"] and body["text"] == sent["text"]
    assert body["author_id"] == w.caller_id(who)


def _note_refused(r: Response, w: World, who: str, sent: Any) -> None:
    raise AssertionError("only the author may change a note")


def _agenda_drafted(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["session_id"] == w.session["id"]
    assert sum(i["minutes"] for i in body["items"]) == w.session["duration_minutes"]
    stored = expect(w.as_("member", "GET", f"/v1/sessions/{w.session['id']}/agenda"), 200)
    assert stored["drafted_by"] == w.caller_id(who)


def _agenda_read(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["session_id"] == w.session["id"] and body["drafted_by"] == w.mentor["id"]


def _calendar(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.headers["content-type"].startswith("text/calendar")
    assert f"UID:{w.session['id']}@tandem" in r.text


def _talking_point_added(r: Response, w: World, who: str, sent: Any) -> None:
    listed = expect(w.as_("mentor", "GET", f"/v1/sessions/{w.session['id']}/talking-points"), 200)
    assert [p["text"] for p in listed][-1] == sent["text"]
    assert r.json()["author_id"] == w.caller_id(who)


def _talking_points_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert _ids(r.json()) == [w.talking_point["id"]]


def _talking_point_refused(r: Response, w: World, who: str, sent: Any) -> None:
    raise AssertionError("only the member who added a talking point removes it")


def _run_created(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["status"] == "pending_review" and body["id"] != w.run["id"]
    members = {m["participant_id"] for s in body["suggestions"] for m in s["members"]}
    assert members <= set(sent["participant_ids"])


def _run_read(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.run["id"] and r.json()["suggestions"] == w.run["suggestions"]


def _run_summary(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["run_id"] == w.run["id"] and r.json()["participants"] == 2


def _rationale_written(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.run["suggestions"][0]["id"]
    assert r.json()["rationale_by"] == "factors"
    assert r.json()["rationale"]


def _suggestion_decided(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["status"] == "rejected" and r.json()["decided_by"] == w.caller_id(who)


def _notes_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert _ids(r.json()) == [w.note["id"]]


def _action_items_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert _ids(r.json()) == [w.item["id"]]


def _action_item_done(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["id"] == w.item["id"] and r.json()["done"] is True


def _audit(r: Response, w: World, who: str, sent: Any) -> None:
    events = r.json()["items"]
    assert any(
        e["action"] == "participant.created" and e["entity_id"] == w.mentee["id"] for e in events
    )
    assert any(e["action"] == "plan.created" and e["entity_id"] == w.plan["id"] for e in events)


def _searched(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["query"] == "feedback" and body["method"] == "hybrid"
    assert isinstance(body["results"], list)


def _document_uploaded(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["added"] == ["uploads/program-faq.md"]


def _document_deleted(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["removed"] == []  # nothing by that name was uploaded in this world


def _models_listed(r: Response, w: World, who: str, sent: Any) -> None:
    assert {m["id"] for m in r.json()["data"]} == {"tandem", "tandem-offline"}


def _chat_completed(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["object"] == "chat.completion" and body["choices"][0]["message"]["content"]
    # The exchange is stored in a conversation of the caller's own.
    stored = expect(w.as_(who, "GET", f"/v1/chat/conversations/{body['conversation_id']}"), 200)
    assert stored["owner_id"] == w.caller_id(who)
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]


def _conversations_listed(r: Response, w: World, who: str, sent: Any) -> None:
    # Staff see only shared conversations, and this world shares none.
    expected = [w.conversation["id"]] if who == "member" else []
    assert _ids(r.json()) == expected


def _conversation_created(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["owner_id"] == w.caller_id(who) and body["title"] == sent["title"]


def _conversation_read(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["id"] == w.conversation["id"] and body["owner_id"] == w.mentee["id"]
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][0]["content"] == "hello"


def _conversation_patched(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["title"] == sent["title"]


def _conversation_deleted(r: Response, w: World, who: str, sent: Any) -> None:
    expect(w.as_(who, "GET", f"/v1/chat/conversations/{w.conversation['id']}"), 404)


def _message_posted(r: Response, w: World, who: str, sent: Any) -> None:
    assert r.json()["role"] == "assistant" and r.json()["content"]


def _liveness(r: Response, w: World, who: str, sent: Any) -> None:
    body = r.json()
    assert body["status"] == "ok" and body["database"]["reachable"] is True


def _metrics(r: Response, w: World, who: str, sent: Any) -> None:
    assert 'route="/v1/matches/{match_id}/plans"' in r.text
    assert "tandem_http_requests_total" in r.text
    # /metrics answers anyone, so it must carry route templates, never people's ids.
    assert w.mentee["id"] not in r.text and w.match["id"] not in r.text


# ---- the matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # as a client reads it; {id} stands for the world's `ref`
    ref: str | None
    staff: int
    member: int
    non_member: int
    check: Check
    body: Callable[[World], Any] | None = None
    query: str = ""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        return not self.path.startswith("/v1/")

    def url(self, world: World) -> str:
        path = self.path.replace("{id}", world.ref(self.ref)) if self.ref else self.path
        return path + self.query

    def expected(self, who: str) -> int:
        if who in ("no_key", "bad_key"):
            return 200 if self.public else 401
        expected: int = getattr(self, who)
        return expected


def _mentor_plan(w: World) -> JSON:
    # The mentee already has a plan in the match (a second is a 409), so every caller
    # writes one for the mentor, who has no goals: the objectives are written by hand
    # (staff may; the mentee may not write someone else's plan).
    return {
        "owner_id": w.mentor["id"],
        "summary": "Grow as a mentor of speakers",
        "objectives": [
            {
                "title": "Coach a first-time speaker",
                "goal": "Become a confident coach",
                "skills": ["public_speaking"],
                "milestones": [{"title": "Run a rehearsal", "due_date": "2027-04-01"}],
            }
        ],
    }


def _new_profile(w: World) -> JSON:
    return profile(name="Jo Lee")


E = Endpoint
STAFF_ONLY = (403, 403)
ENDPOINTS = [
    E("POST", "/v1/participants", None, 201, *STAFF_ONLY, _participant_created, _new_profile),
    E("GET", "/v1/participants", None, 200, 200, 200, _participants_listed),
    E("GET", "/v1/participants/{id}", "participant", 200, 200, 404, _participant_read),
    E(
        "PATCH", "/v1/participants/{id}", "participant", 200, 200, 404, _participant_patched,
        lambda w: {"title": "Senior Engineer"},
    ),
    E("POST", "/v1/participants/{id}/key", "participant", 200, 200, 404, _key_rotated),
    E(
        "POST", "/v1/participants/{id}/sign-in-link", "participant", 200, *STAFF_ONLY,
        _sign_in_link,
    ),
    E("GET", "/v1/me", None, 200, 200, 200, _me),
    E(
        "POST", "/v1/programs", None, 201, *STAFF_ONLY, _program_created,
        lambda w: {"name": "Autumn cohort", "starts_on": "2027-09-01", "ends_on": "2028-02-28"},
    ),
    E("GET", "/v1/programs", None, 200, *STAFF_ONLY, _programs_listed),
    E("GET", "/v1/programs/{id}", "program", 200, *STAFF_ONLY, _program_read),
    E("GET", "/v1/programs/{id}/rollup", "program", 200, *STAFF_ONLY, _rollup),
    E(
        "POST", "/v1/matches", None, 201, *STAFF_ONLY, _match_created,
        lambda w: {
            "mode": "mentor",
            "members": [
                {"participant_id": w.mentor["id"], "role": "mentor"},
                {"participant_id": w.outsider["id"], "role": "mentee"},
            ],
        },
    ),
    E("GET", "/v1/matches", None, 200, 200, 200, _matches_listed),
    E("GET", "/v1/matches/{id}", "match", 200, 200, 404, _match_read),
    E(
        "POST", "/v1/matches/{id}/status", "match", 200, 403, 404, _match_status_changed,
        lambda w: {"status": "paused", "reason": "parental leave"},
    ),
    # A mentee may not write their mentor's plan: only a plan's owner (and, in guided
    # modes, the match's mentor) may.
    E("POST", "/v1/matches/{id}/plans", "match", 201, 403, 404, _plan_created, _mentor_plan),
    E("GET", "/v1/matches/{id}/plans", "match", 200, 200, 404, _plans_listed),
    E("GET", "/v1/plans/{id}", "plan", 200, 200, 404, _plan_read),
    E("GET", "/v1/plans/{id}/versions", "plan", 200, 200, 404, _versions_listed),
    E(
        "POST", "/v1/plans/{id}/revise", "plan", 201, 201, 404, _plan_revised,
        lambda w: {"instruction": "Add practice runs", "summary": "Practice before the talk"},
    ),
    E("POST", "/v1/plans/{id}/accept", "plan", 200, 200, 404, _plan_accepted),
    E(
        "POST", "/v1/plans/{id}/progress", "plan", 201, 201, 404, _progress_logged,
        lambda w: {"milestone_id": w.milestones[0]["id"], "status": "done", "note": "Gave it"},
    ),
    E("GET", "/v1/plans/{id}/progress", "plan", 200, 200, 404, _progress_listed),
    E("GET", "/v1/plans/{id}/health", "plan", 200, 200, 404, _health),
    E(
        "POST", "/v1/matches/{id}/sessions", "match", 201, 201, 404, _session_scheduled,
        lambda w: {"scheduled_at": "2027-03-16T15:00:00Z", "duration_minutes": 45},
    ),
    E("GET", "/v1/matches/{id}/sessions", "match", 200, 200, 404, _sessions_listed),
    E("GET", "/v1/sessions/{id}", "session", 200, 200, 404, _session_read),
    E(
        "PATCH", "/v1/sessions/{id}", "session", 200, 200, 404, _session_patched,
        lambda w: {"title": "Opening of the talk, take two"},
    ),
    E(
        "POST", "/v1/sessions/{id}/notes", "session", 201, 201, 404, _note_added,
        lambda w: {"text": "Rehearsed the opening twice.", "visibility": "match"},
    ),
    E("GET", "/v1/sessions/{id}/notes", "session", 200, 200, 404, _notes_listed),
    E("POST", "/v1/sessions/{id}/agenda", "session", 201, 201, 404, _agenda_drafted, lambda w: {}),
    E("GET", "/v1/sessions/{id}/agenda", "session", 200, 200, 404, _agenda_read),
    E("GET", "/v1/sessions/{id}/calendar.ics", "session", 200, 200, 404, _calendar),
    # Talking points come from the members; staff read them but do not add their own.
    E(
        "POST", "/v1/sessions/{id}/talking-points", "session", 403, 201, 404,
        _talking_point_added, lambda w: {"text": "Timing of the demo"},
    ),
    E("GET", "/v1/sessions/{id}/talking-points", "session", 200, 200, 404, _talking_points_listed),
    # Added by the mentor: the mentee and staff may read it but not remove it.
    E("DELETE", "/v1/talking-points/{id}", "talking_point", 403, 403, 404, _talking_point_refused),
    # Only the author (the mentor) edits or deletes a note; staff and the other member read it.
    E(
        "PATCH", "/v1/notes/{id}", "note", 403, 403, 404, _note_refused,
        lambda w: {"text": "Rewritten by someone else"},
    ),
    E("DELETE", "/v1/notes/{id}", "note", 403, 403, 404, _note_refused),
    E("GET", "/v1/matches/{id}/action-items", "match", 200, 200, 404, _action_items_listed),
    E(
        "PATCH", "/v1/action-items/{id}", "action_item", 200, 200, 404, _action_item_done,
        lambda w: {"done": True},
    ),
    E("GET", "/v1/audit", None, 200, *STAFF_ONLY, _audit),
    E(
        "POST", "/v1/pairing/runs", None, 201, *STAFF_ONLY, _run_created,
        lambda w: {"participant_ids": [w.mentor["id"], w.outsider["id"]], "mode": "mentor"},
    ),
    E("GET", "/v1/pairing/runs/{id}", "run", 200, *STAFF_ONLY, _run_read),
    E("GET", "/v1/pairing/runs/{id}/summary", "run", 200, *STAFF_ONLY, _run_summary),
    E(
        "POST", "/v1/pairing/suggestions/{id}/rationale", "suggestion", 200, *STAFF_ONLY,
        _rationale_written,
    ),
    E(
        "POST", "/v1/pairing/suggestions/{id}/decision", "suggestion", 200, *STAFF_ONLY,
        _suggestion_decided, lambda w: {"decision": "reject", "note": "not now"},
    ),
    E("GET", "/v1/knowledge/search", None, 200, 200, 200, _searched, query="?q=feedback"),
    E(
        "POST", "/v1/knowledge/documents", None, 201, *STAFF_ONLY, _document_uploaded,
        lambda w: {"name": "program-faq.md", "text": "# FAQ\n\nSessions run for an hour."},
    ),
    E("DELETE", "/v1/knowledge/documents/{id}", "document", 200, *STAFF_ONLY, _document_deleted),
    E("GET", "/v1/models", None, 403, 200, 200, _models_listed),
    E(
        "POST", "/v1/chat/completions", None, 403, 200, 200, _chat_completed,
        lambda w: {"model": "tandem-offline", "messages": [{"role": "user", "content": "hello"}]},
    ),
    E("GET", "/v1/chat/conversations", None, 200, 200, 200, _conversations_listed),
    E(
        "POST", "/v1/chat/conversations", None, 403, 201, 201, _conversation_created,
        lambda w: {"title": "Thursday prep"},
    ),
    E("GET", "/v1/chat/conversations/{id}", "conversation", 404, 200, 404, _conversation_read),
    E(
        "PATCH", "/v1/chat/conversations/{id}", "conversation", 404, 200, 404,
        _conversation_patched, lambda w: {"title": "Renamed"},
    ),
    E(
        "DELETE", "/v1/chat/conversations/{id}", "conversation", 404, 204, 404,
        _conversation_deleted,
    ),
    E(
        "POST", "/v1/chat/conversations/{id}/messages", "conversation", 404, 201, 404,
        _message_posted, lambda w: {"content": "what can you do?"},
    ),
    E("GET", "/health", None, 200, 200, 200, _liveness),
    E("GET", "/metrics", None, 200, 200, 200, _metrics),
]  # fmt: skip


def _route_shape(method: str, path: str) -> str:
    return method + " " + "/".join("{}" if p.startswith("{") else p for p in path.split("/"))


def test_the_matrix_covers_every_route(client: Any) -> None:
    """A route added without a row here would escape the access matrix."""
    served = {
        _route_shape(method.upper(), path)
        for path, operations in client.app.openapi()["paths"].items()
        for method in operations
    }
    assert served == {_route_shape(e.method, e.path) for e in ENDPOINTS}


@pytest.mark.parametrize(
    ("endpoint", "who"),
    [pytest.param(e, who, id=f"{e.name}-{who}") for e in ENDPOINTS for who in PRINCIPALS],
)
def test_access_matrix(world: World, endpoint: Endpoint, who: str) -> None:
    sent = endpoint.body(world) if endpoint.body else None
    response = world.as_(who, endpoint.method, endpoint.url(world), json=sent)
    expected = endpoint.expected(who)
    assert response.status_code == expected, (response.status_code, response.text)
    if expected == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    elif expected >= 400:
        body = response.json()
        # REST routes answer {"detail"}; the OpenAI-compatible ones OpenAI's error shape.
        assert body.get("detail") or body["error"]["message"]
    else:
        endpoint.check(response, world, who, sent)


@pytest.mark.parametrize(
    "endpoint",
    [pytest.param(e, id=e.name) for e in ENDPOINTS if e.non_member == 404],
)
def test_a_hidden_resource_looks_like_a_missing_one(world: World, endpoint: Endpoint) -> None:
    """The 404 a non-member gets for a real id reads exactly as for an id that never
    existed, so probing ids tells an outsider nothing."""
    assert endpoint.ref is not None
    real = world.ref(endpoint.ref)
    made_up = "0123456789abcdef0123456789abcdef"
    sent = endpoint.body(world) if endpoint.body else None
    hidden = world.as_("non_member", endpoint.method, endpoint.url(world), json=sent)
    missing = world.as_(
        "non_member", endpoint.method, endpoint.url(world).replace(real, made_up), json=sent
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(real, "ID") == missing.json()["detail"].replace(
        made_up, "ID"
    )


def test_a_participant_cannot_list_other_peoples_matches_by_filter(world: World) -> None:
    for query in (f"participant_id={world.mentee['id']}", f"program_id={world.program['id']}"):
        listed = expect(world.as_("non_member", "GET", f"/v1/matches?{query}"), 200)
        assert listed["items"] == [], query
    own = expect(world.as_("member", "GET", f"/v1/matches?program_id={world.program['id']}"), 200)
    assert _ids(own["items"]) == [world.match["id"]]


# ---- notes and action items ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "visible"),
    [
        pytest.param("mentor", {"private", "match", "staff"}, id="author"),
        pytest.param("member", {"match"}, id="other_member"),
        pytest.param("staff", {"match", "staff"}, id="staff"),
        pytest.param("non_member", None, id="non_member"),
    ],
)
def test_note_visibility(world: World, reader: str, visible: set[str] | None) -> None:
    session = expect(
        world.as_(
            "mentor",
            "POST",
            f"/v1/matches/{world.match['id']}/sessions",
            json={"scheduled_at": "2027-03-09T15:00:00Z"},
        ),
        201,
    )
    notes_url = f"/v1/sessions/{session['id']}/notes"
    for visibility in ("private", "match", "staff"):
        expect(
            world.as_(
                "mentor",
                "POST",
                notes_url,
                json={"text": f"A {visibility} note about the talk.", "visibility": visibility},
            ),
            201,
        )
    response = world.as_(reader, "GET", notes_url)
    if visible is None:
        expect(response, 404)
        return
    notes = expect(response, 200)
    assert {n["visibility"] for n in notes} == visible
    assert {n["text"] for n in notes} == {f"A {v} note about the talk." for v in visible}
    assert all(n["author_id"] == world.mentor["id"] for n in notes)


def test_action_items_of_a_private_note_stay_with_its_author(
    world: World, clock: FixedClock
) -> None:
    private = expect(
        world.as_(
            "mentor",
            "POST",
            f"/v1/sessions/{world.session['id']}/notes",
            json={
                "text": "My own reminder about Sam's talk.",
                "visibility": "private",
                "action_items": [
                    {
                        "text": "Ask the VP for a slot for Sam",
                        "owner_id": world.mentee["id"],
                        "due_date": "2027-03-05",
                    }
                ],
            },
        ),
        201,
    )
    hidden_id = private["action_items"][0]["id"]
    items_url = f"/v1/matches/{world.match['id']}/action-items"

    assert set(_ids(expect(world.as_("mentor", "GET", items_url), 200))) == {
        world.item["id"],
        hidden_id,
    }
    # Owning the item does not make the private note's item readable, nor does being staff.
    for reader in ("member", "staff"):
        assert _ids(expect(world.as_(reader, "GET", items_url), 200)) == [world.item["id"]]
    expect(world.as_("member", "PATCH", f"/v1/action-items/{hidden_id}", json={"done": True}), 404)

    # Both items are now past due; the mentee's plan health names only the one they may see.
    clock.advance(10)
    health = expect(world.as_("member", "GET", f"/v1/plans/{world.plan['id']}/health"), 200)
    assert [i["action_item_id"] for i in health["past_due_action_items"]] == [world.item["id"]]
    assert not any("VP" in reason for reason in health["reasons"])


# ---- plans, profiles, matches, keys --------------------------------------------------------


def test_only_the_plan_owner_or_staff_accepts_it(world: World) -> None:
    plan_url = f"/v1/plans/{world.plan['id']}"
    expect(world.as_("mentor", "POST", f"{plan_url}/accept"), 403)
    expect(world.as_("non_member", "POST", f"{plan_url}/accept"), 404)
    assert expect(world.as_("member", "GET", plan_url), 200)["status"] == "draft"

    accepted = expect(world.as_("member", "POST", f"{plan_url}/accept"), 200)
    assert accepted["status"] == "active"

    # And the other way round: the mentee cannot accept the mentor's plan; staff can.
    mentor_plan = expect(
        world.as_(
            "mentor", "POST", f"/v1/matches/{world.match['id']}/plans", json=_mentor_plan(world)
        ),
        201,
    )
    expect(world.as_("member", "POST", f"/v1/plans/{mentor_plan['id']}/accept"), 403)
    by_staff = expect(world.as_("staff", "POST", f"/v1/plans/{mentor_plan['id']}/accept"), 200)
    assert by_staff["status"] == "active"


STAFF_ONLY_CHANGES = [
    pytest.param("roles", lambda w: ["mentee", "mentor"], id="roles"),
    pytest.param("mentor_capacity", lambda w: 3, id="mentor_capacity"),
    pytest.param("manager_id", lambda w: w.outsider["id"], id="manager_id"),
    pytest.param("career_stage", lambda w: "senior", id="career_stage"),
]


@pytest.mark.parametrize(("field", "value"), STAFF_ONLY_CHANGES)
def test_a_participant_cannot_change_their_staff_only_fields(
    world: World, field: str, value: Callable[[World], Any]
) -> None:
    url = f"/v1/participants/{world.mentee['id']}"
    before = expect(world.as_("member", "GET", url), 200)
    new = value(world)
    assert before[field] != new

    refused = expect(world.as_("member", "PATCH", url, json={field: new}), 403)
    assert field in refused["detail"]
    assert expect(world.as_("member", "GET", url), 200)[field] == before[field]

    changed = expect(world.as_("staff", "PATCH", url, json={field: new}), 200)
    assert changed[field] == new


def test_a_participant_changes_their_title_but_not_alongside_a_staff_only_field(
    world: World,
) -> None:
    url = f"/v1/participants/{world.mentee['id']}"
    mixed = {"title": "Tech Lead", "career_stage": "senior"}
    expect(world.as_("member", "PATCH", url, json=mixed), 403)
    assert expect(world.as_("member", "GET", url), 200)["title"] == "Engineer"

    expect(world.as_("member", "PATCH", url, json={"title": "Tech Lead"}), 200)
    stored = expect(world.as_("staff", "GET", url), 200)
    assert stored["title"] == "Tech Lead" and stored["career_stage"] == "early"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        pytest.param("member", 403, id="mentee"),
        pytest.param("mentor", 403, id="mentor"),
        pytest.param("non_member", 404, id="non_member"),
    ],
)
def test_only_staff_change_a_match_status(world: World, who: str, status: int) -> None:
    url = f"/v1/matches/{world.match['id']}"
    for to_status in ("paused", "completed", "cancelled"):
        expect(world.as_(who, "POST", f"{url}/status", json={"status": to_status}), status)
    after = expect(world.as_("staff", "GET", url), 200)
    assert after["status"] == "active"
    assert [h["to_status"] for h in after["history"]] == ["active"]


@pytest.mark.parametrize("rotator", ["member", "staff"])
def test_a_rotated_key_stops_working(world: World, rotator: str) -> None:
    old = world.mentee["api_key"]
    url = f"/v1/participants/{world.mentee['id']}/key"
    # An outsider's attempt changes nothing.
    expect(world.as_("non_member", "POST", url), 404)
    assert expect(world.api.call("GET", "/v1/me", key=old), 200)["id"] == world.mentee["id"]

    new = expect(world.as_(rotator, "POST", url), 200)["api_key"]
    assert new != old
    expect(world.api.call("GET", "/v1/me", key=old), 401)
    expect(world.api.call("GET", f"/v1/matches/{world.match['id']}", key=old), 401)
    me = expect(world.api.call("GET", "/v1/me", key=new), 200)
    assert me["id"] == world.mentee["id"] and me["kind"] == "participant"
    # Other people's keys are untouched.
    expect(world.as_("mentor", "GET", "/v1/me"), 200)


@pytest.mark.parametrize("key", [None, "not-a-key"])
def test_malformed_body_without_a_valid_key_is_401_not_422(api: Api, key: str | None) -> None:
    response = api.client.post(
        "/v1/participants",
        content=b'{"name": ',
        headers={"Content-Type": "application/json", **bearer(key)},
    )
    assert response.status_code == 401
    assert "detail" in response.json() and "loc" not in str(response.json())
