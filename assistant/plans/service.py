"""Plan rules: writing and drafting versions, accepting, logging progress, health."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal
from assistant.config import Settings
from assistant.db import new_id
from assistant.errors import InvalidField, NotAllowed, NotFound, RuleViolation
from assistant.matching.models import WORKING_STATUSES, Match, MatchOut
from assistant.matching.service import is_member, match_out, member_ids, visible_match
from assistant.people.models import ParticipantOut
from assistant.people.service import get_participant, participant_out
from assistant.plans.instructions import INSTRUCTION_HELP, RevisionIntent, read_instruction
from assistant.plans.load import plan_end, planned_minutes_per_month
from assistant.plans.markdown import minutes_text
from assistant.plans.models import (
    ActionItemRef,
    Give,
    Milestone,
    MilestoneRef,
    Objective,
    Plan,
    PlanBody,
    PlanCadence,
    PlanCreate,
    PlanHealth,
    PlanOut,
    PlanRevise,
    PlanVersion,
    PlanVersionSummary,
    ProgressIn,
    ProgressOut,
    ProgressUpdate,
)
from assistant.retrieval.models import SearchResult
from assistant.retrieval.notes import NoteIndex
from assistant.sessions.models import MentoringSession
from assistant.sessions.service import (
    held,
    past_due_items,
    shared_notes,
    shared_open_action_items,
    visible_action_items,
)
from assistant.vocabulary import GUIDED_MODES

# Plans longer than this are programs, not plans; a date further out is almost
# certainly a typo (2207 for 2027).
logger = logging.getLogger("tandem.plans")

MAX_PLAN_SPAN = timedelta(days=3 * 365)
DAYS_PER_MONTH = 30.44


# ---- the drafting seam -------------------------------------------------------------


@dataclass(frozen=True)
class PlanDraftRequest:
    """What a drafter is given. The drafting package builds richer context from this;
    plans/ never imports drafting/, the app injects a PlanDrafter."""

    match: MatchOut
    owner: ParticipantOut
    others: list[ParticipantOut]
    focus: str
    starts_on: date
    # A revision's free-text instruction, for drafters that read free text (a model);
    # the offline reading of it is already applied to `owner`, `focus` and the goals.
    instruction: str = ""
    # The match's history that every member may read (the plan is read by all of them):
    # shared notes most relevant to the goals, and the open action items under them.
    history: tuple[SearchResult, ...] = ()
    open_action_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftedPlan:
    body: PlanBody
    drafter: str


class PlanDrafter(Protocol):
    def draft_plan(self, request: PlanDraftRequest) -> DraftedPlan: ...


# ---- reading -----------------------------------------------------------------------


def visible_plan(session: Session, principal: Principal, plan_id: str) -> tuple[Plan, Match]:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("plan", plan_id)
    try:
        match = visible_match(session, principal, plan.match_id)
    except NotFound:
        raise NotFound("plan", plan_id) from None
    return plan, match


def require_plan_editor(actor: Principal, match: Match, owner_id: str) -> None:
    """Who may change a plan or log its progress: its owner, in guided modes the match's
    mentor too, and staff. A peer may read a fellow member's plan, never rewrite it."""
    if actor.is_staff or actor.id == owner_id:
        return
    guided = match.mode in GUIDED_MODES
    if guided and any(m.participant_id == actor.id and m.role == "mentor" for m in match.members):
        return
    who = "the plan's owner or the match's mentor" if guided else "the plan's owner"
    raise NotAllowed(f"only {who} may change this plan or log progress on it")


def _version(session: Session, plan: Plan, version: int | None = None) -> PlanVersion:
    number = plan.current_version if version is None else version
    row = session.scalar(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.version == number)
    )
    if row is None:
        raise NotFound("plan version", f"{plan.id}@{number}")
    return row


def milestone_statuses(session: Session, plan_id: str) -> dict[str, str]:
    """Each milestone's latest logged status: the last update in time wins."""
    latest: dict[str, str] = {}
    for milestone_id, status in session.execute(
        select(ProgressUpdate.milestone_id, ProgressUpdate.status)
        .where(ProgressUpdate.plan_id == plan_id)
        .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    ):
        latest[milestone_id] = status
    return latest


