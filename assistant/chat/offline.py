"""The offline assistant: answers one chat turn from the conversation so far and the
database, with the same commands (and so the same access rules) as the model's tools.

It keeps no state of its own. What it needs to know between turns is in the messages
(the question it asked last, the answers given since the plan was requested) and in the
database (the participant's profile, matches and newest plan), so a client that resends
the whole history, as OpenAI clients do, gets the same answer from any replica.

Nothing changes unless the user asked for it: a plan is drafted only after a plan
request, accepted only on an explicit acceptance, and every reply that changes something
says what changed and names its id (also listed in the reply's `actions`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.chat import guidance, intents, plan_changes, progress, sessions
from assistant.chat.caller import ChatCaller
from assistant.chat.intents import Intent
from assistant.chat.plan_dialog import (
    answers_the_question,
    answers_which_match,
    asked_slot,
    plan_dialog,
    question_line,
    says_a_slot,
)
from assistant.chat.turns import Reply, Turn
from assistant.web import AppServices

# Intents that answer read-only or act on the plan the user already has; while a plan
# question is pending they are answered and the dialog is left behind.
_LEAVES_THE_DIALOG: frozenset[Intent] = frozenset(
    {
        "accept",
        "hold",
        "no_change",
        "log_progress",
        "prepare_session",
        "session_info",
        "recap",
        "explain",
    }
)


class OfflineAssistant:
    """One turn of the conversation for one participant, without a model."""

    def __init__(self, db: Session, *, actor: Principal, services: AppServices) -> None:
        self.caller = ChatCaller(db=db, actor=actor, services=services)

    def reply(self, history: list[Turn]) -> Reply:
        message = history[-1].content
        earlier = history[:-1]
        last_assistant = earlier[-1].content if earlier and earlier[-1].role == "assistant" else ""
        pending = asked_slot(last_assistant)
        intent = intents.classify(message)
        if pending is not None:
            if intent == "cancel":
                return Reply("All right, I've set the plan aside; nothing was changed.", "cancel")
            if pending == "match":
                answered = answers_which_match(self.caller, message)
            else:
                answered = answers_the_question(message, pending)
            # "Make it shorter" or "looks good, accept it" before the new plan exists is
            # about a plan not drafted yet, not about the one the caller already has.
            if intent == "revise" and not answered and not says_a_slot(message):
                return Reply(
                    "Your new plan isn't drafted yet, so there is nothing to change; once it "
                    "is, ask me again. " + question_line(last_assistant, pending),
                    "draft_plan",
                )
            if intent == "accept":
                return Reply(
                    "Your new plan isn't drafted yet, so I accepted nothing. "
                    + question_line(last_assistant, pending),
                    "hold",
                )
            if answered or intent in ("draft_plan", "revise"):
                return plan_dialog(self.caller, history)
            if intent in ("guidance", "small_talk"):
                # A side question mid-dialog: answer it, then ask again, so the question
                # marker stays the last thing said and the dialog can continue.
                side = self._answer(intent, message, history)
                side.text += f"\n\n{question_line(last_assistant, pending)}"
                return side
            if intent not in _LEAVES_THE_DIALOG:
                return Reply(f"Sorry, I didn't catch that. {last_assistant}", "draft_plan")
        return self._answer(intent, message, history)

    def _answer(self, intent: Intent, message: str, history: list[Turn]) -> Reply:
        caller = self.caller
        handlers: dict[Intent, Callable[[], Reply]] = {
            "cancel": lambda: Reply("Nothing is in progress, so nothing to cancel.", intent),
            "accept": lambda: plan_changes.accept(caller, message),
            "log_progress": lambda: progress.log_progress(caller, message),
            "prepare_session": lambda: sessions.prepare_session(caller, message),
            "session_info": lambda: sessions.session_info(caller, message),
            "recap": lambda: sessions.recap(caller, message),
            "hold": lambda: plan_changes.hold(caller),
            "no_change": lambda: plan_changes.no_change(caller),
            "revise": lambda: plan_changes.revise(caller, message, history),
            "explain": lambda: plan_changes.explain(caller, message),
            "draft_plan": lambda: plan_dialog(caller, history),
            "small_talk": lambda: small_talk(caller, message),
            "guidance": lambda: guidance.answer(caller, message),
        }
        return handlers[intent]()


def small_talk(caller: ChatCaller, message: str) -> Reply:
    lowered = message.lower()
    name = caller.actor.name
    first = name.split()[0] if name else "there"
    if re.search(r"\b(thanks?|thank you|cheers)\b", lowered):
        opener = "You're welcome!"
    elif re.search(r"\b(bye|goodbye)\b", lowered):
        return Reply(f"Goodbye, {first}. Your conversation is saved.", "small_talk")
    else:
        opener = f"Hello {first}! I'm Tandem, your mentoring assistant."
    return Reply(
        f"{opener} I can:\n"
        "- draft a development plan from your goal (“I want to get better at public "
        "speaking”), asking only for what I still need;\n"
        "- explain it, change it (“make it 6 weeks”, “I only have 2 hours a month”, "
        "“focus on delegation first”) and accept it when you say so;\n"
        "- log progress (“I finished the first milestone”);\n"
        "- get you ready for a session (“get me ready for Thursday with Sam”);\n"
        "- answer questions from the mentoring guidance and the notes you may read, "
        "quoting them with sources.\n"
        "What would you like to work on?",
        "small_talk",
    )
