"""Pairing scores: named factors in [0, 1], hard constraints, explanations, mode advice.

Pure functions over `ParticipantOut` lists: no database, no API. Rows are the people who
learn (mentees; in `reverse` mode the seniors), columns the people who guide (mentors;
in `reverse` the juniors). For `peer` and `group` rows and columns are the same people.
Everything is computed over numpy arrays so thousands of people score in well under a
second; only explanations, built for one pair at a time, walk Python objects.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import TypeAlias
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from assistant.people.models import ParticipantOut, planning_hours
from assistant.retrieval.embeddings import Embedder, EmbedderUnavailable
from assistant.vocabulary import DEFAULT_CADENCE, GUIDED_MODES, SKILL_LEVEL_NAMES, SKILLS, Mode

FloatMatrix: TypeAlias = npt.NDArray[np.float64]
BoolMatrix: TypeAlias = npt.NDArray[np.bool_]

SKILL_INDEX = {skill: k for k, skill in enumerate(SKILLS)}
STAGE_INDEX = {"early": 0, "mid": 1, "senior": 2, "executive": 3}
TEACHING_LEVEL = 3  # a practitioner can show a peer how they do it
WORKDAY = (9.0, 17.0)  # local working hours compared across time zones
NEUTRAL = 0.5  # a factor that cannot be judged neither helps nor hurts a pair

# Skills more common among newer colleagues (the guide on choosing a mode: "digital tools,
# new ways of working"); a senior whose goals are mostly these is advised reverse mentoring.
JUNIOR_HELD_SKILLS = frozenset({"digital_tools", "data_analysis", "presentation_design"})

FAMILY_FACTORS: dict[str, tuple[str, ...]] = {
    "guided": (
        "skill_coverage",
        "experience_gap",
        "goal_similarity",
        "availability",
        "timezone_overlap",
        "preference",
    ),
    "peer": ("stage_similarity", "reciprocity", "shared_goals", "timezone_overlap"),
    "reverse": ("junior_expertise", "timezone_overlap", "availability"),
    "group": (
        "gap_coverage",
        "contribution",
        "shared_goals",
        "stage_similarity",
        "timezone_spread",
        "department_diversity",
    ),
}
MODE_FAMILY: dict[str, str] = {
    "mentor": "guided",
    "near_peer": "guided",
    "flash": "guided",
    "peer": "peer",
    "group": "group",
    "reverse": "reverse",
}
CROSS_FUNCTIONAL_DIVERSITY_WEIGHT = 2.0
DEFAULT_WEIGHTS: dict[str, dict[str, float]] = {
    "mentor": {
        "skill_coverage": 4,
        "experience_gap": 2,
        "goal_similarity": 1.5,
        "availability": 1,
        "timezone_overlap": 1.5,
        "preference": 1,
    },
    "near_peer": {
        "skill_coverage": 3,
        "experience_gap": 3,
        "goal_similarity": 1.5,
        "availability": 1,
        "timezone_overlap": 1.5,
        "preference": 1,
    },
    # One bounded question: expertise is nearly all that matters.
    "flash": {
        "skill_coverage": 5,
        "experience_gap": 0.5,
        "goal_similarity": 1.5,
        "availability": 0.5,
        "timezone_overlap": 1,
        "preference": 0.5,
    },
    "peer": {"stage_similarity": 1.5, "reciprocity": 3, "shared_goals": 2, "timezone_overlap": 1.5},
    # Whole-group factors (see `score_groups`); department diversity counts only in
    # cross-functional circles unless a program weighs it.
    "group": {
        "gap_coverage": 3,
        "contribution": 2,
        "shared_goals": 2,
        "stage_similarity": 1,
        "timezone_spread": 2,
        "department_diversity": 0,
    },
    "reverse": {"junior_expertise": 4, "timezone_overlap": 1.5, "availability": 1},
}
# Years the guide should be ahead: (preferred from, preferred to, years of slack beyond the
# band before the factor reaches 0). Near-peers are "a few years" ahead, mentors well ahead.
EXPERIENCE_BANDS: dict[str, tuple[float, float, float]] = {
    "mentor": (5, 20, 5),
    "near_peer": (1, 4, 2),
    "flash": (0, 60, 3),
}


@dataclass(frozen=True)
class ScoreWeights:
    """Factor weights for one mode; a program's overrides replace single defaults."""

    mode: Mode
    weights: Mapping[str, float]

    @classmethod
    def for_mode(cls, mode: Mode, overrides: Mapping[str, float] | None = None) -> ScoreWeights:
        weights = dict(DEFAULT_WEIGHTS[mode])
        for name, value in (overrides or {}).items():
            if name not in weights:
                raise ValueError(f"{name!r} is not a factor of {mode} scores: {sorted(weights)}")
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"the weight of {name!r} must be a non-negative number")
            weights[name] = float(value)
        if sum(weights.values()) <= 0:
            raise ValueError("at least one factor needs a positive weight")
        return cls(mode, weights)


# ---- profiles as arrays ------------------------------------------------------------------


def skill_label(skill: str) -> str:
    """A skill as people write it: "giving feedback", not the slug "giving_feedback"."""
    return skill.replace("_", " ")