def _with_current_statuses(body: PlanBody, statuses: dict[str, str]) -> list[Objective]:
    objectives: list[Objective] = []
    for objective in body.objectives:
        milestones = [
            m.model_copy(update={"status": statuses.get(m.id or "", m.status)})
            for m in objective.milestones
        ]
        objectives.append(objective.model_copy(update={"milestones": milestones}))
    return objectives


def plan_out(session: Session, plan: Plan, version: int | None = None) -> PlanOut:
    row = _version(session, plan, version)
    body = PlanBody.model_validate(row.body)
    return PlanOut(
        id=plan.id,
        match_id=plan.match_id,
        owner_id=plan.owner_id,
        version=row.version,
        latest_version=plan.current_version,
        status=row.status,
        drafter=row.drafter,
        summary=row.summary,
        starts_on=row.starts_on,
        objectives=_with_current_statuses(body, milestone_statuses(session, plan.id)),
        gives=body.gives,
        cadence=body.cadence,
        citations=body.citations,
        remarks=body.remarks,
        instruction=row.instruction,
        created_at=row.created_at,
        planned_minutes_per_month=planned_minutes_per_month(body, row.starts_on),
        budget_minutes_per_month=body.budget_minutes_per_month,
    )


def working_plan_out(session: Session, plan: Plan) -> PlanOut:
    """The version members work to: the accepted one while a newer draft is discussed,
    otherwise the latest draft."""
    active = session.scalar(
        select(PlanVersion.version).where(
            PlanVersion.plan_id == plan.id, PlanVersion.status == "active"
        )
    )
    return plan_out(session, plan, active)


def member_names(session: Session, match_id: str) -> dict[str, str]:
    """Names of a match's members by id, for a reader already allowed to see the match."""
    match = session.get(Match, match_id)
    return (
        {}
        if match is None
        else {m.participant_id: m.name for m in match_out(session, match).members}
    )


def match_plans(session: Session, match_id: str) -> list[Plan]:
    """Every plan of a match, for readers that have already checked access to it."""
    return list(
        session.scalars(
            select(Plan).where(Plan.match_id == match_id).order_by(Plan.created_at, Plan.id)
        )
    )


def read_plan(
    session: Session, *, actor: Principal, plan_id: str, version: int | None = None
) -> PlanOut:
    plan, _ = visible_plan(session, actor, plan_id)
    return plan_out(session, plan, version)


def list_versions(session: Session, *, actor: Principal, plan_id: str) -> list[PlanVersionSummary]:
    plan, _ = visible_plan(session, actor, plan_id)
    rows = session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id).order_by(PlanVersion.version)
    )
    return [PlanVersionSummary.model_validate(r, from_attributes=True) for r in rows]


def list_plans(session: Session, *, actor: Principal, match_id: str) -> list[PlanOut]:
    match = visible_match(session, actor, match_id)
    plans = session.scalars(
        select(Plan).where(Plan.match_id == match.id).order_by(Plan.created_at, Plan.id)
    )
    return [plan_out(session, p) for p in plans]


# ---- writing -----------------------------------------------------------------------


def _assign_ids(body: PlanBody, known_ids: set[str] | None) -> PlanBody:
    """Give new objectives and milestones ids; check that ids that were sent exist.

    `known_ids` is None on a first version (any unique id a person writes is fine) and
    the previous version's ids on a revision, where an unknown id is a typo that would
    silently detach a milestone from its progress history.
    """
    seen: set[str] = set()
    objectives: list[Objective] = []
    for o_index, objective in enumerate(body.objectives):
        milestones = []
        for m_index, milestone in enumerate(objective.milestones):
            loc = ("body", "objectives", o_index, "milestones", m_index, "id")
            mid = milestone.id
            if mid is not None and known_ids is not None and mid not in known_ids:
                raise InvalidField(loc, f"milestone id {mid!r} is not in the current version")
            mid = mid or new_id()
            if mid in seen:
                raise InvalidField(loc, f"milestone id {mid!r} is used twice")
            seen.add(mid)
            milestones.append(milestone.model_copy(update={"id": mid}))
        oid = objective.id or new_id()
        if oid in seen:
            raise InvalidField(("body", "objectives", o_index, "id"), f"id {oid!r} is used twice")
        seen.add(oid)
        objectives.append(objective.model_copy(update={"id": oid, "milestones": milestones}))
    return body.model_copy(update={"objectives": objectives})


