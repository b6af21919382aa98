"""Globally optimal pairings over score matrices: mentors with capacity, peers, groups.

Inputs are the arrays of `scoring.PairScores` (or any scores in [0, 1] with a feasibility
matrix); outputs are indices into its rows and columns. A pair that is not feasible is
never returned, whatever its score, and leaving someone unmatched is always allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

FloatMatrix = npt.NDArray[np.float64]
BoolMatrix = npt.NDArray[np.bool_]

# networkx's blossom is exact with integer weights; with floats it may lose a little
# to rounding. Scores scaled to integers differ from the floats by at most 5e-10 each.
_INTEGER_SCALE = 10**9
_IMPROVEMENT = 1e-12  # a swap must gain more than rounding noise, so local search ends
# People re-matched after the relaxation bring their 6 best neighbours' pairs along: on a
# 1,000-peer cohort 3 gave 0.9988 of the bound in 0.8 s, 6 0.9992 in 1 s, 15 0.9993 in 4 s.
_REROUTE_NEIGHBOURS = 6


def _check_scores(total: FloatMatrix, feasible: BoolMatrix) -> None:
    if total.shape != feasible.shape:
        raise ValueError(f"scores {total.shape} and feasibility {feasible.shape} differ in shape")
    if (total[feasible] < 0).any():
        raise ValueError("feasible pairs need scores of 0 or more")


def assign_mentors(
    total: FloatMatrix, feasible: BoolMatrix, capacities: Sequence[int] | npt.NDArray[np.int_]
) -> list[tuple[int, int]]:
    """(mentee, mentor) pairs maximising the summed score: each mentee at most once, each
    mentor at most `capacities[mentor]` times, only feasible pairs.

    Each mentor becomes as many columns ("slots") as their capacity, capped at the number
    of mentees they could take, and `linear_sum_assignment` solves the rectangular problem
    exactly. Infeasible pairs weigh 0 and are dropped afterwards: since any partial
    assignment extends to a full one with zero-weight pairs, the optimum of the full
    problem is the optimum over partial feasible assignments, so nobody is ever forced
    onto an infeasible pair and leaving someone unmatched costs nothing.
    """
    _check_scores(total, feasible)
    capacity = np.clip(np.asarray(capacities, dtype=np.int64), 0, None)
    mentees = np.flatnonzero(feasible.any(axis=1))
    mentors = np.flatnonzero(feasible.any(axis=0) & (capacity > 0))
    if mentees.size == 0 or mentors.size == 0:
        return []
    reachable = feasible[np.ix_(mentees, mentors)]
    slot_owner = np.repeat(mentors, np.minimum(capacity[mentors], reachable.sum(axis=0)))
    allowed = feasible[np.ix_(mentees, slot_owner)]
    weight = np.where(allowed, total[np.ix_(mentees, slot_owner)], 0.0)
    rows, slots = linear_sum_assignment(weight, maximize=True)
    return sorted(
        (int(mentees[r]), int(slot_owner[s]))
        for r, s in zip(rows, slots, strict=True)
        if allowed[r, s]
    )


def alternatives(
    total: FloatMatrix, feasible: BoolMatrix, i: int, chosen_j: int | None, k: int = 2
) -> list[int]:
    """The k best feasible mentors for mentee i other than the chosen one, best first
    (ties by index), for staff who want to swap a suggestion."""
    candidates = [int(j) for j in np.flatnonzero(feasible[i]) if j != chosen_j]
    return sorted(candidates, key=lambda j: (-total[i, j], j))[:k]


def _peer_weights(total: FloatMatrix, feasible: BoolMatrix) -> FloatMatrix:
    """Symmetric weights: a pair counts only when feasible both ways; 0 means no edge."""
    _check_scores(total, feasible)
    weights = np.where(feasible & feasible.T, (total + total.T) / 2, 0.0)
    np.fill_diagonal(weights, 0.0)
    return weights


def _blossom(
    weights: FloatMatrix, people: Sequence[int], neighbours: int, exact_up_to: int
) -> list[tuple[int, int]]:
    """Maximum-weight matching among `people` by networkx's blossom algorithm: over all
    their edges when they are at most `exact_up_to`, else over each one's `neighbours`
    best edges (an edge stays if either end ranks it), as the blossom is O(n^3)."""
    index = np.asarray(people, dtype=np.int64)
    sub = weights[np.ix_(index, index)]
    edges = np.triu(sub > 0, k=1)
    if index.size > exact_up_to:
        keep = min(neighbours, index.size - 1)
        best = np.argpartition(-sub, keep - 1, axis=1)[:, :keep]
        ranked = np.zeros_like(edges)
        np.put_along_axis(ranked, best, True, axis=1)
        edges &= ranked | ranked.T
    graph = nx.Graph()
    graph.add_weighted_edges_from(
        (int(index[a]), int(index[b]), round(float(sub[a, b]) * _INTEGER_SCALE))
        for a, b in zip(*np.nonzero(edges), strict=True)
    )
    matching: set[tuple[int, int]] = nx.max_weight_matching(graph, maxcardinality=False)
    return [(min(a, b), max(a, b)) for a, b in matching]


def _cycles(permutation: npt.NDArray[np.int_]) -> list[list[int]]:
    seen = np.zeros(permutation.size, dtype=bool)
    cycles = []
    for start in range(permutation.size):
        cycle = []
        at = start
        while not seen[at]:
            seen[at] = True
            cycle.append(at)
            at = int(permutation[at])
        if cycle:
            cycles.append(cycle)
    return cycles


def _relaxed_cover(weights: FloatMatrix) -> tuple[float, npt.NDArray[np.int_]]:
    """The permutation maximising sum(weights[i, p(i)]), self meaning unmatched. A
    matching is such a permutation made of 2-cycles (counting each pair twice), so half
    its weight bounds every matching's weight from above."""
    rows, cols = linear_sum_assignment(weights, maximize=True)
    permutation = np.empty(weights.shape[0], dtype=np.int64)
    permutation[rows] = cols
    return float(weights[rows, cols].sum()) / 2, permutation


