"""Signing in to the pages and what keeps them safe: cookies, CSRF, links, headers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from .browser import assert_accessible, csrf_from, post_form, screenshot, sign_in
from .conftest import FixedClock
from .support import STAFF_KEY, Api, expect


def _cookie_header(response: Any, name: str) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert headers, f"no {name} cookie set"
    return str(headers[0])


def _home_heading(client: TestClient) -> str:
    found = re.search(r"<h1>(.*?)</h1>", client.get("/").text, re.S)
    assert found
    return found.group(1).strip()


def test_signed_out_home_is_the_sign_in_form(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    # The web contract: a field named api_key and a hidden csrf_token.
    assert re.search(r'<input[^>]+name="api_key"', page.text)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[0-9a-f]{64}"', page.text)
    assert 'for="api_key"' in page.text  # labelled


def test_a_key_signs_in_with_a_safe_cookie(client: TestClient, api: Api) -> None:
    mentee = api.participant(name="Sam Rivera")
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/sign-in",
        data={"api_key": mentee["api_key"], "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = _cookie_header(response, "tandem_session").lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "max-age=" in cookie
    # Not Secure over plain http (the cookie would never come back); see the https test.
    assert "secure" not in cookie
    assert mentee["api_key"] not in response.headers.get("set-cookie", "")
    assert "Sam Rivera" in client.get("/").text


def test_cookies_are_secure_behind_https(settings: Any, clock: FixedClock) -> None:
    from assistant.api import create_app
    from assistant.retrieval.embeddings import WordOverlapEmbedder

    app = create_app(settings, clock=clock, embedder=WordOverlapEmbedder())
    with TestClient(app, base_url="https://tandem.example") as client:
        token = csrf_from(client.get("/").text)
        response = client.post(
            "/sign-in", data={"api_key": STAFF_KEY, "csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 303
        assert "secure" in _cookie_header(response, "tandem_session").lower()
        assert "secure" in _cookie_header(response, "tandem_csrf").lower()


def test_a_wrong_key_is_refused_and_signs_nobody_in(client: TestClient) -> None:
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/sign-in", data={"api_key": "tdm_p_not-a-real-key", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "not recognised" in response.text
    assert "tandem_session" not in response.headers.get("set-cookie", "")
    assert _home_heading(client) == "Sign in to Tandem"


def test_a_form_post_without_its_csrf_token_is_refused(client: TestClient, api: Api) -> None:
    mentee = api.participant()
    client.get("/")
    response = client.post("/sign-in", data={"api_key": mentee["api_key"]})
    assert response.status_code == 403
    assert "tandem_session" not in response.headers.get("set-cookie", "")
    # A token from another browser (another seed) is worth nothing here either.
    other = TestClient(client.app)
    foreign = csrf_from(other.get("/").text)
    response = client.post("/sign-in", data={"api_key": mentee["api_key"], "csrf_token": foreign})
    assert response.status_code == 403


def test_a_cross_site_post_is_refused_even_with_a_token(client: TestClient, api: Api) -> None:
    mentee = api.participant()
    sign_in(client, mentee["api_key"])
    token = csrf_from(client.get("/").text)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        response = client.post(
            "/sign-out", data={"csrf_token": token}, headers=headers, follow_redirects=False
        )
        assert response.status_code == 403, headers
    # Still signed in: the forged sign-out did nothing.
    assert _home_heading(client) != "Sign in to Tandem"


def test_sign_out_ends_that_session_only(client: TestClient, api: Api) -> None:
    mentee = api.participant(name="Sam Rivera")
    laptop, phone = client, TestClient(client.app)
    sign_in(laptop, mentee["api_key"])
    sign_in(phone, mentee["api_key"])
    stolen = laptop.cookies.get("tandem_session")
    response = post_form(laptop, "/sign-out", {})
    assert response.status_code == 303
    assert _home_heading(laptop) == "Sign in to Tandem"
    # The signed-out cookie is dead even if someone kept a copy of it.
    replay = TestClient(client.app, cookies={"tandem_session": stolen or ""})
    assert _home_heading(replay) == "Sign in to Tandem"
    assert "Sam Rivera" in phone.get("/").text


def test_rotating_the_key_ends_every_browser_session(client: TestClient, api: Api) -> None:
    mentee = api.participant(name="Sam Rivera")
    sign_in(client, mentee["api_key"])
    assert "Sam Rivera" in client.get("/").text
    expect(api.call("POST", f"/v1/participants/{mentee['id']}/key"), 200)
    assert _home_heading(client) == "Sign in to Tandem"


def test_a_tampered_or_expired_cookie_signs_nobody_in(
    client: TestClient, api: Api, clock: FixedClock
) -> None:
    mentee = api.participant()
    sign_in(client, mentee["api_key"])
    good = client.cookies.get("tandem_session") or ""
    forged = TestClient(client.app, cookies={"tandem_session": good[:-3] + "abc"})
    assert _home_heading(forged) == "Sign in to Tandem"
    clock.current += timedelta(hours=12, minutes=1)
    assert _home_heading(client) == "Sign in to Tandem"


def test_pages_send_a_csp_without_inline_script(client: TestClient) -> None:
    for path in ("/", "/docs", "/v1/me"):
        policy = client.get(path).headers["content-security-policy"]
        script = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
        assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
        assert "frame-ancestors 'none'" in policy
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    # And the pages hold no inline script for the policy to block.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)


def test_only_a_path_on_this_site_follows_sign_in(client: TestClient, api: Api) -> None:
    mentee = api.participant()
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        token = csrf_from(client.get("/").text)
        response = client.post(
            "/sign-in",
            data={"api_key": mentee["api_key"], "csrf_token": token, "next": evil},
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", evil


def test_a_page_asks_a_signed_out_visitor_to_sign_in_and_returns_there(
    client: TestClient,
) -> None:
    response = client.get("/chat", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?next=/chat"
    assert 'name="next" value="/chat"' in client.get("/?next=/chat").text


def test_unknown_pages_are_an_html_404_and_the_api_keeps_json(client: TestClient) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api_404 = client.get("/v1/no-such-route")
    assert api_404.status_code == 404 and api_404.json()["detail"]


def _link(api: Api, person: dict[str, Any]) -> str:
    body = expect(api.call("POST", f"/v1/participants/{person['id']}/sign-in-link"), 200)
    path = body["url"].split("://", 1)[1]
    return path[path.index("/") :]


def test_a_sign_in_link_works_once(client: TestClient, api: Api) -> None:
    mentee = api.participant(name="Sam Rivera")
    path = _link(api, mentee)
    # Opening it (a mail scanner, a preview) spends nothing: the person presses a button.
    for _ in range(2):
        landing = client.get(path)
        assert landing.status_code == 200 and "Sign in" in landing.text
    response = client.post(
        path, data={"csrf_token": csrf_from(landing.text)}, follow_redirects=False
    )
    assert response.status_code == 303
    assert "Sam Rivera" in client.get("/").text

    again = TestClient(client.app)
    landing = again.get(path)
    assert landing.status_code == 410 and "no longer works" in landing.text
    used = again.post(path, data={"csrf_token": csrf_from(again.get("/").text)})
    assert used.status_code == 410
    assert _home_heading(again) == "Sign in to Tandem"


def test_a_sign_in_link_expires_after_15_minutes(
    client: TestClient, api: Api, clock: FixedClock
) -> None:
    mentee = api.participant()
    body = expect(api.call("POST", f"/v1/participants/{mentee['id']}/sign-in-link"), 200)
    assert body["expires_at"].startswith("2027-03-01T09:15")
    path = "/" + body["url"].split("/", 3)[3]
    landing = client.get(path)
    assert landing.status_code == 200
    clock.current += timedelta(minutes=15, seconds=1)
    response = client.post(path, data={"csrf_token": csrf_from(landing.text)})
    assert response.status_code == 410
    assert _home_heading(client) == "Sign in to Tandem"


def test_only_staff_issue_sign_in_links(api: Api) -> None:
    mentee = api.participant()
    other = api.participant()
    response = api.call(
        "POST", f"/v1/participants/{other['id']}/sign-in-link", key=mentee["api_key"]
    )
    assert response.status_code == 403
    expect(api.call("POST", "/v1/participants/nobody/sign-in-link"), 404)
    events = expect(api.call("GET", "/v1/audit?action=participant.sign_in_link_issued"), 200)
    assert events is not None


def test_the_api_docs_load_with_no_network(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert assets and all(a.startswith("/") for a in assets), assets
        for asset in assets:
            assert client.get(asset).status_code == 200, asset
    assert client.get("/openapi.json").status_code == 200


def test_a_person_signs_in_with_a_link_in_the_browser(live_server: Any, phone: Any) -> None:
    import httpx

    staff = {"Authorization": f"Bearer {STAFF_KEY}"}
    with httpx.Client(base_url=live_server.url, headers=staff) as http:
        from .support import profile

        person = http.post("/v1/participants", json=profile(name="Ada Obi")).json()
        link = http.post(f"/v1/participants/{person['id']}/sign-in-link").json()["url"]
    page = phone.new_page()
    page.goto(link)
    assert_accessible(page)
    screenshot(page, "sign-in-link")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(live_server.url + "/")
    assert "Ada Obi" in page.content()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(live_server.url + "/")
    page.get_by_label("Your key").wait_for()
    assert_accessible(page)
    screenshot(page, "sign-in")
    # Back in with the keyboard alone: Tab to the key field, type it, Enter.
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "api_key":
            break
    assert page.evaluate("document.activeElement.id") == "api_key"
    page.keyboard.type(person["api_key"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Ada Obi" in page.content()
    assert_accessible(page)


def test_the_api_docs_render_in_the_browser_offline(live_server: Any, phone: Any) -> None:
    """Swagger UI and ReDoc start under the CSP with only the app's own files (Chromium
    here has no way out, so anything fetched from elsewhere would leave them blank)."""
    page = phone.new_page()
    outside: list[str] = []

    def only_this_app(route: Any) -> None:
        # What would leave the machine is recorded and refused. (ReDoc's own logo from
        # its CDN never gets this far: the CSP blocks it and ReDoc drops the image.)
        url = route.request.url
        if url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", only_this_app)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url + "/docs")
    page.locator(".swagger-ui .info .title", has_text="Tandem").wait_for()
    page.locator(".opblock-summary-path", has_text="/v1/plans/{plan_id}").first.wait_for()
    page.goto(live_server.url + "/redoc")
    page.get_by_role("heading", name="Tandem").first.wait_for()
    assert not outside, outside
    assert not errors, errors


def test_reading_pages_work_without_javascript(live_server: Any, browser: Any) -> None:
    import httpx

    from .support import mentor_profile, profile

    staff = {"Authorization": f"Bearer {STAFF_KEY}"}
    with httpx.Client(base_url=live_server.url, headers=staff) as http:
        mentor = http.post("/v1/participants", json=mentor_profile(name="Alex Kim")).json()
        mentee = http.post("/v1/participants", json=profile(name="Sam Rivera")).json()
        members = [
            {"participant_id": mentor["id"], "role": "mentor"},
            {"participant_id": mentee["id"], "role": "mentee"},
        ]
        match = http.post("/v1/matches", json={"mode": "mentor", "members": members}).json()
        mine = {"Authorization": f"Bearer {mentee['api_key']}"}
        plan = http.post(
            f"/v1/matches/{match['id']}/plans", json={"owner_id": mentee["id"]}, headers=mine
        ).json()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.get_by_label("Your key").fill(mentee["api_key"])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Your plan").click()
        page.locator("#plan-health").wait_for()
        first = plan["objectives"][0]["milestones"][0]
        assert first["title"] in page.content()
        # A status button is a plain form: it posts, and the page comes back with it done.
        page.locator(f"#m-{first['id']}").get_by_role("button", name="In progress").click()
        page.locator(f"#m-{first['id']} .badge", has_text="In progress").wait_for()
        page.goto(live_server.url + f"/matches/{match['id']}")
        page.get_by_role("heading", name="Upcoming sessions").wait_for()
    finally:
        context.close()
