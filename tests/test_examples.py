"""Realistic scenarios whose drafted plan and agenda are kept, reviewed, in tests/examples.

Each scenario is set up over the API the way a program would, then its plan and agenda
are exported as Markdown and compared with the reviewed copy. A change to the drafters
that changes what a mentee or mentor reads shows up here as a diff to review again:

    TANDEM_UPDATE_EXAMPLES=1 pytest tests/test_examples.py -n0   # rewrite, then read them
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .support import Api, expect

EXAMPLES = Path(__file__).resolve().parent / "examples"
Body = dict[str, Any]


def _person(api: Api, name: str, stage: str, years: int, roles: list[str], **extra: Any) -> Body:
    return api.participant(
        name=name,
        career_stage=stage,
        years_experience=years,
        roles=roles,
        mentor_capacity=2 if "mentor" in roles else 0,
        **extra,
    )


def _goal(text: str, skill: str, target: int, weeks: int) -> Body:
    return {"text": text, "skills": [skill], "target_level": target, "horizon_weeks": weeks}


def _markdown(api: Api, path: str, key: str) -> str:
    response = api.call("GET", path, key=key)
    assert response.status_code == 200, response.text
    return response.text


def early_career_mentee(api: Api) -> tuple[str, str]:
    """An engineer in their first year, a 12-week public-speaking goal, a senior mentor."""
    mentor = _person(
        api, "Priya Natarajan", "senior", 12, ["mentor"],
        skills=[{"skill": "public_speaking", "level": 5}, {"skill": "system_design", "level": 5}],
        goals=[],
    )  # fmt: skip
    mentee = _person(
        api, "Sam Rivera", "early", 1, ["mentee"], hours_per_month=6,
        skills=[{"skill": "public_speaking", "level": 2}, {"skill": "system_design", "level": 2}],
        goals=[_goal("Present our team's payments work at the quarterly all-hands",
                     "public_speaking", 4, 12)],
    )  # fmt: skip
    match = api.match("mentor", (mentor, "mentor"), (mentee, "mentee"))
    plan = api.plan(match, mentee)
    first = api.session(match, key=mentor["api_key"], when="2027-03-02T15:00:00Z", minutes=45)
    api.note(
        first,
        "Agreed to meet every other Tuesday. Sam will outline the talk and watch Priya's "
        "architecture review to see how she opens.",
        key=mentor["api_key"],
        action_items=[
            {"text": "Outline the all-hands talk in five bullet points",
             "owner_id": mentee["id"], "due_date": "2027-03-12"},
            {"text": "Shadow Priya's architecture review and note how she opens",
             "owner_id": mentee["id"], "due_date": "2027-03-14"},
        ],
    )  # fmt: skip
    second = api.session(match, key=mentee["api_key"], when="2027-03-16T15:00:00Z", minutes=45)
    api.talking_point(second, mentee, "I freeze when someone asks a question I can't answer")
    expect(
        api.call("POST", f"/v1/sessions/{second['id']}/agenda", key=mentee["api_key"], json={}),
        201,
    )
    return (
        _markdown(api, f"/v1/plans/{plan['id']}?format=md", mentee["api_key"]),
        _markdown(api, f"/v1/sessions/{second['id']}/agenda?format=md", mentor["api_key"]),
    )


def mid_career_peers(api: Api) -> tuple[str, str]:
    """Two mid-career engineers, each strong where the other wants to grow."""
    alex = _person(
        api, "Alex Chen", "mid", 5, ["peer"], hours_per_month=4,
        skills=[{"skill": "code_review", "level": 4}, {"skill": "public_speaking", "level": 2}],
        goals=[_goal("Give a confident talk at the engineering guild", "public_speaking", 3, 8)],
    )  # fmt: skip
    jordan = _person(
        api, "Jordan Okafor", "mid", 6, ["peer"], hours_per_month=4,
        skills=[{"skill": "public_speaking", "level": 4}, {"skill": "code_review", "level": 2}],
        goals=[_goal("Write pull-request reviews that teach, not just approve",
                     "code_review", 3, 8)],
    )  # fmt: skip
    match = api.match("peer", (alex, "peer"), (jordan, "peer"))
    plan = api.plan(match, alex)
    api.plan(match, jordan)
    meeting = api.session(match, key=alex["api_key"], when="2027-03-04T16:00:00Z", minutes=45)
    api.talking_point(meeting, jordan, "How blunt can a review comment be?")
    expect(
        api.call("POST", f"/v1/sessions/{meeting['id']}/agenda", key=jordan["api_key"], json={}),
        201,
    )
    return (
        _markdown(api, f"/v1/plans/{plan['id']}?format=md", alex["api_key"]),
        _markdown(api, f"/v1/sessions/{meeting['id']}/agenda?format=md", alex["api_key"]),
    )


def senior_leader_reverse(api: Api) -> tuple[str, str]:
    """A director learning the team's AI and data tools from a junior analyst."""
    analyst = _person(
        api, "Mia Svensson", "early", 2, ["mentor"],
        skills=[{"skill": "digital_tools", "level": 5}, {"skill": "data_analysis", "level": 4}],
        goals=[],
    )  # fmt: skip
    director = _person(
        api, "Robert Hale", "executive", 22, ["mentee"], hours_per_month=3,
        skills=[{"skill": "digital_tools", "level": 1},
                {"skill": "strategic_thinking", "level": 5}],
        goals=[_goal("Use our AI assistants and dashboards myself before the budget round",
                     "digital_tools", 3, 10)],
    )  # fmt: skip
    match = api.match("reverse", (analyst, "mentor"), (director, "mentee"))
    plan = api.plan(match, director)
    meeting = api.session(match, key=director["api_key"], when="2027-03-03T08:30:00Z", minutes=30)
    expect(
        api.call("POST", f"/v1/sessions/{meeting['id']}/agenda", key=analyst["api_key"], json={}),
        201,
    )
    return (
        _markdown(api, f"/v1/plans/{plan['id']}?format=md", director["api_key"]),
        _markdown(api, f"/v1/sessions/{meeting['id']}/agenda?format=md", analyst["api_key"]),
    )


