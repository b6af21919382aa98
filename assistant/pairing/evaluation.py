"""`tandem eval pairing`: are the runs' suggestions ones a program manager would approve?

Seeded synthetic cohorts of several sizes for every mode go through the real service
(`create_run` over a scratch database holding open matches and rejected pairs). Each
run is then judged without the engine's own code paths:

- coverage: the share of guided suggestions (and alternatives) whose mentor is at or
  above the mentee's target in one of their goal skills, among those whose mentee could
  have such a mentor at all;
- rule breaks: every hard rule restated pair by pair from the stored profiles and
  matches (roles, one place per person, mentor capacity counting open matches, a shared
  language, reporting lines in mentor mode, avoid lists, rejected pairs, pairs already
  together, people already in an open match of the mode, the near-peer experience gap,
  the minimum score); must be 0;
- objective against the optimum: the run's summed score over an exact 0/1 program
  (HiGHS) on the same scores with the restated rules as constraints: 1.0 for the exact
  mentor and peer solvers, at most 1.0 for the group search.
"""

from __future__ import annotations

import random
import statistics
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from rich.table import Table
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.auth import Principal
from assistant.db import build_engine, session_factory, transaction, upgrade_database
from assistant.errors import InvalidField, RuleViolation
from assistant.matching.models import OPEN_STATUSES, Match, MatchMember, MemberIn
from assistant.matching.scoring import EXPERIENCE_BANDS, MODE_LABELS, score_groups, score_pairs
from assistant.matching.service import create_match
from assistant.pairing.models import (
    Alternative,
    PairingRejection,
    PairingRunCreate,
    PairingRunOut,
    SuggestionOut,
)
from assistant.pairing.service import create_run, run_out
from assistant.people.models import Participant, ParticipantCreate, ParticipantOut
from assistant.people.service import create_participant, participant_out
from assistant.retrieval.embeddings import WordOverlapEmbedder
from assistant.vocabulary import GUIDED_MODES, SKILLS, Mode

REFERENCE_DATE = date(2027, 3, 1)
MIN_SCORE = 0.3
GROUP_SIZE = 3
STAFF = Principal(kind="staff", id="pairing-eval", name="pairing evaluation")
GUIDED: tuple[Mode, ...] = ("mentor", "near_peer", "reverse", "flash")
DEFAULT_SIZES: dict[Mode, tuple[int, ...]] = {
    **{mode: (12, 40, 120) for mode in GUIDED},
    "peer": (12, 40, 120),
    "group": (9, 12, 15),  # every possible group is enumerated for the optimum
}
_LANGUAGES = (["en"], ["en"], ["en"], ["en", "de"], ["de"], ["fr", "en"])
_ZONES = ("Europe/Berlin", "Europe/London", "America/New_York", "Asia/Tokyo", "Europe/Paris")
_STAGES = ((3, "early"), (8, "mid"), (15, "senior"), (70, "executive"))


@dataclass
class RunCheck:
    """One run judged: counts for the table and the rule breaks found, in words."""

    mode: Mode
    people: int
    suggestions: int = 0
    covered: int = 0
    coverable: int = 0
    breaks: list[str] = field(default_factory=list)
    objective: float = 0.0
    optimum: float = 0.0
    left_out: Counter[str] = field(default_factory=Counter)  # by cause

    @property
    def ratio(self) -> float:
        return 1.0 if self.optimum <= 0 else self.objective / self.optimum


@dataclass
class Row:
    """Runs of one mode and size, seeds pooled."""

    mode: Mode
    people: int
    runs: list[RunCheck]

    @property
    def suggestions(self) -> int:
        return sum(r.suggestions for r in self.runs)

    @property
    def coverage(self) -> float | None:
        coverable = sum(r.coverable for r in self.runs)
        return None if coverable == 0 else sum(r.covered for r in self.runs) / coverable

    @property
    def rule_breaks(self) -> int:
        return sum(len(r.breaks) for r in self.runs)

    @property
    def left_out(self) -> Counter[str]:
        return sum((r.left_out for r in self.runs), start=Counter())

    @property
    def meets_floors(self) -> bool:
        """Full coverage where coverage is possible, and no rule broken."""
        return self.rule_breaks == 0 and self.coverage in (None, 1.0)

    @property
    def mean_ratio(self) -> float:
        return statistics.fmean(r.ratio for r in self.runs)

    @property
    def worst_ratio(self) -> float:
        return min(r.ratio for r in self.runs)


# ---- cohorts ---------------------------------------------------------------------------


def _stage(years: float) -> str:
    return next(stage for limit, stage in _STAGES if years <= limit)


