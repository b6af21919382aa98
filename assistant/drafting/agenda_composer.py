"""The offline agenda composer: a time-boxed agenda for one session, from the match's
plans, open action items, talking points, shared notes and the session guidance.

Deterministic: the same context gives the same agenda. The minutes always add up to the
session's length, and in peer and group matches each member gets the same time (to the
minute) for their own work, with the order rotating from one session to the next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from assistant.drafting.goal_milestones import skill_levels
from assistant.drafting.models import (
    AgendaBody,
    AgendaContext,
    AgendaItem,
    AgendaItemKind,
    DraftedAgenda,
    MemberProgress,
    PrepTask,
)
from assistant.drafting.playbooks import Cited
from assistant.drafting.wording import adapt
from assistant.people.models import ParticipantOut
from assistant.plans.models import Activity, Citation
from assistant.retrieval.models import SearchResult
from assistant.sessions.models import ActionItemOut

PEER_MODES = frozenset({"peer", "group"})
LEARNER_ROLES = {
    "mentor": ("mentee",),
    "near_peer": ("mentee",),
    "reverse": ("mentee",),  # in reverse mentoring the senior member is the mentee
    "flash": ("mentee",),
    "peer": ("peer", "mentee", "mentor"),
    "group": ("peer", "mentee", "mentor"),
}
QUOTE_CHARS = 240


def _short(text: str, limit: int = 1900) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _first_sentences(text: str, limit: int = QUOTE_CHARS) -> str:
    flat = " ".join(line.strip("-* ").strip() for line in text.splitlines() if line.strip())
    return _short(flat, limit)


@dataclass
class _Slot:
    """An agenda item before it has minutes: how much of the session it deserves
    (weight), the least it can do with (floor) and how readily it is dropped from a
    short session (lower goes first; None is never dropped)."""

    title: str
    kind: AgendaItemKind
    lead_id: str | None
    detail: str
    weight: float
    floor: int
    priority: int | None
    citation_ids: list[str] = field(default_factory=list)
    for_id: str | None = None


def allocate_minutes(slots: list[_Slot], total: int) -> list[tuple[_Slot, int]]:
    """Give every slot its floor, share the rest by weight, and hand out the leftover
    minutes by largest remainder (earlier slots first on ties), so the minutes add up to
    `total` exactly and equal weights never differ by more than one minute."""
    kept = list(slots)
    while sum(s.floor for s in kept) > total:
        droppable = [s for s in kept if s.priority is not None]
        if not droppable:
            for s in kept:
                s.floor = 1
            break
        lowest = min(droppable, key=lambda s: (s.priority, -kept.index(s)))
        kept.remove(lowest)
    spare = total - sum(s.floor for s in kept)
    weight = sum(s.weight for s in kept) or 1.0
    shares = [spare * s.weight / weight for s in kept]
    minutes = [s.floor + int(share) for s, share in zip(kept, shares, strict=True)]
    leftover = total - sum(minutes)
    order = sorted(range(len(kept)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in order[:leftover]:
        minutes[i] += 1
    return list(zip(kept, minutes, strict=True))


class _Citations:
    def __init__(self) -> None:
        self.by_id: dict[str, Citation] = {}

    def guidance(self, piece: Cited | None) -> list[str]:
        if piece is None:
            return []
        if piece.chunk_id not in self.by_id:
            self.by_id[piece.chunk_id] = Citation(
                id=piece.chunk_id, source=piece.source, title=piece.title, quote=piece.text
            )
        return [piece.chunk_id]

    def note(self, result: SearchResult) -> list[str]:
        if result.chunk_id not in self.by_id:
            self.by_id[result.chunk_id] = Citation(
                id=result.chunk_id,
                source=result.source,
                title=_short(result.title or "Session note", 200),
                quote=result.text,
            )
        return [result.chunk_id]


class AgendaComposer:
    name = "offline"

    def draft_agenda(self, context: AgendaContext) -> DraftedAgenda:
        return _Composition(context).draft()


class _Composition:
    """One agenda being written; holds the context and the citations it collects."""

    def __init__(self, context: AgendaContext) -> None:
        self.c = context
        self.cites = _Citations()
        self.mode = context.match.mode
        members = context.members
        # Peers and groups take turns: a different member facilitates and goes first
        # each session, so over a few sessions nobody always opens or always runs late.
        turn = (context.number - 1) % len(members)
        self.rotation = members[turn:] + members[:turn]
        self.learners = [
            p
            for m in self.rotation
            for p in context.progress
            if p.owner.id == m.id and context.roles.get(m.id) in LEARNER_ROLES[self.mode]
        ]
        self.debriefed: set[str] = set()  # action items the debrief already covers
        self.debriefs: dict[str, str] = {}  # member -> shadowing to debrief in their dive
        self.guides = [
            m.id for m in members if context.roles.get(m.id) == "mentor" and self.mode != "peer"
        ]

    # -- who leads ---------------------------------------------------------------

    @property
    def facilitator(self) -> str:
        if self.mode in ("mentor", "near_peer", "reverse") and self.guides:
            return self.guides[0]  # in reverse mode the junior member holds the mentor role
        if self.mode == "flash" and self.learners:
            return self.learners[0].owner.id  # the one with the question runs the clock
        return self.rotation[0].id

    def name(self, participant_id: str | None) -> str:
        return self.c.name(participant_id)

    # -- the agenda ----------------------------------------------------------------

    def draft(self) -> DraftedAgenda:
        if self.mode == "flash":
            slots = self._flash()
        else:
            slots = [
                self._check_in(),
                *self._debrief(),
                *self._review(),
                *self._focus(),
                *self._deep_dives(),
                *self._talking_points(),
                *self._feedback(),
                self._commitments(),
            ]
        allocated = allocate_minutes(slots, self.c.meeting.duration_minutes)
        if self.mode in PEER_MODES:
            allocated = _equal_own_time(allocated)
        items = [
            AgendaItem(
                title=_short(slot.title, 200),
                minutes=minutes,
                kind=slot.kind,
                lead_id=slot.lead_id,
                detail=_short(slot.detail),
                citation_ids=slot.citation_ids,
                for_id=slot.for_id,
            )
            for slot, minutes in allocated
        ]
        remarks = list(self.c.remarks)
        if self.c.focus and self.mode != "flash":
            remarks.append(
                f"Shaped by the focus asked for (“{_short(self.c.focus, 200)}”): it has its own "
                "item, and each deep dive starts from it."
            )
        elif self.c.focus:
            asker = self.learners[0].owner if self.learners else self.c.members[0]
            if self._question(asker) == self.c.focus:
                remarks.append("The question is the focus asked for, word for word.")
            else:
                remarks.append(
                    f"The question is {asker.name}'s own; the focus asked for "
                    f"(“{_short(self.c.focus, 200)}”) frames the answer."
                )
        kept = {id(slot) for slot, _ in allocated}
        dropped = [s.title for s in slots if id(s) not in kept]
        if dropped:
            remarks.append(
                f"{self.c.meeting.duration_minutes} minutes is too short for everything; "
                f"left out: {', '.join(dropped)}."
            )
        body = AgendaBody(
            items=items,
            prep=self._prep(),
            citations=sorted(self.cites.by_id.values(), key=lambda c: c.id),
            remarks=remarks,
        )
        return DraftedAgenda(body=body, drafter=AgendaComposer.name)

    def _check_in(self) -> _Slot:
        lead = self.facilitator
        if self.c.previous is None and self.c.number == 1:
            cited = self.cites.guidance(self.c.guidance.get("first_session"))
            detail = (
                "First session: introductions, what each of you wants from the "
                f"{_mode_words(self.mode)}, and your agreements (confidentiality, how often "
                "you meet, how you give each other feedback)."
            )
            return _Slot(
                "Introductions and agreements", "check_in", lead, detail, 0.14, 3, None, cited
            )
        cited = self.cites.guidance(self.c.guidance.get("how_sessions_run"))
        if self.mode in PEER_MODES:
            detail = (
                f"{self.name(lead)} facilitates today. Each of you in turn: one sentence on how "
                "the last weeks went and what you want from this session."
            )
        else:
            detail = (
                f"{self.name(lead)} opens: how the last weeks went, and what "
                f"{self._learner_names()} wants to leave this session with."
            )
        return _Slot("Check-in", "check_in", lead, detail, 0.08, 2, None, cited)

    def _debrief(self) -> list[_Slot]:
        """A session after shadowing opens with its debrief, while it is fresh."""
        observed = [
            item
            for item in self.c.action_items
            if any(w in item.text.lower() for w in ("shadow", "observe"))
        ]
        # A plan's shadowing is debriefed once, in the first session after it was due to
        # happen: by the milestone that names it, else by the end of its window.
        since = self.c.previous.scheduled_at.date() if self.c.previous else None
        on = self.c.meeting.scheduled_at.date()
        shadowers = [
            p
            for p in self.learners
            if since is not None
            and any(since < d <= on for d in (_happened_by(p, a) for a in p.shadowing) if d)
        ]
        if not observed and not shadowers:
            return []
        if self.mode in PEER_MODES:
            # In a peer match a debrief is one member's own time: it goes inside their
            # deep dive, so every member's own time stays equal to the minute.
            self.debriefs = {i.owner_id or "": _short(i.text, 200) for i in observed}
            self.debriefs.update(
                {p.owner.id: _short(p.shadowing[0].description, 200) for p in shadowers}
            )
            self.debriefed = {i.id for i in observed}
            return []
        parts = [f"{self.name(i.owner_id)}: {_short(i.text, 200)}" for i in observed]
        parts += [
            f"{self.name(p.owner.id)}: {_short(p.shadowing[0].description, 200)}" for p in shadowers
        ]
        lead = observed[0].owner_id if observed else shadowers[0].owner.id
        detail = (
            "Debrief the shadowing while it is fresh: what you saw, what surprised you, "
            "what you will try yourself (not done yet? book it now). " + " · ".join(parts)
        )
        cited = self.cites.guidance(self.c.guidance.get("shadowing_debrief"))
        self.debriefed = {i.id for i in observed}
        return [_Slot("Shadowing debrief", "debrief", lead, detail, 0.14, 3, 60, cited)]

    def _review(self) -> list[_Slot]:
        lines: list[str] = []
        pending = [i for i in self.c.action_items if i.id not in self.debriefed]
        for item, times in _distinct_items(pending)[:6]:
            due = f", due {item.due_date.isoformat()}" if item.due_date else ""
            late = ""
            if item.due_date and item.due_date < self.c.meeting.scheduled_at.date():
                late = f", {(self.c.meeting.scheduled_at.date() - item.due_date).days} days late"
            carried = f", carried over {times} times" if times > 1 else ""
            lines.append(
                f"Action item ({self.name(item.owner_id)}{due}{late}{carried}): "
                f"{_short(item.text, 200)}"
            )
        for progress in self.c.progress:
            for d in progress.overdue[:3]:
                lines.append(
                    f"Overdue milestone ({progress.owner.name}, due {d.due.isoformat()}): "
                    f"{d.milestone.title}"
                )
            for d in progress.due_soon[:3]:
                if d is not progress.current:
                    lines.append(
                        f"Due before you next meet ({progress.owner.name}, "
                        f"{d.due.isoformat()}): {d.milestone.title}"
                    )
        cited: list[str] = []
        if self.c.notes:
            note = self.c.notes[0]
            cited = self.cites.note(note)
            lines.append(f"From your shared notes: “{_first_sentences(note.text, 200)}”")
        if not lines:
            return []
        detail = "Go through what was promised and what is due: " + " · ".join(lines)
        return [
            _Slot(
                "Review action items and milestones",
                "review",
                self.facilitator,
                detail,
                0.12,
                2,
                50,
                cited,
            )
        ]

    def _focus(self) -> list[_Slot]:
        """The focus someone asked for gets its own time, before the deep dives it frames."""
        focus = self.c.focus.strip()
        if not focus:
            return []
        wants = "each of you wants" if self.mode in PEER_MODES else "you want"
        detail = (
            f"Today's focus, as asked: “{_short(focus, 600)}”. {self.name(self.facilitator)} "
            f"asks what {wants} from it, so the deep dives below start from it."
        )
        return [
            _Slot(
                f"Focus: {_short(focus, 120)}",
                "focus",
                self.facilitator,
                detail,
                0.12,
                2,
                85,
            )
        ]

    def _deep_dives(self) -> list[_Slot]:
        learners = self.learners
        if not learners:
            return []
        # In peer and group matches the members share the deep-dive time equally: one
        # slot each with the same weight, so their minutes differ by at most one.
        share = (0.5 if self.mode in PEER_MODES else 0.45) / len(learners)
        dives = [self._deep_dive(p, share) for p in learners]
        if self.mode in PEER_MODES:
            # Nobody's turn is cut from a short session: everyone's shrinks instead.
            floor = 3 if self.c.meeting.duration_minutes >= 10 * len(learners) else 1
            for dive in dives:
                dive.floor, dive.priority = floor, None
        return dives

    def _deep_dive(self, progress: MemberProgress, weight: float) -> _Slot:
        owner = progress.owner
        others = [m for m in self.c.members if m.id != owner.id]
        other_names = _join([m.name for m in others])
        cited: list[str] = []
        if progress.current is not None:
            current = progress.current
            topic = current.milestone.title
            skill = current.objective.skills[0] if current.objective.skills else None
            what = (
                f"{owner.name}'s current milestone: “{topic}” (due "
                f"{current.due.isoformat()}; {progress.done} of {progress.total} done)."
            )
        else:
            goal = owner.goals[0] if owner.goals else None
            topic = goal.text if goal else "what you want help with"
            skill = goal.skills[0] if goal and goal.skills else None
            if progress.plan_id is not None and progress.total:
                # Every milestone done: the question is what comes next, not a plan to start.
                topic = "what comes next"
                what = (
                    f"{owner.name} has done every milestone of their plan ({progress.done} of "
                    f"{progress.total}): a new goal, or a stretch on this one?"
                )
            else:
                what = f"{owner.name} has no plan yet: work on “{topic}”."
        book = self.c.playbooks.get(skill) if skill else None
        tip = ""
        if book is not None:
            helps = book.peer_help if self.mode in PEER_MODES else book.mentor_help
            if helps:
                cited = self.cites.guidance(helps[0])
                helper = (
                    "For the peers"
                    if self.mode in PEER_MODES
                    else f"For {self.name(self.facilitator)}"
                )
                advice = adapt(helps[0].text, self.mode, len(self.c.members))
                tip = f" {helper}, from the playbook: {_first_sentences(advice)}"
        if self.mode == "reverse":
            lead = self.facilitator
            how = (
                f"{self.name(lead)} leads on their own expertise: shows, then watches "
                f"{owner.name} try it; {owner.name} asks the questions."
            )
        elif self.mode in PEER_MODES:
            lead = owner.id
            helpers = [
                f"{m.name} ({lvl} in {s.replace('_', ' ')})"
                for m in others
                for s, lvl in skill_levels(m).items()
                if skill == s and lvl > skill_levels(owner).get(s, 0)
            ]
            help_line = f" Best placed to help: {_join(helpers)}." if helpers else ""
            how = (
                f"{owner.name} shows where things stand; {other_names} "
                f"{'asks' if len(others) == 1 else 'ask'} questions before "
                f"offering ideas.{help_line}"
            )
        else:
            lead = owner.id
            how = (
                f"{owner.name} brings the evidence; {other_names} coaches with questions "
                "first, then gives direct advice."
            )
        framing = f"Start from today's focus: {_short(self.c.focus, 200)}. " if self.c.focus else ""
        debrief = ""
        if owner.id in self.debriefs:
            debrief = (
                f" First, the shadowing debrief ({self.debriefs[owner.id]}): what you saw, "
                "what surprised you, what you will try yourself."
            )
        return _Slot(
            f"Deep dive: {owner.name} — {_short(topic, 90)}",
            "deep_dive",
            lead,
            f"{framing}{what}{debrief} {how}{tip}",
            weight,
            3,
            90,
            cited,
            owner.id,
        )

    def _talking_points(self) -> list[_Slot]:
        points = self.c.talking_points
        if not points:
            return []
        listed = " · ".join(f"{self.name(p.author_id)}: {_short(p.text, 300)}" for p in points)
        return [
            _Slot(
                "Talking points",
                "talking_points",
                points[0].author_id,
                f"Raised before the session — {listed}",
                min(0.2, 0.05 * len(points)),
                2,
                40,
            )
        ]

    def _feedback(self) -> list[_Slot]:
        if self.mode in PEER_MODES:
            pair = len(self.c.members) == 2
            cited = self.cites.guidance(
                self.c.guidance.get("pair_feedback_round" if pair else "group_feedback_round")
            )
            detail = (
                "Feedback runs both ways: each of you in turn tells "
                + ("the other" if pair else "the person on your left")
                + " one thing that worked and one thing to try, about what they showed today. "
                "The receiver only asks questions, then says what they will use."
            )
            return [
                _Slot(
                    "Reciprocal feedback round",
                    "feedback_round",
                    self.facilitator,
                    detail,
                    0.14,
                    3,
                    80,
                    cited,
                )
            ]
        if not self.learners:
            return []
        learner = self.learners[0].owner
        guide = self.facilitator
        if self.mode == "reverse":
            detail = (
                f"Learning runs both ways: {self.name(guide)} says what {learner.name} now does "
                f"well and what to practise next; {learner.name} says how the teaching landed "
                "and shares one piece of context from their own experience."
            )
        else:
            detail = (
                f"{self.name(guide)} gives structured feedback on what {learner.name} showed "
                "(situation, behaviour, impact), then asks what they will do with it; "
                f"{learner.name} says what helped most in this session."
            )
        cited = self.cites.guidance(self.c.guidance.get("structured_feedback"))
        return [_Slot("Feedback", "feedback", guide, detail, 0.1, 2, 70, cited)]

    def _commitments(self) -> _Slot:
        cited = self.cites.guidance(self.c.guidance.get("commitments"))
        next_on = self.c.next_meeting_on.isoformat()
        who = "each of you" if self.mode in PEER_MODES else self._learner_names()
        detail = (
            f"Close with commitments: {who} names one next step, who does it and by when, "
            f"before you meet again (around {next_on}). Write them down as action items."
        )
        if self.mode == "group":
            detail += " Say them to the group: the group holds each member to them."
        return _Slot("Commitments", "commitments", self.facilitator, detail, 0.1, 2, None, cited)

    def _question(self, asker: ParticipantOut) -> str:
        """The flash question, in the asker's own words when they gave some."""
        own_points = [p for p in self.c.talking_points if p.author_id == asker.id]
        if own_points:
            return own_points[0].text
        if self.c.focus:
            return self.c.focus
        if asker.goals:
            return f"How do I get started on this: {asker.goals[0].text}"
        return "the one question you most want answered"

    def _flash(self) -> list[_Slot]:
        """Flash mentoring holds one question: a short check-in, the question, one step."""
        asker = self.learners[0].owner if self.learners else self.c.members[0]
        expert = next((m for m in self.c.members if m.id != asker.id), asker)
        question = self._question(asker)
        cited = self.cites.guidance(self.c.guidance.get("how_sessions_run"))
        return [
            _Slot(
                "Check-in",
                "check_in",
                asker.id,
                f"{asker.name} says in two sentences what they want from {expert.name}.",
                0.1,
                2,
                None,
            ),
            _Slot(
                f"The question: {_short(question, 150)}",
                "question",
                asker.id,
                f"“{_short(question, 1000)}” {asker.name} states the question and what they "
                f"have tried; {expert.name} asks clarifying questions, then shares one or two "
                "concrete approaches from their own experience"
                + (
                    f", with the focus asked for in mind (“{_short(self.c.focus, 300)}”)"
                    if self.c.focus and self.c.focus != question
                    else ""
                )
                + ". One question only: park anything else.",
                0.7,
                3,
                None,
                cited,
                asker.id,
            ),
            _Slot(
                "One step and the follow-up",
                "commitments",
                asker.id,
                f"{asker.name} picks one step to try and says when they will tell "
                f"{expert.name} how it went (a short message within two weeks is enough).",
                0.2,
                2,
                None,
                self.cites.guidance(self.c.guidance.get("commitments")),
            ),
        ]

    # -- preparation ------------------------------------------------------------------

    def _prep(self) -> list[PrepTask]:
        tasks: list[PrepTask] = []
        if self.mode == "flash":
            asker = self.learners[0].owner if self.learners else self.c.members[0]
            for member in self.c.members:
                if member.id == asker.id:
                    task = (
                        "Write your question in one or two sentences, with what you have "
                        "already tried."
                    )
                else:
                    task = (
                        f"Read {asker.name}'s question beforehand (“"
                        f"{_short(self._question(asker), 1200)}”) and think of one example "
                        "from your own work."
                    )
                tasks.append(PrepTask(participant_id=member.id, task=task))
            return tasks
        # A few distinct tasks per member, each tied to what this session does: their own
        # deep dive, the feedback they give, the promises they carry.
        by_member: dict[str, list[str]] = {m.id: [] for m in self.c.members}
        learner_ids = {p.owner.id for p in self.learners}
        for progress in self.learners:
            by_member[progress.owner.id].append(self._own_prep(progress))
        with_work = [p for p in self.learners if p.current is not None]
        for member in self.c.members:
            if member.id in learner_ids and self.mode not in PEER_MODES:
                continue
            others = [p for p in with_work if p.owner.id != member.id]
            if self.mode in PEER_MODES:
                if others:
                    by_member[member.id].append(
                        "For the feedback round: note one thing that worked and one to try for "
                        + _join([p.owner.name for p in others])
                        + ", from what they bring today."
                    )
                continue
            focus = "; ".join(
                f"{p.owner.name}'s “{p.current.milestone.title}”"
                for p in others
                if p.current is not None
            )
            if self.mode == "reverse":
                task = (
                    f"Prepare a short demonstration for {focus or 'the next step'}, from your "
                    "own daily work."
                )
            else:
                task = (
                    f"Look at {focus or 'the plan'} and prepare one piece of feedback and one "
                    "question."
                )
            by_member[member.id].append(task)
        carried: dict[str, list[str]] = {}
        for item, _ in _distinct_items(self.c.action_items):
            if item.owner_id in by_member:
                due = f" (due {item.due_date.isoformat()})" if item.due_date else ""
                carried.setdefault(item.owner_id, []).append(f"{_short(item.text, 160)}{due}")
        for owner_id, items in carried.items():
            by_member[owner_id].append("Finish, or bring an update on: " + "; ".join(items[:4]))
        for member in self.c.members:
            for task in dict.fromkeys(by_member[member.id]):  # distinct, in order
                tasks.append(PrepTask(participant_id=member.id, task=_short(task)))
        return tasks

    def _own_prep(self, progress: MemberProgress) -> str:
        """What a learner brings for their own deep dive, by where their milestone stands:
        evidence only for work that has begun or falls due by this session."""
        if progress.current is None:
            if progress.plan_id is not None and progress.total:
                return "Your plan is done: bring what you want to work on next."
            return "Bring one concrete situation from your work that you want help with."
        d = progress.current
        title = _short(d.milestone.title.removeprefix("First step: "), 160)
        on = self.c.meeting.scheduled_at.date()
        if d.milestone.status in ("in_progress", "blocked") or d.due <= on:
            return (
                f"Bring evidence for “{title}” (due {d.due.isoformat()}): what you did, what "
                "happened, where you are stuck."
            )
        if self.c.number == 1:
            return (
                f"Say in one sentence what you want from these sessions, and how you will start "
                f"on “{title}” (due {d.due.isoformat()})."
            )
        return (
            f"Bring your first attempt at, or plan for, “{title}” (due {d.due.isoformat()}), "
            "and one question about it."
        )

    def _learner_names(self) -> str:
        return _join([p.owner.name for p in self.learners]) or "the mentee"