def _check_dates(body: PlanBody, starts_on: date) -> None:
    for o_index, objective in enumerate(body.objectives):
        for m_index, milestone in enumerate(objective.milestones):
            loc = ("body", "objectives", o_index, "milestones", m_index, "due_date")
            if milestone.due_date < starts_on:
                raise InvalidField(
                    loc,
                    f"due date {milestone.due_date} is before the plan starts ({starts_on})",
                )
            if milestone.due_date > starts_on + MAX_PLAN_SPAN:
                raise InvalidField(
                    loc, f"due date {milestone.due_date} is more than three years after the start"
                )


def _check_citations(body: PlanBody) -> None:
    known = {c.id for c in body.citations}
    for o_index, objective in enumerate(body.objectives):
        for a_index, activity in enumerate(objective.activities):
            missing = [c for c in activity.citation_ids if c not in known]
            if missing:
                raise InvalidField(
                    ("body", "objectives", o_index, "activities", a_index, "citation_ids"),
                    f"cites {missing}, which are not among the plan's citations",
                )


def _check_patch_dates(revision: PlanRevise, starts_on: date) -> None:
    for index, patch in enumerate(revision.milestone_patches):
        if patch.due_date is not None and patch.due_date < starts_on:
            raise InvalidField(
                ("body", "milestone_patches", index, "due_date"),
                f"due date {patch.due_date} is before the plan starts ({starts_on})",
            )


def _check_gives(gives: Iterable[Give], *, match: Match, owner_id: str) -> None:
    others = set(member_ids(match)) - {owner_id}
    for index, give in enumerate(gives):
        if give.to_id not in others:
            raise InvalidField(
                ("body", "gives", index, "to_id"),
                "gives are offered to another member of the match",
            )


CADENCE_FORMATS = {
    "mentor": "scheduled 1:1 with structured feedback",
    "near_peer": "regular 1:1 with advice from recent experience",
    "reverse": "1:1 led by the junior member on their expertise",
    "peer": "frequent informal check-ins with reciprocal feedback",
    "group": "group session with rotating focus and shared accountability",
    "flash": "one focused session on a single question, then a follow-up",
}


def _default_cadence(match: Match) -> PlanCadence:
    return PlanCadence(
        sessions_per_month=match.sessions_per_month,
        minutes=match.session_minutes,
        format=CADENCE_FORMATS.get(match.mode, "scheduled session"),
    )


def _store_version(
    session: Session,
    *,
    plan: Plan,
    version: int,
    body: PlanBody,
    drafter: str,
    starts_on: date,
    instruction: str,
    actor: Principal,
) -> PlanVersion:
    row = PlanVersion(
        plan_id=plan.id,
        version=version,
        status="draft",
        drafter=drafter,
        summary=body.summary,
        starts_on=starts_on,
        body=body.model_dump(mode="json"),
        instruction=instruction,
        created_by=actor.id,
    )
    session.add(row)
    return row


HISTORY_NOTES = 3


def match_history(
    session: Session, notes_index: NoteIndex | None, match_id: str, about: str
) -> tuple[tuple[SearchResult, ...], tuple[str, ...]]:
    """What the match has already said and promised, as far as every member may read it.
    A vector store that is down costs the drafter this context, not the plan."""
    items = tuple(i.text for i in shared_open_action_items(session, match_id=match_id))
    if notes_index is None or not about.strip():
        return (), items
    try:
        notes = shared_notes(session, notes_index, match_id=match_id, query=about, k=HISTORY_NOTES)
    except Exception:
        logger.warning("shared notes unavailable for drafting", exc_info=True)
        return (), items
    return tuple(notes), items


