"""Exact group formation by exhaustive search, the baseline for the group solver in
tests and in benchmarks/pairing.py (small cohorts only: it tries every choice)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import numpy as np
import numpy.typing as npt

GroupValue = Callable[[npt.NDArray[np.int_]], npt.NDArray[np.float64]]


def exhaustive_groups(value: GroupValue, n: int, size: int, count: int) -> float:
    """The best sum of group values over every way to pick `count` disjoint groups of
    `size` among people 0..n-1 (-inf marks a group that breaks a hard rule)."""

    def best(remaining: tuple[int, ...], groups_left: int) -> float:
        if groups_left == 0:
            return 0.0
        if len(remaining) < size * groups_left:
            return -np.inf
        first, rest = remaining[0], remaining[1:]
        # Either the first remaining person is left out, or in a group with others.
        result = best(rest, groups_left)
        for others in combinations(rest, size - 1):
            own = float(value(np.array([(first, *others)]))[0])
            if own == -np.inf:
                continue
            left = tuple(p for p in rest if p not in others)
            result = max(result, own + best(left, groups_left - 1))
        return result

    return best(tuple(range(n)), count)
