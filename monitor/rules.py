"""Which changes are news. Thresholds come from ``config.yaml``'s ``alerts`` section.

A count change is notable when all hold:
* ``floor``: the larger of old and new is at least this (tiny counts are noise);
* ``min_abs_change``: |new − old| is at least this;
* ``min_rel_change``: |new − old| / old is at least this (skipped when old is 0);
* chance: under a Poisson model with the baseline as mean (the previous value, or the mean of
  the last ``trailing_reports`` values when history is given), a value at least this extreme
  has probability below ``significance``. So 1 → 3 is not "+200 %" news and 10 → 41 is.

Policy changes and jurisdictions new to a table (or gone from it) are always notable, and so is every change
for a key on the ``watch`` list (a reporter's own counties).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.diff import Change


@dataclass(frozen=True)
class Thresholds:
    min_abs_change: int = 5
    min_rel_change: float = 0.5
    floor: int = 3
    significance: float = 0.01
    watch: tuple[str, ...] = ()


def poisson_cdf(k: int, mean: float) -> float:
    """P(X ≤ k) for X ~ Poisson(mean), summed in log space so large means don't overflow."""
    if k < 0:
        return 0.0
    if mean <= 0:
        return 1.0
    total = 0.0
    log_mean = math.log(mean)
    for i in range(k + 1):
        total += math.exp(i * log_mean - mean - math.lgamma(i + 1))
    return min(1.0, total)


def surprise(observed: int, baseline: float) -> float:
    """Probability of a value at least as far from ``baseline`` in the observed direction."""
    mean = max(baseline, 0.5)  # a zero baseline still allows the odd count by chance
    if observed >= mean:
        return 1.0 - poisson_cdf(observed - 1, mean)
    return poisson_cdf(observed, mean)


def why_notable(change: Change, rules: Thresholds, history: Sequence[int] = ()) -> str | None:
    """The reason a change is notable, or None when it is not."""
    if change.key in rules.watch:
        return "watched"
    if change.kind.startswith("policy_"):
        return "policy"
    if change.old is None:
        return "new in table"
    if change.new is None:
        return "left table"
    old, new = int(change.old), int(change.new)
    if old == 0:
        return "new in table"
    if max(old, new) < rules.floor or abs(new - old) < rules.min_abs_change:
        return None
    if abs(new - old) / old < rules.min_rel_change:
        return None
    baseline = sum(history) / len(history) if history else old
    if surprise(new, baseline) >= rules.significance:
        return None
    return "significant"