MODE_LABELS: dict[str, str] = {
    "mentor": "mentor",
    "near_peer": "near-peer",
    "reverse": "reverse",
    "peer": "peer",
    "group": "group",
    "flash": "flash",
}


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _joined(items: Sequence[str], conjunction: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def skill_list(skills: Sequence[str], conjunction: str = "and") -> str:
    """Skills in words for a sentence: "delegation and technical leadership"."""
    return _joined([skill_label(skill) for skill in skills], conjunction)


@dataclass(frozen=True)
class _Profiles:
    """The numbers scoring needs, one row per person, skills in `SKILLS` order."""

    people: Sequence[ParticipantOut]
    levels: FloatMatrix  # (n, skills): stated level, 0 when not stated
    targets: FloatMatrix  # (n, skills): highest target among goals naming the skill, else 0
    years: FloatMatrix  # (n,)
    hours: FloatMatrix  # (n,)
    stage: FloatMatrix  # (n,)
    utc_start: FloatMatrix  # (n,) start of the local working day in UTC hours

    @property
    def current(self) -> FloatMatrix:
        """Level a learner starts from: unstated counts as 1 (aware)."""
        return np.maximum(self.levels, 1.0)

    @property
    def wants(self) -> BoolMatrix:
        return self.targets > 0


def utc_offset_hours(timezone: str, on: date) -> float:
    """Offset from UTC at noon UTC on the reference date (so DST is settled per run)."""
    offset = datetime.combine(on, time(12), tzinfo=UTC).astimezone(ZoneInfo(timezone)).utcoffset()
    return 0.0 if offset is None else offset.total_seconds() / 3600


def _profiles(people: Sequence[ParticipantOut], on: date) -> _Profiles:
    n = len(people)
    levels = np.zeros((n, len(SKILLS)))
    targets = np.zeros((n, len(SKILLS)))
    offsets = {tz: utc_offset_hours(tz, on) for tz in {p.timezone for p in people}}
    for row, person in enumerate(people):
        for item in person.skills:
            levels[row, SKILL_INDEX[item.skill]] = item.level
        for goal in person.goals:
            for skill in goal.skills:
                k = SKILL_INDEX[skill]
                targets[row, k] = max(targets[row, k], goal.target_level)
    return _Profiles(
        people=people,
        levels=levels,
        targets=targets,
        years=np.array([p.years_experience for p in people], dtype=float),
        hours=np.array([planning_hours(p.hours_per_month) for p in people], dtype=float),
        stage=np.array([STAGE_INDEX[p.career_stage] for p in people], dtype=float),
        utc_start=np.array([WORKDAY[0] - offsets[p.timezone] for p in people], dtype=float),
    )


# ---- factors -----------------------------------------------------------------------------


def _ratio(part: FloatMatrix, whole: FloatMatrix, empty: float) -> FloatMatrix:
    """part / whole, with `empty` where there is no whole to compare against."""
    share: FloatMatrix = np.divide(part, whole, out=np.full_like(part, empty), where=whole > 0)
    return share


def _gap_coverage(learners: _Profiles, guides: _Profiles) -> FloatMatrix:
    """Share of the learners' open gaps (target minus current level, summed over goal
    skills) that the guide's level covers: a guide at the target covers a skill fully,
    one between current and target covers part of it. Learners without gaps get NEUTRAL."""
    gaps = np.maximum(learners.targets - learners.current, 0)  # (m, skills)
    covered = np.zeros((len(learners.people), len(guides.people)))
    for k in np.flatnonzero(gaps.any(axis=0)):
        ahead = guides.levels[None, :, k] - learners.current[:, k, None]
        covered += np.clip(ahead, 0, gaps[:, k, None])
    total_gap = gaps.sum(axis=1)[:, None]
    return _ratio(covered, total_gap, NEUTRAL)


def _experience_fit(learners: _Profiles, guides: _Profiles, mode: str) -> FloatMatrix:
    low, high, slack = EXPERIENCE_BANDS[mode]
    gap = guides.years[None, :] - learners.years[:, None]
    outside = np.maximum(np.maximum(low - gap, gap - high), 0)
    return np.clip(1 - outside / slack, 0, 1)


def _hours_needed(mode: str) -> float:
    """Sessions plus preparation and follow-up, taken as long again as the sessions."""
    sessions, minutes = DEFAULT_CADENCE[mode]
    return 2 * sessions * minutes / 60


def _availability(learners: _Profiles, guides: _Profiles, mode: str) -> FloatMatrix:
    both = np.minimum(learners.hours[:, None], guides.hours[None, :])
    return np.minimum(both / _hours_needed(mode), 1.0)


def _overlap_hours(start_a: FloatMatrix, start_b: FloatMatrix) -> FloatMatrix:
    """Hours two 8-hour windows given as UTC start times share, on the 24-hour circle."""
    length = WORKDAY[1] - WORKDAY[0]
    shift = np.mod(start_b - start_a + 12, 24) - 12  # nearest equivalent shift, [-12, 12)
    hours: FloatMatrix = np.maximum(length - np.abs(shift), 0)
    return hours


def _timezone_overlap(learners: _Profiles, guides: _Profiles) -> FloatMatrix:
    hours = _overlap_hours(learners.utc_start[:, None], guides.utc_start[None, :])
    return hours / (WORKDAY[1] - WORKDAY[0])


def _preference(
    learners: Sequence[ParticipantOut], guides: Sequence[ParticipantOut], mode: str
) -> FloatMatrix:
    """Mean of both sides: 1 when the mode is among their preferred modes, NEUTRAL when
    they stated none, 0 when they prefer other modes."""

    def side(people: Sequence[ParticipantOut]) -> FloatMatrix:
        return np.array(
            [
                1.0 if mode in p.preferred_modes else 0.0 if p.preferred_modes else NEUTRAL
                for p in people
            ]
        )

    return (side(learners)[:, None] + side(guides)[None, :]) / 2


def _goal_text(person: ParticipantOut) -> str:
    return " ".join(goal.text for goal in person.goals)


def _offer_text(person: ParticipantOut) -> str:
    skills = " ".join(skill_label(item.skill) for item in person.skills)
    return f"{skills} {_goal_text(person)}".strip()


def profile_texts(person: ParticipantOut) -> list[str]:
    """The texts goal similarity embeds for a person, as learner and as guide."""
    return [text for text in (_goal_text(person), _offer_text(person)) if text]


def _goal_similarity(
    learners: Sequence[ParticipantOut], guides: Sequence[ParticipantOut], embedder: Embedder
) -> FloatMatrix:
    """Cosine of the learner's goal texts against the guide's skills and goals; NEUTRAL
    where either side has no text to compare."""
    wanted = [_goal_text(p) for p in learners]
    offered = [_offer_text(p) for p in guides]
    result = np.full((len(learners), len(guides)), NEUTRAL)
    rows = [i for i, text in enumerate(wanted) if text]
    cols = [j for j, text in enumerate(offered) if text]
    if rows and cols:
        vectors = np.asarray(embedder.embed([wanted[i] for i in rows] + [offered[j] for j in cols]))
        cosine = vectors[: len(rows)] @ vectors[len(rows) :].T
        result[np.ix_(rows, cols)] = np.clip(cosine, 0, 1)
    return result


def _judged_similarity(
    learners: Sequence[ParticipantOut], guides: Sequence[ParticipantOut], embedder: Embedder | None
) -> tuple[FloatMatrix, str]:
    """Goal similarity, or NEUTRAL for every pair and a remark saying why it was not
    judged: a failing embedder degrades the run instead of failing it."""
    neutral = np.full((len(learners), len(guides)), NEUTRAL)
    if embedder is None:
        return neutral, "goal similarity not judged: no embedder configured"
    try:
        return _goal_similarity(learners, guides, embedder), ""
    except EmbedderUnavailable as exc:
        return neutral, f"goal similarity not judged (neutral {NEUTRAL} for every pair): {exc}"


def _teachable_share(teachers: _Profiles, learners: _Profiles) -> FloatMatrix:
    """(teacher, learner): share of the learner's goal skills the teacher can help with,
    being a practitioner or better and ahead of the learner."""
    helped = np.zeros((len(teachers.people), len(learners.people)))
    for k in np.flatnonzero(learners.wants.any(axis=0)):
        level = teachers.levels[:, k, None]
        helped += (
            (level >= TEACHING_LEVEL)
            & (level > learners.current[None, :, k])
            & (learners.wants[None, :, k])
        )
    wanted = learners.wants.sum(axis=1)[None, :]
    return _ratio(helped, wanted, 0.0)


def _shared_goals(a: _Profiles, b: _Profiles) -> FloatMatrix:
    """Jaccard overlap of the skills named in the two people's goals."""
    wants_a, wants_b = a.wants.astype(float), b.wants.astype(float)
    common = wants_a @ wants_b.T
    union = wants_a.sum(axis=1)[:, None] + wants_b.sum(axis=1)[None, :] - common
    return _ratio(common, union, 0.0)


def _factors(
    mode: str,
    learners: _Profiles,
    guides: _Profiles,
    similarity: FloatMatrix | None,
) -> dict[str, FloatMatrix]:
    family = MODE_FAMILY[mode]
    if family == "peer":
        return {
            "stage_similarity": 1 - np.abs(learners.stage[:, None] - guides.stage[None, :]) / 3,
            "reciprocity": (
                _teachable_share(learners, guides) + _teachable_share(guides, learners).T
            )
            / 2,
            "shared_goals": _shared_goals(learners, guides),
            "timezone_overlap": _timezone_overlap(learners, guides),
        }
    if family == "reverse":
        return {
            "junior_expertise": _gap_coverage(learners, guides),
            "timezone_overlap": _timezone_overlap(learners, guides),
            "availability": _availability(learners, guides, mode),
        }
    return {
        "skill_coverage": _gap_coverage(learners, guides),
        "experience_gap": _experience_fit(learners, guides, mode),
        "goal_similarity": (
            np.full((len(learners.people), len(guides.people)), NEUTRAL)
            if similarity is None
            else similarity
        ),
        "availability": _availability(learners, guides, mode),
        "timezone_overlap": _timezone_overlap(learners, guides),
        "preference": _preference(learners.people, guides.people, mode),
    }


# ---- hard constraints --------------------------------------------------------------------

# Why a pair is infeasible, as a code per pair (0 = feasible); the first rule broken wins.
_REASONS = (
    "",
    "{row} and {col} are the same person",
    "{col} does not take mentees (needs the mentor role and a mentor capacity above 0)",
    "{row} is not enrolled as a mentee",
    "{row} is not enrolled as a peer",
    "{col} is not enrolled as a peer",
    "{row} and {col} share no language",
    "{row} and {col} are in the same reporting line",
    "{row} and {col} are not to be matched (a participant's confidential request)",
    "staff rejected {row} and {col} as a pair before",
    "{col} is not the few years ahead of {row} a near-peer is",  # detailed in `reason`
    "{col} is below {row}'s target in every goal skill",  # detailed in `reason`
    "{row} and {col} already work together in an open match",
    "below minimum score",
)
BELOW_MINIMUM = len(_REASONS) - 1
_SELF, _NOT_MENTOR, _NOT_MENTEE, _ROW_NOT_PEER, _COL_NOT_PEER = 1, 2, 3, 4, 5
_NO_LANGUAGE, _REPORTING_LINE, _AVOID, _REJECTED = 6, 7, 8, 9
_EXPERIENCE_GAP, _BELOW_TARGET, _TOGETHER = 10, 11, 12
# What kind of cause each broken rule is, for staff reading why someone was left out.
RULE_CAUSES: dict[int, str] = {
    _SELF: "rule",
    _NOT_MENTOR: "role",
    _NOT_MENTEE: "role",
    _ROW_NOT_PEER: "role",
    _COL_NOT_PEER: "role",
    _NO_LANGUAGE: "language",
    _REPORTING_LINE: "rule",
    _AVOID: "rule",
    _REJECTED: "rule",
    _EXPERIENCE_GAP: "rule",
    _BELOW_TARGET: "skill",
    _TOGETHER: "rule",
    BELOW_MINIMUM: "score",
}


def reaches_target(learners_targets: FloatMatrix, guides_levels: FloatMatrix) -> BoolMatrix:
    """(learner, guide): the guide is at or above the learner's target in at least one of
    the learner's goal skills, so they can show the learner where the goal leads. True
    for learners whose goals name no skill: there is nothing to fall short of."""
    wanted: BoolMatrix = np.asarray(learners_targets > 0)
    reaches = np.zeros((learners_targets.shape[0], guides_levels.shape[0]), dtype=bool)
    for k in np.flatnonzero(wanted.any(axis=0)):
        reaches |= wanted[:, k, None] & (guides_levels[None, :, k] >= learners_targets[:, k, None])
    wants_nothing: BoolMatrix = ~np.any(wanted, axis=1)
    result: BoolMatrix = reaches | wants_nothing[:, None]
    return result


def managers_above(person_id: str, manager_of: Mapping[str, str | None]) -> list[str]:
    """Everyone above the person in the reporting line, nearest first; stops at a cycle."""
    chain: list[str] = []
    seen = {person_id}
    current = manager_of.get(person_id)
    while current is not None and current not in seen:
        chain.append(current)
        seen.add(current)
        current = manager_of.get(current)
    return chain


def _mark(codes: npt.NDArray[np.uint8], where: BoolMatrix | tuple[int, int], code: int) -> None:
    """Record `code` where the pair is still feasible, so the first broken rule is kept."""
    if isinstance(where, tuple):
        if codes[where] == 0:
            codes[where] = code
    else:
        codes[where & (codes == 0)] = code


def _constraint_codes(
    mode: str,
    rows: _Profiles,
    cols: _Profiles,
    manager_of: Mapping[str, str | None],
    rejected: Set[frozenset[str]],
    together: Set[frozenset[str]],
) -> npt.NDArray[np.uint8]:
    codes = _person_codes(mode, rows.people, cols.people, manager_of, rejected)
    # People who already share an open match get no second one: the match exists.
    _mark(codes, _pairs_in(together, rows.people, cols.people), _TOGETHER)
    if mode == "near_peer":
        # The mode's point is a guide who just went through it: a few years ahead, not a
        # veteran and not a beginner, whatever the rest of the score says.
        low, high, _ = EXPERIENCE_BANDS[mode]
        gap = cols.years[None, :] - rows.years[:, None]
        _mark(codes, (gap < low) | (gap > high), _EXPERIENCE_GAP)
    if mode in GUIDED_MODES:
        # A guide below the learner's target in every goal skill cannot show them where
        # the goal leads, however well the rest of the pair scores.
        _mark(codes, ~reaches_target(rows.targets, cols.levels), _BELOW_TARGET)
    return codes


def _pairs_in(
    pairs: Set[frozenset[str]], rows: Sequence[ParticipantOut], cols: Sequence[ParticipantOut]
) -> BoolMatrix:
    """(row, col): the two people form one of `pairs`, in either orientation."""
    inside = np.zeros((len(rows), len(cols)), dtype=bool)
    row_index = {p.id: i for i, p in enumerate(rows)}
    col_index = {p.id: j for j, p in enumerate(cols)}
    for pair in pairs:
        if len(pair) != 2:
            continue
        a, b = sorted(pair)
        for x, y in ((a, b), (b, a)):
            if x in row_index and y in col_index:
                inside[row_index[x], col_index[y]] = True
    return inside


def _person_codes(
    mode: str,
    rows: Sequence[ParticipantOut],
    cols: Sequence[ParticipantOut],
    manager_of: Mapping[str, str | None],
    rejected: Set[frozenset[str]],
) -> npt.NDArray[np.uint8]:
    codes = np.zeros((len(rows), len(cols)), dtype=np.uint8)
    row_index = {p.id: i for i, p in enumerate(rows)}
    col_index = {p.id: j for j, p in enumerate(cols)}

    def cross(ids: Iterable[tuple[str, str]]) -> Iterable[tuple[int, int]]:
        """Pairs of (row id, col id) in either orientation that are both present."""
        for a, b in ids:
            if a in row_index and b in col_index:
                yield row_index[a], col_index[b]
            if b in row_index and a in col_index:
                yield row_index[b], col_index[a]

    for i, j in cross((p.id, p.id) for p in rows):
        _mark(codes, (i, j), _SELF)

    def has_role(people: Sequence[ParticipantOut], test: Collection[str]) -> BoolMatrix:
        return np.array([any(role in test for role in p.roles) for p in people], dtype=bool)

    if mode in GUIDED_MODES:
        mentors = has_role(cols, {"mentor"}) & np.array([p.mentor_capacity > 0 for p in cols])
        _mark(codes, np.broadcast_to(~mentors[None, :], codes.shape), _NOT_MENTOR)
        mentees = has_role(rows, {"mentee"})
        _mark(codes, np.broadcast_to(~mentees[:, None], codes.shape), _NOT_MENTEE)
    else:
        # Peer work is reciprocal: each member gives as well as learns, which someone
        # enrolled only as a mentee has not agreed to.
        peers = {"peer"}
        _mark(codes, np.broadcast_to(~has_role(rows, peers)[:, None], codes.shape), _ROW_NOT_PEER)
        _mark(codes, np.broadcast_to(~has_role(cols, peers)[None, :], codes.shape), _COL_NOT_PEER)

    languages = sorted({lang for p in (*rows, *cols) for lang in p.languages})
    lang_index = {lang: k for k, lang in enumerate(languages)}

    def spoken(people: Sequence[ParticipantOut]) -> FloatMatrix:
        matrix = np.zeros((len(people), len(languages)))
        for n, person in enumerate(people):
            matrix[n, [lang_index[lang] for lang in person.languages]] = 1
        return matrix

    _mark(codes, (spoken(rows) @ spoken(cols).T) == 0, _NO_LANGUAGE)

    # The guide on matching: never a mentee with their manager, their manager's manager or
    # someone they manage. The match service enforces this for `mentor` mode only.
    if mode == "mentor":
        lines = ((p.id, boss) for p in (*rows, *cols) for boss in managers_above(p.id, manager_of))
        for i, j in cross(lines):
            _mark(codes, (i, j), _REPORTING_LINE)
    avoided = ((p.id, other) for p in (*rows, *cols) for other in p.avoid_ids)
    for i, j in cross(avoided):
        _mark(codes, (i, j), _AVOID)
    for i, j in cross((a, b) for a, b in (sorted(pair) for pair in rejected if len(pair) == 2)):
        _mark(codes, (i, j), _REJECTED)
    return codes


# ---- the result --------------------------------------------------------------------------

# Which factor a line of `explain` is evidence for, by the words each kind of line uses
# (checked in order; the first marker found wins). Lines that are no factor's evidence
# ("not possible: ...", auto mode's "Mode: ...") map to None.
_EVIDENCE_MARKERS: tuple[tuple[str, dict[str, str]], ...] = (
    ("not possible: ", {}),
    (" years of experience and ", {"guided": "experience_gap"}),
    ("(similarity ", {"guided": "goal_similarity"}),
    (" working hours shared by all members", {"group": "timezone_spread"}),
    (" working hours overlap", {"guided": "timezone_overlap", "peer": "timezone_overlap",
                                "reverse": "timezone_overlap"}),
    (" hours a month and ", {"guided": "availability", "reverse": "availability"}),
    (" prefers ", {"guided": "preference"}),
    ("both want to grow in ", {"peer": "shared_goals"}),
    (" and can help ", {"peer": "reciprocity"}),
    (" has no skill at level ", {"peer": "reciprocity"}),
    (" can teach ", {"group": "contribution"}),
    ("every member can teach ", {"group": "contribution"}),
    ("career stages: ", {"group": "stage_similarity"}),
    (" department", {"group": "department_diversity"}),
    (" career", {"peer": "stage_similarity"}),
    (" wants to grow from ", {"guided": "skill_coverage", "reverse": "junior_expertise",
                              "group": "gap_coverage"}),
    (" is not ahead of ", {"guided": "skill_coverage", "reverse": "junior_expertise"}),
    ("nobody in the group is ahead of ", {"group": "gap_coverage"}),
    ("'s goals name no skill above", {"guided": "skill_coverage",
                                      "reverse": "junior_expertise"}),
)  # fmt: skip


# Words of a line that tells against the pair: the trade-off quotes these first, the
# decisive factor the others.
_SHORTFALL_MARKERS = (
    " has no skill at level ",
    " is not ahead of ",
    "nobody in the group is ahead of ",
    " have little in common",
    ", outside the ",
    " can teach no other member",
    "'s goals name no skill above",
)


def is_shortfall(line: str) -> bool:
    """The line says what a pair lacks rather than what it has."""
    return any(marker in line for marker in _SHORTFALL_MARKERS) or (
        " prefers " in line and " mode" not in line
    )


def evidence_factor(mode: str, line: str) -> str | None:
    """The factor a line of a suggestion's reasons is evidence for, if any."""
    family = MODE_FAMILY.get(mode)
    if family is None or line.startswith("Mode: "):
        return None
    for marker, factors in _EVIDENCE_MARKERS:
        if marker in line:
            return factors.get(family)
    return None


def _level(value: float) -> str:
    level = int(value)
    return f"level {level} ({SKILL_LEVEL_NAMES[level]})" if level in SKILL_LEVEL_NAMES else "-"


def _hours(value: float) -> str:
    return f"{round(value, 2):g}"


def _said_hours(value: float | None) -> str:
    """What the person said, or that the figure is assumed: a manager checks it."""
    if value is None:
        return f"not said how many hours (taken as {_hours(planning_hours(None))})"
    return f"{_hours(value)} hours"


@dataclass(frozen=True)
class PairScores:
    """Scores of every (row, column) pair for one mode.

    `total` and each of `factors` are (rows x columns) arrays in [0, 1]; `feasible` is
    False where a hard rule forbids the pair, whatever its score; `reason(i, j)` says which.
    """

    mode: Mode
    weights: ScoreWeights
    rows: Sequence[ParticipantOut]
    cols: Sequence[ParticipantOut]
    total: FloatMatrix
    factors: dict[str, FloatMatrix]
    reference_date: date
    similarity_judged: bool
    remarks: list[str]  # what the scores could not judge, and why
    codes: npt.NDArray[np.uint8] = field(repr=False)
    _learners: _Profiles = field(repr=False)
    _guides: _Profiles = field(repr=False)

    @property
    def feasible(self) -> BoolMatrix:
        feasible: BoolMatrix = self.codes == 0
        return feasible

    @property
    def below_minimum(self) -> BoolMatrix:
        """Pairs that break no rule but score under the program's minimum."""
        below: BoolMatrix = self.codes == BELOW_MINIMUM
        return below

    def reason(self, i: int, j: int) -> str:
        """Why the pair is infeasible; "" when it is feasible."""
        code = int(self.codes[i, j])
        row, col = self.rows[i], self.cols[j]
        if code == _EXPERIENCE_GAP:
            low, high, _ = EXPERIENCE_BANDS[self.mode]
            gap = col.years_experience - row.years_experience
            actual = f"{_hours(gap)} ahead" if gap >= 0 else f"{_hours(-gap)} behind"
            return (
                f"{col.name} has {_hours(col.years_experience)} years of experience and "
                f"{row.name} {_hours(row.years_experience)}: a near-peer is {_hours(low)}-"
                f"{_hours(high)} years ahead, not {actual}"
            )
        if code == _BELOW_TARGET:
            return f"{col.name} is below {row.name}'s target in {self.targets_text(i)}"
        return _REASONS[code].format(row=row.name, col=col.name)

    def cause(self, i: int, j: int) -> str:
        """The kind of rule the pair breaks (role, language, rule, skill, score); ""
        when it is feasible."""
        return RULE_CAUSES.get(int(self.codes[i, j]), "")

    def targets_text(self, i: int) -> str:
        """The learner's goal skills with their target levels, in words:
        "public speaking (level 4) or writing (level 3)"."""
        targets = self._learners.targets[i]
        return _joined(
            [
                f"{skill_label(SKILLS[k])} (level {int(targets[k])})"
                for k in np.flatnonzero(targets)
            ],
            "or",
        )

    @property
    def reaches_target(self) -> BoolMatrix:
        """(learner, guide): the guide is at the learner's target in a goal skill."""
        return reaches_target(self._learners.targets, self._guides.levels)

    def explain(self, i: int, j: int) -> list[str]:
        """Concrete, checkable reasons for the pair's score, strongest evidence first."""
        lines = [f"not possible: {self.reason(i, j)}"] if self.codes[i, j] else []
        family = MODE_FAMILY[self.mode]
        if family == "peer":
            lines += self._explain_peers(i, j)
        else:
            lines += self._explain_gap_coverage(i, j)
            if family == "guided":
                lines.append(self._explain_experience(i, j))
                if self.similarity_judged and self.rows[i].goals and _offer_text(self.cols[j]):
                    lines.append(self._explain_similarity(i, j))
        lines.append(self._explain_timezones(i, j))
        if family != "peer":
            lines.append(self._explain_availability(i, j))
        if family == "guided":
            lines += self._explain_preference(i, j)
        return lines

    def _explain_gap_coverage(self, i: int, j: int) -> list[str]:
        learner, guide = self.rows[i], self.cols[j]
        me, them = self._learners, self._guides
        gaps = [k for k in np.flatnonzero(me.targets[i] > me.current[i])]
        if not gaps:
            return [f"{learner.name}'s goals name no skill above their current level"]
        helped = sorted(
            (k for k in gaps if them.levels[j, k] > me.current[i, k]),
            key=lambda k: -min(them.levels[j, k], me.targets[i, k]) + me.current[i, k],
        )
        lines = [
            f"{guide.name} is at {_level(them.levels[j, k])} in {skill_label(SKILLS[k])}, "
            f"the skill {learner.name} wants to grow from {int(me.current[i, k])} to "
            f"{int(me.targets[i, k])}"
            for k in helped[:3]
        ]
        missing = [SKILLS[k] for k in gaps if k not in helped]
        if missing:
            lines.append(f"{guide.name} is not ahead of {learner.name} in {skill_list(missing)}")
        return lines

    def _explain_experience(self, i: int, j: int) -> str:
        learner, guide = self.rows[i], self.cols[j]
        low, high, _ = EXPERIENCE_BANDS[self.mode]
        gap = guide.years_experience - learner.years_experience
        where = "inside" if low <= gap <= high else "outside"
        return (
            f"{guide.name} has {_hours(guide.years_experience)} years of experience and "
            f"{learner.name} {_hours(learner.years_experience)}: a gap of {_hours(gap)} years, "
            f"{where} the {_hours(low)}-{_hours(high)} years that suit {MODE_LABELS[self.mode]} "
            "pairs"
        )

    def _explain_similarity(self, i: int, j: int) -> str:
        value = float(self.factors["goal_similarity"][i, j])
        alike = "read alike" if value >= 0.3 else "have little in common"
        return (
            f"{self.rows[i].name}'s goals and {self.cols[j].name}'s skills and goals {alike} "
            f"(similarity {value:.2f})"
        )

    def _explain_timezones(self, i: int, j: int) -> str:
        a, b = self.rows[i].timezone, self.cols[j].timezone
        start_a, start_b = self._learners.utc_start[i], self._guides.utc_start[j]
        hours = _hours(float(_overlap_hours(start_a, start_b)))
        window = f"09:00-17:00 local on {self.reference_date.isoformat()}"
        if a == b:
            return f"both work in {a}: {hours} working hours overlap ({window})"
        return f"{hours} working hours overlap between {a} and {b} ({window})"

    def _explain_availability(self, i: int, j: int) -> str:
        learner, guide = self.rows[i], self.cols[j]
        return (
            f"{learner.name} has {_said_hours(learner.hours_per_month)} a month and "
            f"{guide.name} {_said_hours(guide.hours_per_month)}; {MODE_LABELS[self.mode]} "
            f"takes about {_hours(_hours_needed(self.mode))} hours with preparation"
        )

    def _explain_preference(self, i: int, j: int) -> list[str]:
        lines = []
        for person in (self.rows[i], self.cols[j]):
            mode = MODE_LABELS[self.mode]
            if self.mode in person.preferred_modes:
                lines.append(f"{person.name} prefers {mode} mode")
            elif person.preferred_modes:
                preferred = _joined([MODE_LABELS[m] for m in person.preferred_modes], "or")
                lines.append(f"{person.name} prefers {preferred} to {mode}")
        return lines

    def _explain_peers(self, i: int, j: int) -> list[str]:
        a, b = self.rows[i], self.cols[j]
        pa, pb = self._learners, self._guides
        lines = []
        shared = [SKILLS[k] for k in np.flatnonzero(pa.wants[i] & pb.wants[j])]
        if shared:
            lines.append(f"both want to grow in {skill_list(shared)}")
        for teacher, t, tp, learner, lp, l_row in ((a, i, pa, b, pb, j), (b, j, pb, a, pa, i)):
            can = [
                k
                for k in np.flatnonzero(lp.wants[l_row])
                if tp.levels[t, k] >= TEACHING_LEVEL and tp.levels[t, k] > lp.current[l_row, k]
            ]
            lines += [
                f"{teacher.name} is at {_level(tp.levels[t, k])} in {skill_label(SKILLS[k])} and "
                f"can help "
                f"{learner.name}, who wants to grow it from {int(lp.current[l_row, k])} to "
                f"{int(lp.targets[l_row, k])}"
                for k in can[:2]
            ]
            if not can:
                lines.append(
                    f"{teacher.name} has no skill at level {TEACHING_LEVEL} or above that "
                    f"{learner.name} wants to grow"
                )
        if a.career_stage == b.career_stage:
            lines.append(f"both are {a.career_stage} career")
        else:
            lines.append(f"{a.name} is {a.career_stage} career and {b.name} {b.career_stage}")
        return lines


def score_pairs(
    learners: Sequence[ParticipantOut],
    guides: Sequence[ParticipantOut] | None,
    mode: Mode,
    *,
    reference_date: date,
    weights: ScoreWeights | None = None,
    embedder: Embedder | None = None,
    manager_of: Mapping[str, str | None] | None = None,
    rejected: Set[frozenset[str]] = frozenset(),
    already_together: Set[frozenset[str]] = frozenset(),
    min_score: float = 0.0,
) -> PairScores:
    """Score every learner against every guide for `mode` (guides=None: the learners
    against each other, for `peer` and `group`).

    `manager_of` maps every person of the organisation to their manager, so reporting
    lines can be walked past people outside this cohort; by default only the cohort's
    own `manager_id`s are known. `reference_date` fixes the UTC offsets (and so daylight
    saving time) used for working-hour overlap.
    """
    if mode == "group":
        raise ValueError("groups are scored whole: use score_groups")
    columns = learners if guides is None else guides
    chosen = weights or ScoreWeights.for_mode(mode)
    if chosen.mode != mode:
        raise ValueError(f"weights for {chosen.mode} cannot score {mode} pairs")
    rows, cols = _profiles(learners, reference_date), _profiles(columns, reference_date)
    remarks: list[str] = []
    similarity = None
    if MODE_FAMILY[mode] == "guided":
        similarity, remark = _judged_similarity(learners, columns, embedder)
        remarks += [remark] if remark else []
    factors = _factors(mode, rows, cols, similarity)
    weight_sum = sum(chosen.weights.values())
    total = (
        sum(
            (chosen.weights[name] * value for name, value in factors.items()),
            start=np.zeros((len(learners), len(columns))),
        )
        / weight_sum
    )
    if manager_of is None:
        manager_of = {p.id: p.manager_id for p in (*learners, *columns)}
    codes = _constraint_codes(mode, rows, cols, manager_of, rejected, already_together)
    _mark(codes, total < min_score, BELOW_MINIMUM)
    return PairScores(
        mode=mode,
        weights=chosen,
        rows=learners,
        cols=columns,
        total=total,
        factors=factors,
        reference_date=reference_date,
        similarity_judged=MODE_FAMILY[mode] == "guided" and not remarks,
        remarks=remarks,
        codes=codes,
        _learners=rows,
        _guides=cols,
    )


# ---- groups, scored whole ---------------------------------------------------------------

IntMatrix: TypeAlias = npt.NDArray[np.int_]


def _common_window(starts: FloatMatrix) -> FloatMatrix:
    """(groups, size) UTC start hours -> hours of the working day all members share.
    Starts are read relative to the first member's, on the 24-hour circle."""
    relative = np.mod(starts - starts[:, :1] + 12, 24) - 12
    spread = relative.max(axis=1) - relative.min(axis=1)
    window: FloatMatrix = np.maximum(WORKDAY[1] - WORKDAY[0] - spread, 0)
    return window


@dataclass(frozen=True)
class GroupScores:
    """Scores of whole groups of peers: each factor is a property of the group, not a
    sum over its pairs (whether somebody covers each member's gaps, a window everyone
    shares). Hard rules are the peer rules for every pair, plus a language all share.

    `pairs` are the peer-mode pair scores: their feasibility is the pairwise rules, and
    their totals are the affinity that seeds the group search.
    """

    weights: ScoreWeights
    pairs: PairScores
    cross_functional: bool
    _profiles: _Profiles = field(repr=False)
    _departments: npt.NDArray[np.int_] = field(repr=False)
    _languages: BoolMatrix = field(repr=False)

    @property
    def people(self) -> Sequence[ParticipantOut]:
        return self.pairs.rows

    def factors(self, groups: IntMatrix) -> dict[str, FloatMatrix]:
        """Each factor in [0, 1] for a batch of groups, (groups, size) -> (groups,)."""
        p = self._profiles
        size = groups.shape[1]
        others = ~np.eye(size, dtype=bool)[None, :, :, None]  # (1, member, other, 1)
        levels, current = p.levels[groups], p.current[groups]  # (g, size, skills)
        gaps = np.maximum(p.targets[groups] - current, 0)
        # Best level any other member holds, per member and skill.
        best_other = np.where(others, levels[:, None, :, :], 0).max(axis=2)
        covered = np.clip(best_other - current, 0, gaps).sum(axis=2)
        coverage = _ratio(covered, gaps.sum(axis=2), NEUTRAL).mean(axis=1)
        contribution = self._gives(groups).mean(axis=1)
        wants = p.wants[groups].astype(float)
        common = np.einsum("gik,gjk->gij", wants, wants)
        counts = wants.sum(axis=2)
        union = counts[:, :, None] + counts[:, None, :] - common
        jaccard = _ratio(common, union, 0.0)
        shared = (jaccard * others[..., 0]).sum(axis=(1, 2)) / (size * (size - 1))
        stages = p.stage[groups]
        stage_similarity = 1 - (stages.max(axis=1) - stages.min(axis=1)) / 3
        window = _common_window(p.utc_start[groups]) / (WORKDAY[1] - WORKDAY[0])
        departments = np.sort(self._departments[groups], axis=1)
        distinct = 1 + (np.diff(departments, axis=1) != 0).sum(axis=1)
        return {
            "gap_coverage": coverage,
            "contribution": contribution,
            "shared_goals": shared,
            "stage_similarity": stage_similarity,
            "timezone_spread": window,
            "department_diversity": (distinct - 1) / (size - 1),
        }

    def allowed(self, groups: IntMatrix) -> BoolMatrix:
        """Every pair passes the peer rules both ways, and all share a language."""
        size = groups.shape[1]
        feasible = self.pairs.feasible
        pairwise = (feasible & feasible.T)[groups[:, :, None], groups[:, None, :]]
        pairwise |= np.eye(size, dtype=bool)
        spoken: BoolMatrix = self._languages[groups]  # (groups, size, languages)
        common_language = np.any(np.all(spoken, axis=1), axis=1)
        ok: BoolMatrix = np.all(pairwise, axis=(1, 2)) & common_language
        return ok

    def total(self, groups: IntMatrix) -> FloatMatrix:
        """The weighted score in [0, 1] of each group; -inf where a hard rule is broken."""
        factors = self.factors(groups)
        weight_sum = sum(self.weights.weights.values())
        score = sum(
            (self.weights.weights[name] * value for name, value in factors.items()),
            start=np.zeros(groups.shape[0]),
        )
        result: FloatMatrix = np.where(self.allowed(groups), score / weight_sum, -np.inf)
        return result

    def explain(self, group: Sequence[int]) -> list[str]:
        """Checkable sentences about one group: who covers whose gaps, who gives what,
        the working window, departments and stages."""
        people = [self.people[i] for i in group]
        p = self._profiles
        lines: list[str] = []
        for i in group:
            me = self.people[i]
            for k in np.flatnonzero(p.targets[i] > p.current[i])[:2]:
                helper = max((j for j in group if j != i), key=lambda j: (p.levels[j, k], -j))
                if p.levels[helper, k] > p.current[i, k]:
                    lines.append(
                        f"{self.people[helper].name} is at {_level(p.levels[helper, k])} in "
                        f"{skill_label(SKILLS[k])}, which {me.name} wants to grow from "
                        f"{int(p.current[i, k])} to {int(p.targets[i, k])}"
                    )
                else:
                    lines.append(
                        f"nobody in the group is ahead of {me.name} in {skill_label(SKILLS[k])}"
                    )
        batch = np.asarray([list(group)], dtype=np.int64)
        silent = [
            self.people[i].name
            for i, gives in zip(group, self._gives(batch)[0], strict=True)
            if not gives
        ]
        if silent:
            lines.append(
                f"{', '.join(silent)} can teach no other member a skill they want "
                f"(level {TEACHING_LEVEL} or above needed)"
            )
        else:
            lines.append("every member can teach another member a skill they want")
        hours = _hours(float(_common_window(p.utc_start[batch])[0]))
        zones = ", ".join(dict.fromkeys(person.timezone for person in people))
        lines.append(
            f"{hours} working hours shared by all members across {zones} "
            f"(09:00-17:00 local on {self.pairs.reference_date.isoformat()})"
        )
        departments = sorted({person.department or "(no department)" for person in people})
        lines.append(
            f"{_plural(len(departments), 'department')} among {len(people)} members: "
            f"{', '.join(departments)}"
            + (" (a cross-functional circle)" if self.cross_functional else "")
        )
        stages = [person.career_stage for person in people]
        lines.append(f"career stages: {', '.join(f'{n} {s}' for s, n in Counter(stages).items())}")
        return lines

    def _gives(self, groups: IntMatrix) -> BoolMatrix:
        """(groups, size): the member can teach some other member a skill they want,
        being a practitioner or better and ahead of them."""
        p = self._profiles
        others = ~np.eye(groups.shape[1], dtype=bool)[None, :, :, None]
        levels, current = p.levels[groups], p.current[groups]
        teaches = (
            (levels[:, :, None, :] >= TEACHING_LEVEL)
            & (levels[:, :, None, :] > current[:, None, :, :])
            & p.wants[groups][:, None, :, :]
            & others
        )
        gives: BoolMatrix = np.any(teaches, axis=(2, 3))
        return gives


def score_groups(
    people: Sequence[ParticipantOut],
    *,
    reference_date: date,
    weights: ScoreWeights | None = None,
    cross_functional: bool = False,
    manager_of: Mapping[str, str | None] | None = None,
    rejected: Set[frozenset[str]] = frozenset(),
    already_together: Set[frozenset[str]] = frozenset(),
) -> GroupScores:
    """Prepare whole-group scoring for a cohort of peers. In a cross-functional circle
    department diversity gets `CROSS_FUNCTIONAL_DIVERSITY_WEIGHT` unless the program's
    weights set it."""
    chosen = weights or ScoreWeights.for_mode("group")
    if chosen.mode != "group":
        raise ValueError(f"weights for {chosen.mode} cannot score groups")
    if cross_functional and chosen.weights["department_diversity"] == 0:
        chosen = ScoreWeights(
            "group",
            {**chosen.weights, "department_diversity": CROSS_FUNCTIONAL_DIVERSITY_WEIGHT},
        )
    pairs = score_pairs(
        people,
        None,
        "peer",
        reference_date=reference_date,
        manager_of=manager_of,
        rejected=rejected,
        already_together=already_together,
    )
    department_codes = {d: k for k, d in enumerate(sorted({p.department for p in people}))}
    languages = sorted({lang for p in people for lang in p.languages})
    spoken = np.array([[lang in p.languages for lang in languages] for p in people], dtype=bool)
    return GroupScores(
        weights=chosen,
        pairs=pairs,
        cross_functional=cross_functional,
        _profiles=pairs._learners,
        _departments=np.array([department_codes[p.department] for p in people], dtype=np.int64),
        _languages=spoken.reshape(len(people), len(languages)),
    )


# ---- choosing a mode ---------------------------------------------------------------------

_TRANSITION = re.compile(
    r"\b(transition|switch|pivot|career change|change careers?|move into|moving into|new field)"
)
_STEP_UP = re.compile(r"\b(first|new role|step up|promotion|promoted)\b")
LONG_HORIZON_WEEKS = 26
FLASH_HORIZON_WEEKS = 2


def _guidance_mode(person: ParticipantOut) -> tuple[Mode, str]:
    """The guide on choosing a mode, as rules: (mode, why)."""
    goals = person.goals
    text = " ".join(goal.text.lower() for goal in goals)
    longest = max((goal.horizon_weeks for goal in goals), default=0)
    stage = person.career_stage
    if not goals:
        if stage == "early":
            return "mentor", "no goals yet; a mentor can help an early-career person frame them"
        return "peer", f"no goals yet; a peer suits {stage}-career people working things through"
    if len(goals) == 1 and goals[0].horizon_weeks <= FLASH_HORIZON_WEEKS:
        return "flash", (
            f"one goal due within {_plural(goals[0].horizon_weeks, 'week')}: a bounded question "
            "suits a flash session"
        )
    goal_skills = [skill for goal in goals for skill in goal.skills]
    junior_held = [skill for skill in goal_skills if skill in JUNIOR_HELD_SKILLS]
    if stage in ("senior", "executive") and 2 * len(junior_held) >= len(goal_skills):
        return "reverse", (
            f"{stage} with goals in {skill_list(list(dict.fromkeys(junior_held)))}, skills more "
            "common "
            "among newer colleagues: reverse mentoring"
        )
    if _TRANSITION.search(text) and longest >= LONG_HORIZON_WEEKS:
        return "mentor", f"a career change over {longest} weeks: a mentor gives perspective"
    if stage == "early":
        if longest >= LONG_HORIZON_WEEKS:
            return "mentor", f"early career with a {longest}-week goal: a mentor for direction"
        return "near_peer", (
            f"early career with goals within {longest} weeks: a near-peer's recent experience"
        )
    if stage == "mid" and _STEP_UP.search(text):
        return "near_peer", "stepping into something new: a near-peer has just done it"
    return "peer", f"{stage}-career skill refinement: a peer for practice and candid feedback"


def _allowed(person: ParticipantOut, mode: Mode) -> bool:
    return ("mentee" if mode in GUIDED_MODES else "peer") in person.roles


ALL_MODES: tuple[Mode, ...] = ("mentor", "peer", "near_peer", "reverse", "group", "flash")
# When neither the suggestion nor a preference is open to the person, the nearest in kind.
_FALLBACK_ORDER: tuple[Mode, ...] = ("near_peer", "mentor", "peer", "group", "flash", "reverse")


def recommend_mode(
    person: ParticipantOut, *, offered: Collection[Mode] = ALL_MODES
) -> tuple[Mode, list[str]]:
    """The mode the guidance suggests for a learner, with the reasons; a stated preference
    wins when the program offers that mode and the person's roles allow it."""
    usable = [mode for mode in offered if _allowed(person, mode)]
    if not usable:
        raise ValueError(f"{person.name} can join none of the offered modes {sorted(offered)}")
    suggested, why = _guidance_mode(person)
    preferred = [mode for mode in person.preferred_modes if mode in usable]
    if preferred and suggested not in person.preferred_modes:
        return preferred[0], [
            f"{person.name} prefers {MODE_LABELS[preferred[0]]}; the guidance alone says "
            f"{MODE_LABELS[suggested]}",
            why,
        ]
    if suggested in usable:
        return suggested, [why]
    fallback = next(mode for mode in (*preferred, *_FALLBACK_ORDER) if mode in usable)
    return fallback, [
        why,
        f"{MODE_LABELS[suggested]} is not open to {person.name} here, so {MODE_LABELS[fallback]}",
    ]