def peer_matching_bound(total: FloatMatrix, feasible: BoolMatrix) -> float:
    """An upper bound on any peer matching's weight (see `_relaxed_cover`)."""
    return _relaxed_cover(_peer_weights(total, feasible))[0]


def match_peers(
    total: FloatMatrix, feasible: BoolMatrix, *, exact_up_to: int = 200, neighbours: int = 15
) -> list[tuple[int, int]]:
    """Pairs (i < j) of a maximum-weight matching on the general graph of pairs feasible
    both ways (a pair weighs the mean of its two scores).

    Up to `exact_up_to` people: networkx's blossom over all edges, exact.

    Above that the pure-Python blossom is too slow (12 s for 1,000 people even with only
    each person's 15 best edges), so: solve the relaxation in `_relaxed_cover` with
    `linear_sum_assignment` (0.1 s at 1,000). Its 2-cycles are pairs; an even cycle
    splits into two alternating matchings, the better of which keeps at least half the
    cycle's weight, so neither loses anything against the bound. People on odd cycles or
    left alone are matched again by the blossom, together with the pairs of their best
    neighbours (over each one's `neighbours` best edges if they are more than
    `exact_up_to`). The result is then not guaranteed optimal, but `peer_matching_bound`
    says how far it can be from the optimum at most: on the benchmark's 1,000 peers it
    is within 0.1% of the bound in under 2 s.
    """
    weights = _peer_weights(total, feasible)
    n = weights.shape[0]
    if n <= exact_up_to:
        return sorted(_blossom(weights, range(n), neighbours, exact_up_to))
    _, permutation = _relaxed_cover(weights)
    pairs: list[tuple[int, int]] = []
    rematch: list[int] = []
    for cycle in _cycles(permutation):
        if len(cycle) % 2:  # odd cycles and people the relaxation left alone
            rematch += cycle
            continue
        following = cycle[1:] + cycle[:1]
        halves = [list(zip(cycle[k::2], following[k::2], strict=True)) for k in (0, 1)]
        best = max(halves, key=lambda half: sum(weights[a, b] for a, b in half))
        kept = [(min(a, b), max(a, b)) for a, b in best if weights[a, b] > 0]
        pairs += kept
        in_kept = {p for pair in kept for p in pair}
        rematch += [p for p in cycle if p not in in_kept]
    # Free the pairs next to the troubled people too, so the blossom can reroute through
    # them (an augmenting path rarely runs further than one pair away).
    partner = {a: b for pair in pairs for a, b in (pair, pair[::-1])}
    near = np.argsort(-weights[rematch], axis=1)[:, :_REROUTE_NEIGHBOURS].ravel()
    freed = {partner[int(q)] for q in near if int(q) in partner}
    freed |= {partner[q] for q in freed}
    pairs = [pair for pair in pairs if pair[0] not in freed]
    return sorted(pairs + _blossom(weights, [*rematch, *freed], neighbours, exact_up_to))


