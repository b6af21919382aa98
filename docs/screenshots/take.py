"""Phone-width screenshots of the main pages on the demo program, for the README.

Loads the demo into a scratch data dir (`tandem demo`), serves it with `tandem serve`,
and drives Debian's Chromium (Playwright) as the demo's people: Elena, whose plan needs
attention; the peer group's Rafael before their next session; Sam asking the assistant
about nerves. Writes PNGs beside this file.

    .venv/bin/python docs/screenshots/take.py
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

HERE = Path(__file__).resolve().parent
TANDEM = str(Path(sys.executable).parent / "tandem")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def people(keys_file: Path) -> dict[str, dict[str, str]]:
    """Name -> {"key", "match", "plan"} from the demo's keys file."""
    found: dict[str, dict[str, str]] = {}
    current: dict[str, str] = {}
    for line in keys_file.read_text().splitlines():
        if not line.startswith(" ") and ", " in line and "(" in line:
            current = {}
            found[line.split(",")[0]] = current
        elif line.startswith("  api key"):
            current["key"] = line.split()[-1]
        elif line.startswith("  match") and "none yet" not in line:
            current.setdefault("match", line.split()[1])
        elif line.startswith("  plan"):
            current.setdefault("plan", line.split()[1])
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sign_in(page: Page, base: str, key: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/")
    page.get_by_label("Your key").fill(key)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def shoot(page: Page, name: str) -> None:
    page.screenshot(path=str(HERE / f"{name}.png"))
    print("wrote", HERE / f"{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        env = {**os.environ, "TANDEM_DATA_DIR": data, "TANDEM_PORT": str(port)}
        env["TANDEM_LOG_LEVEL"] = "WARNING"
        subprocess.run([TANDEM, "demo"], env=env, check=True, capture_output=True)
        who = people(Path(data) / "demo-keys.txt")
        server = subprocess.Popen([TANDEM, "serve"], env=env, stdout=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(base + "/health").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path="/usr/bin/chromium", args=FLAGS
                )
                page = browser.new_page(viewport={"width": 390, "height": 844})
                page.goto(base + "/")
                shoot(page, "sign-in")

                elena = who["Elena Petrova"]
                sign_in(page, base, elena["key"])
                shoot(page, "home")
                page.goto(f"{base}/plans/{elena['plan']}")
                shoot(page, "plan")

                rafael = who["Rafael Costa"]
                headers = {"Authorization": f"Bearer {rafael['key']}"}
                sessions = httpx.get(
                    f"{base}/v1/matches/{rafael['match']}/sessions", headers=headers
                ).json()
                upcoming = [s for s in sessions if s["status"] == "scheduled"]
                sign_in(page, base, rafael["key"])
                page.goto(f"{base}/sessions/{upcoming[0]['id']}")
                page.get_by_role("button", name=re.compile("Draft|Redraft")).first.click()
                page.locator(".agenda-items").wait_for()
                page.evaluate("window.scrollTo(0, 0)")
                shoot(page, "session")
                page.locator(".agenda-items").scroll_into_view_if_needed()
                page.get_by_role("heading", name="Agenda").scroll_into_view_if_needed()
                shoot(page, "agenda")
                page.goto(f"{base}/matches/{rafael['match']}")
                shoot(page, "match")

                sam = who["Sam Rivera"]
                sign_in(page, base, sam["key"])
                page.goto(base + "/chat")
                page.get_by_label("Start a new conversation").fill(
                    "How do I stop rushing through my slides when I'm nervous?"
                )
                page.get_by_role("button", name="Send").click()
                page.locator(".msg.assistant").last.wait_for()
                page.wait_for_load_state("networkidle")
                page.locator(".msg.user").last.scroll_into_view_if_needed()
                page.locator("h1").scroll_into_view_if_needed()
                shoot(page, "chat")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
