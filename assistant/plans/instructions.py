"""Free-text revision instructions ("focus on public speaking first", "I only have 2
hours a month") read into the changes a redraft needs, without a model.

Only what is recognised is applied, and the revision says what that was, so a mentee
never wonders whether their words were heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "a couple of": 2,
    "a few": 3, "an": 1, "a": 1, "half an": 0.5,
}  # fmt: skip
_NUMBER = r"(\d+(?:\.\d+)?|" + "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len)[::-1]) + ")"
_HOURS = re.compile(
    _NUMBER + r"\s*(?:hours?|hrs?|h)\s*(?:a|per|each|every|/|in a)\s*(month|week)", re.IGNORECASE
)
_HORIZON = re.compile(
    r"\b(?:in|within|over|by|to)\s+(?:the\s+next\s+)?" + _NUMBER + r"\s+(weeks?|months?)",
    re.IGNORECASE,
)
# "That's a lot", "too much", "lighter": the month is too full. Less work each month, the
# same horizon; "shorter" beside one of these means less, not sooner.
_LIGHTER = re.compile(
    r"\b(?:that['\u2019]?s|it['\u2019]?s|this is|way|far)\s+(?:a lot|too much|too many)\b|"
    r"\btoo (?:much|many|"
    r"heavy|busy|full|intense|ambitious)\b|\blight(?:er|en)\b|\bless (?:work|load|practice|"
    r"to do)\b|\b(?:fewer|less) (?:hours|time|activities|tasks)\b|\boverwhelm|\bease off\b|"
    r"\bscale (?:it )?back\b|\bcut (?:it |this )?down\b|\bdial (?:it )?down\b",
    re.IGNORECASE,
)
_SHORTER = re.compile(r"\b(?:shorter|quicker|sooner|faster|shorten|compress)\b", re.IGNORECASE)
_FOCUS = re.compile(
    r"\b(?:focus(?:ing)?|start|begin|prioriti[sz]e|concentrate|lead)\s+(?:on|with)\s+"
    r"(?P<what>.+?)(?:\s+first|\s+before\b.*|\s+now)?\s*(?:[.;!,]|$)",
    re.IGNORECASE,
)
WEEKS_PER_MONTH = 30.44 / 7


def _number(text: str) -> float:
    key = text.lower()
    return float(_NUMBER_WORDS[key]) if key in _NUMBER_WORDS else float(text)


@dataclass(frozen=True)
class RevisionIntent:
    focus: str | None = None
    hours_per_month: int | None = None
    horizon_weeks: int | None = None
    # Relative changes, resolved against the current plan by the redraft: `lighter`
    # lowers the monthly load and keeps the horizon; `shorter` shortens the horizon and
    # keeps the monthly budget, so the plan does less.
    lighter: bool = False
    shorter: bool = False
    understood: list[str] = field(default_factory=list)

    @property
    def changes_anything(self) -> bool:
        return bool(self.understood)


def read_instruction(instruction: str) -> RevisionIntent:
    focus: str | None = None
    hours: int | None = None
    weeks: int | None = None
    understood: list[str] = []
    if match := _HOURS.search(instruction):
        amount = _number(match.group(1))
        per_month = amount * WEEKS_PER_MONTH if match.group(2).lower() == "week" else amount
        hours = max(1, min(160, round(per_month)))
        understood.append(f"planned for {hours_phrase(hours)} a month")
    if match := _HORIZON.search(instruction):
        amount = _number(match.group(1))
        unit_weeks = WEEKS_PER_MONTH if match.group(2).lower().startswith("month") else 1
        weeks = max(1, min(156, round(amount * unit_weeks)))
        understood.append(f"every goal finishes within {weeks} weeks")
    lighter = hours is None and bool(_LIGHTER.search(instruction))
    if lighter:
        understood.append("a lighter month")
    shorter = weeks is None and not lighter and bool(_SHORTER.search(instruction))
    if shorter:
        understood.append("a shorter plan")
    if match := _FOCUS.search(instruction):
        what = match.group("what").strip()
        if what and not _HOURS.fullmatch(what):
            focus = what
            understood.append(f"“{what}” comes first")
    return RevisionIntent(
        focus=focus,
        hours_per_month=hours,
        horizon_weeks=weeks,
        lighter=lighter,
        shorter=shorter,
        understood=understood,
    )


def hours_phrase(hours: float) -> str:
    """'1 hour', '3 hours', '1.5 hours': a number a person would write."""
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


INSTRUCTION_HELP = (
    "The offline drafter understands: 'focus on <a goal or skill> first', 'I only have "
    "<N> hours a month' (or a week), 'make it lighter' (less each month), 'make it "
    "shorter' and 'finish in <N> weeks' (or months)."
)