# ---- groups ----------------------------------------------------------------------------

IntMatrix = npt.NDArray[np.int_]
# Scores a batch of groups given as rows of member indices: (groups, size) -> (groups,),
# -inf for a group that breaks a hard rule. Group-level factors (does anyone cover each
# member's gaps, a common working window) are not sums over pairs, so the search asks
# for whole groups.
GroupValue = Callable[[IntMatrix], FloatMatrix]
# Above this many groups each group tries exchanges only with the groups it has the most
# affinity with: every pair of groups is O(groups^2) batches per pass.
_PARTNER_GROUPS = 40


@dataclass(frozen=True)
class Grouping:
    """Groups of one size, people left over, and the objective: the sum over groups of
    each group's value (by default the mean pairwise score inside it), every pair in a
    group feasible."""

    groups: list[list[int]]
    leftovers: list[int]
    objective: float
    seed_objective: float  # of the greedy seed, before local search
    values: list[float]  # each group's value, in the order of `groups`


def grouping_objective(scores: FloatMatrix, groups: Sequence[Sequence[int]]) -> float:
    return float(
        sum(np.mean([scores[a, b] for a, b in combinations(group, 2)]) for group in groups)
    )


def mean_pair_value(scores: FloatMatrix, allowed: BoolMatrix) -> GroupValue:
    """The default group value: the mean pairwise score, -inf if any pair is forbidden."""

    def value(groups: IntMatrix) -> FloatMatrix:
        size = groups.shape[1]
        inside = scores[groups[:, :, None], groups[:, None, :]]
        ok = allowed[groups[:, :, None], groups[:, None, :]] | np.eye(size, dtype=bool)
        mean = inside.sum(axis=(1, 2)) / (size * (size - 1))  # the diagonal is 0
        result: FloatMatrix = np.where(ok.all(axis=(1, 2)), mean, -np.inf)
        return result

    return value


def _greedy_groups(
    scores: FloatMatrix, allowed: BoolMatrix, size: int, rng: np.random.Generator | None = None
) -> tuple[list[list[int]], list[int]]:
    """Seed each group with the person who has the fewest feasible partners left (the
    hardest to place; with `rng`, anyone at random), then add whoever scores best with
    the members so far and is feasible with all of them. A seed that cannot fill a group
    is left over."""
    open_people = np.arange(scores.shape[0])
    groups: list[list[int]] = []
    leftovers: list[int] = []
    while open_people.size >= size:
        if rng is None:
            partners = allowed[np.ix_(open_people, open_people)].sum(axis=1)
            seed = int(open_people[np.argmin(partners)])
        else:
            seed = int(open_people[rng.integers(open_people.size)])
        group = [seed]
        candidates = open_people[allowed[seed, open_people]]
        while len(group) < size and candidates.size:
            best = int(candidates[np.argmax(scores[np.ix_(candidates, group)].sum(axis=1))])
            group.append(best)
            candidates = candidates[(candidates != best) & allowed[best, candidates]]
        if len(group) == size:
            groups.append(group)
        else:
            leftovers.append(seed)
            group = [seed]
        open_people = open_people[~np.isin(open_people, group)]
    return groups, [*leftovers, *(int(p) for p in open_people)]


def _exchanges(group: list[int], others: list[int]) -> tuple[IntMatrix, IntMatrix]:
    """Every exchange of one member of `group` with one of `others`: the new groups
    (len(group) * len(others), size) and, per row, (index in group, index in others)."""
    size = len(group)
    at_group, at_other = np.divmod(np.arange(size * len(others)), len(others))
    rows = np.repeat(np.asarray(group)[None, :], at_group.size, axis=0)
    rows[np.arange(at_group.size), at_group] = np.asarray(others)[at_other]
    return rows, np.stack([at_group, at_other], axis=1)


