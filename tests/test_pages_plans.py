"""The mentee's home and plan pages: what a person sees and does in the browser, checked
against what the API says about the same plan."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from .browser import (
    assert_accessible,
    csrf_from,
    post_form,
    screenshot,
    sign_in,
    sign_in_in_browser,
)
from .support import STAFF_KEY, Api, bearer, expect, mentor_profile, profile

# Starts two months before the test clock (2027-03-01): "Outline" is 28 days overdue,
# which puts the plan off track until it is ticked done.
PLAN: dict[str, Any] = {
    "summary": "Three months to a confident all-hands talk.",
    "starts_on": "2027-01-01",
    "objectives": [
        {
            "title": "Give the all-hands talk",
            "goal": "Present our team's work at the quarterly all-hands",
            "skills": ["public_speaking"],
            "success_measures": ["Delivered without notes"],
            "milestones": [
                {"title": "Outline", "due_date": "2027-02-01"},
                {"title": "Dry run", "due_date": "2027-03-10"},
            ],
            "activities": [
                {
                    "description": "Record a 3-minute rehearsal",
                    "kind": "practice",
                    "citation_ids": ["c1"],
                    "minutes_per_month": 60,
                    "recurring": True,
                }
            ],
        }
    ],
    "citations": [
        {
            "id": "c1",
            "source": "speaking playbook",
            "title": "Rehearse on camera",
            "quote": "Record yourself and watch it back.",
        }
    ],
}
OVERDUE_REASON = "Milestone 'Outline' is 28 days overdue"


def _pair_with_plan(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    mentor, mentee, match = api.mentor_pair()
    plan = api.plan(match, mentee, **PLAN)
    return mentee, mentor, plan


def _milestone_id(plan: dict[str, Any], title: str) -> str:
    return next(m["id"] for o in plan["objectives"] for m in o["milestones"] if m["title"] == title)


def _text(page_html: str) -> str:
    """The page's words as a person reads them: tags dropped, entities decoded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page_html)).split())


