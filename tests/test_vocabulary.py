"""The controlled vocabulary in code and on its page (docs/vocabulary.md) stay the same: the
guidance's front matter, the API's enums and the reader's page must agree slug for slug."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.vocabulary import CAREER_STAGES, MODES, SKILL_LEVEL_NAMES, SKILLS, TOPICS

PAGE = Path(__file__).resolve().parent.parent / "docs" / "vocabulary.md"


def _section(name: str) -> str:
    text = PAGE.read_text(encoding="utf-8")
    start = text.index(f"## {name}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def _slugs(name: str) -> list[str]:
    section = _section(name)
    if "| slug |" in section:  # a table: the first column
        return re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE)
    return re.findall(r"`([a-z_]+)`", section)


def test_the_vocabulary_page_lists_exactly_the_slugs_the_code_accepts() -> None:
    assert _slugs("modes") == list(MODES)
    assert _slugs("topics") == list(TOPICS)
    assert _slugs("career_stages") == list(CAREER_STAGES)
    assert _slugs("skills") == list(SKILLS)


def test_the_level_names_match_the_page() -> None:
    levels = re.findall(r"(\d) ([a-z]+)", _section("skills").split("Skill levels are")[1])
    assert {int(n): name for n, name in levels} == SKILL_LEVEL_NAMES
