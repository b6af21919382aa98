"""Helpers that speak the API the way a client would, so tests read like the flow."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

STAFF_KEY = "tdm_s_test-staff-key-0123456789abcdef"
_counter = itertools.count(1)


def bearer(key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


def profile(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "name": f"Person {n}",
        "email": f"person{n}@example.org",
        "title": "Engineer",
        "department": "Payments",
        "career_stage": "early",
        "years_experience": 1,
        "languages": ["en"],
        "timezone": "Europe/Berlin",
        "hours_per_month": 4,
        "roles": ["mentee"],
        "skills": [{"skill": "public_speaking", "level": 2}],
        "goals": [
            {
                "text": "Present our team's work at the quarterly all-hands",
                "skills": ["public_speaking"],
                "target_level": 4,
                "horizon_weeks": 12,
            }
        ],
        "mentor_capacity": 0,
        "preferred_modes": ["mentor"],
        "avoid_ids": [],
    }
    body.update(overrides)
    return body


def mentor_profile(**overrides: Any) -> dict[str, Any]:
    base = profile(
        career_stage="senior",
        years_experience=10,
        roles=["mentor"],
        skills=[{"skill": "public_speaking", "level": 5}],
        goals=[],
        mentor_capacity=2,
    )
    base.update(overrides)
    return base


def expect(response: Response, status: int) -> Any:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json()


class Api:
    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(
        self, method: str, path: str, key: str | None = STAFF_KEY, json: Any = None, **kw: Any
    ) -> Response:
        return self.client.request(method, path, headers=bearer(key), json=json, **kw)

    def participant(self, **overrides: Any) -> dict[str, Any]:
        result: dict[str, Any] = expect(
            self.call("POST", "/v1/participants", json=profile(**overrides)), 201
        )
        return result

    def mentor(self, **overrides: Any) -> dict[str, Any]:
        body = mentor_profile(**overrides)
        result: dict[str, Any] = expect(self.call("POST", "/v1/participants", json=body), 201)
        return result

    def match(
        self, mode: str, *members: tuple[dict[str, Any], str], **extra: Any
    ) -> dict[str, Any]:
        body = {
            "mode": mode,
            "members": [{"participant_id": p["id"], "role": role} for p, role in members],
            **extra,
        }
        result: dict[str, Any] = expect(self.call("POST", "/v1/matches", json=body), 201)
        return result

    def mentor_pair(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        mentor = self.mentor()
        mentee = self.participant()
        match = self.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
        return mentor, mentee, match

    def plan(self, match: dict[str, Any], owner: dict[str, Any], **body: Any) -> dict[str, Any]:
        result: dict[str, Any] = expect(
            self.call(
                "POST",
                f"/v1/matches/{match['id']}/plans",
                key=owner["api_key"],
                json={"owner_id": owner["id"], **body},
            ),
            201,
        )
        return result

    def session(
        self,
        match: dict[str, Any],
        *,
        key: str | None = STAFF_KEY,
        when: str = "2027-03-02T15:00:00Z",
        minutes: int = 45,
    ) -> dict[str, Any]:
        result: dict[str, Any] = expect(
            self.call(
                "POST",
                f"/v1/matches/{match['id']}/sessions",
                key=key,
                json={"scheduled_at": when, "duration_minutes": minutes},
            ),
            201,
        )
        return result

    def note(
        self,
        session: dict[str, Any],
        text: str,
        *,
        key: str | None = STAFF_KEY,
        visibility: str = "match",
        action_items: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        body = {"text": text, "visibility": visibility, "action_items": action_items or []}
        result: dict[str, Any] = expect(
            self.call("POST", f"/v1/sessions/{session['id']}/notes", key=key, json=body), 201
        )
        return result

    def revise(self, plan: dict[str, Any], key: str, instruction: str) -> dict[str, Any]:
        """Revise a plan in words, as its owner would."""
        result: dict[str, Any] = expect(
            self.call(
                "POST",
                f"/v1/plans/{plan['id']}/revise",
                key=key,
                json={"instruction": instruction},
            ),
            201,
        )
        return result

    def talking_point(self, session: dict[str, Any], who: dict[str, Any], text: str) -> None:
        expect(
            self.call(
                "POST",
                f"/v1/sessions/{session['id']}/talking-points",
                key=who["api_key"],
                json={"text": text},
            ),
            201,
        )

    def complementary_peers(
        self,
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """Two peers, each strong where the other wants to grow, in a `peer` match."""

        def peer(name: str, strong: str, weak: str, goal: str) -> dict[str, Any]:
            return self.participant(
                name=name,
                career_stage="mid",
                roles=["peer"],
                skills=[{"skill": strong, "level": 4}, {"skill": weak, "level": 2}],
                goals=[{"text": goal, "skills": [weak], "target_level": 3, "horizon_weeks": 8}],
            )

        alex = peer(
            "Alex Chen", "code_review", "public_speaking",
            "Give a confident talk at the engineering guild",
        )  # fmt: skip
        sam = peer(
            "Sam Rivera", "public_speaking", "code_review",
            "Review pull requests that teach, not just approve",
        )  # fmt: skip
        return alex, sam, self.match("peer", (alex, "peer"), (sam, "peer"))