def flash_session(api: Api) -> tuple[str, str]:
    """One question, twenty minutes, with someone from another department."""
    expert = _person(
        api, "Dana Whitfield", "senior", 15, ["mentor"],
        skills=[{"skill": "negotiation", "level": 5}], goals=[],
    )  # fmt: skip
    asker = _person(
        api, "Kim Park", "mid", 4, ["mentee"],
        skills=[{"skill": "negotiation", "level": 2}],
        goals=[_goal("Negotiate the scope of the vendor contract renewal", "negotiation", 3, 4)],
    )  # fmt: skip
    match = api.match("flash", (expert, "mentor"), (asker, "mentee"))
    plan = api.plan(match, asker)
    meeting = api.session(match, key=asker["api_key"], when="2027-03-05T12:00:00Z", minutes=20)
    api.talking_point(meeting, asker, "How do I push back on scope without souring the deal?")
    expect(
        api.call("POST", f"/v1/sessions/{meeting['id']}/agenda", key=asker["api_key"], json={}),
        201,
    )
    return (
        _markdown(api, f"/v1/plans/{plan['id']}?format=md", asker["api_key"]),
        _markdown(api, f"/v1/sessions/{meeting['id']}/agenda?format=md", expert["api_key"]),
    )


SCENARIOS: dict[str, Callable[[Api], tuple[str, str]]] = {
    "early-career-mentor": early_career_mentee,
    "mid-career-peers": mid_career_peers,
    "senior-leader-reverse": senior_leader_reverse,
    "flash-question": flash_session,
}


def _stable(text: str) -> str:
    # Ids are random per run; everything a reader sees apart from them is deterministic.
    return re.sub(r"\b[0-9a-f]{32}\b", "<id>", text)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenario_matches_its_reviewed_example(api: Api, name: str) -> None:
    plan_md, agenda_md = SCENARIOS[name](api)
    document = _stable(f"{plan_md}\n---\n\n{agenda_md}")
    path = EXAMPLES / f"{name}.md"
    if os.environ.get("TANDEM_UPDATE_EXAMPLES"):
        EXAMPLES.mkdir(exist_ok=True)
        path.write_text(document)
    assert path.exists(), f"no reviewed example yet: run with TANDEM_UPDATE_EXAMPLES=1 ({path})"
    assert document == path.read_text(), f"{name} drafts differently from its reviewed example"
