"""Match rules: who may be matched with whom, in which shape, and the status life cycle."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal
from assistant.errors import InvalidField, NotAllowed, NotFound, RuleViolation
from assistant.matching.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Match,
    MatchCreate,
    MatchMember,
    MatchOut,
    MatchStatusChange,
    MemberIn,
    MemberOut,
    StatusChangeOut,
)
from assistant.people.models import Participant
from assistant.people.service import in_reporting_line
from assistant.programs.models import Cadence, Program
from assistant.vocabulary import DEFAULT_CADENCE, GUIDED_MODES

GROUP_SIZE = (3, 6)


def match_out(session: Session, match: Match, *, with_history: bool = False) -> MatchOut:
    names = {
        pid: name
        for pid, name in session.execute(
            select(Participant.id, Participant.name).where(
                Participant.id.in_([m.participant_id for m in match.members])
            )
        )
    }
    history: list[StatusChangeOut] = []
    if with_history:
        history = [
            StatusChangeOut.model_validate(change, from_attributes=True)
            for change in session.scalars(
                select(MatchStatusChange)
                .where(MatchStatusChange.match_id == match.id)
                .order_by(MatchStatusChange.at, MatchStatusChange.id)
            )
        ]
    return MatchOut.model_validate(
        {
            "id": match.id,
            "mode": match.mode,
            "status": match.status,
            "program_id": match.program_id,
            "members": [
                MemberOut.model_validate(
                    {
                        "participant_id": m.participant_id,
                        "role": m.role,
                        "name": names.get(m.participant_id, ""),
                    }
                )
                for m in match.members
            ],
            "cadence": match_cadence(match),
            "started_on": match.started_on,
            "created_at": match.created_at,
            "history": history,
        }
    )


def match_cadence(match: Match) -> Cadence:
    return Cadence(sessions_per_month=match.sessions_per_month, minutes=match.session_minutes)


def member_ids(match: Match) -> list[str]:
    return [m.participant_id for m in match.members]


def is_member(match: Match, participant_id: str) -> bool:
    return participant_id in member_ids(match)


def visible_match(session: Session, principal: Principal, match_id: str) -> Match:
    """The match if the principal is staff or a member; a 404 otherwise."""
    match = session.get(Match, match_id)
    if match is None or (not principal.is_staff and not is_member(match, principal.id)):
        raise NotFound("match", match_id)
    return match


def _check_shape(mode: str, members: list[MemberIn]) -> None:
    roles = Counter(m.role for m in members)
    if mode == "group":
        low, high = GROUP_SIZE
        if not low <= len(members) <= high:
            raise InvalidField(
                ("body", "members"), f"a group has {low} to {high} members, not {len(members)}"
            )
        if roles["peer"] != len(members):
            raise InvalidField(("body", "members"), "every member of a group has the role 'peer'")
        return
    if len(members) != 2:
        raise InvalidField(
            ("body", "members"), f"a {mode} match is a pair: 2 members, not {len(members)}"
        )
    if mode == "peer" and roles["peer"] != 2:
        raise InvalidField(("body", "members"), "both members of a peer match have the role 'peer'")
    if mode in GUIDED_MODES and (roles["mentor"] != 1 or roles["mentee"] != 1):
        raise InvalidField(("body", "members"), f"a {mode} match has one 'mentor' and one 'mentee'")


def open_mentoring_count(session: Session, participant_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(MatchMember)
            .join(Match, Match.id == MatchMember.match_id)
            .where(
                MatchMember.participant_id == participant_id,
                MatchMember.role == "mentor",
                Match.status.in_(OPEN_STATUSES),
            )
        )
        or 0
    )


def _duplicate_open_match(session: Session, people: set[str]) -> str | None:
    anyone = next(iter(people))
    candidates = session.scalars(
        select(Match)
        .join(MatchMember, MatchMember.match_id == Match.id)
        .where(MatchMember.participant_id == anyone, Match.status.in_(OPEN_STATUSES))
    )
    for match in candidates:
        if set(member_ids(match)) == people:
            return match.id
    return None


def check_match_rules(session: Session, *, mode: str, members: list[MemberIn]) -> None:
    """Every rule a new match must satisfy; raises on the first one it breaks.

    Shared by hand-made matches and approved pairing suggestions, so both obey the
    same program rules.
    """
    _check_shape(mode, members)
    # Lock the members' rows (PostgreSQL) so two concurrent requests cannot both take
    # a mentor's last free slot; SQLite serialises writers anyway.
    people = {
        p.id: p
        for p in session.scalars(
            select(Participant)
            .where(Participant.id.in_([m.participant_id for m in members]))
            .with_for_update()
        )
    }
    for index, member in enumerate(members):
        if member.participant_id not in people:
            raise InvalidField(
                ("body", "members", index, "participant_id"),
                f"no participant with id {member.participant_id!r}",
            )
    for member in members:
        person = people[member.participant_id]
        avoided = set(person.avoid_ids) & {m.participant_id for m in members}
        if avoided:
            raise RuleViolation(
                f"{person.name} asked not to be matched with "
                + ", ".join(people[a].name for a in sorted(avoided))
            )
    duplicate = _duplicate_open_match(session, {m.participant_id for m in members})
    if duplicate:
        raise RuleViolation(
            f"these people already have an open match ({duplicate}); "
            "no duplicate match of the same people"
        )
    if mode == "mentor":
        mentor = next(m for m in members if m.role == "mentor")
        mentee = next(m for m in members if m.role == "mentee")
        if in_reporting_line(session, mentor.participant_id, mentee.participant_id):
            raise RuleViolation(
                f"{people[mentor.participant_id].name} is in "
                f"{people[mentee.participant_id].name}'s reporting line; a mentor in "
                "'mentor' mode must be outside the mentee's manager chain"
            )
    for member in members:
        if member.role != "mentor":
            continue
        person = people[member.participant_id]
        taken = open_mentoring_count(session, person.id)
        if taken >= person.mentor_capacity:
            raise RuleViolation(
                f"{person.name} is at mentor capacity ({taken} of {person.mentor_capacity} "
                "open matches as mentor)"
            )


def _record_status(
    session: Session,
    *,
    match: Match,
    from_status: str | None,
    to_status: str,
    actor: Principal,
    reason: str,
) -> None:
    session.add(
        MatchStatusChange(
            match_id=match.id,
            from_status=from_status,
            to_status=to_status,
            actor_kind=actor.kind,
            actor_id=actor.id,
            reason=reason,
        )
    )
    record_event(
        session,
        actor=actor,
        action="match.status_changed",
        entity_type="match",
        entity_id=match.id,
        detail={"from": from_status, "to": to_status, "reason": reason},
    )


def create_match(
    session: Session,
    *,
    actor: Principal,
    mode: str,
    members: list[MemberIn],
    status: str,
    today: date,
    program_id: str | None = None,
    cadence: Cadence | None = None,
    reason: str = "created by staff",
) -> Match:
    if not actor.is_staff:
        raise NotAllowed("only program staff create matches")
    program: Program | None = None
    if program_id is not None:
        program = session.get(Program, program_id)
        if program is None:
            raise InvalidField(("body", "program_id"), f"no program with id {program_id!r}")
    check_match_rules(session, mode=mode, members=members)
    if cadence is None:
        if program is not None and program.default_mode == mode:
            cadence = Cadence(
                sessions_per_month=program.sessions_per_month, minutes=program.session_minutes
            )
        else:
            per_month, minutes = DEFAULT_CADENCE[mode]
            cadence = Cadence(sessions_per_month=per_month, minutes=minutes)
    match = Match(
        mode=mode,
        status=status,
        program_id=program_id,
        sessions_per_month=cadence.sessions_per_month,
        session_minutes=cadence.minutes,
        started_on=today if status == "active" else None,
        created_by=actor.id,
        members=[MatchMember(participant_id=m.participant_id, role=m.role) for m in members],
    )
    session.add(match)
    session.flush()
    _record_status(
        session, match=match, from_status=None, to_status=status, actor=actor, reason=reason
    )
    return match


def create_match_from_request(
    session: Session, *, actor: Principal, data: MatchCreate, today: date
) -> Match:
    return create_match(
        session,
        actor=actor,
        mode=data.mode,
        members=data.members,
        status=data.status,
        today=today,
        program_id=data.program_id,
        cadence=data.cadence,
    )


def change_match_status(
    session: Session,
    *,
    actor: Principal,
    match_id: str,
    to_status: str,
    reason: str,
    today: date,
) -> Match:
    match = visible_match(session, actor, match_id)
    if not actor.is_staff:
        raise NotAllowed("only program staff change a match's status")
    if to_status == match.status:
        raise RuleViolation(f"the match is already {to_status}")
    if to_status not in ALLOWED_TRANSITIONS[match.status]:
        allowed = sorted(ALLOWED_TRANSITIONS[match.status]) or ["nothing: it is closed"]
        raise RuleViolation(
            f"a {match.status} match cannot become {to_status}; it can become " + ", ".join(allowed)
        )
    if to_status in OPEN_STATUSES and match.status not in OPEN_STATUSES:
        # Re-opening takes capacity again, so the rules apply as for a new match.
        check_match_rules(
            session,
            mode=match.mode,
            members=[
                MemberIn.model_validate({"participant_id": m.participant_id, "role": m.role})
                for m in match.members
            ],
        )
    previous = match.status
    match.status = to_status
    if to_status == "active" and match.started_on is None:
        match.started_on = today
    _record_status(
        session, match=match, from_status=previous, to_status=to_status, actor=actor, reason=reason
    )
    session.flush()
    return match


def list_matches(
    session: Session,
    *,
    actor: Principal,
    program_id: str | None = None,
    status: str | None = None,
    participant_id: str | None = None,
) -> list[Match]:
    query = select(Match).order_by(Match.created_at, Match.id)
    if not actor.is_staff:
        if participant_id not in (None, actor.id):
            return []
        participant_id = actor.id
    if participant_id is not None:
        query = query.join(MatchMember, MatchMember.match_id == Match.id).where(
            MatchMember.participant_id == participant_id
        )
    if program_id is not None:
        query = query.where(Match.program_id == program_id)
    if status is not None:
        query = query.where(Match.status == status)
    return list(session.scalars(query))