def create_plan(
    session: Session,
    *,
    actor: Principal,
    match_id: str,
    data: PlanCreate,
    today: date,
    drafter: PlanDrafter,
    notes_index: NoteIndex | None = None,
) -> Plan:
    match = visible_match(session, actor, match_id)
    if match.status not in WORKING_STATUSES:
        raise RuleViolation(f"the match is {match.status}; plans belong to open matches")
    if not is_member(match, data.owner_id):
        raise InvalidField(("body", "owner_id"), "the plan's owner must be a member of the match")
    require_plan_editor(actor, match, data.owner_id)
    existing = session.scalar(
        select(Plan.id).where(Plan.match_id == match.id, Plan.owner_id == data.owner_id)
    )
    if existing:
        raise RuleViolation(
            f"this member already has a plan in this match ({existing}); revise it instead"
        )
    starts_on = data.starts_on or today
    if data.objectives is not None:
        body = PlanBody(
            summary=data.summary,
            objectives=data.objectives,
            gives=data.gives,
            cadence=data.cadence or _default_cadence(match),
            citations=data.citations,
        )
        written_by = "hand-written"
    else:
        owner = get_participant(session, data.owner_id)
        others = [get_participant(session, pid) for pid in member_ids(match) if pid != owner.id]
        about = " ".join([data.focus, *(g["text"] for g in owner.goals)])
        history, open_items = match_history(session, notes_index, match.id, about)
        drafted = drafter.draft_plan(
            PlanDraftRequest(
                match=match_out(session, match),
                owner=participant_out(owner),
                others=[participant_out(p) for p in others],
                focus=data.focus,
                starts_on=starts_on,
                history=history,
                open_action_items=open_items,
            )
        )
        body = drafted.body
        written_by = drafted.drafter
    if body.cadence is None:
        body = body.model_copy(update={"cadence": _default_cadence(match)})
    body = _assign_ids(body, known_ids=None)
    _check_citations(body)
    _check_dates(body, starts_on)
    _check_gives(body.gives, match=match, owner_id=data.owner_id)
    plan = Plan(match_id=match.id, owner_id=data.owner_id, current_version=1)
    session.add(plan)
    session.flush()
    _store_version(
        session,
        plan=plan,
        version=1,
        body=body,
        drafter=written_by,
        starts_on=starts_on,
        instruction=data.focus,
        actor=actor,
    )
    record_event(
        session,
        actor=actor,
        action="plan.created",
        entity_type="plan",
        entity_id=plan.id,
        detail={"match_id": match.id, "owner_id": data.owner_id, "drafter": written_by},
    )
    session.flush()
    return plan


def _apply_patches(body: PlanBody, revision: PlanRevise) -> PlanBody:
    patches = {p.id: p for p in revision.milestone_patches}
    found: set[str] = set()
    objectives = []
    for objective in body.objectives:
        milestones = []
        for milestone in objective.milestones:
            patch = patches.get(milestone.id or "")
            if patch is not None:
                found.add(patch.id)
                milestone = milestone.model_copy(
                    update={
                        k: v for k, v in patch.model_dump(exclude={"id"}).items() if v is not None
                    }
                )
            milestones.append(milestone)
        objectives.append(objective.model_copy(update={"milestones": milestones}))
    for index, patch in enumerate(revision.milestone_patches):
        if patch.id not in found:
            raise InvalidField(
                ("body", "milestone_patches", index, "id"),
                f"milestone {patch.id!r} is not in the current version",
            )
    return body.model_copy(update={"objectives": objectives})


LIGHTER_SHARE = 2 / 3  # "that's a lot": a third less each month
SHORTER_SHARE = 2 / 3  # "make it shorter" without a number: a third fewer weeks
KEPT_STATUSES = frozenset({"done", "in_progress", "blocked"})  # work that has begun


def _slot(milestone: Milestone, ordinal: int) -> tuple[int | None, int]:
    """Where a milestone sits in its objective: its level and its place among that
    level's milestones (the first step has no level)."""
    return (milestone.level, ordinal)


def _slots(milestones: list[Milestone]) -> list[tuple[int | None, int]]:
    seen: dict[int | None, int] = {}
    slots = []
    for m in milestones:
        seen[m.level] = seen.get(m.level, -1) + 1
        slots.append(_slot(m, seen[m.level]))
    return slots


def _in_level_order(milestones: list[Milestone]) -> list[Milestone]:
    """Milestones climb: by level where they have one (the first step, without a level,
    first), by date within a level; then no milestone is due after the one above it. A
    milestone that has begun keeps its place in the climb and is pulled earlier rather
    than pushing the rest of the plan past its horizon."""
    if all(m.level is not None or m.title.startswith("First step") for m in milestones):
        ordered = sorted(milestones, key=lambda m: (m.level or 0, m.due_date))
    else:
        ordered = sorted(milestones, key=lambda m: m.due_date)
    for index in range(len(ordered) - 2, -1, -1):
        here, above = ordered[index], ordered[index + 1]
        if here.due_date >= above.due_date:
            earlier = above.due_date - timedelta(days=1)
            ordered[index] = here.model_copy(update={"due_date": earlier})
    return ordered


