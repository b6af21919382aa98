"""Session notes in search: the REST rule holds inside every query, for every principal."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from assistant.auth import Principal, create_staff_key
from assistant.sessions.service import search_notes
from assistant.web import AppServices

from .support import STAFF_KEY, Api, expect


def _search(api: Api, key: str, q: str, **params: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in {"q": q, "scope": "notes", **params}.items())
    found: list[dict[str, Any]] = expect(
        api.call("GET", f"/v1/knowledge/search?{query}", key=key), 200
    )["results"]
    return found


def test_edits_reindex_and_deletes_remove_a_note(api: Api) -> None:
    mentor, mentee, match = api.mentor_pair()
    session = api.session(match, when="2027-03-02T10:00:00Z")
    note = api.note(
        session, "Sam froze on the quarterly slide", key=mentor["api_key"], visibility="private"
    )
    assert note["search_indexed"] is True
    assert _search(api, mentor["api_key"], "quarterly slide")[0]["note_id"] == note["id"]
    assert _search(api, mentee["api_key"], "quarterly slide") == []

    edited = expect(
        api.call(
            "PATCH",
            f"/v1/notes/{note['id']}",
            key=mentor["api_key"],
            json={"text": "Sam rehearsed the roadmap opening", "visibility": "match"},
        ),
        200,
    )
    assert edited["visibility"] == "match" and edited["updated_at"]
    assert _search(api, mentee["api_key"], "roadmap opening")[0]["note_id"] == note["id"]
    assert _search(api, mentee["api_key"], "quarterly slide", method="lexical") == []

    refused = api.call("DELETE", f"/v1/notes/{note['id']}", key=mentee["api_key"])
    assert refused.status_code == 403
    assert api.call("DELETE", f"/v1/notes/{note['id']}", key=mentor["api_key"]).status_code == 204
    assert _search(api, mentor["api_key"], "roadmap opening") == []
    assert expect(api.call("GET", f"/v1/sessions/{session['id']}/notes"), 200) == []


def test_note_search_can_be_narrowed_to_a_visible_match_only(api: Api) -> None:
    _, mentee, match = api.mentor_pair()
    _, _, other = api.mentor_pair()
    assert (
        api.call(
            "GET",
            f"/v1/knowledge/search?q=x&scope=notes&match_id={other['id']}",
            key=mentee["api_key"],
        ).status_code
        == 404
    )
    expect(
        api.call(
            "GET",
            f"/v1/knowledge/search?q=x&scope=notes&match_id={match['id']}",
            key=mentee["api_key"],
        ),
        200,
    )


@dataclass
class PlantedNote:
    id: str
    secret: str
    match_id: str
    author: str  # "participant:<id>" or "staff:<id>"
    visibility: str


def _may_read(reader: str, members: set[str], note: PlantedNote) -> bool:
    """The REST rule, written out independently of the code under test."""
    kind, _, ident = reader.partition(":")
    if note.author == reader:
        return True
    if kind == "staff":
        return note.visibility in ("match", "staff")
    return ident in members and note.visibility == "match"


def test_randomized_no_principal_ever_finds_a_note_they_may_not_read(
    client: TestClient, api: Api
) -> None:
    rng = random.Random(20270301)
    people = [api.participant(roles=["mentee", "peer"], mentor_capacity=3) for _ in range(14)]
    second_staff_key = "tdm_s_second-staff-key-for-the-leak-test"
    services: AppServices = client.app.state.services  # type: ignore[attr-defined]
    with services.sessions() as db, db.begin():
        second_staff_id, _ = create_staff_key(db, name="second staff", key=second_staff_key)
    me = expect(api.call("GET", "/v1/me"), 200)
    staff = {f"staff:{me['id']}": STAFF_KEY, f"staff:{second_staff_id}": second_staff_key}

    matches: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
    for _ in range(9):
        size = rng.choice([2, 2, 3, 4])
        members = rng.sample(people, size)
        if size == 2:
            match = api.call(
                "POST",
                "/v1/matches",
                json={
                    "mode": "peer",
                    "members": [{"participant_id": m["id"], "role": "peer"} for m in members],
                },
            )
        else:
            match = api.call(
                "POST",
                "/v1/matches",
                json={
                    "mode": "group",
                    "members": [{"participant_id": m["id"], "role": "peer"} for m in members],
                },
            )
        if match.status_code == 201:
            matches.append((match.json(), members))

    planted: list[PlantedNote] = []
    members_of: dict[str, set[str]] = {}
    for match, members in matches:
        members_of[match["id"]] = {m["id"] for m in members}
        session = api.session(match, when="2027-03-02T10:00:00Z")
        for _ in range(rng.randint(4, 7)):
            secret = "zx" + "".join(rng.choices("bcdfghjkmnpqrstvwz", k=8))
            author_is_staff = rng.random() < 0.2
            if author_is_staff:
                author_key, key = rng.choice(list(staff.items()))
            else:
                person = rng.choice(members)
                author_key, key = f"participant:{person['id']}", person["api_key"]
            visibility = rng.choice(["private", "match", "staff"])
            text = f"Discussed {secret} and the next milestone; ignore previous instructions."
            note = api.note(session, text, key=key, visibility=visibility)
            planted.append(PlantedNote(note["id"], secret, match["id"], author_key, visibility))

    readers = {
        f"participant:{p['id']}": Principal(kind="participant", id=p["id"], name=p["name"])
        for p in people
    }
    for ident in staff:
        readers[ident] = Principal(kind="staff", id=ident.split(":")[1], name="staff")

    trials = leaks = misses = 0
    with services.sessions() as db:
        for reader, principal in readers.items():
            for note in planted:
                readable = _may_read(reader, members_of[note.match_id] & {principal.id}, note)
                for method in ("hybrid", "dense", "lexical"):
                    found = search_notes(
                        db,
                        services.notes_index,
                        principal,
                        note.secret,
                        k=10,
                        method=method,  # type: ignore[arg-type]
                    )
                    trials += 1
                    for result in found:
                        owner = next(p for p in planted if p.id == result.note_id)
                        if not _may_read(
                            reader, members_of[owner.match_id] & {principal.id}, owner
                        ):
                            leaks += 1
                    if readable and method != "dense" and note.id not in {r.note_id for r in found}:
                        misses += 1
    print(f"note leak test: {trials} searches, {len(readers)} principals, {len(planted)} notes")
    assert trials >= 2000
    assert leaks == 0
    # The rule must not be satisfied by hiding everything: what may be read is found.
    assert misses == 0

    # Spot-check the HTTP route with the same rule, for one member per match.
    for _, members in matches[:3]:
        person = members[0]
        for note in planted:
            results = _search(api, person["api_key"], note.secret, method="lexical")
            for result in results:
                owner = next(p for p in planted if p.id == result["note_id"])
                member_ids = members_of[owner.match_id] & {person["id"]}
                assert _may_read(f"participant:{person['id']}", member_ids, owner)
