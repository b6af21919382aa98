"""Pairing rules: running the engine over a cohort, and staff review of its suggestions.

A run is stored as `pending_review`; nobody but staff sees it, and nothing changes for
the participants until staff approve a suggestion, which creates the match. A rejected
pair is remembered for the program, so a later run never proposes it again.
"""

from __future__ import annotations

import logging
import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from assistant.audit.service import record_event
from assistant.auth import Principal
from assistant.errors import InvalidField, NotAllowed, NotFound, RuleViolation
from assistant.matching.models import OPEN_STATUSES, Match, MatchMember, MemberIn
from assistant.matching.scoring import (
    DEFAULT_WEIGHTS,
    MODE_LABELS,
    GroupScores,
    PairScores,
    ScoreWeights,
    profile_texts,
    recommend_mode,
    score_groups,
    score_pairs,
)
from assistant.matching.service import create_match, open_mentoring_count
from assistant.matching.solver import (
    alternatives,
    assign_mentors,
    form_groups,
    group_alternatives,
    match_peers,
)
from assistant.pairing import unmatched
from assistant.pairing.models import (
    Alternative,
    DecisionIn,
    PairingRejection,
    PairingRun,
    PairingRunCreate,
    PairingRunOut,
    PairingSuggestion,
    RunSummary,
    ScoreSpread,
    SuggestedMember,
    SuggestionOut,
    UnmatchedOut,
)
from assistant.pairing.rationale import (
    FACTORS_AUTHOR,
    FactorRationaleWriter,
    RationaleWriter,
    SuggestionFacts,
    composed_rationale,
)
from assistant.people.models import Participant, ParticipantOut
from assistant.people.service import participant_out
from assistant.programs.models import Program
from assistant.retrieval.embedding_cache import CachedEmbedder
from assistant.retrieval.embeddings import Embedder, EmbedderUnavailable
from assistant.vocabulary import GUIDED_MODES, Mode

logger = logging.getLogger("tandem.pairing")


def remember_profile_embeddings(
    session: Session, *, embedder: Embedder, person: ParticipantOut
) -> None:
    """Embed a profile's texts when it is written, so a pairing run over thousands of
    people finds every vector stored instead of spending seconds in the model. Failing
    here loses nothing: the run embeds what is missing, or says it could not."""
    try:
        CachedEmbedder(embedder, session).embed(profile_texts(person))
    except EmbedderUnavailable as exc:
        logger.warning(
            "could not embed a profile for pairing; the next run will try again",
            extra={"fields": {"participant_id": person.id, "reason": str(exc)}},
        )


def _require_staff(actor: Principal) -> None:
    if not actor.is_staff:
        raise NotAllowed("only program staff run pairing and review its suggestions")


def suggestion_out(row: PairingSuggestion) -> SuggestionOut:
    return SuggestionOut(
        id=row.id,
        run_id=row.run_id,
        mode=row.mode,
        members=[SuggestedMember.model_validate(m) for m in row.members],
        score=row.score,
        factors=row.factors,
        reasons=row.reasons,
        alternatives=[Alternative.model_validate(a) for a in row.alternatives],
        status=row.status,
        note=row.note,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        match_id=row.match_id,
        rationale=row.rationale,
        rationale_by=row.rationale_by,
    )


def _suggestions(session: Session, run_id: str) -> list[PairingSuggestion]:
    return list(
        session.scalars(
            select(PairingSuggestion)
            .where(PairingSuggestion.run_id == run_id)
            .order_by(PairingSuggestion.position)
        )
    )


def run_out(session: Session, run: PairingRun) -> PairingRunOut:
    return PairingRunOut(
        id=run.id,
        status=run.status,
        mode=run.mode,
        program_id=run.program_id,
        group_size=run.group_size,
        cross_functional=run.cross_functional,
        suggestions=[suggestion_out(s) for s in _suggestions(session, run.id)],
        unmatched=[UnmatchedOut.model_validate(u) for u in run.unmatched],
        objectives=run.objectives,
        remarks=list(run.remarks),
        created_at=run.created_at,
    )