def _carry_over(
    old: PlanBody, new: PlanBody, statuses: dict[str, str]
) -> tuple[PlanBody, tuple[int, int, int]]:
    """Give a redrafted plan the ids of what it kept, so progress stays attached.

    An objective is the same when it serves the same goal. A milestone is the same when
    its objective is and its title is unchanged (its date may move), or, when it has no
    progress yet, when it holds the same place in the climb (the same level, the same
    position within it) under a new title. Milestones that have begun (done, in
    progress, blocked) stay in the plan even when the redraft would not write them
    again: that work is part of the record. Answers the plan and (kept, added, removed).
    """
    by_goal = {o.goal_id or o.goal: o for o in old.objectives}
    kept = added = removed = 0
    objectives: list[Objective] = []
    for objective in new.objectives:
        previous = by_goal.pop(objective.goal_id or objective.goal, None)
        if previous is None:
            added += len(objective.milestones)
            objectives.append(objective)
            continue
        earlier = {m.title: m for m in previous.milestones}
        untouched = {
            slot: m
            for slot, m in zip(_slots(previous.milestones), previous.milestones, strict=True)
            if statuses.get(m.id or "", m.status) not in KEPT_STATUSES
        }
        milestones: list[Milestone] = []
        for slot, milestone in zip(_slots(objective.milestones), objective.milestones, strict=True):
            same = earlier.pop(milestone.title, None)
            if same is None and slot in untouched and untouched[slot].title in earlier:
                same = earlier.pop(untouched[slot].title)
            if same is not None:
                kept += 1
                milestone = milestone.model_copy(update={"id": same.id})
            else:
                added += 1
            milestones.append(milestone)
        begun = [m for m in earlier.values() if statuses.get(m.id or "", m.status) in KEPT_STATUSES]
        if begun:
            # Work under way is past its first step: a new one would sit before it.
            fresh = [m for m in milestones if not m.id and m.title.startswith("First step")]
            milestones = [m for m in milestones if m not in fresh]
            added -= len(fresh)
        removed += len(earlier) - len(begun)
        kept += len(begun)
        merged = _in_level_order(begun + milestones)[:20]
        objectives.append(objective.model_copy(update={"id": previous.id, "milestones": merged}))
    removed += sum(len(o.milestones) for o in by_goal.values())
    return new.model_copy(update={"objectives": objectives}), (kept, added, removed)


def _redraft(
    session: Session,
    *,
    plan: Plan,
    match: Match,
    current: PlanVersion,
    intent: RevisionIntent,
    instruction: str,
    drafter: PlanDrafter,
    today: date,
    notes_index: NoteIndex | None,
) -> tuple[PlanBody, str]:
    owner = participant_out(get_participant(session, plan.owner_id))
    about = " ".join([intent.focus or "", instruction, *(g.text for g in owner.goals)])
    history, open_items = match_history(session, notes_index, match.id, about)
    old = PlanBody.model_validate(current.body)
    starts_on = max(today, current.starts_on)  # work still ahead is planned from today
    old_load = planned_minutes_per_month(old, current.starts_on)
    old_weeks = max(1, round((plan_end(old, current.starts_on) - starts_on).days / 7))
    changes: dict[str, object] = {}
    said: list[str] = []
    if intent.hours_per_month is not None:
        changes["hours_per_month"] = intent.hours_per_month
    elif intent.lighter:
        # Lighter: about a third less each month than the plan asks now, same horizon.
        lighter = max(30, round(old_load * LIGHTER_SHARE / 15) * 15)
        changes["hours_per_month"] = lighter / 60
        said.append(
            f"Lighter: planned for about {minutes_text(lighter)} a month instead of "
            f"{minutes_text(old_load)}, finishing on the same date."
        )
    weeks = intent.horizon_weeks
    if weeks is None and intent.shorter:
        weeks = max(2, round(old_weeks * SHORTER_SHARE))
    if weeks is not None:
        changes["goals"] = [g.model_copy(update={"horizon_weeks": weeks}) for g in owner.goals]
    # The instruction shapes this plan only; the profile keeps what the person entered.
    owner = owner.model_copy(update=changes)
    others = [get_participant(session, pid) for pid in member_ids(match) if pid != owner.id]
    drafted = drafter.draft_plan(
        PlanDraftRequest(
            match=match_out(session, match),
            owner=owner,
            others=[participant_out(p) for p in others],
            focus=intent.focus or "",
            starts_on=starts_on,
            instruction=instruction,
            history=history,
            open_action_items=open_items,
        )
    )
    body, (kept, added, removed) = _carry_over(
        old, drafted.body, milestone_statuses(session, plan.id)
    )
    if weeks is not None:
        said.append(_horizon_effect(old, body, old_weeks, weeks, old_load, starts_on))
    remarks = [
        f"Applied your instruction: {'; '.join(intent.understood)}.",
        *said,
        f"Kept {kept} milestones with their progress, added {added}, removed {removed}.",
        *drafted.body.remarks,
    ]
    # A drafter that fits the owner's time sets its own session rhythm; otherwise the
    # plan keeps the one it had.
    cadence = drafted.body.cadence or old.cadence
    body = body.model_copy(update={"cadence": cadence, "remarks": remarks[:20]})
    return body, drafted.drafter


