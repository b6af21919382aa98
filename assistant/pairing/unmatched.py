"""Why someone was left out of a pairing run, in words a program manager can act on.

Each entry names its cause: `role` (not enrolled for what the run pairs), `capacity`
(the people who fit were taken, or have no free place), `language`, `skill` (nobody
reaches the learner's target in a goal skill), `rule` (reporting line, a confidential
request, a pair staff rejected, the near-peer experience gap), `score` (below the run's
minimum), `already_matched` (already in an open match of the run's mode) or `fit`
(a mentor whose possible mentees all went to mentors who suit them better).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from assistant.matching.scoring import MODE_LABELS, PairScores
from assistant.people.models import ParticipantOut

# When the people who could fit someone are ruled out for different reasons, the cause
# most of them share is named; ties go to the cause staff can least change.
_CAUSE_ORDER = ("skill", "language", "rule", "score", "role", "capacity")
_NAMED = 3  # people named in one reason; the rest are counted


def entry(person: ParticipantOut, cause: str, reason: str) -> dict[str, str]:
    return {"participant_id": person.id, "cause": cause, "reason": reason}


def _names_text(names: Sequence[str]) -> str:
    shown = [*names[:_NAMED], *([f"{len(names) - _NAMED} more"] if len(names) > _NAMED else [])]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _names(people: Sequence[ParticipantOut]) -> str:
    return _names_text([p.name for p in people])


def _ruled_out(
    scores: PairScores, i: int, columns: Sequence[int], min_score: float, *, both_ways: bool
) -> tuple[str, str]:
    """The shared cause and the first few concrete reasons why each column is
    infeasible for row i (for peers, whichever direction breaks a rule)."""

    def code_at(j: int) -> tuple[int, int]:
        if both_ways and not scores.codes[i, j]:
            return j, i
        return i, j

    def said(j: int) -> str:
        a, b = code_at(j)
        if scores.cause(a, b) == "score":
            return (
                f"{scores.cols[j].name} and {scores.rows[i].name} score "
                f"{float(scores.total[i, j]):.2f} together, below the run's minimum {min_score:g}"
            )
        return scores.reason(a, b)

    causes = Counter(scores.cause(*code_at(j)) for j in columns)
    cause = min(causes, key=lambda c: (-causes[c], _CAUSE_ORDER.index(c)))
    shown = [said(j) for j in columns if scores.cause(*code_at(j)) == cause][:_NAMED]
    others = len(columns) - len(shown)
    tail = f"; {others} more for other reasons" if others else ""
    return cause, "; ".join(shown) + tail


def guided_learner(
    scores: PairScores,
    i: int,
    slots: Sequence[int],
    min_score: float,
    suggested_with: Mapping[int, Sequence[str]],
) -> tuple[str, str]:
    """Why learner i got no guide in a guided run (mentor, near-peer, reverse, flash);
    `suggested_with` names the learners each guide column is suggested with."""
    me = scores.rows[i]
    others = [j for j in range(len(scores.cols)) if scores.cols[j].id != me.id]
    mode = MODE_LABELS[scores.mode]
    if not others:
        return "role", f"no one else in this {mode} run is enrolled as a mentor with places"
    targets = scores.targets_text(i)
    at = f" at {me.name}'s target in {targets}" if targets else ""

    def mentors(columns: Sequence[int], who: str) -> tuple[str, str]:
        """("Priya, the one mentor at Kim's target in ...<who>,", "is"/"are")."""
        people = [scores.cols[j] for j in columns]
        if len(people) == 1:
            return f"{people[0].name}, the one mentor{at}{who},", "is"
        return f"{_names(people)}, the mentors{at}{who},", "are"

    feasible = [j for j in others if scores.feasible[i, j]]
    with_room = [j for j in feasible if slots[j] > 0]
    if with_room:
        subject, verb = mentors(
            with_room, " who fits them" if len(with_room) == 1 else " who fit them"
        )
        went_to = sorted({name for j in with_room for name in suggested_with.get(j, ())})
        single = verb == "is"
        return "capacity", (
            f"{subject} {'has no place' if single else 'have no places'} left: "
            f"{'it goes' if single else 'they go'} to {_names_text(went_to)} in this run, "
            "for the best total over everyone"
        )
    if feasible:
        subject, verb = mentors(
            feasible, " who fits them" if len(feasible) == 1 else " who fit them"
        )
        return "capacity", f"{subject} {verb} at capacity with open matches"
    reaching = [j for j in others if scores.reaches_target[i, j]]
    if not reaching:
        # Only learners with goal skills can miss every target.
        return "skill", f"no mentor in this run is{at}"
    cause, detail = _ruled_out(scores, i, reaching, min_score, both_ways=False)
    subject, verb = mentors(reaching, "")
    return cause, f"{subject} {verb} ruled out: {detail}"


def peer(scores: PairScores, i: int, min_score: float) -> tuple[str, str]:
    """Why peer i got no partner in a peer run."""
    me = scores.rows[i]
    others = [j for j in range(len(scores.rows)) if j != i]
    both = scores.feasible & scores.feasible.T
    fitting = [scores.rows[j] for j in others if both[i, j]]
    if fitting:
        return "capacity", (
            f"the peers who fit {me.name} ({_names(fitting)}) are paired with others in this "
            "run, which gives the run its best total"
        )
    cause, detail = _ruled_out(scores, i, others, min_score, both_ways=True)
    return cause, f"no peer in this run fits {me.name}: {detail}"


def group_leftover(scores: PairScores, i: int, size: int, min_score: float) -> tuple[str, str]:
    """Why peer i is in no group: too few people they may be grouped with, or the
    groups that formed had no place that kept every rule."""
    me = scores.rows[i]
    both = scores.feasible & scores.feasible.T
    possible = int(np.count_nonzero(both[i])) - int(both[i, i])
    if possible >= size - 1:
        return "capacity", (
            f"{me.name} could join {possible} of the others, but every group of {size} "
            "formed is full and those left over cannot make a group with them that keeps "
            "every rule (a language all members speak included)"
        )
    blocked = [j for j in range(len(scores.rows)) if j != i and not both[i, j]]
    cause, detail = _ruled_out(scores, i, blocked, min_score, both_ways=True)
    return cause, (
        f"only {possible} others may be in a group with {me.name} (a group of {size} needs "
        f"{size - 1}): {detail}"
    )


def idle_guide(
    guide: ParticipantOut, blocks: Sequence[tuple[PairScores, int]], free: int, taken: int
) -> tuple[str, str]:
    """Why a mentor with capacity got no mentee: `blocks` are the guided blocks of the
    run with the guide's column in each, `free` the places left before the run and
    `taken` the open matches they mentor in."""
    if free <= 0:
        return "capacity", (
            f"{guide.name} has no free mentor place: open matches take {taken} of "
            f"{guide.mentor_capacity}"
        )
    pairs = [
        (scores, i, j)
        for scores, j in blocks
        for i in range(len(scores.rows))
        if scores.rows[i].id != guide.id
    ]
    if not pairs:
        return "role", "no one in this run is looking for a mentor"
    fitting = [scores.rows[i] for scores, i, j in pairs if scores.feasible[i, j]]
    if fitting:
        return "fit", (
            f"the mentees {guide.name} could guide ({_names(fitting)}) are suggested with "
            "other mentors, which gives the run its best total"
        )
    causes = Counter(scores.cause(i, j) for scores, i, j in pairs)
    cause = min(causes, key=lambda c: (-causes[c], _CAUSE_ORDER.index(c)))
    if cause == "skill":
        return (
            cause,
            f"{guide.name} is not at the target level in any goal skill of this run's mentees",
        )
    shown = [scores.reason(i, j) for scores, i, j in pairs if scores.cause(i, j) == cause]
    return cause, f"no mentee in this run fits {guide.name}: " + "; ".join(shown[:_NAMED])