def read_run(session: Session, *, actor: Principal, run_id: str) -> PairingRun:
    _require_staff(actor)
    run = session.get(PairingRun, run_id)
    if run is None:
        raise NotFound("pairing run", run_id)
    return run


def rejected_pairs(session: Session, program_id: str | None) -> set[frozenset[str]]:
    """Pairs staff turned down in this program (or, outside programs, anywhere)."""
    query = select(PairingRejection.first_id, PairingRejection.second_id)
    if program_id is not None:
        query = query.where(
            or_(PairingRejection.program_id == program_id, PairingRejection.program_id.is_(None))
        )
    return {frozenset(pair) for pair in session.execute(query)}


def already_matched_pairs(session: Session, people: set[str]) -> set[frozenset[str]]:
    rows = session.execute(
        select(MatchMember.match_id, MatchMember.participant_id)
        .join(Match, Match.id == MatchMember.match_id)
        .where(Match.status.in_(OPEN_STATUSES), MatchMember.participant_id.in_(people))
    )
    by_match: dict[str, list[str]] = defaultdict(list)
    for match_id, pid in rows:
        by_match[match_id].append(pid)
    return {frozenset(pair) for ids in by_match.values() for pair in combinations(ids, 2)}


def open_matches_as_learner(session: Session, people: set[str]) -> dict[tuple[str, str], str]:
    """(person, mode) -> the names of the others in the person's open matches of that
    mode where they learn (as mentee or peer): a mentor guiding others may still want a
    mentor, but a mentee with a mentor is not offered a second by default."""
    rows = session.execute(
        select(Match.id, Match.mode, MatchMember.participant_id, MatchMember.role)
        .join(MatchMember, MatchMember.match_id == Match.id)
        .where(
            Match.status.in_(OPEN_STATUSES),
            Match.id.in_(
                select(MatchMember.match_id).where(MatchMember.participant_id.in_(people))
            ),
        )
    ).all()
    members: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for match_id, mode, pid, role in rows:
        members[match_id].append((mode, pid, role))
    everyone = {pid for _, _, pid, _ in rows}
    names: dict[str, str] = {
        pid: name
        for pid, name in session.execute(
            select(Participant.id, Participant.name).where(Participant.id.in_(everyone))
        )
    }
    others: dict[tuple[str, str], list[str]] = defaultdict(list)
    for match in members.values():
        for mode, pid, role in match:
            if pid in people and role != "mentor":
                others[(pid, mode)] += [names[o] for _, o, _ in match if o != pid]
    return {key: ", ".join(sorted(set(names_))) for key, names_ in others.items()}


def _not_in_role(person: ParticipantOut, mode: str) -> dict[str, str]:
    """Someone the run's mode cannot pair, said as their enrolment."""
    if mode in GUIDED_MODES and "mentor" in person.roles and "mentee" not in person.roles:
        return unmatched.entry(
            person, "capacity", f"{person.name} takes no mentees (mentor capacity 0)"
        )
    enrolled = " and ".join(f"a {role}" for role in person.roles)
    if mode in GUIDED_MODES:
        return unmatched.entry(
            person,
            "role",
            f"{person.name} is enrolled as {enrolled}, not as a mentee: a "
            f"{MODE_LABELS[mode]} run pairs mentees with mentors (peers are paired in "
            "peer and group runs)",
        )
    return unmatched.entry(
        person,
        "role",
        f"{person.name} is enrolled as {enrolled}, not as a peer: peer work is reciprocal, "
        f"so {MODE_LABELS[mode]} runs take only people enrolled as peers",
    )