def _horizon_effect(
    old: PlanBody, new: PlanBody, old_weeks: int, weeks: int, old_load: int, starts_on: date
) -> str:
    """What a new horizon does to the load: a month never holds more than the owner's
    time, so a shorter plan does less in all rather than more each month."""
    new_load = planned_minutes_per_month(new, starts_on)
    before = {a.description for o in old.objectives for a in o.activities}
    after = {a.description for o in new.objectives for a in o.activities}
    dropped = len(before - after)
    if weeks >= old_weeks:
        return f"Longer: finishes in {weeks} weeks instead of {old_weeks}."
    effect = (
        f"{dropped} {'activity' if dropped == 1 else 'activities'} fewer"
        if dropped
        else "the same activities closer together"
    )
    return (
        f"Shorter: finishes in {weeks} weeks instead of {old_weeks}. Each month still fits "
        f"your time ({minutes_text(new_load)} at most, was {minutes_text(old_load)}), so "
        f"the plan does less in all: {effect}."
    )


def revise_plan(
    session: Session,
    *,
    actor: Principal,
    plan_id: str,
    data: PlanRevise,
    today: date | None = None,
    drafter: PlanDrafter | None = None,
    notes_index: NoteIndex | None = None,
) -> Plan:
    """A new version. Structured changes are applied as written; an instruction alone
    is read (plans/instructions.py) and, when understood, the plan is redrafted with it,
    keeping the ids of everything unchanged."""
    plan, match = visible_plan(session, actor, plan_id)
    require_plan_editor(actor, match, plan.owner_id)
    current = _version(session, plan)
    body = PlanBody.model_validate(current.body)
    known = {m.id for o in body.objectives for m in o.milestones if m.id}
    structured = (
        data.objectives is not None
        or data.gives is not None
        or data.cadence is not None
        or data.summary is not None
        or bool(data.milestone_patches)
    )
    written_by = current.drafter
    if not structured:
        intent = read_instruction(data.instruction)
        if intent.changes_anything and drafter is not None:
            revised, written_by = _redraft(
                session,
                plan=plan,
                match=match,
                current=current,
                intent=intent,
                instruction=data.instruction,
                drafter=drafter,
                today=today or current.starts_on,
                notes_index=notes_index,
            )
        else:
            unread = (
                f"Nothing in “{data.instruction}” could be applied, so the content is "
                f"unchanged. {INSTRUCTION_HELP}"
            )
            revised = body.model_copy(update={"remarks": [unread]})
    else:
        changes: dict[str, object] = {"remarks": []}
        if data.objectives is not None:
            changes["objectives"] = data.objectives
        if data.gives is not None:
            changes["gives"] = data.gives
        if data.cadence is not None:
            changes["cadence"] = data.cadence
        if data.summary is not None:
            changes["summary"] = data.summary
        revised = PlanBody.model_validate(body.model_copy(update=changes).model_dump())
        if data.objectives or data.milestone_patches:
            written_by = "hand-revised"
    revised = _assign_ids(revised, known_ids=known)
    _check_citations(revised)
    _check_patch_dates(data, current.starts_on)
    revised = _apply_patches(revised, data)
    _check_dates(revised, current.starts_on)
    _check_gives(revised.gives, match=match, owner_id=plan.owner_id)
    plan.current_version += 1
    _store_version(
        session,
        plan=plan,
        version=plan.current_version,
        body=revised,
        drafter=written_by,
        starts_on=current.starts_on,
        instruction=data.instruction,
        actor=actor,
    )
    record_event(
        session,
        actor=actor,
        action="plan.revised",
        entity_type="plan",
        entity_id=plan.id,
        detail={"version": plan.current_version, "instruction": data.instruction},
    )
    session.flush()
    return plan