def _happened_by(progress: MemberProgress, activity: Activity) -> date | None:
    """When a planned shadowing should have happened: the due date of the milestone that
    names it (a plan's first step often is one), else the end of its window."""
    if progress.current is not None:
        head = activity.description[:40]
        for milestone in progress.current.objective.milestones:
            if head and head in milestone.title.removeprefix("First step: "):
                return milestone.due_date
    return activity.ends_on


def _equal_own_time(allocated: list[tuple[_Slot, int]]) -> list[tuple[_Slot, int]]:
    """Each learner's own time (their deep dive) equal to the minute: the minutes the
    even split leaves over go to the shared item that follows, never to one member."""
    dives = [i for i, (slot, _) in enumerate(allocated) if slot.for_id is not None]
    if len(dives) < 2:
        return allocated
    even = min(allocated[i][1] for i in dives)
    spare = sum(allocated[i][1] - even for i in dives)
    result = [
        (slot, even if i in dives else minutes) for i, (slot, minutes) in enumerate(allocated)
    ]
    shared = [i for i, (slot, _) in enumerate(result) if slot.for_id is None and i > dives[-1]]
    target = shared[0] if shared else next(i for i in range(len(result)) if i not in dives)
    slot, minutes = result[target]
    result[target] = (slot, minutes + spare)
    return result


def _distinct_items(items: Sequence[ActionItemOut]) -> list[tuple[ActionItemOut, int]]:
    """Each promise once, with how many open items repeat it: the same action carried
    from session to session is one thing to talk about, not six. Items come oldest due
    first, so the one kept is the oldest."""
    seen: dict[tuple[str, str | None], list[ActionItemOut]] = {}
    for item in items:
        seen.setdefault((" ".join(item.text.lower().split()), item.owner_id), []).append(item)
    return [(same[0], len(same)) for same in seen.values()]


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _mode_words(mode: str) -> str:
    return {
        "mentor": "mentoring",
        "near_peer": "near-peer mentoring",
        "reverse": "reverse mentoring",
        "peer": "peer partnership",
        "group": "group",
        "flash": "session",
    }[mode]
