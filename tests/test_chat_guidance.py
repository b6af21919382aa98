"""How-to questions in chat (issue 12, finding 9): answered with the practice that meets
the difficulty first, quoted verbatim from the skill playbook with its chunk, then the
guidance quotes."""

from __future__ import annotations

from .support import Api
from .test_chat import Chat


def _chunk_with(api: Api, source: str, words: str) -> str:
    knowledge = api.client.app.state.services.knowledge  # type: ignore[attr-defined]
    (chunk_id,) = [c.chunk_id for c in knowledge.chunks_of(source) if words in c.text]
    return str(chunk_id)


def test_a_how_to_question_is_answered_with_the_most_relevant_practice_first(api: Api) -> None:
    _, sam, _ = api.mentor_pair()
    chat = Chat(api, sam["api_key"])
    reply = chat.say("How do I stop rushing through my slides when I'm nervous?")
    pause = "Rehearse a talk with a marked two-second pause after each key point"
    first = chat.last["tandem"]["citations"][0]
    assert first["number"] == 1 and pause in first["quote"]
    assert first["chunk_id"] == _chunk_with(api, "knowledge/skills/public_speaking.md", pause)
    # The practice is the first thing a reader sees, quoted and numbered like any source.
    citations = chat.last["tandem"]["citations"]
    assert all(reply.index(pause) < reply.index(c["quote"]) for c in citations[1:])
    assert f"[1] “{first['quote']}”" in reply and chat.actions == []


def test_a_how_to_question_about_another_skill_gets_that_skills_practice(api: Api) -> None:
    _, sam, _ = api.mentor_pair()
    chat = Chat(api, sam["api_key"])
    chat.say("How can I get better at delegating without micromanaging?")
    first = chat.last["tandem"]["citations"][0]
    assert first["source"] == "knowledge/skills/delegation.md"


def test_side_questions_mid_dialog_ask_the_plan_question_again_once(api: Api) -> None:
    _, sam, _ = api.mentor_pair()
    chat = Chat(api, sam["api_key"])
    asked = chat.say("I want to get better at delegation")
    assert asked.endswith("For example “in 12 weeks” or “in 6 months”.")
    for question in ("How do I hand off work without micromanaging?", "any tips for networking?"):
        side = chat.say(question)
        assert side.count("Back to your plan:") == 1, side
        assert side.endswith("For example “in 12 weeks” or “in 6 months”.")
        assert chat.actions == []
    chat.say("in 3 months")
    assert "Where are you with delegation today" in chat.messages[-1]["content"]
