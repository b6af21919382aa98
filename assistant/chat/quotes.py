"""Quoting retrieved text: the words that carry a query's meaning, the passage of a chunk
most about it (cut verbatim, never rewritten) and a numbered source as a reply lists it."""

from __future__ import annotations

import re
from typing import Any

from assistant.chat import intents
from assistant.retrieval.models import SearchResult

QUOTE_CHARS = 420
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|\n|$)")
_STOPWORDS_TEXT = (
    "a an the and or of to in on for with at by from is are was were be been it this "
    "that i me my we our you your how what why when where which who do does did should "
    "can could would will about any some more most into as so if then than there their "
    "them they"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def content_words(text: str) -> set[str]:
    return {w for w in intents.words(text) if w not in STOPWORDS and len(w) > 2}


def excerpt(text: str, query: str, limit: int = QUOTE_CHARS) -> str:
    """The passage of a chunk most about the query, cut from the chunk verbatim (a slice,
    never rewritten), so a quote can always be found in what was indexed."""
    wanted = content_words(query)
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group(0).strip()]
    if not spans:
        return text[:limit].strip()
    best = max(
        range(len(spans)),
        key=lambda i: (len(wanted & content_words(text[spans[i][0] : spans[i][1]])), -i),
    )
    start, end = spans[best]
    for later in spans[best + 1 :]:
        if later[1] - start > limit:
            break
        end = later[1]
    return text[start:end][:limit].strip()


def citation_of(result: SearchResult, number: int, quote: str) -> dict[str, Any]:
    """A numbered source as a reply lists it: what was quoted, from which chunk."""
    return {
        "number": number,
        "kind": result.kind,
        "chunk_id": result.chunk_id,
        "source": result.source,
        "title": result.title,
        "note_id": result.note_id,
        "quote": quote,
    }
