"""Freshness rules, evaluated once per batch and dataset: the same definition as the
local runner's ``jobs/src/freshness.ts`` (the engine-parity tests compare the reports).

- The measured time is the newest event time the dataset has promoted so far: the newest
  of this batch's passed and warned rows, or, when the batch brings nothing newer, the
  newest recorded in the latest earlier batch report of the dataset.
- Its age is taken at the end of the run date's day (``<date> 23:59:59`` UTC).
- A rule fails when nothing was ever promoted or the age is above ``max_age_hours``.
- Action ``fail`` stops the batch before anything is written, unless the run reports
  freshness only (``freshness="report"``); ``warn`` never stops it. Either way the rule
  is in the report's rules with ``failed`` 0 or 1, and a failure adds a note.

Pure: no I/O. The runtime passes the earlier newest it read from the reports.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

MODES = ("enforce", "report")
_TS = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?")


def timestamp_ms(text: str) -> int:
    """Milliseconds since the epoch of a ``YYYY-MM-DD HH:MM:SS[.fff…]`` UTC timestamp text."""
    m = _TS.match(text)
    if m is None:
        raise ValueError(f"not a timestamp: {text!r}")
    base = datetime.strptime(f"{m.group(1)} {m.group(2)}", "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    frac = int(float(f"0{m.group(3)}") * 1000) if m.group(3) else 0
    return int(base.timestamp()) * 1000 + frac


def end_of_batch_ms(batch: str) -> int:
    return timestamp_ms(f"{batch[:10]} 23:59:59")


def age_hours(batch: str, newest: str | None) -> float | None:
    if newest is None:
        return None
    # JavaScript's Math.round(x * 10) / 10, so both runtimes report the same figure
    return math.floor((end_of_batch_ms(batch) - timestamp_ms(newest)) / 3_600_000 * 10 + 0.5) / 10


def newer_of(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return b if timestamp_ms(b) > timestamp_ms(a) else a


@dataclass
class FreshnessResult:
    newest: str | None
    rules: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)


def evaluate_freshness(
    batch: str, event_time: str, checks: list[dict[str, Any]], batch_newest: str | None, newest_before: str | None, mode: str
) -> FreshnessResult:
    if mode not in MODES:
        raise ValueError(f'freshness mode must be one of {", ".join(MODES)}, got "{mode}"')
    newest = newer_of(newest_before, batch_newest)
    age_ms = None if newest is None else end_of_batch_ms(batch) - timestamp_ms(newest)
    age = age_hours(batch, newest)
    out = FreshnessResult(newest)
    for c in checks:
        if c["rule"] != "freshness" or c.get("maxAgeHours") is None:
            continue
        max_age = c["maxAgeHours"]
        failed = age_ms is None or age_ms > max_age * 3_600_000
        out.rules.append({"id": c["id"], "rule": "freshness", "action": c["action"], "evaluated": 1, "failed": 1 if failed else 0, "max_age_hours": max_age, "age_hours": age})
        if not failed:
            continue
        if newest is None:
            what = f"freshness rule {c['id']} failed: no {event_time} was ever promoted (at most {_num(max_age)} h old allowed)"
        else:
            what = f"freshness rule {c['id']} failed: the newest {event_time} promoted is {newest}, {_num(age)} h before the end of {batch[:10]} (at most {_num(max_age)} h)"
        if c["action"] == "fail" and mode == "enforce":
            out.stops.append(what)
        else:
            out.notes.append(f"{what}; {'not enforced (freshness: report)' if c['action'] == 'fail' else 'action ' + c['action']}")
    return out


def _num(x: float | int | None) -> str:
    """A number as JavaScript prints it (4 not 4.0)."""
    if x is None:
        return "null"
    return str(int(x)) if float(x).is_integer() else repr(float(x))