def _years(mode: Mode, guide: bool, rng: random.Random) -> int:
    """Experience that makes some pairs of each mode plausible and others not."""
    if mode == "reverse":
        return rng.randint(0, 4) if guide else rng.randint(12, 25)
    if mode == "near_peer":
        return rng.randint(2, 9) if guide else rng.randint(0, 5)
    if guide:
        return rng.randint(4, 25)
    return rng.randint(0, 10)


def _profile(mode: Mode, tag: str, k: int, role: str, rng: random.Random) -> ParticipantCreate:
    guide = role == "mentor"
    years = _years(mode, guide, rng)
    skills = rng.sample(SKILLS, 4)
    levels = {
        s: rng.randint(2, 5) if guide or role == "peer" else rng.randint(1, 3) for s in skills
    }
    wanted = rng.sample(SKILLS, rng.randint(1, 2))
    goals = [
        {
            "text": f"Grow in {' and '.join(s.replace('_', ' ') for s in wanted)}",
            "skills": wanted,
            "target_level": min(5, max(levels.get(s, 1) for s in wanted) + rng.randint(1, 2)),
            "horizon_weeks": rng.choice([2, 8, 12, 26]),
        }
    ]
    roles = ["mentor", "mentee"] if guide and rng.random() < 0.15 else [role]
    return ParticipantCreate.model_validate(
        {
            "name": f"{role.title()} {tag}-{k}",
            "email": f"{tag}-{k}@eval.example.org",
            "career_stage": _stage(years),
            "years_experience": years,
            "languages": rng.choice(_LANGUAGES),
            "timezone": rng.choice(_ZONES),
            "hours_per_month": rng.choice([2, 4, 6]),
            "roles": roles,
            "skills": [{"skill": s, "level": level} for s, level in levels.items()],
            "goals": [] if guide and "mentee" not in roles else goals,
            "mentor_capacity": rng.randint(1, 3) if guide else 0,
            "department": rng.choice(["Sales", "Legal", "Data", "Product"]),
        }
    )