def _partners(scores: FloatMatrix, groups: list[list[int]], x: int) -> list[int]:
    others = [y for y in range(len(groups)) if y != x]
    if len(others) <= _PARTNER_GROUPS:
        return others
    affinity = [float(scores[np.ix_(groups[x], groups[y])].mean()) for y in others]
    ranked = np.argsort(affinity)[::-1][:_PARTNER_GROUPS]
    return [others[k] for k in ranked]


def _local_search(
    value: GroupValue,
    scores: FloatMatrix,
    groups: list[list[int]],
    leftovers: list[int],
    current: list[float],
    max_passes: int,
) -> None:
    """Apply improving exchanges in place until none improves (or `max_passes`). Each
    group scores its exchanges with all its partner groups, and with the leftovers, in
    one batch, and takes the best, so a pass costs two calls of `value` per group."""
    for _ in range(max_passes):
        improved = False
        for x in range(len(groups)):
            partners = _partners(scores, groups, x)
            batches = [_exchanges(groups[x], groups[y]) for y in partners]
            if leftovers:
                batches.append(_exchanges(groups[x], leftovers))
            if not batches:
                continue
            rows_x = np.concatenate([rows for rows, _ in batches])
            where = np.concatenate([at for _, at in batches])
            owner = np.concatenate(
                [np.full(len(at), k) for k, (_, at) in enumerate(batches)]
            )  # index into partners; len(partners) means the leftovers
            # The partner group's side of each exchange; leftovers are outside the objective.
            others = [groups[y] for y in partners]
            is_group = owner < len(partners)
            gain = value(rows_x) - current[x]
            if is_group.any():
                rows_y = np.asarray([others[o] for o in owner[is_group]], dtype=np.int64)
                rows_y[np.arange(len(rows_y)), where[is_group, 1]] = np.asarray(groups[x])[
                    where[is_group, 0]
                ]
                partner_now = np.asarray([current[partners[o]] for o in owner[is_group]])
                new_y = value(rows_y)
                gain[is_group] += new_y - partner_now
            best = int(np.argmax(gain))
            if gain[best] <= _IMPROVEMENT:
                continue
            at_x, at_other = (int(k) for k in where[best])
            if owner[best] < len(partners):
                y = partners[int(owner[best])]
                groups[x][at_x], groups[y][at_other] = groups[y][at_other], groups[x][at_x]
                current[y] = float(value(np.asarray([groups[y]]))[0])
            else:
                groups[x][at_x], leftovers[at_other] = leftovers[at_other], groups[x][at_x]
            current[x] = float(value(np.asarray([groups[x]]))[0])
            improved = True
        if not improved:
            return


