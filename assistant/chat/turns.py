"""What an assistant reads and writes: the conversation's turns, one reply, and the one
interface the offline and the model-backed assistants both implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["user", "assistant"]
OFFLINE = "offline"


@dataclass(frozen=True)
class Turn:
    role: Role
    content: str


@dataclass
class Reply:
    text: str
    intent: str
    # What the reply changed, each with its ids, as recorded (plan_drafted, ...).
    actions: list[dict[str, Any]] = field(default_factory=list)
    assistant: str = OFFLINE
    # The numbered sources a reply quotes: chunk id, where it is from, and the quote.
    citations: list[dict[str, Any]] = field(default_factory=list)


class Assistant(Protocol):
    """Answers the newest user turn of a history (the last turn is the user's). Changes go
    through `assistant.chat.commands`, with the caller's rights."""

    def reply(self, history: list[Turn]) -> Reply: ...