def _progress(api: Api, plan: dict[str, Any], key: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = expect(
        api.call("GET", f"/v1/plans/{plan['id']}/progress", key=key), 200
    )
    return found


# ---- home ---------------------------------------------------------------------------


def test_home_lists_the_match_the_next_session_and_each_plans_health(
    client: TestClient, api: Api
) -> None:
    mentee, mentor, plan = _pair_with_plan(api)
    session = api.session({"id": plan["match_id"]}, when="2027-03-02T15:00:00Z")
    sign_in(client, mentee["api_key"])

    page = client.get("/")

    assert page.status_code == 200
    text = _text(page.text)
    assert f"Mentoring with {mentor['name']}" in text
    assert f'href="/matches/{plan["match_id"]}"' in page.text
    # The next session in the mentee's own zone (Europe/Berlin: 15:00 UTC is 16:00).
    assert "Tue 2 Mar 2027, 16:00 (Europe/Berlin)" in text
    assert f"with {mentor['name']}" in text
    assert f'href="/sessions/{session["id"]}"' in page.text
    # Each plan with the health the API gives, in words.
    health = expect(api.call("GET", f"/v1/plans/{plan['id']}/health", key=mentee["api_key"]), 200)
    assert health["status"] == "off_track"
    assert "Off track" in text
    for reason in health["reasons"]:
        assert reason in text
    assert f'href="/plans/{plan["id"]}"' in page.text


def test_a_mentors_home_lists_their_mentees_plan_as_someone_elses(
    client: TestClient, api: Api
) -> None:
    mentee, mentor, plan = _pair_with_plan(api)
    sign_in(client, mentor["api_key"])

    page = client.get("/")

    text = _text(page.text)
    assert f"Plans of the people you work with {mentee['name']}\u2019s plan Off track" in text
    assert f'href="/plans/{plan["id"]}"' in page.text
    assert "Nothing scheduled yet." in text


def test_someone_not_yet_matched_is_told_what_happens_next(client: TestClient, api: Api) -> None:
    waiting = api.participant()
    sign_in(client, waiting["api_key"])

    text = _text(client.get("/").text)

    assert "You have not been matched yet" in text
    assert "Your plans" not in text


def test_staff_home_says_their_pages_are_coming_and_links_the_api_docs(
    client: TestClient,
) -> None:
    sign_in(client, STAFF_KEY)

    page = client.get("/")

    assert "staff web work" in _text(page.text)
    assert 'href="/docs"' in page.text


# ---- the plan page ------------------------------------------------------------------


def test_plan_page_shows_objectives_milestones_sources_time_and_health(
    client: TestClient, api: Api
) -> None:
    mentee, _, plan = _pair_with_plan(api)
    sign_in(client, mentee["api_key"])

    page = client.get(f"/plans/{plan['id']}")

    assert page.status_code == 200
    text = _text(page.text)
    assert "Give the all-hands talk" in text
    assert "Goal: Present our team's work at the quarterly all-hands" in text
    assert "Outline" in text and "Due Mon 1 Feb 2027" in text
    assert "Dry run" in text and "Due Wed 10 Mar 2027" in text
    # The activity points at its source, and the source is there with its quote.
    assert "Record a 3-minute rehearsal (practice, 1 h a month)" in text
    assert 'href="#source-1"' in page.text and 'id="source-1"' in page.text
    assert "Rehearse on camera (speaking playbook)" in text
    assert "Record yourself and watch it back." in text
    # The time the plan asks for against the 4 hours a month the mentee gives.
    assert "of the 4 h you give a month" in text
    assert OVERDUE_REASON in text
    # The owner may log progress: a status button per milestone and status.
    assert text.count("In progress") >= 2
    assert "Version 1 of 1" in text
    assert "Accept this plan" in text


def test_a_plan_that_asks_for_more_time_than_the_owner_gives_says_so(
    client: TestClient, api: Api
) -> None:
    _, mentee, match = api.mentor_pair()
    body = copy.deepcopy(PLAN)
    body["objectives"][0]["activities"][0]["minutes_per_month"] = 300  # 5 h, of 4 h given
    plan = api.plan(match, mentee, **body)
    sign_in(client, mentee["api_key"])

    text = _text(client.get(f"/plans/{plan['id']}").text)

    assert f"{plan['planned_minutes_per_month'] // 60} h planned in the busiest month" in text
    assert "This plan asks for more time than that." in text


def test_ticking_a_milestone_logs_progress_and_the_health_changes(
    client: TestClient, api: Api
) -> None:
    mentee, _, plan = _pair_with_plan(api)
    outline = _milestone_id(plan, "Outline")
    sign_in(client, mentee["api_key"])
    path = f"/plans/{plan['id']}"

    response = post_form(
        client, f"{path}/progress", {"milestone_id": outline, "status": "done"}, page=path
    )

    assert response.status_code == 303
    assert response.headers["location"].startswith(path)
    (logged,) = _progress(api, plan, mentee["api_key"])
    assert (logged["milestone_id"], logged["status"], logged["author_id"]) == (
        outline,
        "done",
        mentee["id"],
    )
    health = expect(api.call("GET", f"{'/v1'}{path}/health", key=mentee["api_key"]), 200)
    assert health["status"] == "on_track"
    after = _text(client.get(response.headers["location"]).text)
    assert "“Outline” is now done." in after
    assert OVERDUE_REASON not in after
    assert "On track" in after
    assert "1 of 2 milestones done, none overdue" in after
    assert "“Outline”: not started → done" in after  # the latest progress list


def test_a_plan_is_not_found_on_the_page_exactly_where_the_api_hides_it(
    client: TestClient, api: Api
) -> None:
    mentee, mentor, plan = _pair_with_plan(api)
    _, outsider, _ = api.mentor_pair()
    path = f"/plans/{plan['id']}"

    for person, status in ((mentor, 200), (outsider, 404)):
        assert api.call("GET", f"/v1{path}", key=person["api_key"]).status_code == status
        sign_in(client, person["api_key"])
        for page in (path, f"{path}/print", f"{path}/plan.md"):
            assert client.get(page).status_code == status, (person["name"], page)
    hidden = client.get(path)
    assert "Give the all-hands talk" not in hidden.text
    assert mentee["name"] not in hidden.text
    # Nor can the outsider log progress on it.
    refused = post_form(
        client,
        f"{path}/progress",
        {"milestone_id": _milestone_id(plan, "Outline"), "status": "done"},
    )
    assert refused.status_code == 404
    assert _progress(api, plan, mentee["api_key"]) == []


def test_status_buttons_follow_the_apis_rule_for_who_may_log_progress(
    client: TestClient, api: Api
) -> None:
    # A mentor may log progress on their mentee's plan; a peer only reads a fellow's.
    mentee, mentor, plan = _pair_with_plan(api)
    sign_in(client, mentor["api_key"])
    path = f"/plans/{plan['id']}"
    assert 'action="' + path + '/progress"' in client.get(path).text
    outline = _milestone_id(plan, "Outline")
    by_mentor = post_form(
        client, f"{path}/progress", {"milestone_id": outline, "status": "in_progress"}, page=path
    )
    assert by_mentor.status_code == 303
    assert [p["author_id"] for p in _progress(api, plan, mentee["api_key"])] == [mentor["id"]]

    alex, sam, peers = api.complementary_peers()
    alex_plan = api.plan(peers, alex, **PLAN)
    alex_path = f"/plans/{alex_plan['id']}"
    sign_in(client, sam["api_key"])
    page = client.get(alex_path)
    assert page.status_code == 200 and "Give the all-hands talk" in page.text
    assert "/progress" not in page.text and 'name="instruction"' not in page.text
    refused = post_form(
        client,
        f"{alex_path}/progress",
        {"milestone_id": _milestone_id(alex_plan, "Outline"), "status": "done"},
        page=alex_path,
    )
    api_refused = api.call(
        "POST",
        f"/v1{alex_path}/progress",
        key=sam["api_key"],
        json={"milestone_id": _milestone_id(alex_plan, "Outline"), "status": "done"},
    )
    assert refused.status_code == api_refused.status_code == 403
    assert "only the plan's owner may change this plan" in _text(refused.text)
    assert _progress(api, alex_plan, alex["api_key"]) == []


def test_a_goal_with_markup_is_shown_as_text_not_run(client: TestClient, api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    body = copy.deepcopy(PLAN)
    body["objectives"][0]["goal"] = "Speak up <script>alert(1)</script>"
    plan = api.plan(match, mentee, **body)
    sign_in(client, mentee["api_key"])

    for path in ("/", f"/plans/{plan['id']}", f"/plans/{plan['id']}/print"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page, path
    page = client.get(f"/plans/{plan['id']}").text
    assert "Speak up &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, api: Api
) -> None:
    mentee, _, plan = _pair_with_plan(api)
    sign_in(client, mentee["api_key"])
    path = f"/plans/{plan['id']}"

    forged = client.post(
        f"{path}/progress",
        data={"milestone_id": _milestone_id(plan, "Outline"), "status": "done"},
        follow_redirects=False,
    )
    accept = client.post(f"{path}/accept", data={}, follow_redirects=False)
    revise = client.post(
        f"{path}/revise", data={"instruction": "make it lighter"}, follow_redirects=False
    )

    assert (forged.status_code, accept.status_code, revise.status_code) == (403, 403, 403)
    assert _progress(api, plan, mentee["api_key"]) == []
    current = expect(api.call("GET", f"/v1{path}", key=mentee["api_key"]), 200)
    assert (current["latest_version"], current["status"]) == (1, "draft")


def test_a_bad_revision_is_refused_with_the_instruction_kept(client: TestClient, api: Api) -> None:
    mentee, _, plan = _pair_with_plan(api)
    sign_in(client, mentee["api_key"])
    path = f"/plans/{plan['id']}"
    too_long = "Please make it lighter. " * 100  # over the 2000 characters the API takes

    response = post_form(client, f"{path}/revise", {"instruction": too_long}, page=path)

    assert response.status_code == 422
    assert 'role="alert"' in response.text and "data-form-errors" in response.text
    assert "2000 characters" in _text(response.text)
    assert html.escape(too_long.strip(), quote=False) in response.text
    versions = expect(api.call("GET", f"/v1{path}/versions", key=mentee["api_key"]), 200)
    assert len(versions) == 1
    empty = post_form(client, f"{path}/revise", {"instruction": "   "}, page=path)
    assert empty.status_code == 422
    assert "a revision needs an instruction" in _text(empty.text)


def test_revising_in_words_adds_a_version_and_the_older_one_stays_readable(
    client: TestClient, api: Api
) -> None:
    mentee, _, plan = _pair_with_plan(api)
    sign_in(client, mentee["api_key"])
    path = f"/plans/{plan['id']}"

    response = post_form(
        client, f"{path}/revise", {"instruction": "I only have 2 hours a month"}, page=path
    )

    assert response.status_code == 303
    current = expect(api.call("GET", f"/v1{path}", key=mentee["api_key"]), 200)
    assert current["latest_version"] == 2
    text = _text(client.get(response.headers["location"]).text)
    assert "Version 2 of 2" in text
    assert "Asked for: “I only have 2 hours a month”" in text
    older = client.get(f"{path}?version=1")
    assert older.status_code == 200
    assert "You are reading an earlier version." in _text(older.text)
    assert "Give the all-hands talk" in older.text
    assert client.get(f"{path}?version=9").status_code == 404


def test_the_owner_accepts_a_draft_and_the_mentor_cannot(client: TestClient, api: Api) -> None:
    mentee, mentor, plan = _pair_with_plan(api)
    path = f"/plans/{plan['id']}"
    sign_in(client, mentor["api_key"])
    assert "Accept this plan" not in client.get(path).text

    sign_in(client, mentee["api_key"])
    response = post_form(client, f"{path}/accept", {}, page=path)

    assert response.status_code == 303
    assert expect(api.call("GET", f"/v1{path}", key=mentee["api_key"]), 200)["status"] == "active"
    text = _text(client.get(response.headers["location"]).text)
    assert "Plan accepted." in text
    assert "Accept this plan" not in text


def test_the_markdown_download_is_the_apis_export(client: TestClient, api: Api) -> None:
    mentee, _, plan = _pair_with_plan(api)
    sign_in(client, mentee["api_key"])

    download = client.get(f"/plans/{plan['id']}/plan.md")
    export = api.call("GET", f"/v1/plans/{plan['id']}?format=md", key=mentee["api_key"])

    assert download.status_code == 200
    assert download.text == export.text
    assert download.headers["content-type"].startswith("text/markdown")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert ".md" in download.headers["content-disposition"]


def test_print_view_has_the_whole_plan_without_the_forms(client: TestClient, api: Api) -> None:
    mentee, _, plan = _pair_with_plan(api)
    sign_in(client, mentee["api_key"])

    page = client.get(f"/plans/{plan['id']}/print")

    assert page.status_code == 200
    text = _text(page.text)
    assert "Give the all-hands talk" in text and "Record yourself and watch it back." in text
    assert "/progress" not in page.text and 'name="instruction"' not in page.text


# ---- in a browser ---------------------------------------------------------------------


def test_a_mentee_ticks_a_milestone_done_on_a_phone_and_sees_the_health_change(
    live_server: Any, phone: Any
) -> None:
    with httpx.Client(base_url=live_server.url, headers=bearer(STAFF_KEY)) as http:

        def created(path: str, body: dict[str, Any], key: str = STAFF_KEY) -> Any:
            response = http.post(path, json=body, headers=bearer(key))
            assert response.status_code == 201, response.text
            return response.json()

        mentor = created("/v1/participants", mentor_profile(name="Dana Okafor"))
        mentee = created("/v1/participants", profile(name="Priya Natarajan"))
        match = created(
            "/v1/matches",
            {
                "mode": "mentor",
                "members": [
                    {"participant_id": mentor["id"], "role": "mentor"},
                    {"participant_id": mentee["id"], "role": "mentee"},
                ],
            },
        )
        plan = created(
            f"/v1/matches/{match['id']}/plans",
            {"owner_id": mentee["id"], **PLAN},
            key=mentee["api_key"],
        )
        created(
            f"/v1/matches/{match['id']}/sessions",
            {"scheduled_at": "2027-03-04T15:00:00Z", "duration_minutes": 45},
        )

    page = phone.new_page()
    sign_in_in_browser(page, live_server.url, mentee["api_key"])
    assert_accessible(page)
    screenshot(page, "home")
    page.get_by_role("link", name="Your plan").click()
    page.wait_for_url(f"**/plans/{plan['id']}")
    health = page.locator("#plan-health")
    assert "Off track" in health.inner_text()
    assert OVERDUE_REASON in health.inner_text()

    outline = page.locator(f"#m-{_milestone_id(plan, 'Outline')}")
    outline.get_by_role("button", name="Done").click()

    page.locator("[data-health-status]", has_text="On track").wait_for()
    assert OVERDUE_REASON not in health.inner_text()
    assert "1 of 2 milestones done" in health.inner_text()
    assert page.locator(f"#m-{_milestone_id(plan, 'Outline')} .badge").inner_text() == "Done"
    assert_accessible(page)
    screenshot(page, "plan")
    # The page was updated in place, and a reload shows the same: it was saved.
    page.reload()
    assert "On track" in page.locator("#plan-health").inner_text()
    assert csrf_from(page.content())
    page.get_by_role("link", name="Print view").click()
    page.get_by_role("heading", name="Development plan: Priya Natarajan").wait_for()
    assert_accessible(page)
    screenshot(page, "plan-print")