def _perturb(
    value: GroupValue,
    groups: list[list[int]],
    leftovers: list[int],
    current: list[float],
    rng: np.random.Generator,
) -> None:
    """A few random exchanges that keep every group feasible, to leave a local optimum."""
    for _ in range(max(2, len(groups) // 3)):
        x = int(rng.integers(len(groups)))
        pool = [("left", k) for k in range(len(leftovers))] + [
            ("group", y) for y in range(len(groups)) if y != x
        ]
        if not pool:
            return
        kind, y = pool[int(rng.integers(len(pool)))]
        at_x = int(rng.integers(len(groups[x])))
        other = leftovers if kind == "left" else groups[y]
        at_y = 0 if kind == "left" else int(rng.integers(len(other)))
        if kind == "left":
            at_y, other = y, leftovers
        new_x = [*groups[x]]
        new_x[at_x] = other[at_y]
        value_x = float(value(np.asarray([new_x]))[0])
        value_y = 0.0
        if kind == "group":
            new_y = [*other]
            new_y[at_y] = groups[x][at_x]
            value_y = float(value(np.asarray([new_y]))[0])
        if value_x == -np.inf or value_y == -np.inf:
            continue
        groups[x][at_x], other[at_y] = other[at_y], groups[x][at_x]
        current[x] = value_x
        if kind == "group":
            current[y] = value_y


def group_alternatives(
    value: GroupValue, group: Sequence[int], n: int, k: int = 2
) -> list[tuple[list[int], float]]:
    """The k best groups that differ from `group` by one member, replaced by anyone else
    in the cohort, as (members, value), best first: what staff can swap in when one
    member should not be in it. Groups that break a hard rule are never offered."""
    outside = [p for p in range(n) if p not in group]
    if not outside:
        return []
    rows, _ = _exchanges(list(group), outside)
    values = value(rows)
    order = [int(r) for r in np.argsort(-values, kind="stable") if values[r] > -np.inf]
    return [(sorted(int(p) for p in rows[r]), float(values[r])) for r in order[:k]]


def form_groups(
    pair_scores: FloatMatrix,
    feasible: BoolMatrix,
    size: int,
    *,
    group_value: GroupValue | None = None,
    max_passes: int = 1000,
    restarts: int | None = None,
) -> Grouping:
    """Groups of exactly `size` (3-6) people, all pairs inside a group feasible both ways,
    maximising the sum of the groups' values (`group_value`; by default the mean pairwise
    score).

    A greedy seed from the pairwise scores is improved by local search: exchange two
    members of different groups, or a member with a leftover, whenever that raises the
    objective, until no exchange does (or `max_passes` passes, a guard that normal cohorts
    never reach). Then `restarts` times (by default 8 up to 20 groups, 2 up to 60, else
    none: on 200 peers 8 restarts took 5x as long for 0.4% more) the search
    starts again, alternately from a greedy seed with random first members and from the
    best grouping so far shaken by a few random feasible exchanges, keeping whichever is
    better. Single exchanges alone stopped at 0.78 of the exhaustive optimum on some
    8-person cohorts (two people who may only move together, by language); with the
    restarts the worst of 40 random cohorts was 0.957 and 39 reached the optimum. The
    random generator is seeded, so the same cohort gives the same groups. Each kept
    change raises the objective, so the result is never below the seed's; a restart is
    kept only if it forms at least as many groups. People no group could take are
    leftovers. With more than `_PARTNER_GROUPS` groups, each group tries
    exchanges with its `_PARTNER_GROUPS` closest groups only.
    """
    if not 3 <= size <= 6:
        raise ValueError("groups have 3 to 6 members")
    _check_scores(pair_scores, feasible)
    scores = (pair_scores + pair_scores.T) / 2
    np.fill_diagonal(scores, 0)
    allowed = feasible & feasible.T
    np.fill_diagonal(allowed, False)
    value = group_value or mean_pair_value(scores, allowed)

    def searched(
        seeded: tuple[list[list[int]], list[int]],
    ) -> tuple[list[list[int]], list[int], list[float]]:
        groups, leftovers = seeded
        # The greedy seed only knows pairs; a group the value function forbids (no
        # common language, say) is dissolved into leftovers before the search.
        values = value(np.asarray(groups, dtype=np.int64)) if groups else np.zeros(0)
        leftovers += [p for g, v in zip(groups, values, strict=True) if v == -np.inf for p in g]
        groups = [g for g, v in zip(groups, values, strict=True) if v > -np.inf]
        current = [float(v) for v in values if v > -np.inf]
        _local_search(value, scores, groups, leftovers, current, max_passes)
        return groups, leftovers, current

    seed_groups, seed_leftovers = _greedy_groups(scores, allowed, size)
    seed_objective = float(
        sum(v for v in value(np.asarray(seed_groups, dtype=np.int64)) if v > -np.inf)
        if seed_groups
        else 0.0
    )
    best = searched((seed_groups, seed_leftovers))
    rng = np.random.default_rng(0)
    count = len(best[0])
    tries = restarts if restarts is not None else 8 if count <= 20 else 2 if count <= 60 else 0
    for attempt in range(tries):
        if attempt % 2:
            # Shake the best so far: a few random feasible exchanges, then search again.
            groups, leftovers, current = [[*g] for g in best[0]], [*best[1]], [*best[2]]
            if not groups:
                continue
            _perturb(value, groups, leftovers, current, rng)
            _local_search(value, scores, groups, leftovers, current, max_passes)
            candidate = (groups, leftovers, current)
        else:
            # A fresh greedy start from random seeds reaches groupings that single
            # exchanges cannot (two people who may only move together).
            candidate = searched(_greedy_groups(scores, allowed, size, rng))
        if len(candidate[0]) >= len(best[0]) and sum(candidate[2]) > sum(best[2]) + _IMPROVEMENT:
            best = candidate
    groups, leftovers, current = best
    order = sorted(range(len(groups)), key=lambda g: sorted(groups[g]))
    return Grouping(
        groups=[sorted(groups[g]) for g in order],
        leftovers=sorted(leftovers),
        objective=float(sum(current)),
        seed_objective=seed_objective,
        values=[current[g] for g in order],
    )
