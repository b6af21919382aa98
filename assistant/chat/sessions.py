"""Sessions in chat: getting ready for one (its agenda drafted and stored), when the next
ones are, and what was agreed last time, each read with the caller's rights."""

from __future__ import annotations

import logging
from typing import Any

from assistant.chat import commands, intents
from assistant.chat.caller import ChatCaller
from assistant.chat.describe import day
from assistant.chat.turns import Reply
from assistant.drafting.service import AgendaRejected
from assistant.matching.models import MatchOut
from assistant.sessions.models import ActionItem
from assistant.sessions.service import held, list_notes, list_sessions, visible_action_items

logger = logging.getLogger("tandem.chat")
MAX_RECAP_MATCHES = 3


def nobody_called(caller: ChatCaller, name: str, matches: list[MatchOut], intent: str) -> Reply:
    who = "; ".join(caller.others(m) for m in matches) or "nobody yet"
    return Reply(
        f"You have no open match with anyone called “{name.title()}”, so I changed "
        f"nothing. Your matches are with: {who}.",
        intent,
    )


def prepare_session(caller: ChatCaller, message: str) -> Reply:
    """Draft and store the agenda of the next session the message means (by partner and
    weekday), and show it."""
    meant = caller.matches_meant(message)
    if meant.unknown_name is not None:
        return nobody_called(caller, meant.unknown_name, meant.working, "prepare_session")
    candidates = meant.named or (meant.working if len(meant.working) == 1 else [])
    if not candidates:
        who = "; ".join(caller.others(m) for m in meant.working) or "nobody yet"
        return Reply(
            "Which session should I prepare? Tell me who it's with, for example “get me "
            f"ready for Thursday with Sam”. Your matches are with: {who}.",
            "prepare_session",
        )
    now = caller.services.clock.now()
    weekday = intents.weekday_in(message)
    upcoming = sorted(
        (
            (row, match)
            for match in candidates
            for row in list_sessions(caller.db, actor=caller.actor, match_id=match.id)
            if row.status == "scheduled" and row.scheduled_at >= now
        ),
        key=lambda pair: pair[0].scheduled_at,
    )
    if weekday is not None:
        upcoming = [p for p in upcoming if p[0].scheduled_at.weekday() == weekday]
    if not upcoming:
        when = f" on a {intents.WEEKDAYS[weekday].title()}" if weekday is not None else ""
        who = " or ".join(caller.others(m) for m in candidates)
        return Reply(
            f"There is no upcoming session with {who}{when} scheduled, so I have nothing "
            "to prepare and changed nothing. Schedule one (POST /v1/matches/{id}/sessions) "
            "and ask me again.",
            "prepare_session",
        )
    row, match = upcoming[0]
    try:
        drafted = commands.draft_agenda(caller, commands.DraftAgenda(session_id=row.id))
    except AgendaRejected as exc:
        logger.error("agenda rejected in chat: %s", exc)
        return Reply(
            f"I couldn't draft a usable agenda for session {row.id}, so nothing was "
            "stored. Please try again later.",
            "prepare_session",
        )
    agenda = drafted.value
    names = {m.participant_id: m.name for m in agenda.members}
    numbers = {c.id: n for n, c in enumerate(agenda.citations, start=1)}
    lines = [
        f"Here is the agenda for “{agenda.title}” with {caller.others(match)} on "
        f"{agenda.scheduled_at:%a %d %b %Y at %H:%M} UTC ({agenda.total_minutes} minutes). "
        f"I stored it with session {row.id}, where every member can read it.",
        "",
    ]
    for i, item in enumerate(agenda.items, start=1):
        lead = f", led by {names.get(item.lead_id, 'anyone')}" if item.lead_id else ""
        cites = "".join(f"[{numbers[c]}]" for c in item.citation_ids if c in numbers)
        lines.append(f"{i}. {item.title} ({item.minutes} min{lead}): {item.detail} {cites}")
    if agenda.prep:
        lines += ["", "Before the session:"]
        lines += [f"- {names.get(p.participant_id, '?')}: {p.task}" for p in agenda.prep]
    if agenda.citations:
        lines += ["", "Sources:"]
        lines += [f"[{n}] {c.title} ({c.source})" for n, c in enumerate(agenda.citations, start=1)]
    return Reply("\n".join(lines), "prepare_session", [drafted.action])


