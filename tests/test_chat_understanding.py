"""Chat that reads people (issue 12, findings 8 and 9): what a first message says about a
goal is taken as slots and kept out of the goal's words, the same goal said twice is one
goal and one objective, and everyday paraphrases reach the action they ask for (a
question or a "not yet" never acts)."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.chat.intents import classify, goal_text, levels_in

from .conftest import FixedClock
from .support import Api, expect
from .test_chat import Chat

JSON = dict[str, Any]


def _profile(api: Api, person: JSON) -> JSON:
    found: JSON = expect(
        api.call("GET", f"/v1/participants/{person['id']}", key=person["api_key"]), 200
    )
    return found


def _plans_of(api: Api, match: JSON) -> list[JSON]:
    plans: list[JSON] = expect(api.call("GET", f"/v1/matches/{match['id']}/plans"), 200)
    return plans


# ---- finding 8: slots from the first message, goal words without them ---------------------


def test_hours_said_with_the_goal_are_saved_as_hours_not_as_goal_words(api: Api) -> None:
    mentor = api.mentor(name="Alex Kim")
    sam = api.participant(name="Sam Rivera", goals=[], hours_per_month=6)
    match = api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    chat = Chat(api, sam["api_key"])
    chat.say("I want to get better at giving presentations, I have about 3 hours a month")
    chat.say("in 3 months")
    reply = chat.say("4")  # the level today (2) is in the profile

    (goal,) = _profile(api, sam)["goals"]
    assert goal["text"] == "Get better at giving presentations"
    assert goal["skills"] == ["public_speaking"] and goal["horizon_weeks"] == 13
    assert _profile(api, sam)["hours_per_month"] == 3
    # Said by the mentee, so not "from your profile".
    assert "with 3 hours a month (from your profile: your current level)." in reply
    (plan,) = _plans_of(api, match)
    milestones = [m["title"] for o in plan["objectives"] for m in o["milestones"]]
    assert not [title for title in milestones if "hours" in title]


@pytest.mark.parametrize(
    ("message", "goal"),
    [
        (
            "I want to get better at giving presentations, I have about 3 hours a month",
            "Get better at giving presentations",
        ),
        ("I want to become a tech lead in a year, where do I start?", "Become a tech lead"),
        (
            "I'd like to improve my public speaking from level 2 to 4 within 3 months",
            "Improve my public speaking",
        ),
        (
            "My goal is to run the March offsite workshop. I can give it 2 hours a week.",
            "Run the March offsite workshop",
        ),
        (
            "I want to get better at delegation in the next 6 months, I'm a beginner",
            "Get better at delegation",
        ),
    ],
)
def test_the_goal_is_the_persons_words_without_the_slots(message: str, goal: str) -> None:
    assert goal_text(message) == goal


def test_levels_said_in_the_first_message_are_read() -> None:
    assert levels_in("from level 2 to 4") == (2, 4)
    assert levels_in("I'm at level 2 and want to reach 4") == (2, 4)
    assert levels_in("I'm a beginner and want to get to advanced") == (2, 4)
    assert levels_in("I'm a 3 out of 5 today") == (3, None)


def test_levels_and_horizon_in_the_first_message_are_not_asked_again(api: Api) -> None:
    mentor = api.mentor()
    sam = api.participant(goals=[], skills=[])
    api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    chat = Chat(api, sam["api_key"])
    reply = chat.say(
        "I want to get better at delegation, I'm a beginner and want to reach advanced "
        "within 3 months, I have 2 hours a week"
    )
    assert [a["type"] for a in chat.actions] == ["profile_updated", "plan_drafted"], reply
    profile = _profile(api, sam)
    (goal,) = profile["goals"]
    assert goal["text"] == "Get better at delegation"
    assert goal["target_level"] == 4 and goal["horizon_weeks"] == 13
    assert {"skill": "delegation", "level": 2} in profile["skills"]
    assert profile["hours_per_month"] == 9


# ---- finding 8: one objective per goal ------------------------------------------------------


def test_the_same_skill_and_target_updates_the_goal_and_keeps_one_objective(api: Api) -> None:
    mentor = api.mentor(name="Alex Kim")
    sam = api.participant(name="Sam Rivera")  # a public speaking goal to level 4 already
    match = api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    (before,) = _profile(api, sam)["goals"]
    chat = Chat(api, sam["api_key"])

    first = chat.say("I want to present our roadmap at the March offsite, I have 3 hours a month")
    second = chat.say("I want to present our roadmap at the March offsite")

    (goal,) = _profile(api, sam)["goals"]
    assert goal["id"] == before["id"] and goal["text"] == "Present our roadmap at the March offsite"
    assert f"updated your goal “{before['text']}” to “{goal['text']}”" in first
    assert "is already in your profile" in second
    (plan,) = _plans_of(api, match)
    assert [o["skills"] for o in plan["objectives"]] == [["public_speaking"]]
    assert plan["version"] == 2 and "redrafted" in second


def test_a_vaguer_restatement_keeps_the_goals_concrete_words(api: Api) -> None:
    mentor = api.mentor()
    sam = api.participant()  # "Present our team's work at the quarterly all-hands", to 4
    match = api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    (before,) = _profile(api, sam)["goals"]
    chat = Chat(api, sam["api_key"])
    reply = chat.say("I want to get better at giving presentations, I have about 3 hours a month")
    (goal,) = _profile(api, sam)["goals"]
    assert goal["text"] == before["text"] and goal["id"] == before["id"]
    assert f"Your goal “{before['text']}” already says this" in reply
    assert _profile(api, sam)["hours_per_month"] == 3
    (plan,) = _plans_of(api, match)
    assert len(plan["objectives"]) == 1


def test_one_session_a_month_is_singular(api: Api) -> None:
    mentor = api.mentor()
    sam = api.participant(hours_per_month=1)
    match = api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    plan = api.plan(match, sam)
    assert plan["cadence"]["sessions_per_month"] == 1
    reply = Chat(api, sam["api_key"]).say("explain my plan")
    assert "Rhythm: 1 session a month of" in reply


# ---- finding 8: "that's a lot" and "what should I prepare" ---------------------------------


def test_thats_a_lot_make_it_shorter_revises_the_plan(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    plan = api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    reply = chat.say("That's a lot. Can you make it shorter?")
    assert [a["type"] for a in chat.actions] == ["plan_revised"], reply
    assert chat.last["tandem"]["intent"] == "revise"
    assert expect(api.call("GET", f"/v1/plans/{plan['id']}"), 200)["latest_version"] == 2


def test_what_should_i_prepare_for_my_next_session_prepares_it(api: Api) -> None:
    mentor, sam, match = api.mentor_pair()
    session = api.session(match, when="2027-03-04T15:00:00Z", key=mentor["api_key"])
    chat = Chat(api, sam["api_key"])
    reply = chat.say("What should I prepare for my next session?")
    assert chat.actions == [
        {"type": "agenda_drafted", "session_id": session["id"], "match_id": match["id"]}
    ]
    agenda = expect(api.call("GET", f"/v1/sessions/{session['id']}/agenda"), 200)
    for item in agenda["items"]:
        assert item["title"] in reply
    assert "Before the session:" in reply and "get me ready for" not in reply


# ---- paraphrases, table-driven ---------------------------------------------------------------

# Every row is something a person might type. Acting rows must reach the action; the rows
# after them are questions about it or a "no"/"not yet", which must never act.
PARAPHRASES: dict[str, list[tuple[str, str]]] = {
    "revise": [
        ("make it 6 weeks", "revise"),
        ("Can you make it shorter?", "revise"),
        ("That's a lot. Can you make it shorter?", "revise"),
        ("That's too much for me", "revise"),
        ("too much work, make it lighter", "revise"),
        ("Could you make it lighter?", "revise"),
        ("I only have 2 hours a month", "revise"),
        ("I can only spare an hour a week", "revise"),
        ("less work please", "revise"),
        ("finish in 8 weeks instead", "revise"),
        ("focus on delegation first", "revise"),
        ("Let's start with delegation", "revise"),
        ("Can we do it in 3 months?", "revise"),
        ("I need more time, make it longer", "revise"),
        ("Please spread it over 6 months", "revise"),
        ("It's a bit much, can you cut it down?", "revise"),
        ("Change the plan to 10 weeks", "revise"),
        ("Prioritise stakeholder management", "revise"),
        ("Could you make it less intense?", "revise"),
        ("It looks good but make it 6 weeks", "revise"),
        ("Why is the plan shorter now?", "explain"),
        ("Is the plan too much work?", "explain"),
        ("Should I make it shorter?", "guidance"),
        ("How can I focus on delegation first?", "guidance"),
        ("Don't change the plan", "no_change"),
        ("No, don't make it shorter", "no_change"),
        ("Please don't make it lighter yet", "no_change"),
    ],
    "accept": [
        ("accept it", "accept"),
        ("looks good, accept it", "accept"),
        ("Looks great!", "accept"),
        ("LGTM", "accept"),
        ("sounds good, let's go with it", "accept"),
        ("I'll take it", "accept"),
        ("Please accept the plan", "accept"),
        ("Can you accept it?", "accept"),
        ("Yes, approve it", "accept"),
        ("Confirm the plan", "accept"),
        ("That works for me", "accept"),
        ("Perfect, let's do this", "accept"),
        ("I'm happy with it", "accept"),
        ("go ahead and accept", "accept"),
        ("Let's lock it in", "accept"),
        ("Finalise it", "accept"),
        ("Should I accept the plan?", "hold"),
        ("I'm not ready to accept it", "hold"),
        ("don't accept it yet", "hold"),
        ("Does it look good to you?", "hold"),
        ("not sure it looks right", "hold"),
        ("I cannot accept this", "hold"),
        ("Can I accept it later?", "hold"),
        ("What happens when I accept?", "hold"),
        ("I'm not happy with it", "hold"),
        ("Accept it? Not yet.", "hold"),
    ],
    "log_progress": [
        ("I finished the first milestone", "log_progress"),
        ("mark 'Outline the talk' done", "log_progress"),
        ("I've completed milestone 2", "log_progress"),
        ("Milestone 1 is done", "log_progress"),
        ("Done with the second milestone", "log_progress"),
        ("I started the third milestone", "log_progress"),
        ("I'm stuck on the first milestone", "log_progress"),
        ("mark milestone 2 as in progress", "log_progress"),
        ("The first milestone is finished", "log_progress"),
        ("Just nailed the first milestone!", "log_progress"),
        ("I'm working on milestone 3 now", "log_progress"),
        ("I gave the talk! Tick off the last milestone", "log_progress"),
        ("Can you mark the first milestone as done?", "log_progress"),
        ("Please log the second milestone as blocked", "log_progress"),
        ("I completed “Outline the talk”", "log_progress"),
        ("Update milestone 2 to done", "log_progress"),
        ("I've begun milestone 1", "log_progress"),
        ("Milestone 3 is blocked", "log_progress"),
        ("I haven't finished the first milestone yet", "explain"),
        ("Did I finish the first milestone?", "explain"),
        ("I did not finish the first milestone", "explain"),
        ("Should I mark the first milestone done?", "explain"),
        ("I'm not done with milestone 2", "explain"),
        ("Have I finished milestone 1?", "explain"),
        ("I didn't start the second milestone", "explain"),
    ],
    "prepare_session": [
        ("get me ready for Thursday with Sam", "prepare_session"),
        ("What should I prepare for my next session?", "prepare_session"),
        ("Prepare me for my session with Sam", "prepare_session"),
        ("Can you prep me for Thursday?", "prepare_session"),
        ("Draft the agenda for my next session", "prepare_session"),
        ("Help me prepare for my next session", "prepare_session"),
        ("What do I need to prepare for Thursday's session?", "prepare_session"),
        ("Make an agenda for our next meeting", "prepare_session"),
        ("prep for my 1:1 with Alex", "prepare_session"),
        ("Get us ready for the next session", "prepare_session"),
        ("What should I bring to my next session?", "prepare_session"),
        ("Plan my next session", "prepare_session"),
        ("I have a session with Sam on Thursday, help me get ready", "prepare_session"),
        ("Set up an agenda for Thursday", "prepare_session"),
        ("What should we cover in our next session?", "prepare_session"),
        ("Could you put together the agenda for my next session?", "prepare_session"),
        ("How should I prepare for my session with Alex on Thursday?", "prepare_session"),
        ("When is my next session?", "session_info"),
        ("What is on the agenda?", "session_info"),
        ("Is there an agenda for Thursday?", "session_info"),
        ("Do I have a session this week?", "session_info"),
        ("Don't prepare anything yet", "session_info"),
        ("No need to draft the agenda", "session_info"),
        ("How do I prepare for a first session?", "guidance"),
    ],
}
ACTING = frozenset(PARAPHRASES)


def test_the_table_has_enough_paraphrases_of_each_action() -> None:
    for intent, rows in PARAPHRASES.items():
        acting = [text for text, expected in rows if expected == intent]
        holding = [text for text, expected in rows if expected not in ACTING]
        assert len(acting) >= 15 and len(holding) >= 5, intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [pytest.param(text, intent, id=text) for rows in PARAPHRASES.values() for text, intent in rows],
)
def test_paraphrases_reach_the_action_they_ask_for(text: str, intent: str) -> None:
    assert classify(text) == intent


def test_questions_and_negations_from_the_table_change_nothing(api: Api) -> None:
    mentor, sam, match = api.mentor_pair()
    plan = api.plan(match, sam)
    session = api.session(match, when="2027-03-04T15:00:00Z", key=mentor["api_key"])
    chat = Chat(api, sam["api_key"])
    for rows in PARAPHRASES.values():
        for text, intent in rows:
            if intent in ACTING:
                continue
            chat.messages = []  # each on its own: a fresh conversation
            chat.say(text)
            assert chat.actions == [], text
    stored = expect(api.call("GET", f"/v1/plans/{plan['id']}"), 200)
    assert stored["status"] == "draft" and stored["latest_version"] == 1
    assert all(m["status"] == "not_started" for o in stored["objectives"] for m in o["milestones"])
    assert api.call("GET", f"/v1/sessions/{session['id']}/agenda").status_code == 404


def test_too_much_work_passes_the_words_and_lowers_the_load(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    plan = api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    reply = chat.say("too much work, make it lighter")
    (action,) = chat.actions
    # The person's own words are the instruction the plan service reads.
    assert action["type"] == "plan_revised"
    assert action["instruction"] == "too much work, make it lighter"
    assert "a lighter month" in reply and "Lighter: planned for about" in reply
    revised = expect(api.call("GET", f"/v1/plans/{plan['id']}"), 200)
    assert revised["planned_minutes_per_month"] < plan["planned_minutes_per_month"]
    assert max(m["due_date"] for o in revised["objectives"] for m in o["milestones"]) == max(
        m["due_date"] for o in plan["objectives"] for m in o["milestones"]
    )


def test_a_lighter_month_is_kept_when_the_next_change_is_the_horizon(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    plan = api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    chat.say("that's a lot")
    lighter = expect(api.call("GET", f"/v1/plans/{plan['id']}"), 200)
    reply = chat.say("make it 10 weeks")
    assert "keeping" in reply and "a month from before" in reply
    shorter = expect(api.call("GET", f"/v1/plans/{plan['id']}"), 200)
    assert shorter["planned_minutes_per_month"] <= lighter["budget_minutes_per_month"]
    assert shorter["planned_minutes_per_month"] < plan["planned_minutes_per_month"]


def test_a_change_asked_mid_dialog_before_any_draft_says_so_and_asks_again(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    chat = Chat(api, sam["api_key"])
    chat.say("I want to get better at delegation")  # asks by when
    reply = chat.say("That's a lot. Can you make it shorter?")
    assert "isn't drafted yet" in reply and chat.actions == []
    assert reply.endswith("For example “in 12 weeks” or “in 6 months”.")
    assert _plans_of(api, match) == []


def test_progress_on_a_milestone_already_in_that_state_logs_nothing(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    plan = api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    chat.say("I finished the first milestone")
    again = chat.say("I finished the first milestone")
    assert chat.actions == [] and "already done" in again
    history = expect(api.call("GET", f"/v1/plans/{plan['id']}/progress"), 200)
    assert len(history) == 1


def test_accepting_names_the_next_open_milestone_by_its_number(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    chat.say("I finished the first milestone")
    accepted = chat.say("accept it")
    assert "(“I finished milestone 2”)" in accepted


def test_accepting_mid_dialog_accepts_nothing_before_the_new_plan_exists(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    existing = api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    chat.say("I want to get better at delegation")  # asks by when
    reply = chat.say("Looks good, accept it")
    assert chat.actions == [] and "accepted nothing" in reply
    assert reply.endswith("For example “in 12 weeks” or “in 6 months”.")
    assert expect(api.call("GET", f"/v1/plans/{existing['id']}"), 200)["status"] == "draft"


def test_shorter_counts_the_weeks_still_to_go_not_those_behind(api: Api, clock: FixedClock) -> None:
    _, sam, match = api.mentor_pair()  # a 12-week goal
    api.plan(match, sam)
    clock.advance(28)
    reply = Chat(api, sam["api_key"]).say("make it shorter")
    assert "instead of 8." in reply  # eight weeks were left, not twelve


def test_every_revise_paraphrase_revises_the_plan(api: Api) -> None:
    _, sam, match = api.mentor_pair()
    plan = api.plan(match, sam)
    chat = Chat(api, sam["api_key"])
    for text, intent in PARAPHRASES["revise"]:
        if intent != "revise":
            continue
        chat.messages = []
        reply = chat.say(text)
        assert [a["type"] for a in chat.actions] == ["plan_revised"], (text, reply)
        # The person's words go to the plan service as they were said.
        assert chat.actions[0]["instruction"].startswith(" ".join(text.split())), text
    assert expect(api.call("GET", f"/v1/plans/{plan['id']}"), 200)["latest_version"] > 15


def test_hours_a_profile_does_not_give_are_asked_for_not_assumed(api: Api) -> None:
    mentor = api.mentor()
    sam = api.participant(hours_per_month=None)
    match = api.match("mentor", (mentor, "mentor"), (sam, "mentee"))
    chat = Chat(api, sam["api_key"])
    asked = chat.say("I want to get better at public speaking")
    assert "How many hours a month can you give this" in asked and chat.actions == []
    drafted = chat.say("2 hours a week")
    assert [a["type"] for a in chat.actions] == ["profile_updated", "plan_drafted"]
    assert "with 9 hours a month" in drafted and len(_plans_of(api, match)) == 1
