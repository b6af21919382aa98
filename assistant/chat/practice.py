"""The practice that meets a question: "how do I stop rushing through my slides when I'm
nervous?" is answered first with the playbook line that fixes rushing ("Rehearse a talk
with a marked two-second pause after each key point"), not with whatever passage shares
the most words with it.

People name a difficulty in their words ("rushing", "nervous", "micromanaging"); the
playbooks name the practice that meets it in theirs ("pause", "rehearse", "good
enough"). `DIFFICULTIES` joins the two, per skill. Practice lines of the skills the
question names or implies are ranked by the remedy words they contain, then by the
question's own words, then by how close their level is to the asker's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from assistant.chat import intents
from assistant.chat.quotes import STOPWORDS
from assistant.drafting.playbooks import Cited, PlaybookLibrary

MAX_PRACTICE = 2
# Enough to show a line unprompted: one remedy word, or two of the question's own words.
MIN_SCORE = 2.0
REMEDY_WEIGHT = 2.0
NAMED_SKILL_BONUS = 0.5
LEVEL_BONUS = 0.25
_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "ers", "er", "es", "s", "e", "al")
# Words of a how-to question that say nothing about what to practise.
_GENERIC_TEXT = (
    "stop get getting better improve improving make want when through without keep feel "
    "lot much very just also really more less way ways tips tip advice help start"
)


@dataclass(frozen=True)
class Difficulty:
    """What people say about a difficulty, the words a practice that meets it uses, and
    the skills whose playbooks hold such practice."""

    said: str
    remedy: str
    skills: tuple[str, ...]


DIFFICULTIES: tuple[Difficulty, ...] = (
    Difficulty(
        r"\brush\w*|too fast|speed(ing)? (up|through)|hurr(y|ied|ying)|talk(ing)? fast",
        "pause pace slow silence breath",
        ("public_speaking",),
    ),
    Difficulty(
        r"\bnerv\w*|anxi\w*|stage fright|scared|afraid|panic\w*|freez\w*|shak\w*",
        "rehearse rehearsal practise pause dry",
        ("public_speaking",),
    ),
    Difficulty(r"\bfillers?\b|\bum+s?\b|\buh+s?\b", "filler pause record", ("public_speaking",)),
    Difficulty(
        r"\bblank\w*|forget\w*|lose (my|the) (place|thread)|mind goes",
        "keywords outline notes",
        ("public_speaking",),
    ),
    Difficulty(
        r"\b(hard|tough|hostile|difficult|awkward) questions?\b|\bq ?& ?a\b",
        "question hard answer",
        ("public_speaking",),
    ),
    Difficulty(
        r"\bramble\w*|too long|too much detail|wordy|waffl\w*",
        "sentence halve keywords headline cut",
        ("public_speaking", "presentation_design", "writing"),
    ),
    Difficulty(
        r"\bmicromanag\w*|let(ting)? go|hand(ing)? (it |things |work )?off|trust (them|people|my)",
        "outcome enough judge method decision authority handoff",
        ("delegation",),
    ),
    Difficulty(
        r"\bprocrastinat\w*|overwhelm\w*|too many (things|tasks)|no time|always busy"
        r"|interrupt\w*",
        "block focus list outcomes schedule interrupted",
        ("time_management",),
    ),
    Difficulty(
        r"\bdefensive\w*|criticism|criticised|criticized|take (it|feedback) personally",
        "reaction neutral example thanks log",
        ("receiving_feedback",),
    ),
)
_DIFFICULTY_PATTERNS = tuple((re.compile(d.said), d) for d in DIFFICULTIES)


def stem(word: str) -> str:
    """A crude stem, the same for a question and a playbook line ("rushing", "rushes"
    -> "rush"; "rehearse", "rehearsal" -> "rehears"): enough to match, never shown."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if w not in STOPWORDS}


_GENERIC = frozenset(stem(w) for w in _GENERIC_TEXT.split())


@dataclass(frozen=True)
class Practice:
    """One practice line, quoted verbatim from a playbook, and why it ranked."""

    line: Cited
    skill: str
    from_level: int
    score: float

    @property
    def where(self) -> str:
        return f"Practice activities > From level {self.from_level} to {self.from_level + 1}"

    def citation(self, number: int) -> dict[str, Any]:
        """The line as a numbered source, in the shape of `quotes.citation_of`: the line
        is the quote, verbatim from its chunk."""
        return {
            "number": number,
            "kind": "guidance",
            "chunk_id": self.line.chunk_id,
            "source": self.line.source,
            "title": self.line.title,
            "note_id": None,
            "quote": self.line.text,
        }


def difficulties_in(question: str) -> list[Difficulty]:
    lowered = question.lower()
    return [d for pattern, d in _DIFFICULTY_PATTERNS if pattern.search(lowered)]


def practice_for(
    library: PlaybookLibrary, question: str, *, levels: dict[str, int] | None = None
) -> list[Practice]:
    """The practice lines that best meet the question, best first (at most MAX_PRACTICE).
    Empty when the question names no skill and no difficulty a playbook meets."""
    named = intents.skills_in(question)
    difficulties = difficulties_in(question)
    # The skills a difficulty points to first: on a tie, their practice leads.
    skills = list(dict.fromkeys([*(s for d in difficulties for s in d.skills), *named]))
    remedy = {stem(w) for d in difficulties for w in d.remedy.split()}
    asked = {s for s in stems(question) if s not in _GENERIC and len(s) > 2}
    ranked: list[tuple[float, int, Practice]] = []
    for skill in skills:
        book = library.playbook(skill)
        if book is None:
            continue
        level = (levels or {}).get(skill)
        for from_level, lines in sorted(book.practice.items()):
            for line in lines:
                words = stems(line.text)
                score = REMEDY_WEIGHT * len(remedy & words) + len(asked & words)
                # A named difficulty says more than a named skill ("rushing through my
                # slides" is about delivery, not deck design).
                if skill in named and not difficulties:
                    score += NAMED_SKILL_BONUS
                if level is not None and from_level == level:
                    score += LEVEL_BONUS
                practice = Practice(line, skill, from_level, score)
                ranked.append((score, -len(ranked), practice))
    ranked.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
    best = [p for _, _, p in ranked]
    # Unprompted, a line needs a reason; a how-to question about a named skill gets that
    # skill's practice from the asker's level even without a difficulty to match.
    strong = [p for p in best if p.score >= MIN_SCORE]
    if strong:
        return strong[:MAX_PRACTICE]
    if named and intents.is_how_to(question):
        return [p for p in best if p.skill in named][:MAX_PRACTICE]
    return []
