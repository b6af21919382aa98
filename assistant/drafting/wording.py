"""Mode-true words: guidance written for every mode, said the way this match works.

The playbooks speak to everyone at once ("debrief with your mentor or peer partner"). A
plan or agenda speaks to one match: a peer pair has no mentor, a group of four has no
"other one", a mentee's mentor is not "a peer". `adapt` rewrites those phrases for the
match; `wording_problems` is the check the composer's tests, `tandem eval drafting` and
the model guard all use, so a phrase from another mode is caught wherever it comes from.
"""

from __future__ import annotations

import re

from assistant.vocabulary import SKILL_NAMES

GUIDED_HELPER = {
    "mentor": "your mentor",
    "near_peer": "your near-peer mentor",
    "reverse": "the colleague teaching you",
    "flash": "the person you asked",
}
_EITHER = re.compile(r"\byour mentor or (?:a |your )?peer(?: partner)?\b", re.IGNORECASE)
_MENTEE = re.compile(r"\bthe mentee\b", re.IGNORECASE)


def helper_phrase(mode: str, group_size: int) -> str:
    """Who helps the owner, as the plan says it."""
    if mode == "peer":
        return "your peer partner"
    if mode == "group":
        return "your group" if group_size > 2 else "your peer partner"
    return GUIDED_HELPER.get(mode, "your mentor")


def adapt(text: str, mode: str, group_size: int = 2) -> str:
    """The guidance sentence in this match's words."""
    text = _EITHER.sub(helper_phrase(mode, group_size), text)
    if mode in ("peer", "group"):
        text = _MENTEE.sub("the learner", text)
        # "your mentor, your manager or an experienced peer": a peer has no mentor here.
        text = re.sub(r"\byour mentor, (?=\w)", "", text)
        text = re.sub(
            r"\b(with|ask|tell|by) your mentor\b", r"\1 " + helper_phrase(mode, group_size), text
        )
    if mode == "group" and group_size > 2:
        text = re.sub(r"\bwhile the other\b", "while another", text)
        text = re.sub(r"\bthe other one\b", "another member", text)
        text = re.sub(r"\bboth of you\b", "all of you", text)
        text = re.sub(r"\bthen swap\b", "then rotate", text)
        text = re.sub(r"\bswap(?:ping)? roles\b", "rotating roles", text, flags=re.IGNORECASE)
        text = re.sub(r"\bTwo people can\b", "Members can pair up to", text)
    return text


# Phrases that give a match's mode away as another one. Checked case-insensitively.
_FOREIGN: dict[str, tuple[str, ...]] = {
    "peer": (
        "your mentor",
        "the mentee",
        "mentor or peer",
        "mentor or a peer",
        "your group",
        "the group",
    ),
    "group": (
        "your mentor",
        "the mentee",
        "mentor or peer",
        "mentor or a peer",
        "the other one",
        "while the other",
        "then swap",
        "your peer partner",
        "both of you",
    ),
    # "your group" can be a team ("a template for your group"), so it is not foreign here.
    "mentor": ("your peer partner", "mentor or peer", "mentor or a peer"),
    "near_peer": ("your peer partner", "mentor or peer", "mentor or a peer"),
    "reverse": ("your peer partner", "mentor or peer", "mentor or a peer"),
    "flash": ("your peer partner", "mentor or peer", "mentor or a peer"),
}


def wording_problems(text: str, mode: str, group_size: int = 2) -> list[str]:
    """Phrases in `text` that belong to another mode than this match's."""
    lowered = text.lower()
    foreign = _FOREIGN.get(mode, ())
    if mode == "group" and group_size <= 2:
        foreign = _FOREIGN["peer"]
    found = [
        f"“{phrase}” in a {mode_label(mode, group_size)}" for phrase in foreign if phrase in lowered
    ]
    found += [f"the slug “{slug}” instead of its name" for slug in _SLUGS.findall(text)]
    if "(s)" in text:
        found.append("“(s)” instead of a word in the right number")
    return found


_SLUGS = re.compile(r"\b(" + "|".join(s for s in SKILL_NAMES if "_" in s) + r")\b")


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def unquoted(text: str) -> str:
    """Text without its quotations: a member's own words, quoted, are theirs to choose."""
    return _QUOTED.sub("“…”", text)


def mode_label(mode: str, group_size: int = 2) -> str:
    if mode == "group":
        return f"group of {group_size}"
    return {
        "mentor": "mentor pair",
        "near_peer": "near-peer pair",
        "reverse": "reverse-mentoring pair",
        "peer": "peer pair",
        "flash": "flash session",
    }.get(mode, mode)


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 objective', '3 objectives': never '(s)'."""
    return f"{count} {word if count == 1 else (many or word + 's')}"