def _everyone_left_out(
    cohort: list[ParticipantOut],
    outcome: _Outcome,
    guides: list[ParticipantOut],
    *,
    free_before: dict[str, int],
    taken: dict[str, int],
    mode: str,
) -> list[dict[str, str]]:
    """One entry, in cohort order, for each person in no suggestion: the reason found
    for them as a learner, else as a mentor who got no mentee, else their enrolment.
    Someone suggested in one role is never also listed as left out in another."""
    suggested = {m["participant_id"] for s in outcome.suggestions for m in s["members"]}
    found: dict[str, dict[str, str]] = {}
    for item in outcome.unmatched:
        found.setdefault(item["participant_id"], item)
    for guide in guides:
        if guide.id in suggested or guide.id in found:
            continue
        blocks = [
            (scores, column)
            for scores in outcome.guided_scores
            for column, person in enumerate(scores.cols)
            if person.id == guide.id
        ]
        found[guide.id] = unmatched.entry(
            guide,
            *unmatched.idle_guide(guide, blocks, free_before[guide.id], taken[guide.id]),
        )
    left = []
    for person in cohort:
        if person.id in suggested:
            continue
        left.append(
            found.get(person.id) or _not_in_role(person, "mentor" if mode == "auto" else mode)
        )
    return left


def _pairs(members: list[dict[str, Any]]) -> list[tuple[str, str]]:
    ids = sorted(m["participant_id"] for m in members)
    return [(a, b) for i, a in enumerate(ids) for b in ids[i + 1 :]]


# ---- running the engine -------------------------------------------------------------


def _load_cohort(session: Session, ids: list[str]) -> list[ParticipantOut]:
    found = {p.id: p for p in session.scalars(select(Participant).where(Participant.id.in_(ids)))}
    for index, pid in enumerate(ids):
        if pid not in found:
            raise InvalidField(("body", "participant_ids", index), f"no participant {pid!r}")
    return [participant_out(found[pid]) for pid in ids]


def _member(person: ParticipantOut, role: str) -> dict[str, str]:
    return {"participant_id": person.id, "role": role, "name": person.name}


def _factors_at(scores: PairScores, i: int, j: int) -> dict[str, float]:
    return {name: round(float(values[i, j]), 3) for name, values in scores.factors.items()}


def _option(
    scores: PairScores, i: int, j: int, members: list[dict[str, str]], score: float
) -> dict[str, Any]:
    """One pair as staff see it, for a suggestion or one of its alternatives."""
    return {
        "members": members,
        "score": round(float(score), 3),
        "factors": _factors_at(scores, i, j),
        "reasons": scores.explain(i, j),
    }


@dataclass
class _Outcome:
    """What one block of a run (one mode) suggests and leaves out."""

    suggestions: list[dict[str, Any]] = field(default_factory=list)
    unmatched: list[dict[str, str]] = field(default_factory=list)
    objectives: dict[str, float] = field(default_factory=dict)
    remarks: list[str] = field(default_factory=list)
    # Guided blocks' scores, to say why a mentor who got no mentee was left out.
    guided_scores: list[PairScores] = field(default_factory=list)
    weights: dict[str, Mapping[str, float]] = field(default_factory=dict)  # by mode


