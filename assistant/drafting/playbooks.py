"""Skill playbooks as structured, citable guidance for the drafters.

Every playbook in `knowledge/skills/` has the same headings (knowledge/README.md), so a
drafter can ask for "the practice activities from level 2 to 3 in code review" and get
bullets that each carry the chunk id they came from, ready to cite.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.retrieval.models import SearchResult
from assistant.retrieval.service import KnowledgeBase

PLAYBOOK_SOURCE = "knowledge/skills/{skill}.md"
_LEVEL = re.compile(r"^What good looks like > Level (\d)")
_PRACTICE = re.compile(r"^Practice activities > From level (\d) to (\d)")
_MILESTONE = re.compile(r"^Milestones that show progress > Reaching level (\d)")
_BULLET = re.compile(r"^\s*[-*]\s+(.*)$")


@dataclass(frozen=True)
class Cited:
    """One piece of guidance and where it came from."""

    text: str
    chunk_id: str
    source: str
    title: str

    @property
    def is_shadowing(self) -> bool:
        return self.text.lower().startswith("shadow:")


@dataclass
class Playbook:
    skill: str
    levels: dict[int, Cited] = field(default_factory=dict)
    practice: dict[int, list[Cited]] = field(default_factory=dict)  # from level -> bullets
    milestones: dict[int, list[Cited]] = field(default_factory=dict)  # reaching level -> bullets
    evidence: list[Cited] = field(default_factory=list)
    mentor_help: list[Cited] = field(default_factory=list)
    peer_help: list[Cited] = field(default_factory=list)
    pitfalls: list[Cited] = field(default_factory=list)

    def steps(self, current: int, target: int) -> list[int]:
        """The level transitions between two levels, as the `from` level of each."""
        return [level for level in range(max(current, 1), min(target, 5)) if level in self.practice]

    def activities(self, current: int, target: int) -> list[Cited]:
        return [bullet for level in self.steps(current, target) for bullet in self.practice[level]]

    @property
    def complete(self) -> bool:
        return bool(self.practice and self.milestones)


def _pieces(text: str) -> list[str]:
    """Bullets when the section has them, otherwise its paragraphs."""
    bullets = [m.group(1).strip() for line in text.splitlines() if (m := _BULLET.match(line))]
    if bullets:
        return bullets
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def playbook_from_chunks(skill: str, chunks: Iterable[SearchResult]) -> Playbook:
    book = Playbook(skill=skill)
    for chunk in chunks:

        def cite(text: str, chunk: SearchResult = chunk) -> Cited:
            return Cited(text=text, chunk_id=chunk.chunk_id, source=chunk.source, title=chunk.title)

        heading = chunk.heading
        if match := _LEVEL.match(heading):
            book.levels[int(match.group(1))] = cite(chunk.text.strip())
        elif match := _PRACTICE.match(heading):
            book.practice.setdefault(int(match.group(1)), []).extend(
                cite(p) for p in _pieces(chunk.text)
            )
        elif match := _MILESTONE.match(heading):
            book.milestones.setdefault(int(match.group(1)), []).extend(
                cite(p) for p in _pieces(chunk.text)
            )
        elif heading.startswith("Evidence a mentor can look for"):
            book.evidence.extend(cite(p) for p in _pieces(chunk.text))
        elif heading.startswith("How a mentor helps"):
            book.mentor_help.extend(cite(p) for p in _pieces(chunk.text))
        elif heading.startswith("How a peer helps"):
            book.peer_help.extend(cite(p) for p in _pieces(chunk.text))
        elif heading.startswith("Common pitfalls"):
            book.pitfalls.extend(cite(p) for p in _pieces(chunk.text))
    return book


class PlaybookLibrary:
    """Reads playbooks from the knowledge base (the same index search uses), so staff
    edits to a playbook reach the drafters with the next `tandem ingest`."""

    def __init__(self, knowledge: KnowledgeBase) -> None:
        self._knowledge = knowledge

    def playbook(self, skill: str) -> Playbook | None:
        chunks = self._knowledge.chunks_of(PLAYBOOK_SOURCE.format(skill=skill))
        book = playbook_from_chunks(skill, chunks)
        return book if book.complete else None
