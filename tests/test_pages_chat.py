"""The chat page as a participant relies on it: a message works as a plain form post and
streamed, the reply's plan can be accepted or revised from its card, nothing anyone
wrote can run as script, another person's conversation stays hidden, and a refused
message keeps what was typed."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from markupsafe import escape

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

JSON = dict[str, Any]
PLAN_REQUEST = "Help me make a development plan"
CONVERSATION_URL = re.compile(r"^/chat/([A-Za-z0-9_-]+)$")


def _new_conversation(client: TestClient, text: str) -> str:
    """Start a conversation from /chat without script; returns its id."""
    response = post_form(client, "/chat/messages", {"content": text}, page="/chat")
    assert response.status_code == 303, response.text
    found = CONVERSATION_URL.match(response.headers["location"])
    assert found, response.headers["location"]
    return found.group(1)


def _conversation(api: Api, key: str, conversation_id: str) -> JSON:
    detail: JSON = expect(
        api.call("GET", f"/v1/chat/conversations/{conversation_id}", key=key), 200
    )
    return detail


def _drafted_plan_id(detail: JSON) -> str:
    (reply,) = [m for m in detail["messages"] if m["role"] == "assistant"][-1:]
    (drafted,) = [a for a in reply["actions"] if a["type"] == "plan_drafted"]
    plan_id: str = drafted["plan_id"]
    return plan_id


def _sse_events(body: str) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].removeprefix(" "))
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


# ---- without JavaScript ---------------------------------------------------------------


def test_a_plan_request_without_script_redirects_to_the_reply_and_its_plan_card(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])

    conversation_id = _new_conversation(client, PLAN_REQUEST)
    page = client.get(f"/chat/{conversation_id}")

    assert page.status_code == 200
    detail = _conversation(api, mentee["api_key"], conversation_id)
    user, reply = detail["messages"]
    assert user["content"] == PLAN_REQUEST and user["content"] in page.text
    # The reply as stored, shown with the assistant that wrote it.
    assert reply["content"].split("\n")[0] in page.text
    assert f"Assistant · {reply['assistant']}" in page.text
    plan_id = _drafted_plan_id(detail)
    plan = expect(api.call("GET", f"/v1/plans/{plan_id}", key=mentee["api_key"]), 200)
    assert 'class="card plan-card"' in page.text
    assert f'href="/plans/{plan_id}"' in page.text and "Open the plan" in page.text
    for objective in plan["objectives"]:
        assert objective["title"] in page.text
    assert f"/chat/{conversation_id}/plans/{plan_id}/accept" in page.text
    assert ">Accept</button>" in page.text and ">Revise</button>" in page.text
    # People read words: the plan's id is a link on the word "plan", never text to copy,
    # and the reply's long plan text (the card shows the plan) is one tap away.
    assert not re.search(r">[^<]*" + plan_id, page.text)
    assert f'<a href="/plans/{plan_id}">plan</a>' in page.text
    assert "<summary>The whole reply</summary>" in page.text
    # The conversation is listed by its title, linking to it.
    index = client.get("/chat")
    assert f'href="/chat/{conversation_id}"' in index.text and PLAN_REQUEST in index.text


def test_accept_on_the_card_accepts_the_plan_and_the_card_says_so(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])
    conversation_id = _new_conversation(client, PLAN_REQUEST)
    plan_id = _drafted_plan_id(_conversation(api, mentee["api_key"], conversation_id))

    accepted = post_form(
        client,
        f"/chat/{conversation_id}/plans/{plan_id}/accept",
        {},
        page=f"/chat/{conversation_id}",
    )

    assert accepted.status_code == 303
    assert accepted.headers["location"].startswith(f"/chat/{conversation_id}")
    plan = expect(api.call("GET", f"/v1/plans/{plan_id}", key=mentee["api_key"]), 200)
    assert plan["status"] == "active"
    page = client.get(accepted.headers["location"])
    assert "Accepted" in page.text and ">Accept</button>" not in page.text
    # Accepting again is refused by the service; the page says why, and stays the page.
    again = post_form(
        client,
        f"/chat/{conversation_id}/plans/{plan_id}/accept",
        {},
        page=f"/chat/{conversation_id}",
    )
    assert again.status_code == 409
    assert "The plan was not accepted" in again.text and "already active" in again.text


def test_the_revise_form_revises_the_plan_through_the_assistant(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])
    conversation_id = _new_conversation(client, PLAN_REQUEST)
    plan_id = _drafted_plan_id(_conversation(api, mentee["api_key"], conversation_id))

    revised = post_form(
        client,
        f"/chat/{conversation_id}/messages",
        {"content": "make it 6 weeks", "revise": "1"},
        page=f"/chat/{conversation_id}",
    )

    assert revised.status_code == 303
    detail = _conversation(api, mentee["api_key"], conversation_id)
    assert detail["messages"][2]["content"] == "Revise the plan: make it 6 weeks"
    (action,) = detail["messages"][3]["actions"]
    assert action["type"] == "plan_revised" and action["plan_id"] == plan_id
    page = client.get(f"/chat/{conversation_id}").text
    # The old version's card says it was replaced; the new one can be accepted.
    assert f"Replaced by version {action['version']}" in page
    assert page.count(">Accept</button>") == 1


def test_new_conversation_opens_an_empty_conversation_to_write_in(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])

    created = post_form(client, "/chat/conversations", {}, page="/chat")

    assert created.status_code == 303
    found = CONVERSATION_URL.match(created.headers["location"])
    assert found
    page = client.get(created.headers["location"]).text
    assert "No messages yet" in page
    assert f'action="/chat/{found.group(1)}/messages"' in page
    assert '<label for="message">Your message</label>' in page
    reply = post_form(
        client, f"/chat/{found.group(1)}/messages", {"content": PLAN_REQUEST}, page="/chat"
    )
    assert reply.status_code == 303
    detail = _conversation(api, mentee["api_key"], found.group(1))
    assert detail["title"] == PLAN_REQUEST and len(detail["messages"]) == 2


# ---- streamed ---------------------------------------------------------------------------


def test_the_stream_sends_the_reply_in_pieces_and_saves_exactly_what_it_sent(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])
    token = csrf_from(client.get("/chat").text)

    with client.stream(
        "POST", "/chat/messages/stream", data={"content": PLAN_REQUEST, "csrf_token": token}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()

    events = _sse_events(body)
    names = [name for name, _ in events]
    assert names[0] == "start" and names[-1] == "done"
    chunks = [data for name, data in events if name == "chunk"]
    assert len(chunks) > 1
    start, done = events[0][1], events[-1][1]
    detail = _conversation(api, mentee["api_key"], done["conversation_id"])
    user, reply = detail["messages"]
    assert start["user"] == user["content"] == PLAN_REQUEST
    assert "".join(chunks) == reply["content"]
    assert start["assistant"] == reply["assistant"] and done["message_id"] == reply["id"]
    assert done["url"] == f"/chat/{detail['id']}"

    # The next message streams into the same conversation.
    with client.stream(
        "POST",
        f"/chat/{detail['id']}/messages/stream",
        data={"content": "Explain my plan", "csrf_token": token},
    ) as response:
        more = _sse_events(response.read().decode())
    detail = _conversation(api, mentee["api_key"], detail["id"])
    assert len(detail["messages"]) == 4
    assert "".join(d for n, d in more if n == "chunk") == detail["messages"][3]["content"]


# ---- safety ------------------------------------------------------------------------------


def test_script_in_messages_and_replies_is_shown_as_text(client: TestClient, api: Api) -> None:
    attack = "<script>alert(1)</script>"
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])

    conversation_id = _new_conversation(client, f"{PLAN_REQUEST} {attack}")
    page = client.get(f"/chat/{conversation_id}").text

    # Stored as typed, and quoted back by the assistant (it repeats the goal it heard):
    # both reach the page only as text.
    user, reply = _conversation(api, mentee["api_key"], conversation_id)["messages"]
    assert attack in user["content"] and attack in reply["content"]
    assert attack not in page
    assert str(escape(user["content"])) in page and str(escape(reply["content"])) in page


def test_another_participants_conversation_is_not_found_as_in_the_api(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    other = api.participant()
    sign_in(client, mentee["api_key"])
    conversation_id = _new_conversation(client, PLAN_REQUEST)
    client.cookies.clear()
    sign_in(client, other["api_key"])

    assert (
        api.call(
            "GET", f"/v1/chat/conversations/{conversation_id}", key=other["api_key"]
        ).status_code
        == 404
    )
    page = client.get(f"/chat/{conversation_id}")
    assert page.status_code == 404 and PLAN_REQUEST not in page.text
    posted = post_form(
        client, f"/chat/{conversation_id}/messages", {"content": "hello"}, page="/chat"
    )
    assert posted.status_code == 404
    assert len(_conversation(api, mentee["api_key"], conversation_id)["messages"]) == 2


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])

    for path in ("/chat/messages", "/chat/messages/stream", "/chat/conversations"):
        refused = client.post(path, data={"content": PLAN_REQUEST}, follow_redirects=False)
        assert refused.status_code == 403, path

    assert expect(api.call("GET", "/v1/chat/conversations", key=mentee["api_key"]), 200) == []


def test_an_empty_or_too_long_message_is_refused_with_what_was_typed_kept(
    client: TestClient, api: Api
) -> None:
    _, mentee, _ = api.mentor_pair()
    sign_in(client, mentee["api_key"])
    limit = client.app.state.services.settings.chat_max_message_chars  # type: ignore[attr-defined]
    too_long = "plan " * (limit // 5 + 1)

    empty = post_form(client, "/chat/messages", {"content": "   "}, page="/chat")
    long_new = post_form(client, "/chat/messages/stream", {"content": too_long}, page="/chat")

    assert empty.status_code == 422 and "Your message is empty" in empty.text
    assert long_new.status_code == 422 and f"the limit is {limit}" in long_new.text
    assert too_long.strip() in long_new.text  # kept in the message box
    assert expect(api.call("GET", "/v1/chat/conversations", key=mentee["api_key"]), 200) == []

    conversation_id = _new_conversation(client, "Hello")
    long_next = post_form(
        client, f"/chat/{conversation_id}/messages", {"content": too_long}, page="/chat"
    )
    assert long_next.status_code == 422 and too_long.strip() in long_next.text
    assert len(_conversation(api, mentee["api_key"], conversation_id)["messages"]) == 2


def test_staff_are_told_the_assistant_is_for_participants(client: TestClient) -> None:
    sign_in(client, STAFF_KEY)

    page = client.get("/chat")

    assert page.status_code == 200 and "Program staff cannot chat" in page.text
    assert 'id="message-form"' not in page.text
    refused = post_form(client, "/chat/conversations", {}, page="/chat")
    assert refused.status_code == 403


# ---- in a phone's browser ---------------------------------------------------------------


def test_a_mentee_streams_a_plan_and_accepts_it_on_a_phone(
    live_server: LiveServer, phone: Any
) -> None:
    staff = {"Authorization": f"Bearer {STAFF_KEY}"}
    with httpx.Client(base_url=live_server.url, headers=staff) as http:
        mentor = http.post("/v1/participants", json=mentor_profile(name="Alex Kim")).json()
        mentee = http.post("/v1/participants", json=profile(name="Sam Rivera")).json()
        members = [
            {"participant_id": mentor["id"], "role": "mentor"},
            {"participant_id": mentee["id"], "role": "mentee"},
        ]
        assert http.post("/v1/matches", json={"mode": "mentor", "members": members}).is_success
    page = phone.new_page()
    sign_in_in_browser(page, live_server.url, mentee["api_key"])

    page.get_by_role("link", name="Chat").click()
    page.wait_for_url(live_server.url + "/chat")
    # A mark on this document: gone if the reply came by loading another page.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Start a new conversation").fill(PLAN_REQUEST)
    screenshot(page, "chat-start")
    page.get_by_role("button", name="Send").click()

    reply = page.locator(".msg.assistant").last
    reply.wait_for()
    assert "plan" in reply.inner_text()
    card = page.locator(".plan-card")
    card.wait_for()
    assert page.evaluate("window.sameDocument === true")
    assert re.fullmatch(r".*/chat/[A-Za-z0-9_-]+", page.url)
    link = card.get_by_role("link", name="Open the plan")
    assert re.fullmatch(r"/plans/[A-Za-z0-9_-]+", link.get_attribute("href") or "")

    card.get_by_role("button", name="Accept").click()
    page.locator(".plan-card .badge.accepted").wait_for()
    assert page.locator(".plan-card").get_by_text("Accepted").is_visible()
    assert_accessible(page)
    screenshot(page, "chat")

    # On to the plan itself: tick the first milestone done and watch its health move.
    card.get_by_role("link", name="Open the plan").click()
    page.wait_for_url(re.compile(r".*/plans/[A-Za-z0-9_-]+$"))
    assert_accessible(page)
    health = page.locator("#plan-health")
    before = health.inner_text()
    assert "0% of milestones done" in before
    first = page.locator(".plan-milestone").first
    first.get_by_role("button", name="Done").click()
    from playwright.sync_api import expect as eventually

    eventually(health).not_to_contain_text("0% of milestones done")
    after = health.inner_text()
    assert after != before and "0% of milestones done" not in after
    assert page.locator(".plan-milestone").first.locator(".badge").first.inner_text() == "Done"
