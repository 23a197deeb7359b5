"""Freshness rules: the PySpark runtime's evaluation against the cases the local runner's
jest test also checks (jobs/test/fixtures/freshness-cases.json), so both runtimes judge
a batch, word its note and round its age the same way."""

from __future__ import annotations

import json
from typing import Any

import pytest

from streampulse_spark.freshness import evaluate_freshness

from conftest import REPO

CASES: list[dict[str, Any]] = json.loads((REPO / "jobs" / "test" / "fixtures" / "freshness-cases.json").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["case"] for c in CASES])
def test_the_same_verdict_as_the_local_runner(case: dict[str, Any]) -> None:
    i = case["input"]
    r = evaluate_freshness(i["batch"], i["eventTime"], i["checks"], i["batchNewest"], i["newestBefore"], i["mode"])
    assert {"newest": r.newest, "rules": r.rules, "notes": r.notes, "stops": r.stops} == case["expect"]


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match='freshness mode must be one of enforce, report, got "sometimes"'):
        evaluate_freshness("2026-01-30", "started_at", [], None, None, "sometimes")
