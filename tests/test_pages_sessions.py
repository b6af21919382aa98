"""The match and session pages, as a mentor, mentee or peer uses them in a browser.

Data is built over the API; the pages are used through forms, as a person would, and
what they change is read back over the API.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient

from .browser import (
    LiveServer,
    assert_accessible,
    csrf_from,
    post_form,
    screenshot,
    sign_in,
    sign_in_in_browser,
)
from .support import STAFF_KEY, Api, expect, mentor_profile, profile


def _sessions(api: Api, match: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(
        api.call("GET", f"/v1/matches/{match['id']}/sessions"), 200
    )
    return result


def _notes(api: Api, meeting: dict[str, Any], key: str = STAFF_KEY) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = expect(
        api.call("GET", f"/v1/sessions/{meeting['id']}/notes", key=key), 200
    )
    return result


def _section(page: str, heading_id: str) -> str:
    """The HTML of the card whose heading has this id (up to the next card)."""
    start = page.index(f'id="{heading_id}"')
    end = page.find('<section class="card', start)
    return page[start : end if end != -1 else len(page)]


# ---- the match page ------------------------------------------------------------------


def test_match_page_lists_members_and_sessions_and_schedules_a_new_one(
    client: TestClient, api: Api
) -> None:
    mentor, mentee, match = api.mentor_pair()
    earlier = api.session(match, when="2027-02-20T15:00:00Z")
    api.session(match, when="2027-03-02T15:00:00Z")
    sign_in(client, mentor["api_key"])

    page = client.get(f"/matches/{match['id']}").text
    assert mentor["name"] in page and mentee["name"] in page
    assert "Mentoring" in page and "mentee" in page
    # Times are the viewer's (Europe/Berlin, an hour ahead of UTC in March).
    upcoming = _section(page, "upcoming-heading")
    assert "Tue 2 Mar 2027, 16:00 (Europe/Berlin)" in upcoming
    assert f"/sessions/{earlier['id']}" in _section(page, "past-heading")

    answer = post_form(
        client,
        f"/matches/{match['id']}/sessions",
        {"scheduled_at": "2027-03-09T18:30", "duration_minutes": "60", "title": "Dry run"},
        page=f"/matches/{match['id']}",
    )
    assert answer.status_code == 303
    created = next(s for s in _sessions(api, match) if s["title"] == "Dry run")
    assert answer.headers["location"].startswith(f"/sessions/{created['id']}")
    # 18:30 in Berlin is 17:30 UTC: the form's time is the viewer's wall clock.
    assert datetime.fromisoformat(created["scheduled_at"]) == datetime.fromisoformat(
        "2027-03-09T17:30:00+00:00"
    )
    assert created["duration_minutes"] == 60
    page = client.get(f"/matches/{match['id']}").text
    assert "Dry run" in _section(page, "upcoming-heading")


def test_match_page_lists_plans_with_their_status(client: TestClient, api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee)
    sign_in(client, mentor["api_key"])
    plans = _section(client.get(f"/matches/{match['id']}").text, "plans-heading")
    assert f'href="/plans/{plan["id"]}"' in plans
    shown = " ".join(html.unescape(plans).split())
    assert f"{mentee['name']}'s plan" in shown and plan["status"].capitalize() in shown


def test_a_peer_pairs_match_page_speaks_of_peers(client: TestClient, api: Api) -> None:
    alex, sam, match = api.complementary_peers()
    api.session(match)
    sign_in(client, sam["api_key"])
    page = client.get(f"/matches/{match['id']}").text
    main = page[page.index("<main") : page.index("</main>")]
    assert "Peer pair" in main and alex["name"] in main and sam["name"] in main
    assert "mentor" not in main.lower() and "mentee" not in main.lower()


def test_scheduling_with_a_garbage_or_implausible_date_keeps_the_input(
    client: TestClient, api: Api
) -> None:
    mentor, _mentee, match = api.mentor_pair()
    sign_in(client, mentor["api_key"])
    for typed, complaint in (("next tuesday", "Date and time"), ("1999-05-01T10:00", "2000")):
        answer = post_form(
            client,
            f"/matches/{match['id']}/sessions",
            {"scheduled_at": typed, "duration_minutes": "45", "title": "Kept title"},
            page=f"/matches/{match['id']}",
        )
        assert answer.status_code == 422
        assert 'role="alert"' in answer.text and complaint in answer.text
        assert f'value="{typed}"' in answer.text and 'value="Kept title"' in answer.text
    assert _sessions(api, match) == []


# ---- the session page: agenda, talking points, calendar ----------------------------------


def test_agenda_is_drafted_then_redrafted_with_a_focus(client: TestClient, api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    api.plan(match, mentee)
    meeting = api.session(match)
    sign_in(client, mentor["api_key"])
    path = f"/sessions/{meeting['id']}"
    page = client.get(path).text
    assert "No agenda yet" in page and ">Draft agenda</button>" in page

    assert post_form(client, f"{path}/agenda", {"focus": ""}, page=path).status_code == 303
    drafted = expect(api.call("GET", f"{'/v1' + path}/agenda"), 200)
    page = client.get(path).text
    assert ">Redraft agenda</button>" in page
    for item in drafted["items"]:
        assert html.escape(item["title"]) in page
        assert f"{item['minutes']} min" in page
    assert f"Led by {mentor['name']}" in page or f"Led by {mentee['name']}" in page

    focus = "Rehearse the all-hands opening"
    assert post_form(client, f"{path}/agenda", {"focus": focus}, page=path).status_code == 303
    page = client.get(path).text
    assert focus in page
    redrafted = expect(api.call("GET", f"{'/v1' + path}/agenda"), 200)
    assert any(focus in item["detail"] or focus in item["title"] for item in redrafted["items"])


def test_talking_points_are_added_and_removed_by_their_author(client: TestClient, api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentee["api_key"])
    added = post_form(client, f"{path}/talking-points", {"text": "Nerves before Q&A"}, page=path)
    assert added.status_code == 303
    points = expect(api.call("GET", f"/v1{path}/talking-points"), 200)
    assert [p["text"] for p in points] == ["Nerves before Q&A"]
    assert "Nerves before Q&amp;A" in client.get(path).text

    # The other member reads it but has no button to remove it.
    other = TestClient(client.app)
    sign_in(other, mentor["api_key"])
    seen = _section(other.get(path).text, "points-heading")
    assert "Nerves before Q&amp;A" in seen and "/remove" not in seen

    removed = post_form(client, f"/talking-points/{points[0]['id']}/remove", {}, page=path)
    assert removed.status_code == 303 and removed.headers["location"].startswith(path)
    assert expect(api.call("GET", f"/v1{path}/talking-points"), 200) == []
    assert "No talking points yet" in client.get(path).text


def test_blank_talking_point_is_refused_in_place(client: TestClient, api: Api) -> None:
    _mentor, mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentee["api_key"])
    answer = post_form(client, f"{path}/talking-points", {"text": "   "}, page=path)
    assert answer.status_code == 422 and "data-form-errors" in answer.text
    assert expect(api.call("GET", f"/v1{path}/talking-points"), 200) == []


def test_calendar_download_is_the_same_file_the_api_serves(client: TestClient, api: Api) -> None:
    mentor, _mentee, match = api.mentor_pair()
    meeting = api.session(match)
    sign_in(client, mentor["api_key"])
    page_file = client.get(f"/sessions/{meeting['id']}/session.ics")
    api_file = api.call("GET", f"/v1/sessions/{meeting['id']}/calendar.ics", key=mentor["api_key"])
    assert page_file.status_code == 200
    assert page_file.headers["content-type"].startswith("text/calendar")
    assert "attachment" in page_file.headers["content-disposition"]
    assert page_file.text == api_file.text


# ---- notes and action items ------------------------------------------------------------


def test_a_note_is_shown_as_text_never_as_markup(client: TestClient, api: Api) -> None:
    mentor, _mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentor["api_key"])
    answer = post_form(
        client,
        f"{path}/notes",
        {"text": "<script>alert(1)</script>", "visibility": "match"},
        page=path,
    )
    assert answer.status_code == 303
    page = client.get(path).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    notes = _section(page, "notes-heading")
    assert mentor["name"] in notes and "Shared with everyone in this match" in notes


def test_a_private_note_is_hidden_from_the_other_member_as_the_api_hides_it(
    client: TestClient, api: Api
) -> None:
    mentor, mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentor["api_key"])
    answer = post_form(
        client, f"{path}/notes", {"text": "PRIVATE worry", "visibility": "private"}, page=path
    )
    assert answer.status_code == 303
    assert "PRIVATE worry" in client.get(path).text
    assert "Private: only its author reads it" in client.get(path).text

    other = TestClient(client.app)
    sign_in(other, mentee["api_key"])
    assert "PRIVATE worry" not in other.get(path).text
    assert _notes(api, meeting, key=mentee["api_key"]) == []
    assert [n["text"] for n in _notes(api, meeting, key=mentor["api_key"])] == ["PRIVATE worry"]


def test_a_note_needs_text_and_an_explicit_visibility_and_keeps_the_input(
    client: TestClient, api: Api
) -> None:
    mentor, mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentor["api_key"])
    page = client.get(path).text
    assert re.search(r'name="visibility" value="\w+" required checked', page) is None

    blank = post_form(
        client,
        f"{path}/notes",
        {
            "text": "  ",
            "visibility": "staff",
            "item_text_1": "Send the slides",
            "item_owner_1": mentee["id"],
        },
        page=path,
    )
    assert blank.status_code == 422 and "data-form-errors" in blank.text
    assert 'value="staff" required checked' in blank.text
    assert 'value="Send the slides"' in blank.text
    assert f'value="{mentee["id"]}" selected' in blank.text

    typo = post_form(
        client,
        f"{path}/notes",
        {
            "text": "Went well",
            "visibility": "match",
            "item_text_1": "Send the slides",
            "item_due_1": "2207-03-01",
        },
        page=path,
    )
    assert typo.status_code == 422 and "Due date" in typo.text
    assert 'value="2207-03-01"' in typo.text and 'value="Send the slides"' in typo.text

    unchosen = post_form(client, f"{path}/notes", {"text": "Went well"}, page=path)
    assert unchosen.status_code == 422 and "Who can read it" in unchosen.text
    assert ">Went well</textarea>" in unchosen.text
    assert _notes(api, meeting) == []


def test_an_open_item_from_last_time_is_at_the_top_and_ticks_off_in_place(
    client: TestClient, api: Api
) -> None:
    mentor, mentee, match = api.mentor_pair()
    earlier = api.session(match, when="2027-02-20T15:00:00Z")
    today = api.session(match, when="2027-03-02T15:00:00Z")
    api.note(
        earlier,
        "Talk outline agreed",
        key=mentor["api_key"],
        action_items=[
            {"text": "Draft the opening", "owner_id": mentee["id"], "due_date": "2027-03-01"},
            {"text": "Book a rehearsal room", "owner_id": mentor["id"]},
        ],
    )
    sign_in(client, mentee["api_key"])
    path = f"/sessions/{today['id']}"
    page = client.get(path).text
    top = _section(page, "last-time-heading")
    assert page.index("last-time-heading") < page.index("agenda-heading")
    assert "Draft the opening" in top and mentee["name"] in top and "Mon 1 Mar 2027" in top
    assert "Book a rehearsal room" in top

    items = expect(api.call("GET", f"/v1/matches/{match['id']}/action-items"), 200)
    mine = next(i for i in items if i["text"] == "Draft the opening")
    theirs = next(i for i in items if i["text"] == "Book a rehearsal room")
    # The mentee may tick their own item but not the mentor's: no button for that one.
    assert f"/action-items/{mine['id']}" in top and f"/action-items/{theirs['id']}" not in top
    # Every form on the page carries this browser's token, the tick-off ones included.
    assert page.count("<form") == page.count(f'name="csrf_token" value="{csrf_from(page)}"')
    ticked = post_form(
        client, f"/action-items/{mine['id']}", {"done": "true", "next": path}, page=path
    )
    assert ticked.status_code == 303 and ticked.headers["location"].startswith(path)
    items = expect(api.call("GET", f"/v1/matches/{match['id']}/action-items"), 200)
    assert next(i for i in items if i["id"] == mine["id"])["done"] is True
    top = _section(client.get(path).text, "last-time-heading")
    assert "Draft the opening" not in top and "Book a rehearsal room" in top


def test_a_note_with_an_action_item_lists_it_on_the_match_page(
    client: TestClient, api: Api
) -> None:
    mentor, mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentor["api_key"])
    answer = post_form(
        client,
        f"{path}/notes",
        {
            "text": "Good progress",
            "visibility": "match",
            "item_text_1": "Record a practice run",
            "item_owner_1": mentee["id"],
            "item_due_1": "2027-03-08",
        },
        page=path,
    )
    assert answer.status_code == 303
    note = _notes(api, meeting)[0]
    assert [(i["text"], i["owner_id"], i["due_date"]) for i in note["action_items"]] == [
        ("Record a practice run", mentee["id"], "2027-03-08")
    ]
    items = _section(client.get(f"/matches/{match['id']}").text, "items-heading")
    assert "Record a practice run" in items and "Mon 8 Mar 2027" in items


def test_session_status_is_marked_held(client: TestClient, api: Api) -> None:
    mentor, _mentee, match = api.mentor_pair()
    meeting = api.session(match)
    path = f"/sessions/{meeting['id']}"
    sign_in(client, mentor["api_key"])
    answer = post_form(client, f"{path}/status", {"status": "held"}, page=path)
    assert answer.status_code == 303
    assert expect(api.call("GET", f"/v1{path}"), 200)["status"] == "held"


# ---- access ---------------------------------------------------------------------------


def test_pages_of_another_match_are_404_where_the_api_is(client: TestClient, api: Api) -> None:
    _mentor, _mentee, match = api.mentor_pair()
    meeting = api.session(match)
    api.note(meeting, "SECRET shared within the match")
    outsider = api.participant()
    for path in (f"/matches/{match['id']}", f"/sessions/{meeting['id']}"):
        expect(api.call("GET", f"/v1{path}", key=outsider["api_key"]), 404)
    sign_in(client, outsider["api_key"])
    for path in (
        f"/matches/{match['id']}",
        f"/sessions/{meeting['id']}",
        f"/sessions/{meeting['id']}/session.ics",
    ):
        answer = client.get(path)
        assert answer.status_code == 404 and "SECRET" not in answer.text
    token = csrf_from(client.get("/").text)
    wrote = client.post(
        f"/sessions/{meeting['id']}/notes",
        data={"text": "sneaky", "visibility": "match", "csrf_token": token},
    )
    assert wrote.status_code == 404
    assert [n["text"] for n in _notes(api, meeting)] == ["SECRET shared within the match"]


def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, api: Api
) -> None:
    mentor, _mentee, match = api.mentor_pair()
    meeting = api.session(match)
    sign_in(client, mentor["api_key"])
    answer = client.post(
        f"/sessions/{meeting['id']}/notes",
        data={"text": "forged", "visibility": "match"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    scheduled = client.post(
        f"/matches/{match['id']}/sessions",
        data={"scheduled_at": "2027-03-09T10:00", "duration_minutes": "45"},
        follow_redirects=False,
    )
    assert scheduled.status_code == 403
    assert _notes(api, meeting) == [] and len(_sessions(api, match)) == 1


def test_signed_out_visitors_are_sent_to_sign_in(client: TestClient, api: Api) -> None:
    _mentor, _mentee, match = api.mentor_pair()
    answer = client.get(f"/matches/{match['id']}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/?next=")


# ---- in a browser at phone width ------------------------------------------------------


def _http(live_server: LiveServer, key: str = STAFF_KEY) -> httpx.Client:
    return httpx.Client(base_url=live_server.url, headers={"Authorization": f"Bearer {key}"})


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_browser_mentor_schedules_drafts_notes_and_finds_the_item_next_time(
    live_server: LiveServer, phone: Any
) -> None:
    with _http(live_server) as http:
        mentor = _created(http.post("/v1/participants", json=mentor_profile(name="Maria Okafor")))
        mentee = _created(http.post("/v1/participants", json=profile(name="Jonas Weber")))
        match = _created(
            http.post(
                "/v1/matches",
                json={
                    "mode": "mentor",
                    "members": [
                        {"participant_id": mentor["id"], "role": "mentor"},
                        {"participant_id": mentee["id"], "role": "mentee"},
                    ],
                },
            )
        )
    page = phone.new_page()
    sign_in_in_browser(page, live_server.url, mentor["api_key"])
    page.goto(f"{live_server.url}/matches/{match['id']}")
    page.get_by_label("Date and time").fill("2027-03-03T10:00")
    page.get_by_label("Length in minutes").fill("45")
    page.get_by_label("Title").fill("Planning the talk")
    page.get_by_role("button", name="Schedule session").click()
    page.wait_for_url("**/sessions/**")
    assert page.get_by_text("Session scheduled.").is_visible()

    page.get_by_role("button", name="Draft agenda").click()
    page.get_by_role("heading", name="Everyone's time").wait_for()
    page.get_by_label("Note", exact=True).fill("We picked the story for the opening.")
    page.get_by_label("Everyone in this match").check()
    page.get_by_label("What is to be done").first.fill("Write the first two slides")
    page.get_by_label("Owner").first.select_option(label="Jonas Weber")
    page.get_by_label("Due date").first.fill("2027-03-10")
    page.get_by_role("button", name="Save note").click()
    page.get_by_text("Note saved.").wait_for()
    assert_accessible(page)
    screenshot(page, "session")

    page.goto(f"{live_server.url}/matches/{match['id']}")
    page.get_by_label("Date and time").fill("2027-03-17T10:00")
    page.get_by_label("Title").fill("Rehearsal")
    page.get_by_role("button", name="Schedule session").click()
    page.wait_for_url("**/sessions/**")
    first_card = page.locator("main section.card").first
    assert first_card.get_by_role("heading", name="From last time").is_visible()
    assert first_card.get_by_text("Write the first two slides", exact=True).is_visible()

    page.goto(f"{live_server.url}/matches/{match['id']}")
    assert page.get_by_text("Write the first two slides", exact=True).is_visible()
    assert_accessible(page)
    screenshot(page, "match")

    # Ticking it off updates the list in place: the page is not reloaded, the form the
    # mentor may be half-way through keeps what was typed.
    page.get_by_label("Title").fill("typed, not yet sent")
    page.get_by_role("button", name=re.compile(r"^Done\W+Write the first two slides")).click()
    page.get_by_text("Nothing open. Well done.").wait_for()
    assert page.get_by_label("Title").input_value() == "typed, not yet sent"
    # ...and a screen reader hears what happened.
    page.wait_for_function(
        "document.getElementById('live-region').textContent === 'Action item ticked off.'"
    )


def test_browser_peer_agenda_shows_both_peers_time_and_leads(
    live_server: LiveServer, phone: Any
) -> None:
    def peer(name: str, strong: str, weak: str, goal: str) -> dict[str, Any]:
        return profile(
            name=name,
            career_stage="mid",
            roles=["peer"],
            preferred_modes=["peer"],
            skills=[{"skill": strong, "level": 4}, {"skill": weak, "level": 2}],
            goals=[{"text": goal, "skills": [weak], "target_level": 3, "horizon_weeks": 8}],
        )

    with _http(live_server) as http:
        alex = _created(
            http.post(
                "/v1/participants",
                json=peer("Alex Chen", "code_review", "public_speaking", "Give a guild talk"),
            )
        )
        sam = _created(
            http.post(
                "/v1/participants",
                json=peer("Sam Rivera", "public_speaking", "code_review", "Review to teach"),
            )
        )
        match = _created(
            http.post(
                "/v1/matches",
                json={
                    "mode": "peer",
                    "members": [
                        {"participant_id": alex["id"], "role": "peer"},
                        {"participant_id": sam["id"], "role": "peer"},
                    ],
                },
            )
        )
    with _http(live_server, alex["api_key"]) as http:
        meeting = _created(
            http.post(
                f"/v1/matches/{match['id']}/sessions",
                json={"scheduled_at": "2027-03-04T16:00:00Z", "duration_minutes": 60},
            )
        )
        agenda = _created(http.post(f"/v1/sessions/{meeting['id']}/agenda", json={}))

    page = phone.new_page()
    sign_in_in_browser(page, live_server.url, sam["api_key"])
    page.goto(f"{live_server.url}/sessions/{meeting['id']}")
    table = page.locator("table.member-time")
    rows = {
        name: table.get_by_role("row", name=re.compile(name)).inner_text()
        for name in ("Alex Chen", "Sam Rivera")
    }
    own_times = {name: row.split("\t")[1] for name, row in rows.items()}
    assert own_times["Alex Chen"] == own_times["Sam Rivera"] != "0 min"
    leads = [lead.inner_text() for lead in page.locator(".agenda-item .lead").all()]
    assert len(leads) == len(agenda["items"])
    for name in ("Alex Chen", "Sam Rivera"):
        assert any(name in lead for lead in leads), f"{name} leads nothing"
    body = page.locator("main").inner_text().lower()
    assert "mentor" not in body and "mentee" not in body
    assert_accessible(page)
    screenshot(page, "peer-agenda")

    # A talking point is added and removed in place, without leaving the agenda.
    page.get_by_label("Something you want to talk about").fill("Pairing on a review")
    page.get_by_role("button", name="Add talking point").click()
    points = page.locator("#talking-points")
    points.get_by_text("Pairing on a review", exact=True).wait_for()
    page.get_by_role("button", name=re.compile(r"^Remove\W+Pairing on a review")).click()
    points.get_by_text("No talking points yet.").wait_for()
