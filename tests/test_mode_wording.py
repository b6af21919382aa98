"""Mode-true words (issue 12, findings 10 and 13): every sentence of a plan or agenda is
written for its match's mode, with names instead of slugs and no "(s)"."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.drafting.wording import wording_problems

from .support import Api, expect

Body = dict[str, Any]
# Skills whose playbooks speak to every mode at once ("debrief with your mentor or peer
# partner", "the other practises, then swap"), so a composer that quotes them blindly fails.
SKILLS = [{"skill": "public_speaking", "level": 2}, {"skill": "conflict_resolution", "level": 2}]
GOALS = [
    {
        "text": "Present the roadmap at the quarterly all-hands",
        "skills": ["public_speaking"],
        "target_level": 4,
        "horizon_weeks": 12,
    },
    {
        "text": "Hold the hard conversation about on-call load with my lead",
        "skills": ["conflict_resolution"],
        "target_level": 3,
        "horizon_weeks": 8,
    },
]


def _learner(api: Api, name: str, role: str = "mentee") -> Body:
    return api.participant(name=name, roles=[role], hours_per_month=8, skills=SKILLS, goals=GOALS)


def _guide(api: Api, name: str) -> Body:
    return api.mentor(
        name=name,
        skills=[
            {"skill": "public_speaking", "level": 5},
            {"skill": "conflict_resolution", "level": 5},
        ],
    )


def _plan_text(plan: Body) -> list[str]:
    texts = [plan["summary"], *plan["remarks"]]
    for objective in plan["objectives"]:
        texts += [objective["title"], *objective["success_measures"]]
        texts += [m["title"] for m in objective["milestones"]]
        texts += [a["description"] for a in objective["activities"]]
    texts += [g["how"] for g in plan["gives"]]
    return texts


def _agenda_text(agenda: Body) -> list[str]:
    texts = [*agenda["remarks"]]
    for item in agenda["items"]:
        texts += [item["title"], item["detail"]]
    texts += [t["task"] for t in agenda["prep"]]
    return texts


@pytest.mark.parametrize("mode", ["mentor", "near_peer", "reverse", "peer", "group", "flash"])
def test_every_sentence_of_a_plan_and_an_agenda_is_true_to_the_mode(api: Api, mode: str) -> None:
    if mode in ("peer", "group"):
        size = 4 if mode == "group" else 2
        members = [_learner(api, f"Peer {n}", "peer") for n in range(size)]
        match = api.match(mode, *((m, "peer") for m in members))
        learners = members
    else:
        guide, learner = _guide(api, "Guide One"), _learner(api, "Learner One")
        match = api.match(mode, (guide, "mentor"), (learner, "mentee"))
        members, learners = [guide, learner], [learner]
    texts: list[str] = []
    for learner in learners:
        texts += _plan_text(api.plan(match, learner))
    first = api.session(match, key=learners[0]["api_key"], when="2027-03-02T15:00:00Z")
    agenda = expect(
        api.call("POST", f"/v1/sessions/{first['id']}/agenda", key=learners[0]["api_key"], json={}),
        201,
    )
    texts += _agenda_text(agenda)

    problems = [(p, t) for t in texts for p in wording_problems(t, mode, len(members))]
    assert problems == []
