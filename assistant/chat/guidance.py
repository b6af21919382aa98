"""Answering questions extractively: quotes from the guidance and from the notes the
caller may read, numbered with their sources, never new claims. A how-to question is
answered first with the playbook practice that meets it. Whatever the quoted text says
is shown as a quote and acts on nothing."""

from __future__ import annotations

from typing import Any

from assistant.chat import commands
from assistant.chat.caller import ChatCaller
from assistant.chat.describe import skill_name
from assistant.chat.quotes import citation_of
from assistant.chat.turns import Reply

NOTHING_FOUND = (
    "I found nothing in the mentoring guidance or in the notes you may read about that, "
    "and I only answer from those. Try other words, or ask your mentor in your next session."
)


def answer(caller: ChatCaller, message: str) -> Reply:
    try:
        found = commands.search_guidance(caller, commands.SearchGuidance(query=message))
    except commands.SearchUnavailable:
        return Reply(
            "The guidance search is unavailable right now, so I can't quote anything; "
            "nothing was changed. Please try again in a moment.",
            "guidance",
        )
    if not found.practice and not found.quotes:
        return Reply(NOTHING_FOUND, "guidance")
    lines = ["Here is what I found. These are quotes, not my own words.", ""]
    sources: list[str] = []
    citations: list[dict[str, Any]] = []
    if found.practice:
        lines.append("Practice to try first:")
    for practice in found.practice:
        number = len(citations) + 1
        citations.append(practice.citation(number))
        level = f"level {practice.from_level} to {practice.from_level + 1}"
        lines.append(f"[{number}] “{practice.line.text}” ({skill_name(practice.skill)}, {level})")
        sources.append(
            f"[{number}] {practice.line.title}, “{practice.where}” ({practice.line.source}), "
            f"chunk {practice.line.chunk_id}"
        )
    if found.practice and found.quotes:
        lines += ["", "From the guidance:"]
    for hit in found.quotes:
        result = hit.result
        number = len(citations) + 1
        citations.append(citation_of(result, number, hit.quote))
        lines += [f"[{number}] “{hit.quote}”", ""]
        if result.kind == "note":
            sources.append(
                f"[{number}] Session note {result.note_id} ({result.title}), chunk "
                f"{result.chunk_id}"
            )
        else:
            heading = f", “{result.heading}”" if result.heading else ""
            sources.append(
                f"[{number}] {result.title}{heading} ({result.source}), chunk {result.chunk_id}"
            )
    if lines[-1]:
        lines.append("")
    lines.append("Sources:")
    lines.extend(sources)
    return Reply("\n".join(lines), "guidance", citations=citations)