def _guided(
    mode: Mode,
    learners: list[ParticipantOut],
    guides: list[ParticipantOut],
    capacity: dict[str, int],
    context: dict[str, Any],
) -> _Outcome:
    outcome = _Outcome()
    if not learners:
        return outcome
    if not guides:
        outcome.unmatched = [
            unmatched.entry(
                p, "role", "no one in this run is enrolled as a mentor with mentee places"
            )
            for p in learners
        ]
        return outcome
    scores = score_pairs(learners, guides, mode, **context)
    outcome.remarks += [f"{mode}: {remark}" for remark in scores.remarks]
    outcome.guided_scores.append(scores)
    outcome.weights[mode] = scores.weights.weights
    feasible = scores.feasible
    slots = [capacity.get(g.id, 0) for g in guides]
    pairs = assign_mentors(scores.total, feasible, slots)
    for i, j in pairs:
        capacity[guides[j].id] -= 1
        others = alternatives(scores.total, feasible, i, j, k=2)
        pair = [_member(guides[j], "mentor"), _member(learners[i], "mentee")]
        outcome.suggestions.append(
            {
                "mode": mode,
                **_option(scores, i, j, pair, scores.total[i, j]),
                "alternatives": [
                    _option(
                        scores,
                        i,
                        k,
                        [_member(guides[k], "mentor"), _member(learners[i], "mentee")],
                        scores.total[i, k],
                    )
                    for k in others
                ],
            }
        )
    paired = {i for i, _ in pairs}
    suggested_with: dict[int, list[str]] = defaultdict(list)
    for i, j in pairs:
        suggested_with[j].append(learners[i].name)
    outcome.unmatched = [
        unmatched.entry(
            learners[i],
            *unmatched.guided_learner(scores, i, slots, context["min_score"], suggested_with),
        )
        for i in range(len(learners))
        if i not in paired
    ]
    outcome.objectives[mode] = round(float(sum(scores.total[i, j] for i, j in pairs)), 4)
    return outcome


def _peers(people: list[ParticipantOut], context: dict[str, Any]) -> _Outcome:
    outcome = _Outcome()
    if len(people) < 2:
        outcome.unmatched = [
            unmatched.entry(p, "role", "no one else in this run is enrolled as a peer")
            for p in people
        ]
        return outcome
    scores = score_pairs(people, None, "peer", **context)
    outcome.weights["peer"] = scores.weights.weights
    both = scores.feasible & scores.feasible.T
    pairs = match_peers(scores.total, scores.feasible)

    def mutual(a: int, b: int) -> float:
        return float(scores.total[a, b] + scores.total[b, a]) / 2

    for i, j in pairs:
        outcome.suggestions.append(
            {
                "mode": "peer",
                **_option(
                    scores,
                    i,
                    j,
                    [_member(people[i], "peer"), _member(people[j], "peer")],
                    mutual(i, j),
                ),
                "alternatives": [
                    _option(
                        scores,
                        i,
                        k,
                        [_member(people[i], "peer"), _member(people[k], "peer")],
                        mutual(i, k),
                    )
                    for k in alternatives(scores.total, both, i, j, k=2)
                ],
            }
        )
    matched = {p for pair in pairs for p in pair}
    outcome.unmatched = [
        unmatched.entry(people[i], *unmatched.peer(scores, i, context["min_score"]))
        for i in range(len(people))
        if i not in matched
    ]
    outcome.objectives["peer"] = round(sum(mutual(i, j) for i, j in pairs), 4)
    return outcome


def _group_option(
    scores: GroupScores, people: list[ParticipantOut], group: list[int], value: float
) -> dict[str, Any]:
    """One group as staff see it, for a suggestion or one of its alternatives."""
    factors = scores.factors(np.asarray([group], dtype=np.int64))
    return {
        "members": [_member(people[i], "peer") for i in group],
        "score": round(value, 3),
        "factors": {name: round(float(values[0]), 3) for name, values in factors.items()},
        "reasons": scores.explain(group),
    }


