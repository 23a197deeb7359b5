"""Landing lines that are not UTF-8 on the PySpark runtime: the files of
jobs/test/fixtures/invalid-utf8.json, which the local runner's jest test
(engine/test/encoding.test.ts) runs too, through the bronze and silver jobs the
TypeScript compiler generates for the fixture contracts: the same reports (rows in,
promoted, quarantined by reason, duplicates, conservation), the same quarantined lines
(file, line number, reason encoding:invalid_utf8, text with U+FFFD) and the same silver keys."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from streampulse_spark import Runtime

from conftest import REPO, SALT

CASE: dict[str, Any] = json.loads((REPO / "jobs" / "test" / "fixtures" / "invalid-utf8.json").read_text())
KEYS = {"users": "user_id", "payments": "payment_id"}


def _plan() -> list[dict[str, Any]]:
    """The fixture contracts' job plan, compiled by the built workspace (jobs/dist)."""
    if not (REPO / "jobs" / "dist" / "src" / "index.js").exists():
        pytest.fail("the workspace is not built (jobs/dist missing): run scripts/setup.sh (tsc -b) first")
    script = (
        f"const {{ loadContractsOrThrow }} = await import({json.dumps(str(REPO / 'contracts' / 'dist' / 'src' / 'index.js'))});"
        f"const {{ compileJobs }} = await import({json.dumps(str(REPO / 'jobs' / 'dist' / 'src' / 'index.js'))});"
        f"process.stdout.write(JSON.stringify(compileJobs(loadContractsOrThrow({json.dumps(str(REPO / CASE['contracts']))})).jobs));"
    )
    p = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def test_lines_that_are_not_utf8_are_quarantined_as_the_local_runner_does(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for rel, lines in CASE["files"].items():
        f = tmp_path / "landing" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        # every character of a fixture line is one byte
        f.write_bytes(("\n".join(lines) + "\n").encode("latin1"))
    rt = Runtime(spark, _plan(), str(tmp_path), SALT, freshness="report")
    report = rt.run_batch(CASE["batch"], layers=["bronze", "silver"])
    for dataset, want in CASE["expect"].items():
        d = next(x for x in report["datasets"] if x["dataset"] == dataset)
        assert {k: d[k] for k in want["report"]} == want["report"], dataset
        assert d["rows_in"] == d["promoted"] + d["quarantined"] + d["duplicates_dropped"]
        assert any("not valid UTF-8" in n for n in d["notes"]), d["notes"]
        q = (
            spark.read.format("delta")
            .load(rt.storage.quarantine(dataset))
            .where(f"_batch_id = '{CASE['batch']}'")
            .orderBy("_source_file", "_line_no")
            .selectExpr("_source_file AS file", "CAST(_line_no AS INT) AS line", "_quarantine_reason AS reason", "_raw_line AS raw")
            .collect()
        )
        assert [r.asDict() for r in q] == want["quarantine"], dataset
        keys = spark.read.format("delta").load(rt.storage.silver(dataset)).select(KEYS[dataset]).collect()
        assert sorted(r[0] for r in keys) == want["silver"], dataset
    # a valid multi-byte character is not an invalid one
    u9 = spark.read.format("delta").load(rt.storage.bronze("users")).where("user_id = 'u9'").select("full_name").collect()
    assert [r[0] for r in u9] == ["Zoë"]
