"""Browser test plumbing: the app served by uvicorn on 127.0.0.1 in a thread, and Debian's
Chromium driven by Playwright (its own browser download cannot work here).

Without Chromium the browser tests skip and say why, except under CI (CI=true), where a
missing browser is a failure: CI installs it and must always run them.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from assistant.api import create_app
from assistant.config import Settings
from assistant.retrieval.embeddings import WordOverlapEmbedder

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
# Where screenshots land; .ci/run prints this path so a run's pictures can be found.
SCREENSHOT_DIR = Path(
    os.environ.get(
        "TANDEM_SCREENSHOT_DIR", Path(__file__).resolve().parent.parent / "build" / "screenshots"
    )
)


def chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() and shutil.which(CHROMIUM):
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            pass
        else:
            return CHROMIUM
    reason = (
        f"browser tests need Debian's Chromium at {CHROMIUM} and the playwright package "
        "(apt-get install -y chromium; pip install -e '.[dev]')"
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + ": CI must run them")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """The app under uvicorn in a background thread, on its own port."""

    def __init__(self, settings: Settings, clock: Any) -> None:
        self.app = create_app(settings, clock=clock, embedder=WordOverlapEmbedder())
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_server(settings: Settings, clock: Any) -> Iterator[LiveServer]:
    with LiveServer(settings, clock) as server:
        yield server


@pytest.fixture
def browser() -> Iterator[Any]:
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-width browser context (its own cookies): one person's browser."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    context.set_default_timeout(15_000)
    try:
        yield context
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in_in_browser(page: Any, base_url: str, key: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Your key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(base_url) + r"/(\?.*)?$"))


def assert_accessible(page: Any) -> None:
    """axe-core's WCAG 2 A and AA rules (contrast, labels, names, landmarks) pass on the
    page as it is now. axe comes inside the axe-playwright-python package: no network."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]},
            "resultTypes": ["violations"],
        },
    )
    problems = [
        f"{v['id']}: {v['help']} ({', '.join(str(n['target']) for n in v['nodes'][:3])})"
        for v in results.response["violations"]
    ]
    assert not problems, "accessibility problems:\n" + "\n".join(problems)


# ---- the same, without a browser: TestClient posting forms as a browser would ----------

CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    found = CSRF_PATTERN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str) -> None:
    """Sign a TestClient in through the form, as a person would; it then holds the cookie."""
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/sign-in", data={"api_key": key, "csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def post_form(
    client: TestClient, path: str, data: dict[str, str], *, page: str | None = None
) -> Any:
    """Post a form the way the page at `page` (default: `path`'s own page) would, CSRF
    token included. Returns the response without following the redirect."""
    token = csrf_from(client.get(page or "/").text)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