def _cohort(session: Session, mode: Mode, size: int, seed: int) -> list[str]:
    """Create a seeded cohort with reporting lines, avoid lists, open matches (some of
    them of the run's mode) and rejected pairs; returns the cohort's ids."""
    rng = random.Random(f"{mode}-{size}-{seed}")
    tag = f"{mode}{size}s{seed}"
    guided = mode in GUIDED_MODES
    roles = [
        "mentor" if guided and k < size * 0.4 else "mentee" if guided else "peer"
        for k in range(size)
    ]
    for k in rng.sample(range(size), max(1, size // 10)):  # a few in the wrong role
        roles[k] = "peer" if guided else "mentee"
    people = [
        create_participant(session, actor=STAFF, data=_profile(mode, tag, k, role, rng))
        for k, role in enumerate(roles)
    ]
    ids = [p.id for p in people]
    guides = [p for p in people if "mentor" in p.roles]
    learners = [p for p in people if "mentor" not in p.roles]
    for person in learners:
        if guides and rng.random() < 0.2:
            _set(session, person.id, manager_id=rng.choice(guides).id)
        if rng.random() < 0.1:
            _set(session, person.id, avoid_ids=[rng.choice(ids)])
    outsider = create_participant(
        session, actor=STAFF, data=_profile(mode, tag, size, "mentee", rng)
    )
    # Open matches: some guides already mentor someone outside the cohort, some learners
    # already have a match of this mode; create_match keeps them within the rules.
    for guide in rng.sample(guides, len(guides) // 3):
        _try_match(
            session, mode if guided else "mentor", [(guide.id, "mentor"), (outsider.id, "mentee")]
        )
    for person in rng.sample(learners, len(learners) // 8):
        if guided and guides:
            _try_match(session, mode, [(rng.choice(guides).id, "mentor"), (person.id, "mentee")])
        elif not guided:
            others = [p for p in learners if p.id != person.id]
            if mode == "group" and len(others) >= 2:
                members = [person.id, *(p.id for p in rng.sample(others, 2))]
                _try_match(session, "group", [(pid, "peer") for pid in members])
            elif others:
                _try_match(session, mode, [(person.id, "peer"), (rng.choice(others).id, "peer")])
    for _ in range(2):
        first, second = sorted(rng.sample(ids, 2))
        session.add(PairingRejection(first_id=first, second_id=second, suggestion_id="eval"))
    session.flush()
    return ids


def _set(session: Session, participant_id: str, **values: Any) -> None:
    person = session.get(Participant, participant_id)
    assert person is not None
    for name, value in values.items():
        setattr(person, name, value)
    session.flush()


def _try_match(session: Session, mode: str, members: list[tuple[str, str]]) -> None:
    try:
        with session.begin_nested():
            create_match(
                session,
                actor=STAFF,
                mode=mode,
                members=[
                    MemberIn.model_validate({"participant_id": p, "role": r}) for p, r in members
                ],
                status="active",
                today=REFERENCE_DATE,
            )
    except (RuleViolation, InvalidField):
        pass  # a generated match the rules forbid is simply not there


# ---- the rules, restated ----------------------------------------------------------------


@dataclass(frozen=True)
class _State:
    """What the rules depend on, read from the database before the run."""

    people: dict[str, ParticipantOut]
    manager_of: dict[str, str | None]
    mentoring: Counter[str]  # open matches as mentor
    together: frozenset[frozenset[str]]
    learning: frozenset[tuple[str, str]]  # (person, mode) open as mentee or peer
    rejected: frozenset[frozenset[str]]


def _state(session: Session, ids: Sequence[str]) -> _State:
    everyone = {p.id: p for p in session.scalars(select(Participant))}
    rows = session.execute(
        select(Match.id, Match.mode, MatchMember.participant_id, MatchMember.role)
        .join(MatchMember, MatchMember.match_id == Match.id)
        .where(Match.status.in_(OPEN_STATUSES))
    ).all()
    by_match: dict[str, list[str]] = defaultdict(list)
    mentoring: Counter[str] = Counter()
    learning = set()
    for match_id, mode, pid, role in rows:
        by_match[match_id].append(pid)
        if role == "mentor":
            mentoring[pid] += 1
        else:
            learning.add((pid, mode))
    rejected = {
        frozenset(pair)
        for pair in session.execute(select(PairingRejection.first_id, PairingRejection.second_id))
    }
    return _State(
        people={pid: participant_out(everyone[pid]) for pid in ids},
        manager_of={pid: p.manager_id for pid, p in everyone.items()},
        mentoring=mentoring,
        together=frozenset(
            frozenset(pair) for members in by_match.values() for pair in combinations(members, 2)
        ),
        learning=frozenset(learning),
        rejected=frozenset(rejected),
    )


def _above(state: _State, pid: str) -> set[str]:
    seen: set[str] = set()
    current = state.manager_of.get(pid)
    while current is not None and current not in seen and current != pid:
        seen.add(current)
        current = state.manager_of.get(current)
    return seen


def _targets(person: ParticipantOut) -> dict[str, int]:
    targets: dict[str, int] = {}
    for goal in person.goals:
        for skill in goal.skills:
            targets[skill] = max(targets.get(skill, 0), goal.target_level)
    return targets


def reaches_target(learner: ParticipantOut, guide: ParticipantOut) -> bool:
    """The guide is at the learner's target in one of their goal skills."""
    levels: dict[str, int] = {item.skill: item.level for item in guide.skills}
    targets = _targets(learner)
    return not targets or any(levels.get(s, 0) >= t for s, t in targets.items())


def pair_breaks(mode: Mode, a: ParticipantOut, b: ParticipantOut, state: _State) -> list[str]:
    """The hard rules the pair breaks; a learns from b in guided modes."""
    broken = []
    pair = frozenset({a.id, b.id})
    if a.id == b.id:
        broken.append("same person")
    if mode in GUIDED_MODES:
        if "mentee" not in a.roles or "mentor" not in b.roles or b.mentor_capacity <= 0:
            broken.append("roles")
        if not reaches_target(a, b):
            broken.append("below every goal target")
    elif "peer" not in a.roles or "peer" not in b.roles:
        broken.append("roles")
    if not set(a.languages) & set(b.languages):
        broken.append("no shared language")
    if mode == "mentor" and (b.id in _above(state, a.id) or a.id in _above(state, b.id)):
        broken.append("reporting line")
    if b.id in a.avoid_ids or a.id in b.avoid_ids:
        broken.append("avoid list")
    if pair in state.rejected:
        broken.append("rejected pair")
    if pair in state.together:
        broken.append("already together")
    if mode == "near_peer":
        low, high, _ = EXPERIENCE_BANDS[mode]
        if not low <= b.years_experience - a.years_experience <= high:
            broken.append("near-peer experience gap")
    return broken


def _judge(mode: Mode, run: PairingRunOut, state: _State) -> RunCheck:
    check = RunCheck(mode=mode, people=len(state.people), suggestions=len(run.suggestions))
    load: Counter[str] = Counter()
    places: Counter[str] = Counter()
    everyone = list(state.people.values())
    for suggestion in run.suggestions:
        options: list[SuggestionOut | Alternative] = [suggestion, *suggestion.alternatives]
        for option in options:
            members = [state.people[m.participant_id] for m in option.members]
            roles = {m.participant_id: m.role for m in option.members}
            label = " + ".join(p.name for p in members)
            if option.score < MIN_SCORE:
                check.breaks.append(f"{label}: below the minimum score")
            if mode in GUIDED_MODES:
                guide = next(p for p in members if roles[p.id] == "mentor")
                learner = next(p for p in members if roles[p.id] == "mentee")
                broken = pair_breaks(mode, learner, guide, state)
                possible = any(
                    reaches_target(learner, g) and not pair_breaks(mode, learner, g, state)
                    for g in everyone
                )
                check.coverable += possible
                check.covered += possible and reaches_target(learner, guide)
            else:
                broken = [
                    rule
                    for a, b in combinations(members, 2)
                    for rule in pair_breaks(mode, a, b, state)
                ]
                spoken = set.intersection(*(set(p.languages) for p in members))
                if mode == "group" and not spoken:
                    broken.append("no language all members speak")
            check.breaks += [f"{label}: {rule}" for rule in dict.fromkeys(broken)]
        for member in suggestion.members:
            if member.role == "mentor":
                load[member.participant_id] += 1
            else:
                places[member.participant_id] += 1
                if (member.participant_id, mode) in state.learning:
                    check.breaks.append(f"{member.name}: already in an open {mode} match")
    for pid, count in load.items():
        person = state.people[pid]
        if count + state.mentoring[pid] > person.mentor_capacity:
            check.breaks.append(f"{person.name}: over mentor capacity")
    check.breaks += [
        f"{state.people[pid].name}: suggested {n} times" for pid, n in places.items() if n > 1
    ]
    return check


# ---- the optimum --------------------------------------------------------------------------


def _best_packing(
    values: npt.NDArray[np.float64],
    members: Sequence[Sequence[int]],
    n: int,
    limits: Sequence[int],
) -> float:
    """Exact best sum of `values` choosing options whose members (indices < n) are used
    at most `limits[member]` times each: a 0/1 program solved by HiGHS."""
    if not members:
        return 0.0
    rows = [k for k, option in enumerate(members) for _ in option]
    cols = [member for option in members for member in option]
    usage = csr_array((np.ones(len(rows)), (cols, rows)), shape=(n, len(members)))
    result = milp(
        c=-values,
        constraints=[LinearConstraint(usage, 0, np.asarray(limits, dtype=float))],
        integrality=np.ones(len(members)),
        bounds=Bounds(0, 1),
    )
    if not result.success:
        raise RuntimeError(f"the exact baseline failed: {result.message}")
    return float(-result.fun)


def _optimum(mode: Mode, state: _State) -> float:
    """The best objective any run could reach under the restated rules."""
    people = list(state.people.values())
    embedder = WordOverlapEmbedder()
    open_here = {pid for pid, m in state.learning if m == mode}
    if mode in GUIDED_MODES:
        learners = [p for p in people if "mentee" in p.roles and p.id not in open_here]
        guides = [p for p in people if "mentor" in p.roles and p.mentor_capacity > 0]
        if not learners or not guides:
            return 0.0
        total = score_pairs(
            learners, guides, mode, reference_date=REFERENCE_DATE, embedder=embedder
        ).total
        free = [max(0, g.mentor_capacity - state.mentoring[g.id]) for g in guides]
        options = [
            (i, j)
            for i, a in enumerate(learners)
            for j, b in enumerate(guides)
            if free[j] > 0 and total[i, j] >= MIN_SCORE and not pair_breaks(mode, a, b, state)
        ]
        m = len(learners)
        return _best_packing(
            np.array([total[i, j] for i, j in options]),
            [(i, m + j) for i, j in options],
            m + len(guides),
            [1] * m + free,
        )
    peers = [p for p in people if "peer" in p.roles and p.id not in open_here]
    if mode == "peer":
        total = score_pairs(peers, None, "peer", reference_date=REFERENCE_DATE).total
        pairs = [
            (i, j)
            for i, j in combinations(range(len(peers)), 2)
            if min(total[i, j], total[j, i]) >= MIN_SCORE
            and not pair_breaks(mode, peers[i], peers[j], state)
            and not pair_breaks(mode, peers[j], peers[i], state)
        ]
        mutual = np.array([(total[i, j] + total[j, i]) / 2 for i, j in pairs])
        return _best_packing(mutual, pairs, len(peers), [1] * len(peers))
    if len(peers) < GROUP_SIZE:
        return 0.0
    scores = score_groups(peers, reference_date=REFERENCE_DATE)
    groups = [
        g
        for g in combinations(range(len(peers)), GROUP_SIZE)
        if set.intersection(*(set(peers[i].languages) for i in g))
        and not any(pair_breaks(mode, peers[a], peers[b], state) for a, b in combinations(g, 2))
    ]
    if not groups:
        return 0.0
    factors = scores.factors(np.asarray(groups, dtype=np.int64))
    weights = scores.weights.weights
    values: npt.NDArray[np.float64] = sum(
        (weights[name] * factors[name] for name in weights), start=np.zeros(len(groups))
    ) / sum(weights.values())
    kept = [k for k, value in enumerate(values) if value >= MIN_SCORE]
    return _best_packing(values[kept], [groups[k] for k in kept], len(peers), [1] * len(peers))


# ---- running it ---------------------------------------------------------------------------


@contextmanager
def _scratch_database() -> Iterator[Session]:
    with tempfile.TemporaryDirectory() as scratch:
        engine = build_engine(f"sqlite:///{Path(scratch) / 'eval.db'}")
        upgrade_database(engine)
        try:
            with transaction(session_factory(engine)) as session:
                yield session
        finally:
            engine.dispose()


def evaluate_run(session: Session, mode: Mode, size: int, seed: int) -> RunCheck:
    """One seeded cohort through the service, judged by the restated rules."""
    ids = _cohort(session, mode, size, seed)
    state = _state(session, ids)
    run = create_run(
        session,
        actor=STAFF,
        data=PairingRunCreate(
            participant_ids=ids, mode=mode, group_size=GROUP_SIZE, min_score=MIN_SCORE
        ),
        today=REFERENCE_DATE,
        embedder=WordOverlapEmbedder(),
    )
    check = _judge(mode, run_out(session, run), state)
    check.left_out = Counter(u.cause or "unknown" for u in run_out(session, run).unmatched)
    check.objective = float(run.objectives.get(mode, 0.0))
    check.optimum = _optimum(mode, state)
    return check


def evaluate(
    sizes: dict[Mode, tuple[int, ...]] | None = None, seeds: Iterable[int] = range(3)
) -> list[Row]:
    """Every mode at every size over the seeds, each cohort in one scratch database."""
    chosen = sizes or DEFAULT_SIZES
    seed_list = list(seeds)
    rows = []
    with _scratch_database() as session:
        for mode, mode_sizes in chosen.items():
            for size in mode_sizes:
                runs = [evaluate_run(session, mode, size, seed) for seed in seed_list]
                rows.append(Row(mode=mode, people=size, runs=runs))
    return rows


def report_tables(rows: Sequence[Row], seeds: int) -> tuple[Table, Table]:
    """What `tandem eval pairing` prints: the floors and the optimum per mode and size,
    then who was left out, by cause."""
    quality = Table(
        title=f"Pairing runs over generated cohorts ({seeds} seeds each, min_score {MIN_SCORE})",
        caption=(
            "pairs: suggestions over all seeds; coverage: share of guided suggestions and "
            "alternatives whose mentor reaches the mentee's target in a goal skill, where "
            "any mentor could (- for peers and groups of 3); breaks: hard rules restated "
            "pair by pair (must be 0); obj/opt: summed score against an exact 0/1 program "
            "on the same rules"
        ),
    )
    for column in ("mode", "people", "pairs", "coverage", "breaks", "obj/opt", "worst"):
        quality.add_column(column, justify="right", no_wrap=True)
    causes = ("role", "capacity", "language", "skill", "rule", "score", "already_matched", "fit")
    left = Table(
        title="Left out, by cause (all seeds)",
        caption="open: already in an open match of the mode (allow_additional includes them)",
    )
    headers = ("role", "capac.", "lang", "skill", "rule", "score", "open", "fit")
    for column in ("mode", "n", *headers):  # fits an 80-column terminal
        left.add_column(column, justify="right", no_wrap=True)
    for row in rows:
        coverage = "-" if row.coverage is None else f"{row.coverage:.3f}"
        quality.add_row(
            MODE_LABELS[row.mode],
            str(row.people),
            str(row.suggestions),
            coverage,
            str(row.rule_breaks),
            f"{row.mean_ratio:.4f}",
            f"{row.worst_ratio:.4f}",
        )
        counts = row.left_out
        left.add_row(MODE_LABELS[row.mode], str(row.people), *(str(counts[c]) for c in causes))
    return quality, left
