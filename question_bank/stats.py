"""Classical test theory statistics for item analysis.

Pure functions over plain numbers, so the service can feed them from any query.
Variances are population variances (divide by n), as in the textbook KR-20.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

TOO_EASY_P = 0.9
TOO_HARD_P = 0.2
LOW_DISCRIMINATION_RPB = 0.2


def difficulty_index(item_scores: Sequence[float], max_points: float = 1.0) -> float:
    """The item's p value: mean score as a share of the item's maximum.

    For 0/1 items this is the proportion of candidates who chose the key.
    """
    if not item_scores:
        raise ValueError("no scores")
    if max_points <= 0:
        raise ValueError("max_points must be positive")
    return sum(item_scores) / len(item_scores) / max_points


def point_biserial(item_scores: Sequence[float], total_scores: Sequence[float]) -> float | None:
    """Corrected item-total correlation: the item against the total without the item.

    For 0/1 items the Pearson correlation is the point-biserial. Returns None
    when either side has no variance (or fewer than two candidates).
    """
    if len(item_scores) != len(total_scores):
        raise ValueError("item and total scores differ in length")
    rest = [total - item for item, total in zip(item_scores, total_scores, strict=True)]
    return _pearson(item_scores, rest)


def _pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    n = len(xs)
    if n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mean_x) ** 2 for x in xs)
    syy = sum((y - mean_y) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def option_choice_rates(choices: Sequence[int | None], option_count: int) -> list[float]:
    """Share of candidates choosing each option, then the share who left it unanswered.

    The result has `option_count + 1` entries; the last is the unanswered rate.
    """
    counts = [0] * (option_count + 1)
    for choice in choices:
        if choice is None:
            counts[option_count] += 1
        elif 0 <= choice < option_count:
            counts[choice] += 1
        else:
            raise ValueError(f"choice {choice} is not one of {option_count} options")
    if not choices:
        return [0.0] * (option_count + 1)
    return [count / len(choices) for count in counts]


def kr20(matrix: Sequence[Sequence[int]]) -> float | None:
    """Kuder-Richardson 20 reliability of 0/1 items (rows candidates, columns items).

    KR-20 = k/(k-1) * (1 - sum(p*q) / variance of total scores). Returns None
    with fewer than two items or candidates, or when every total is equal.
    """
    if len(matrix) < 2 or not matrix[0] or len(matrix[0]) < 2:
        return None
    k = len(matrix[0])
    if any(len(row) != k for row in matrix):
        raise ValueError("rows differ in length")
    if any(score not in (0, 1) for row in matrix for score in row):
        raise ValueError("KR-20 needs 0/1 item scores")
    n = len(matrix)
    totals = [sum(row) for row in matrix]
    mean = sum(totals) / n
    variance = sum((total - mean) ** 2 for total in totals) / n
    if variance == 0:
        return None
    p_values = [sum(row[j] for row in matrix) / n for j in range(k)]
    pq = sum(p * (1 - p) for p in p_values)
    return k / (k - 1) * (1 - pq / variance)


def histogram(
    scores: Sequence[float], bins: int, *, lo: float | None = None, hi: float | None = None
) -> list[tuple[float, float, int]]:
    """Counts of `scores` in `bins` equal-width bins as (start, end, count).

    The range defaults to the scores' min and max; pass `lo`/`hi` (e.g. 0 and
    the test's maximum) to compare sessions. Bins include their start; the last
    one also includes its end. Scores outside the range raise ValueError.
    """
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if not scores and (lo is None or hi is None):
        return []
    start = min(scores) if lo is None else lo
    end = max(scores) if hi is None else hi
    if end < start:
        raise ValueError("hi is below lo")
    if any(not start <= score <= end for score in scores):
        raise ValueError("a score lies outside the histogram's range")
    width = (end - start) / bins
    counts = [0] * bins
    for score in scores:
        index = bins - 1 if width == 0 else min(int((score - start) / width), bins - 1)
        counts[index] += 1
    edges = [start + i * width for i in range(bins)] + [end]
    return [(edges[i], edges[i + 1], counts[i]) for i in range(bins)]


def flag_item(p: float, rpb: float | None) -> list[str]:
    """Review flags for an item from its p value and corrected point-biserial."""
    flags = []
    if p > TOO_EASY_P:
        flags.append("too_easy")
    if p < TOO_HARD_P:
        flags.append("too_hard")
    if rpb is not None and rpb < 0:
        flags.append("negative_discrimination")
    elif rpb is not None and rpb < LOW_DISCRIMINATION_RPB:
        flags.append("low_discrimination")
    return flags