def _groups(
    people: list[ParticipantOut], size: int, cross_functional: bool, context: dict[str, Any]
) -> _Outcome:
    outcome = _Outcome()
    if len(people) < size:
        outcome.unmatched = [
            unmatched.entry(
                p,
                "capacity",
                f"{len(people)} peers in this run, fewer than a group of {size} needs",
            )
            for p in people
        ]
        return outcome
    scores = score_groups(
        people,
        reference_date=context["reference_date"],
        weights=context["weights"],
        cross_functional=cross_functional,
        manager_of=context["manager_of"],
        rejected=context["rejected"],
        already_together=context["already_together"],
    )
    outcome.weights["group"] = scores.weights.weights
    pairs = scores.pairs
    grouping = form_groups(pairs.total, pairs.feasible, size, group_value=scores.total)
    for group, value in zip(grouping.groups, grouping.values, strict=True):
        if value < context["min_score"]:
            continue
        outcome.suggestions.append(
            {
                "mode": "group",
                **_group_option(scores, people, group, value),
                "alternatives": [
                    _group_option(scores, people, other, other_value)
                    for other, other_value in group_alternatives(scores.total, group, len(people))
                    if other_value >= context["min_score"]
                ],
            }
        )
    minimum = context["min_score"]
    outcome.unmatched = [
        unmatched.entry(people[i], *unmatched.group_leftover(pairs, i, size, minimum))
        for i in grouping.leftovers
    ] + [
        unmatched.entry(
            people[i],
            "score",
            f"the best group found for {people[i].name} scores {value:.2f}, below the "
            f"run's minimum {minimum:g}",
        )
        for group, value in zip(grouping.groups, grouping.values, strict=True)
        if value < minimum
        for i in group
    ]
    kept = [v for v in grouping.values if v >= context["min_score"]]
    outcome.objectives["group"] = round(sum(kept), 4)
    outcome.objectives["group_seed"] = round(grouping.seed_objective, 4)
    return outcome


