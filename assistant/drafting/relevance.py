"""What a person's own words say about their plan: how relevant each practice line is to
their goal, the difficulty they name, and the event they are working towards.

Lexical and deterministic on purpose: the same words always give the same plan, it costs
microseconds, and it needs no model or index. The playbooks are written to name the
problem each practice solves ("so you stop rushing when nerves kick in"), which is what
lets a goal's words find them.
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

_STOP_WORDS = (
    "a an and the of to in on at for with from by is are be been being i i'm im me my we "
    "our you your it its this that these those as or but so if then than into about over "
    "more most very can could would should will get got want wanted like just also some "
    "any each every other one two three how what when where which who why do does did "
    "doing have has had make made better good well work team all out up down off them "
    "they their there here not no yes own new next first last week weeks month months "
    "year time times"
)
_STOP = frozenset(_STOP_WORDS.split())
_SUFFIXES = (
    "ations",
    "ation",
    "ings",
    "ing",
    "ness",
    "ous",
    "ers",
    "er",
    "ies",
    "es",
    "ed",
    "ly",
    "s",
)


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def stems(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z'-]*", text.lower())
    return [stem(w.strip("'-")) for w in words if w not in _STOP and len(w) > 2]


class Ranker:
    """Scores texts against a query by the rare words they share (IDF over the texts)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._docs = [set(stems(t)) for t in texts]
        counts = Counter(s for doc in self._docs for s in doc)
        n = len(self._docs) or 1
        self._idf = {s: math.log(1 + n / c) for s, c in counts.items()}

    def scores(self, query: str) -> list[float]:
        wanted = set(stems(query))
        return [sum(self._idf[s] for s in doc & wanted) for doc in self._docs]


# "I get nervous and rush", "I struggle with ...", "it's hard for me to ...": the part of a
# goal that says what gets in the way.
_DIFFICULTY = re.compile(
    r"(?P<what>\b(?:i|i'm|i am)\s+(?:get|feel|tend to|always|often|keep|struggle|can't|cannot|"
    r"don't|avoid|freeze|ramble|rush|lose|panic|am|'m)\b[^.;!?]*"
    r"|\b(?:hard|difficult|tricky|scary) for me\b[^.;!?]*"
    r"|\bmy (?:problem|weakness|challenge) is\b[^.;!?]*)",
    re.IGNORECASE,
)


def difficulty_in(text: str) -> str | None:
    """The difficulty a person names in their own words, or None."""
    found = _DIFFICULTY.search(text)
    return found.group("what").strip(" ,") if found else None


_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): n for n, name in enumerate(calendar.month_abbr) if name})
_EVENT_WORDS = (
    r"offsite|off-site|all-hands|all hands|town ?hall|summit|conference|meetup|kick-?off|"
    r"review|launch|demo day|demo|retro(?:spective)?|planning|board meeting|workshop|"
    r"interview|promotion panel|keynote|talk|presentation|showcase|hackathon|onsite|"
    r"quarterly business review|qbr|standup|sync"
)
_EVENT = re.compile(
    r"\b(?:at|for|during|in|before)\s+(?P<event>(?:the|our|my|a|next)\s+"
    r"(?:[\w-]+\s+){0,3}?(?:" + _EVENT_WORDS + r"))\b",
    re.IGNORECASE,
)
_MONTH = re.compile(
    r"\b(?:in|by|before|at the|the|this|next)\s+(?P<month>"
    + "|".join(sorted((m for m in _MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
    + r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Event:
    """A concrete occasion the goal names ("the March offsite") and, when it says the
    month, the first day of that month as the latest safe date to be ready by."""

    phrase: str
    on: date | None


def event_in(text: str, today: date) -> Event | None:
    found = _EVENT.search(text)
    month = _MONTH.search(text)
    if found is None and month is None:
        return None
    on: date | None = None
    if month is not None:
        number = _MONTHS[month.group("month").lower()]
        year = today.year if number >= today.month else today.year + 1
        on = date(year, number, 1)
    phrase = found.group("event") if found else f"{month.group('month')}" if month else ""
    return Event(phrase=phrase.strip(), on=on)
