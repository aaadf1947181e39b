"""The view a link opens: parsed from and written to the query string, checked value by value.

A teacher shares a URL; it opens the same page (its path), model, projection, selected sample,
interpolation ends, traversal start and anomaly threshold. What a browser sends is data: every
value is parsed into a typed field and checked against what is allowed; a bad value is
dropped with a one-line reason, never an error. Plain Python (no Streamlit), so the same state
can drive other features (a "follow the teacher" view) and is tested without a browser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, fields, replace

from ae_core.apps.anomaly import STRATEGIES
from ae_core.explore.projection import METHODS


@dataclass(frozen=True)
class LinkState:
    """Every field is optional: a link names only what differs from the defaults."""

    model: str | None = None
    projection: str | None = None  # one of ae_core.explore.projection.METHODS
    dims: int | None = None  # 2 or 3
    split: str | None = None  # "test" or "train"
    points: int | None = None  # points on the map
    sample: int | None = None  # selected test sample
    start: int | None = None  # traversal start sample
    ends: tuple[int, int] | None = None  # interpolation ends (test samples)
    rule: str | None = None  # anomaly threshold rule, one of ae_core.apps.anomaly.STRATEGIES
    value: float | None = None  # that rule's parameter (not for "manual": its range depends on the scores)


# Query-string names; "from"/"to" are the two interpolation ends.
NAMES = {
    "model": "model",
    "projection": "map",
    "dims": "dims",
    "split": "split",
    "points": "points",
    "sample": "sample",
    "start": "start",
    "rule": "rule",
    "value": "value",
}
MAX_INDEX = 10_000_000


def _index(text: str) -> int:
    number = int(text)
    if not 0 <= number <= MAX_INDEX:
        raise ValueError
    return number


def _choice(allowed: Collection[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError
        return text

    return parse


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError
    return number


PARSERS: dict[str, Callable[[str], object]] = {
    "projection": _choice([m for m in METHODS if m != "raw"]),  # "raw" only fits 2- or 3-number codes
    "dims": lambda text: {"2": 2, "3": 3}[text],
    "split": _choice(("test", "train")),
    "points": lambda text: min(max(_index(text), 100), 10_000),
    "sample": _index,
    "start": _index,
    "rule": _choice(STRATEGIES),
    "value": lambda text: _within(_finite(text), 0.0, 100.0),  # a rule's parameter, as its input allows
}


def _within(number: float, low: float, high: float) -> float:
    if not low <= number <= high:
        raise ValueError
    return number


def parse_link(params: Mapping[str, str], models: Collection[str]) -> tuple[LinkState, list[str]]:
    """The state a query string asks for, and one reason for each value that was dropped.

    ``models`` are the names a link may choose. Unknown parameters are ignored (other tools
    add their own, e.g. ``utm_source``).
    """
    values: dict[str, object] = {}
    problems: list[str] = []
    model = params.get("model")
    if model is not None:
        if model in models:
            values["model"] = model
        else:
            problems.append(f"there is no model named {model[:64]!r}")
    for name, parse in PARSERS.items():
        text = params.get(NAMES[name])
        if text is None:
            continue
        try:
            values[name] = parse(text[:64])
        except (ValueError, KeyError):
            problems.append(f"{NAMES[name]}={text[:64]!r} is not allowed")
    ends = [params.get("from"), params.get("to")]
    if any(end is not None for end in ends):
        try:
            values["ends"] = (_index(ends[0] or ""), _index(ends[1] or ""))
        except ValueError:
            problems.append(f"from={ends[0]!r}, to={ends[1]!r}: both ends must be sample numbers")
    return LinkState(**values), problems


def link_params(state: LinkState) -> dict[str, str]:
    """The query string of ``state`` (only the fields it sets)."""
    params: dict[str, str] = {}
    for field in fields(state):
        value = getattr(state, field.name)
        if value is None:
            continue
        if field.name == "ends":
            params["from"], params["to"] = str(value[0]), str(value[1])
        elif isinstance(value, float):
            params[NAMES[field.name]] = f"{value:.6g}"
        else:
            params[NAMES[field.name]] = str(value)
    return params


def within(state: LinkState, train_size: int, test_size: int) -> tuple[LinkState, list[str]]:
    """``state`` with the sample numbers the model's data does not have dropped, and why."""
    problems: list[str] = []
    changes: dict[str, object] = {}
    for name in ("sample", "start"):
        number = getattr(state, name)
        if number is not None and number >= test_size:
            changes[name] = None
            problems.append(f"{NAMES[name]}={number}: there are {test_size} test samples")
    if state.ends is not None and max(state.ends) >= test_size:
        changes["ends"] = None
        problems.append(f"from={state.ends[0]}, to={state.ends[1]}: there are {test_size} test samples")
    if state.points is not None:
        available = train_size if state.split == "train" else test_size
        most = min(available, 10_000)  # the slider's end, reachable though it is off its 100-step grid
        points = min(state.points, most)
        changes["points"] = None if available < 100 else points if points == most else points // 100 * 100
    if state.rule == "manual":
        changes["value"] = None
    return replace(state, **changes), problems