def create_run(
    session: Session,
    *,
    actor: Principal,
    data: PairingRunCreate,
    today: date,
    embedder: Embedder | None = None,
    rationale: RationaleWriter | None = None,
    rationale_limit: int = 0,
) -> PairingRun:
    """Score and solve the cohort, then store the suggestions for staff review.

    The best `rationale_limit` suggestions get their rationale from `rationale` (the
    model, when one is configured); every other one gets the composed rationale."""
    _require_staff(actor)
    if data.program_id is not None and session.get(Program, data.program_id) is None:
        raise InvalidField(("body", "program_id"), f"no program with id {data.program_id!r}")
    cohort = _load_cohort(session, data.participant_ids)
    guides = [p for p in cohort if "mentor" in p.roles and p.mentor_capacity > 0]
    guide_ids = {g.id for g in guides}
    # Learners who are also mentors stay available as guides to others; the solvers'
    # rule "not oneself" keeps them from being paired with themselves.
    taken = {g.id: open_mentoring_count(session, g.id) for g in guides}
    free_before = {g.id: max(0, g.mentor_capacity - taken[g.id]) for g in guides}
    capacity = dict(free_before)
    manager_of: dict[str, str | None] = {
        pid: manager
        for pid, manager in session.execute(select(Participant.id, Participant.manager_id))
    }
    weights = data.weights or {}
    context_for = {
        "reference_date": today,
        # Profiles rarely change between runs: their vectors are stored, not recomputed.
        "embedder": None if embedder is None else CachedEmbedder(embedder, session),
        "manager_of": manager_of,
        "rejected": rejected_pairs(session, data.program_id),
        "already_together": already_matched_pairs(session, {p.id for p in cohort}),
        "min_score": data.min_score,
    }
    by_mode: dict[Mode, list[ParticipantOut]] = defaultdict(list)
    recommended: dict[str, list[str]] = {}
    outcome = _Outcome()
    open_matches = open_matches_as_learner(session, {p.id for p in cohort})
    included_again: dict[str, str] = {}
    for person in cohort:
        if data.mode == "auto":
            if not {"mentee", "peer"} & set(person.roles):
                continue  # a mentor only: a guide here, or said why below
            chosen, why = recommend_mode(person)
            recommended[person.id] = why
        else:
            chosen = data.mode
            if ("mentee" if chosen in GUIDED_MODES else "peer") not in person.roles:
                if chosen not in GUIDED_MODES or person.id not in guide_ids:
                    outcome.unmatched.append(_not_in_role(person, chosen))
                continue
        partners = open_matches.get((person.id, chosen))
        if partners:
            already = (
                f"{person.name} already has an open {MODE_LABELS[chosen]} match with {partners}"
            )
            if not data.allow_additional:
                outcome.unmatched.append(
                    unmatched.entry(
                        person,
                        "already_matched",
                        f"{already}; set allow_additional to suggest another",
                    )
                )
                continue
            included_again[person.id] = f"{already}; included as the run allows additional ones"
        by_mode[chosen].append(person)
    for block, people in by_mode.items():
        context = {**context_for, "weights": _weights(block, weights)}
        if block in GUIDED_MODES:
            part = _guided(block, people, guides, capacity, context)
        elif block == "peer":
            part = _peers(people, context)
        else:
            part = _groups(people, data.group_size, data.cross_functional, context)
        outcome.suggestions += part.suggestions
        outcome.unmatched += part.unmatched
        outcome.objectives.update(part.objectives)
        outcome.remarks += part.remarks
        outcome.guided_scores += part.guided_scores
        outcome.weights.update(part.weights)
    for suggestion in outcome.suggestions:
        learners_here = [
            m["participant_id"] for m in suggestion["members"] if m["role"] != "mentor"
        ]
        if data.mode == "auto":
            suggestion["reasons"] = [
                *(f"Mode: {r}" for r in recommended.get(learners_here[0], [])),
                *suggestion["reasons"],
            ]
        suggestion["reasons"] += [included_again[p] for p in learners_here if p in included_again]
    outcome.unmatched = _everyone_left_out(
        cohort, outcome, guides, free_before=free_before, taken=taken, mode=data.mode
    )
    run = PairingRun(
        program_id=data.program_id,
        mode=data.mode,
        status="pending_review",
        group_size=data.group_size,
        cross_functional=data.cross_functional,
        min_score=data.min_score,
        participant_ids=[p.id for p in cohort],
        unmatched=outcome.unmatched,
        objectives=outcome.objectives,
        remarks=list(dict.fromkeys(outcome.remarks)),
        created_by=actor.id,
    )
    session.add(run)
    session.flush()
    ordered = sorted(outcome.suggestions, key=lambda s: -s["score"])
    composed = FactorRationaleWriter()
    for position, suggestion in enumerate(ordered):
        mode_weights = outcome.weights[suggestion["mode"]]
        writer = rationale if rationale is not None and position < rationale_limit else composed
        written = writer.write(SuggestionFacts.of(suggestion, mode_weights))
        # Each alternative carries its own rationale, written with the run's weights, so
        # staff read why before swapping and a swap keeps it.
        for option in suggestion["alternatives"]:
            option["rationale"] = composed_rationale(
                SuggestionFacts.of({**option, "mode": suggestion["mode"]}, mode_weights)
            )
            option["rationale_by"] = FACTORS_AUTHOR
        session.add(
            PairingSuggestion(
                run_id=run.id,
                position=position,
                rationale=written.text,
                rationale_by=written.author,
                **suggestion,
            )
        )
    record_event(
        session,
        actor=actor,
        action="pairing.run_created",
        entity_type="pairing_run",
        entity_id=run.id,
        detail={"mode": data.mode, "participants": len(cohort), "suggestions": len(ordered)},
    )
    session.flush()
    return run


def _weights(mode: Mode, overrides: dict[str, float]) -> ScoreWeights:
    """Overrides apply to the modes that have the factor (an `auto` run mixes modes);
    a name that is a factor of no mode is a typo worth a 422."""
    known = {name for weights in DEFAULT_WEIGHTS.values() for name in weights}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise InvalidField(
            ("body", "weights"), f"{unknown} are not scoring factors; known: {sorted(known)}"
        )
    mine = {k: v for k, v in overrides.items() if k in DEFAULT_WEIGHTS[mode]}
    try:
        return ScoreWeights.for_mode(mode, mine or None)
    except ValueError as exc:
        raise InvalidField(("body", "weights"), str(exc)) from exc


