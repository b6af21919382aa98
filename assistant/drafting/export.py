"""Agendas as people use them outside the API: Markdown to read or print, and an
iCalendar event for the session with the agenda in its description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from assistant.drafting.models import AgendaOut
from assistant.plans.markdown import citation_marks, citation_numbers, closing_sections
from assistant.sessions.models import SessionOut


def agenda_markdown(agenda: AgendaOut) -> str:
    names = {m.participant_id: m.name for m in agenda.members}
    numbers = citation_numbers(agenda.citations)
    when = agenda.scheduled_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# {agenda.title}: agenda",
        "",
        f"{when} · {agenda.total_minutes} minutes · {agenda.mode.replace('_', '-')} · "
        + ", ".join(m.name for m in agenda.members),
        "",
        "| # | Item | Minutes | Lead |",
        "| --- | --- | --- | --- |",
    ]
    for n, item in enumerate(agenda.items, start=1):
        title = item.title.replace("|", "/")
        lines.append(f"| {n} | {title} | {item.minutes} | {names.get(item.lead_id or '', '')} |")
    lines.append("")
    for n, item in enumerate(agenda.items, start=1):
        lines += [f"## {n}. {item.title} ({item.minutes} min)", ""]
        lines += [item.detail + citation_marks(item.citation_ids, numbers), ""]
    if agenda.prep:
        lines += ["## Before the session", ""]
        for task in agenda.prep:
            lines.append(
                f"- **{names.get(task.participant_id, 'someone')}**: {task.task}"
                + citation_marks(task.citation_ids, numbers)
            )
        lines.append("")
    lines += closing_sections(
        "Notes on this draft", agenda.remarks, agenda.citations, agenda.drafter
    )
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """RFC 5545 lines are at most 75 octets; longer ones continue after CRLF + space,
    never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    limit = 75
    for char in line:
        if len((current + char).encode()) > limit:
            out.append(current)
            current = " " + char
            limit = 75
        else:
            current += char
    out.append(current)
    return out


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def session_ics(
    meeting: SessionOut, agenda: AgendaOut | None, names: list[str], now: datetime
) -> str:
    title = meeting.title or "Mentoring session"
    if agenda is not None:
        lead = {m.participant_id: m.name for m in agenda.members}
        lines: list[str] = []
        for n, item in enumerate(agenda.items, start=1):
            who = lead.get(item.lead_id or "")
            lines += [f"{n}. {item.title} ({item.minutes} min{', ' + who if who else ''})"]
            lines += [f"   {item.detail}"]
        if agenda.prep:
            lines += ["", "Before the session:"]
            lines += [f"- {lead.get(t.participant_id, 'someone')}: {t.task}" for t in agenda.prep]
        description = "\n".join(lines)
    else:
        description = "No agenda yet: POST /v1/sessions/" + meeting.id + "/agenda drafts one."
    status = {"cancelled": "CANCELLED", "missed": "CANCELLED"}.get(meeting.status, "CONFIRMED")
    end = meeting.scheduled_at + timedelta(minutes=meeting.duration_minutes)
    fields = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Tandem//Mentoring sessions//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{meeting.id}@tandem",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(meeting.scheduled_at)}",
        f"DTEND:{_stamp(end)}",
        f"SUMMARY:{_escape(title + ' (' + ', '.join(names) + ')')}",
        f"DESCRIPTION:{_escape(description)}",
        f"STATUS:{status}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(part for field in fields for part in _fold(field)) + "\r\n"