def accept_plan(session: Session, *, actor: Principal, plan_id: str) -> Plan:
    plan, _ = visible_plan(session, actor, plan_id)
    if not actor.is_staff and actor.id != plan.owner_id:
        raise NotAllowed("only the plan's owner accepts it")
    current = _version(session, plan)
    if current.status == "active":
        raise RuleViolation(f"version {current.version} is already active")
    for older in session.scalars(
        select(PlanVersion).where(PlanVersion.plan_id == plan.id, PlanVersion.status == "active")
    ):
        older.status = "superseded"
    current.status = "active"
    record_event(
        session,
        actor=actor,
        action="plan.accepted",
        entity_type="plan",
        entity_id=plan.id,
        detail={"version": current.version},
    )
    session.flush()
    return plan


def log_progress(
    session: Session, *, actor: Principal, plan_id: str, data: ProgressIn
) -> ProgressOut:
    plan, match = visible_plan(session, actor, plan_id)
    require_plan_editor(actor, match, plan.owner_id)
    if match.status not in WORKING_STATUSES:
        raise RuleViolation(f"the match is {match.status}; progress is logged on open matches")
    body = PlanBody.model_validate(_version(session, plan).body)
    milestone = next(
        (m for o in body.objectives for m in o.milestones if m.id == data.milestone_id), None
    )
    if milestone is None:
        raise InvalidField(
            ("body", "milestone_id"),
            f"milestone {data.milestone_id!r} is not in this plan's current version",
        )
    previous = milestone_statuses(session, plan.id).get(data.milestone_id, milestone.status)
    update = ProgressUpdate(
        plan_id=plan.id,
        milestone_id=data.milestone_id,
        status=data.status,
        note=data.note,
        evidence_url=str(data.evidence_url) if data.evidence_url else None,
        author_kind=actor.kind,
        author_id=actor.id,
    )
    session.add(update)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="milestone.status_changed",
        entity_type="plan",
        entity_id=plan.id,
        detail={"milestone_id": data.milestone_id, "from": previous, "to": data.status},
    )
    return _progress_out(update, previous)


def _progress_out(update: ProgressUpdate, previous: str) -> ProgressOut:
    return ProgressOut.model_validate(
        {
            "id": update.id,
            "plan_id": update.plan_id,
            "milestone_id": update.milestone_id,
            "status": update.status,
            "previous_status": previous,
            "note": update.note,
            "evidence_url": update.evidence_url,
            "author_kind": update.author_kind,
            "author_id": update.author_id,
            "created_at": update.created_at,
        }
    )


def progress_history(session: Session, *, actor: Principal, plan_id: str) -> list[ProgressOut]:
    plan, _ = visible_plan(session, actor, plan_id)
    initial = {
        m.id: m.status
        for version in session.scalars(select(PlanVersion).where(PlanVersion.plan_id == plan.id))
        for o in PlanBody.model_validate(version.body).objectives
        for m in o.milestones
    }
    current: dict[str, str] = {}
    history: list[ProgressOut] = []
    for update in session.scalars(
        select(ProgressUpdate)
        .where(ProgressUpdate.plan_id == plan.id)
        .order_by(ProgressUpdate.created_at, ProgressUpdate.id)
    ):
        previous = current.get(update.milestone_id, initial.get(update.milestone_id, "not_started"))
        history.append(_progress_out(update, previous))
        current[update.milestone_id] = update.status
    return history


# ---- health ------------------------------------------------------------------------


@dataclass(frozen=True)
class HealthThresholds:
    due_soon_days: int = 14
    severely_overdue_days: int = 14

    @classmethod
    def from_settings(cls, settings: Settings) -> HealthThresholds:
        return cls(
            due_soon_days=settings.health_due_soon_days,
            severely_overdue_days=settings.health_severely_overdue_days,
        )


