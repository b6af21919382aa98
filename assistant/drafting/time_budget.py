"""Time as a constraint: what each playbook activity costs a month, which session rhythm
fits the owner's hours, and the busiest month of a plan.

The playbooks state a cost in brackets at the end of each practice line ("(20 min a
week)", "(1 hour plus 20 min debrief)", "(2-3 hours prep)"). Read it honestly: a range
counts at its upper end, a weekly habit as 4.35 weeks a month, and a one-off task in full
in the month it is done, so a plan that fits on paper fits in a real month.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

WEEKS_PER_MONTH = 30.44 / 7
WORKING_DAYS_PER_MONTH = 21
# A habit tied to something that happens ("per talk", "after each handoff"): about twice
# a month for someone who is practising on purpose.
OCCURRENCES_PER_MONTH = 2
UNSTATED_MINUTES = 30  # a line with no readable cost ("time varies"): a modest guess
MIN_SESSION_MINUTES = {"peer": 20, "group": 30, "flash": 20}
DEFAULT_MIN_SESSION = 30
# Sessions should leave most of a small budget for the practice between them.
SESSION_SHARE = 0.4

_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "half a": 0.5, "a": 1, "an": 1}
_AMOUNT = re.compile(
    r"(?P<low>\d+(?:\.\d+)?|one|two|three|four|half a|an?)"
    r"(?:\s*-\s*(?P<high>\d+(?:\.\d+)?))?\s*-?\s*"
    r"(?P<unit>minutes?|min|hours?|hrs?|h|days?)\b",
    re.IGNORECASE,
)
_FREQUENCY = re.compile(
    r"(?<!half )\b(?:a|per|every)\s+(?:day|week|fortnight|month)\b", re.IGNORECASE
)
_COST = re.compile(r"\(([^()]*)\)\s*\.?\s*$")
_FREE = re.compile(r"no extra time|during the|ongoing", re.IGNORECASE)


@dataclass(frozen=True)
class ActivityCost:
    """What one activity asks of a month it runs in."""

    minutes: int  # per month while it runs when `recurring`, otherwise once
    recurring: bool

    @property
    def per_month(self) -> int:
        return self.minutes


def _value(text: str) -> float:
    key = text.lower()
    return float(_NUMBER_WORDS[key]) if key in _NUMBER_WORDS else float(text)


def _minutes_in(text: str) -> float:
    """Every stated duration added up ("1 hour plus 20 min debrief" is 80)."""
    total = 0.0
    for m in _AMOUNT.finditer(_FREQUENCY.sub(" ", text)):
        amount = _value(m.group("high") or m.group("low"))
        unit = m.group("unit").lower()
        if unit.startswith("h"):
            amount *= 60
        elif unit.startswith("d"):
            amount *= 480  # "half a day" is a working half-day
        total += amount
    if re.search(r"\btwo\b[^()]*\b(?:sessions|talks)\b", text, re.IGNORECASE) and total:
        total *= 2  # "two 45-minute sessions"
    return total


def activity_cost(text: str) -> ActivityCost:
    found = _COST.search(text)
    stated = found.group(1) if found else ""
    if _FREE.search(stated):
        return ActivityCost(0, recurring=False)
    minutes = _minutes_in(stated) if stated else 0.0
    if not minutes:
        if re.search(r"\btwo talks\b", stated, re.IGNORECASE):
            minutes = 2 * UNSTATED_MINUTES
        else:
            minutes = UNSTATED_MINUTES
    lowered = stated.lower()
    if ", then " in lowered:
        # "(1 hour once, then 20 min a week)": the habit is what the months carry.
        return activity_cost("(" + lowered.split(", then ", 1)[1] + ")")
    if "for a month" in lowered or re.search(r"\bover (?:two|2|three|3) weeks\b", lowered):
        # A bounded burst ("30 min a week for a month"): done once, in full.
        rate = WEEKS_PER_MONTH if "a week" in lowered else 1.0
        return ActivityCost(math.ceil(minutes * rate), recurring=False)
    if re.search(r"(?<!half )\ba day\b", lowered):
        return ActivityCost(math.ceil(minutes * WORKING_DAYS_PER_MONTH), recurring=True)
    if re.search(r"\ba week\b|\bper \w+ a week\b", lowered):
        return ActivityCost(math.ceil(minutes * WEEKS_PER_MONTH), recurring=True)
    if "fortnight" in lowered or "every two weeks" in lowered:
        return ActivityCost(math.ceil(minutes * WEEKS_PER_MONTH / 2), recurring=True)
    if re.search(r"\ba month\b", lowered):
        return ActivityCost(math.ceil(minutes), recurring=True)
    if re.search(r"\b(?:per|each|after each)\b", lowered):
        return ActivityCost(math.ceil(minutes * OCCURRENCES_PER_MONTH), recurring=True)
    return ActivityCost(math.ceil(minutes), recurring=False)


@dataclass(frozen=True)
class Rhythm:
    sessions_per_month: int
    minutes: int

    @property
    def per_month(self) -> int:
        return self.sessions_per_month * self.minutes


def fit_sessions(mode: str, budget: int, sessions_per_month: int, minutes: int) -> Rhythm:
    """The match's rhythm when it leaves room to practise; otherwise fewer or shorter
    sessions, so sessions take at most SESSION_SHARE of the owner's month.

    Mentors and guides keep sessions long and meet less often; peers and groups keep
    meeting often and shorten the check-ins, because frequency is what peer work runs on.
    """
    wanted = Rhythm(sessions_per_month, minutes)
    cap = budget * SESSION_SHARE
    if wanted.per_month <= cap:
        return wanted
    floor = min(minutes, MIN_SESSION_MINUTES.get(mode, DEFAULT_MIN_SESSION))
    lengths = sorted({minutes, *(m for m in (90, 60, 45, 30, 20) if floor <= m < minutes)})
    options = [Rhythm(n, m) for n in range(1, sessions_per_month + 1) for m in lengths]
    fitting = [o for o in options if o.per_month <= cap]
    if not fitting:
        return Rhythm(1, floor)
    frequent = mode in ("peer", "group")
    return max(
        fitting,
        key=lambda o: (o.per_month, o.sessions_per_month if frequent else o.minutes),
    )