def session_info(caller: ChatCaller, message: str) -> Reply:
    """When the next sessions are and whether they have an agenda, without drafting
    one: drafting replaces what every member sees, so only a request does that."""
    meant = caller.matches_meant(message)
    if meant.unknown_name is not None:
        return nobody_called(caller, meant.unknown_name, meant.working, "session_info")
    now = caller.services.clock.now()
    lines: list[str] = []
    for match in meant.named or meant.working:
        upcoming = sorted(
            (
                row
                for row in list_sessions(caller.db, actor=caller.actor, match_id=match.id)
                if row.status == "scheduled" and row.scheduled_at >= now
            ),
            key=lambda row: row.scheduled_at,
        )
        if not upcoming:
            lines.append(f"With {caller.others(match)}: no session scheduled.")
            continue
        row = upcoming[0]
        agenda = "an agenda is stored" if row.agenda else "no agenda yet"
        lines.append(
            f"With {caller.others(match)}: {day(row.scheduled_at)} at "
            f"{row.scheduled_at:%H:%M} UTC, {row.duration_minutes} minutes "
            f"(session {row.id}; {agenda})."
        )
    if not lines:
        lines.append("You're not in an open match yet, so there are no sessions.")
    lines.append("Say “get me ready for <day> with <name>” and I'll draft the agenda.")
    return Reply("\n".join(lines), "session_info")


def recap(caller: ChatCaller, message: str) -> Reply:
    """The latest session's notes the caller may read, quoted, and what is still open,
    per match: "what did we agree last time?" is about us, not about the guidance."""
    meant = caller.matches_meant(message)
    if meant.unknown_name is not None:
        return nobody_called(caller, meant.unknown_name, meant.working, "recap")
    candidates = meant.named or meant.working
    if not candidates:
        return Reply("You're not in an open match yet, so there are no sessions to recap.", "recap")
    now = caller.services.clock.now()
    lines: list[str] = []
    citations: list[dict[str, Any]] = []
    for match in candidates[:MAX_RECAP_MATCHES]:
        names = {m.participant_id: m.name for m in match.members}
        lines.append(f"With {caller.others(match)} ({match.mode} match {match.id}):")
        past = [
            row
            for row in list_sessions(caller.db, actor=caller.actor, match_id=match.id)
            if held(row, now)
        ]
        shown = False
        for row in sorted(past, key=lambda r: r.scheduled_at, reverse=True):
            notes = list_notes(caller.db, actor=caller.actor, session_id=row.id)
            if not notes:
                continue
            lines.append(f"  Last notes, from the session on {day(row.scheduled_at)}:")
            for note in notes:
                number = len(citations) + 1
                author = names.get(note.author_id, "staff")
                lines.append(f"  [{number}] {author} ({note.visibility}): “{note.text}”")
                citations.append(
                    {"number": number, "kind": "note", "note_id": note.id, "quote": note.text}
                )
            shown = True
            break
        if not shown:
            lines.append("  No notes you may read from a past session yet.")
        items = visible_action_items(
            caller.db, actor=caller.actor, match_id=match.id, open_only=True
        )
        # The same promise carried from session to session is one line, not six.
        grouped: dict[tuple[str, str | None], list[ActionItem]] = {}
        for item in items:
            grouped.setdefault((item.text, item.owner_id), []).append(item)
        if grouped:
            lines.append("  Still open:")
        for (text, owner), same in grouped.items():
            due = next((i.due_date for i in same if i.due_date), None)
            late = f", due {due.isoformat()}" if due else ""
            times = f" ({len(same)} times)" if len(same) > 1 else ""
            lines.append(f"  - {names.get(owner or '', 'someone')}: {text}{late}{times}")
        lines.append("")
    return Reply("\n".join(lines).rstrip(), "recap", citations=citations)