def plan_health(
    session: Session,
    *,
    actor: Principal,
    plan_id: str,
    now: datetime,
    thresholds: HealthThresholds = HealthThresholds(),
) -> PlanHealth:
    """Where a plan stands today, with a reason for every concern, each naming the
    milestone, session or action item it comes from."""
    plan, match = visible_plan(session, actor, plan_id)
    today = now.date()
    current = _version(session, plan)
    objectives = _with_current_statuses(
        PlanBody.model_validate(current.body), milestone_statuses(session, plan.id)
    )
    milestones = [m for o in objectives for m in o.milestones if m.status != "dropped"]
    done = [m for m in milestones if m.status == "done"]
    percent = round(100 * len(done) / len(milestones)) if milestones else 0

    def ref(m: Milestone, days: int) -> MilestoneRef:
        return MilestoneRef(
            milestone_id=m.id or "", title=m.title, due_date=m.due_date, status=m.status, days=days
        )

    open_milestones = [m for m in milestones if m.status != "done"]
    overdue = [ref(m, (today - m.due_date).days) for m in open_milestones if m.due_date < today]
    due_soon = [
        ref(m, (m.due_date - today).days)
        for m in open_milestones
        if today <= m.due_date <= today + timedelta(days=thresholds.due_soon_days)
    ]
    blocked = [ref(m, (today - m.due_date).days) for m in open_milestones if m.status == "blocked"]

    sessions = list(
        session.scalars(
            select(MentoringSession)
            .where(MentoringSession.match_id == match.id)
            .order_by(MentoringSession.scheduled_at)
        )
    )
    held_sessions = [s for s in sessions if held(s, now)]
    last = held_sessions[-1] if held_sessions else None
    interval = DAYS_PER_MONTH / max(match.sessions_per_month, 1)
    since = last.scheduled_at.date() if last else (match.started_on or current.starts_on)
    days_since = (today - since).days

    # A plan answers for its owner's promises and the ones nobody owns, not for what
    # another member of a shared match let slip.
    past_due = [
        ActionItemRef(
            action_item_id=i.id,
            text=i.text,
            owner_id=i.owner_id,
            due_date=i.due_date,
            days_overdue=(today - i.due_date).days,
        )
        for i in past_due_items(
            visible_action_items(session, actor=actor, match_id=match.id, open_only=True), today
        )
        if i.due_date is not None and i.owner_id in (None, plan.owner_id)
    ]

    off: list[str] = []
    risk: list[str] = []
    for m in sorted(overdue, key=lambda r: -r.days):
        sentence = f"Milestone '{m.title}' is {m.days} days overdue (due {m.due_date})."
        (off if m.days > thresholds.severely_overdue_days else risk).append(sentence)
    if len(overdue) >= 2 and not off:
        off.append(f"{len(overdue)} milestones are overdue at once.")
    for m in blocked:
        risk.append(f"Milestone '{m.title}' is blocked.")
    if days_since > interval:
        where = (
            f"the last was session {last.id} on {last.scheduled_at.date()}"
            if last
            else f"none held since the match started on {since}"
        )
        sentence = (
            f"No session for {days_since} days ({where}); the cadence of "
            f"{match.sessions_per_month} a month expects one every {round(interval)} days."
        )
        if days_since > 2 * interval:
            off.append(sentence)
        elif days_since > 1.5 * interval:
            risk.append(sentence)
    for item in past_due:
        whose = "Shared action item (no owner)" if item.owner_id is None else "Action item"
        risk.append(f"{whose} '{item.text}' is {item.days_overdue} days past due.")

    status = "off_track" if off else "at_risk" if risk else "on_track"
    reasons = off + risk
    if not reasons:
        soon = f"; next due: '{due_soon[0].title}' on {due_soon[0].due_date}" if due_soon else ""
        reasons.append(f"{len(done)} of {len(milestones)} milestones done, none overdue{soon}.")
    return PlanHealth(
        plan_id=plan.id,
        as_of=today,
        status=status,
        percent_complete=percent,
        reasons=reasons,
        overdue_milestones=overdue,
        due_soon_milestones=due_soon,
        blocked_milestones=blocked,
        last_session_id=last.id if last else None,
        last_session_at=last.scheduled_at if last else None,
        days_since_last_session=(today - last.scheduled_at.date()).days if last else None,
        expected_days_between_sessions=round(interval, 1),
        past_due_action_items=past_due,
    )