def decide(
    session: Session,
    *,
    actor: Principal,
    suggestion_id: str,
    data: DecisionIn,
    today: date,
    now: datetime,
) -> PairingSuggestion:
    _require_staff(actor)
    row = session.get(PairingSuggestion, suggestion_id)
    if row is None:
        raise NotFound("suggestion", suggestion_id)
    run = session.get(PairingRun, row.run_id)
    assert run is not None  # the foreign key guarantees it
    if row.status != "pending":
        raise RuleViolation(f"this suggestion was already {row.status}")
    if data.decision == "swap":
        _swap(session, run, row, data)
        action = "pairing.suggestion_swapped"
    elif data.decision == "approve":
        _check_one_place_per_run(session, run, row, row.members)
        members = [
            MemberIn(participant_id=m["participant_id"], role=m["role"]) for m in row.members
        ]
        match = create_match(
            session,
            actor=actor,
            mode=row.mode,
            members=members,
            status="approved",
            today=today,
            program_id=run.program_id,
            reason=f"approved from pairing run {run.id}" + (f": {data.note}" if data.note else ""),
        )
        row.status, row.match_id = "approved", match.id
        action = "pairing.suggestion_approved"
    else:
        row.status = "rejected"
        for first, second in _pairs(row.members):
            session.add(
                PairingRejection(
                    program_id=run.program_id,
                    first_id=first,
                    second_id=second,
                    suggestion_id=row.id,
                )
            )
        action = "pairing.suggestion_rejected"
    if data.decision != "swap":
        row.note, row.decided_by, row.decided_at = data.note, actor.id, now
    record_event(
        session,
        actor=actor,
        action=action,
        entity_type="pairing_suggestion",
        entity_id=row.id,
        detail={
            "run_id": run.id,
            "members": [m["participant_id"] for m in row.members],
            "note": data.note,
            "match_id": row.match_id,
        },
    )
    if all(s.status != "pending" for s in _suggestions(session, run.id)):
        run.status = "reviewed"
    session.flush()
    return row


def _swap(session: Session, run: PairingRun, row: PairingSuggestion, data: DecisionIn) -> None:
    """Put an alternative in the suggestion's place; the replaced members become an
    alternative in turn, so staff can swap back. Refused when the alternative would
    break a rule given the run's earlier decisions (a mentor's place an approval took,
    a peer already approved with someone else), rather than at approval."""
    if data.alternative is None:
        raise InvalidField(("body", "alternative"), "say which alternative to swap in")
    if data.alternative >= len(row.alternatives):
        raise InvalidField(
            ("body", "alternative"),
            f"this suggestion has {len(row.alternatives)} alternatives",
        )
    chosen = row.alternatives[data.alternative]
    before = {m["participant_id"] for m in row.members}
    incoming = [m for m in chosen["members"] if m["participant_id"] not in before]
    _check_mentor_places(session, incoming)
    _check_one_place_per_run(session, run, row, incoming)
    replaced = {
        "members": row.members,
        "score": row.score,
        "factors": row.factors,
        "reasons": row.reasons,
        "rationale": row.rationale,
        "rationale_by": row.rationale_by,
    }
    others = [a for i, a in enumerate(row.alternatives) if i != data.alternative]
    row.members, row.score = chosen["members"], chosen["score"]
    row.factors, row.reasons = chosen["factors"], chosen["reasons"]
    row.alternatives = [replaced, *others]
    if chosen.get("rationale"):
        row.rationale = chosen["rationale"]
        row.rationale_by = chosen.get("rationale_by", FACTORS_AUTHOR)
    else:  # stored before alternatives carried their rationale
        written = FactorRationaleWriter().write(_facts(row))
        row.rationale, row.rationale_by = written.text, written.author


def _check_mentor_places(session: Session, incoming: list[dict[str, Any]]) -> None:
    """A mentor swapped in needs a free place, counting every open match they mentor in,
    those approved earlier from this run included."""
    for member in incoming:
        if member["role"] != "mentor":
            continue
        person = session.get(Participant, member["participant_id"])
        if person is None:
            raise RuleViolation(f"{member.get('name') or 'this mentor'} is no longer enrolled")
        taken = open_mentoring_count(session, person.id)
        if taken >= person.mentor_capacity:
            raise RuleViolation(
                f"mentor capacity: open matches (this run's approvals included) take "
                f"{taken} of {person.name}'s {person.mentor_capacity} places, so swapping "
                f"{person.name} in would break it; pick another alternative"
            )


