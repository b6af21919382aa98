"""Guidance documents: front matter, heading-aware chunks, content-derived chunk ids."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from assistant.vocabulary import CAREER_STAGES, MODES, SKILLS, TOPICS

TAG_FIELDS: dict[str, tuple[str, ...]] = {
    "modes": MODES,
    "topics": TOPICS,
    "career_stages": CAREER_STAGES,
    "skills": SKILLS,
}
# Chunks stay within what MiniLM reads (256 tokens, roughly 1,000 characters of English);
# the overlap keeps a sentence that straddles a cut findable from both sides.
CHUNK_CHARS = 1000
CHUNK_OVERLAP = 120
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


class DocumentError(ValueError):
    """The document cannot be ingested as given (bad front matter, unknown slug)."""


@dataclass(frozen=True)
class Chunk:
    id: str
    source: str
    title: str
    heading: str
    text: str
    tags: dict[str, list[str]]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def indexed_text(self) -> str:
        """What is embedded and ranked: the chunk with the context a reader would see."""
        return f"{self.title}. {self.heading}.\n{self.text}" if self.heading else self.text

    def metadata(self) -> dict[str, Any]:
        # Chroma metadata holds scalars; each tag becomes a boolean flag so a filter is
        # a plain equality (`mode_peer == True`), plus the list as text for display.
        meta: dict[str, Any] = {"source": self.source, "title": self.title, "heading": self.heading}
        for name, values in self.tags.items():
            meta[name] = ",".join(values)
            for value in values:
                meta[tag_flag(name, value)] = True
        meta.update(self.extra)
        return meta


def tag_flag(field_name: str, value: str) -> str:
    """The metadata key that marks a chunk with one tag: ("modes", "peer") -> "mode_peer"."""
    return f"{field_name.removesuffix('s')}_{value}"


def chunk_id(source: str, heading: str, text: str) -> str:
    return hashlib.sha256(f"{source}\n{heading}\n{text}".encode()).hexdigest()[:32]


def parse_front_matter(text: str, *, source: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{source}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DocumentError(f"{source}: front matter must be a mapping")
    return data, text[match.end() :]


def _tags(front: dict[str, Any], source: str) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for name, allowed in TAG_FIELDS.items():
        raw = front.get(name)
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [str(v).strip() for v in values if str(v).strip()]
        if not values and name != "skills":
            values = ["any"]  # untagged guidance applies everywhere
        unknown = [v for v in values if v != "any" and v not in allowed]
        if unknown or (name == "skills" and "any" in values):
            raise DocumentError(f"{source}: {name} has unknown slugs {unknown or ['any']}")
        tags[name] = values
    return tags


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return None


def split_document(text: str, *, source: str, default_title: str | None = None) -> list[Chunk]:
    """Markdown or plain text -> chunks by heading, then by size, each with its tags."""
    front, body = parse_front_matter(text.replace("\r\n", "\n"), source=source)
    tags = _tags(front, source)
    title = str(
        front.get("title") or _first_heading(body) or default_title or Path(source).stem
    ).strip()
    sections = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=True
    ).split_text(body)
    sizer = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP)
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in sections:
        content = section.page_content.strip()
        if not content:
            continue
        heading = " > ".join(
            str(section.metadata[level]) for level in ("h2", "h3") if level in section.metadata
        )
        for piece in sizer.split_text(content):
            cid = chunk_id(source, heading, piece)
            if cid in seen:  # a repeated paragraph under the same heading is one chunk
                continue
            seen.add(cid)
            chunks.append(
                Chunk(id=cid, source=source, title=title, heading=heading, text=piece, tags=tags)
            )
    if not chunks:
        raise DocumentError(f"{source}: the document has no text")
    return chunks
