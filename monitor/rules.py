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

``routes`` send a desk its own short digest: the notable changes whose jurisdiction lies in
the route's scope (whole states and/or jurisdiction keys). Which changes are notable is decided
once, above; a route only filters them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.diff import ROLLUPS, Change
from parsers.jurisdictions import WHOLE_STATE, jurisdiction_key
from parsers.states import state_code


@dataclass(frozen=True)
class Route:
    """One desk's digest (``alerts.routes`` in config.yaml), as the user wrote it; ``route_scope``
    normalises and checks it."""

    channel: str = ""
    states: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Thresholds:
    min_abs_change: int = 5
    min_rel_change: float = 0.5
    floor: int = 3
    significance: float = 0.01
    watch: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()


class RouteError(ValueError):
    """A route that cannot be used; ``where`` is the path inside ``alerts.routes``
    (``[1].states[0]``), so the config error can name the exact key."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class RouteScope:
    """A route's scope in canonical form: USPS codes and jurisdiction keys (``NY:kings``)."""

    channel: str
    states: frozenset[str]
    keys: frozenset[str]

    def covers(self, key: str) -> bool:
        state, _, _county = key.partition(":")
        return state in self.states or key in self.keys


def _shown(value: str) -> str:
    # Error messages quote what the user wrote, but never a whole runaway value.
    return repr(value if len(value) <= 60 else value[:60] + "…")


def canonical_jurisdiction(text: str) -> str:
    """What a user writes for a jurisdiction → its key: ``ny:Kings County`` → ``NY:kings``.

    Only the key form ``ST:county`` (or ``ST:*``, the whole-state rows) is accepted: the
    county part goes through the same normalisation as the reports' own names (case,
    accents, the word "County"). A prose form such as ``New York, NY`` is refused rather
    than guessed, since it could mean the county, the city or the state."""
    state, colon, county = text.strip().partition(":")
    if not colon or not county.strip() or ":" in county:
        raise ValueError(f"{_shown(text)} is not a key like 'NY:kings'")
    code = state_code(state)
    if code is None:
        raise ValueError(f"unknown state {_shown(state.strip())} in {_shown(text)}")
    if county.strip() == WHOLE_STATE:
        return f"{code}:{WHOLE_STATE}"
    # bare_county: the part after the colon is always a county ("NY:new york" is
    # Manhattan, not the state).
    key = jurisdiction_key(county, code, bare_county=True)
    if key.endswith(":"):
        raise ValueError(f"{_shown(text)} names no county")
    return key


def _with_rollups(keys: frozenset[str]) -> frozenset[str]:
    """A city that spans counties and its counties are one place to a desk: listing the city
    brings its counties, listing all its counties brings the city's roll-up."""
    expanded = set(keys)
    for rollup, (_label, members) in ROLLUPS.items():
        if rollup in keys:
            expanded |= members
        if members <= keys:
            expanded.add(rollup)
    return frozenset(expanded)


def route_scope(route: Route, index: int = 0) -> RouteScope:
    """The canonical scope of ``alerts.routes[index]``, or a ``RouteError`` naming the key."""
    where = f"[{index}]"
    if not route.channel.strip():
        raise RouteError(f"{where}.channel", "a channel is required (e.g. '#texas')")
    if not route.states and not route.jurisdictions:
        raise RouteError(where, "give states and/or jurisdictions, or the route gets nothing")
    states = set()
    for i, state in enumerate(route.states):
        code = state_code(state)
        if code is None:
            raise RouteError(f"{where}.states[{i}]", f"unknown state {_shown(state)} (expected a code like 'TX')")
        states.add(code)
    keys = set()
    for i, text in enumerate(route.jurisdictions):
        try:
            keys.add(canonical_jurisdiction(text))
        except ValueError as exc:
            raise RouteError(f"{where}.jurisdictions[{i}]", str(exc)) from None
    return RouteScope(route.channel.strip(), frozenset(states), _with_rollups(frozenset(keys)))


def route_scopes(routes: Sequence[Route]) -> list[RouteScope]:
    """Every route's scope, checked; one channel per route, since a route's alert key is
    (report, channel) and a second route to the same channel would never be sent."""
    scopes: list[RouteScope] = []
    for index, route in enumerate(routes):
        scope = route_scope(route, index)
        for earlier, other in enumerate(scopes):
            if other.channel == scope.channel:
                raise RouteError(
                    f"[{index}].channel", f"{_shown(scope.channel)} is already the channel of alerts.routes[{earlier}]"
                )
        scopes.append(scope)
    return scopes


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