def _check_one_place_per_run(
    session: Session,
    run: PairingRun,
    row: PairingSuggestion,
    members: list[dict[str, Any]],
) -> None:
    """A mentee or peer gets one partner or group per run: after swaps two suggestions
    may name the same person, and only the first approved keeps them."""
    learners = {m["participant_id"] for m in members if m["role"] != "mentor"}
    for other in _suggestions(session, run.id):
        if other.id == row.id or other.status != "approved":
            continue
        for member in other.members:
            if member["role"] != "mentor" and member["participant_id"] in learners:
                partners = _joined_names(
                    [m for m in other.members if m["participant_id"] != member["participant_id"]]
                )
                raise RuleViolation(
                    f"one place per run: {member.get('name') or member['participant_id']} "
                    f"is already approved with {partners} in this run"
                )


def _joined_names(members: list[dict[str, Any]]) -> str:
    return ", ".join(m.get("name") or m["participant_id"] for m in members)


def _facts(row: PairingSuggestion) -> SuggestionFacts:
    return SuggestionFacts(
        mode=row.mode,
        members=row.members,
        score=row.score,
        factors=row.factors,
        reasons=row.reasons,
    )


def rewrite_rationale(
    session: Session, *, actor: Principal, suggestion_id: str, writer: RationaleWriter
) -> PairingSuggestion:
    """Write a suggestion's rationale again (with the model, when one is configured),
    for suggestions past the run's limit or after a model failure."""
    _require_staff(actor)
    row = session.get(PairingSuggestion, suggestion_id)
    if row is None:
        raise NotFound("suggestion", suggestion_id)
    written = writer.write(_facts(row))
    row.rationale, row.rationale_by = written.text, written.author
    session.flush()
    return row


def summarise(session: Session, *, actor: Principal, run_id: str) -> RunSummary:
    """What staff need to judge a run: how many found a partner, how good the
    suggestions are, who is left and why, and whether some groups fare worse."""
    run = read_run(session, actor=actor, run_id=run_id)
    suggestions = [s for s in _suggestions(session, run.id) if s.status != "rejected"]
    matched = {m["participant_id"] for s in suggestions for m in s.members}
    scores = [s.score for s in suggestions]
    people = {
        p.id: p
        for p in session.scalars(
            select(Participant).where(Participant.id.in_(list(run.participant_ids)))
        )
    }
    by_department: dict[str, list[float]] = defaultdict(list)
    by_stage: dict[str, list[float]] = defaultdict(list)
    for suggestion in suggestions:
        for member in suggestion.members:
            person = people.get(member["participant_id"])
            if person is not None:
                by_department[person.department or "(none)"].append(suggestion.score)
                by_stage[person.career_stage].append(suggestion.score)

    def means(groups: dict[str, list[float]]) -> dict[str, float]:
        return {k: round(statistics.fmean(v), 3) for k, v in sorted(groups.items())}

    total = len(run.participant_ids)
    return RunSummary(
        run_id=run.id,
        participants=total,
        matched=len(matched),
        matched_share=round(len(matched) / total, 3) if total else 0.0,
        suggestions_by_status=dict(Counter(s.status for s in _suggestions(session, run.id))),
        scores=ScoreSpread(
            count=len(scores),
            mean=round(statistics.fmean(scores), 3) if scores else None,
            minimum=min(scores, default=None),
            median=round(statistics.median(scores), 3) if scores else None,
            maximum=max(scores, default=None),
        ),
        unmatched=[UnmatchedOut.model_validate(u) for u in run.unmatched],
        mean_score_by_department=means(by_department),
        mean_score_by_career_stage=means(by_stage),
    )
