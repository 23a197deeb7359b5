"""The watermark's boundary on the PySpark runtime: the rows of
jobs/test/fixtures/watermark-boundary.json (at, just inside and just beyond the
watermark), which the local runner's jest test (engine/test/watermark.test.ts) checks
too, through the bronze job the TypeScript compiler generates for the fixture contracts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from streampulse_spark.bronze import run_bronze
from streampulse_spark.storage import Storage

from conftest import REPO

CASE: dict[str, Any] = json.loads((REPO / "jobs" / "test" / "fixtures" / "watermark-boundary.json").read_text())


def _bronze_spec() -> dict[str, Any]:
    """The bronze job spec of the case's dataset, compiled by the built workspace (jobs/dist)."""
    if not (REPO / "jobs" / "dist" / "src" / "index.js").exists():
        pytest.fail("the workspace is not built (jobs/dist missing): run scripts/setup.sh (tsc -b) first")
    script = (
        f"const {{ loadContractsOrThrow }} = await import({json.dumps(str(REPO / 'contracts' / 'dist' / 'src' / 'index.js'))});"
        f"const {{ compileJobs }} = await import({json.dumps(str(REPO / 'jobs' / 'dist' / 'src' / 'index.js'))});"
        f"const plan = compileJobs(loadContractsOrThrow({json.dumps(str(REPO / CASE['contracts']))}));"
        f"process.stdout.write(JSON.stringify(plan.jobs.find((j) => j.id === 'bronze.{CASE['dataset']}')));"
    )
    p = subprocess.run(["node", "--input-type=module", "-e", script], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return json.loads(p.stdout)


def test_the_watermark_boundary_is_the_same_as_the_local_runners(spark, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    landing = tmp_path / "landing" / CASE["landing"]
    landing.parent.mkdir(parents=True)
    landing.write_text("\n".join(CASE["lines"]) + "\n")
    storage = Storage(spark, str(tmp_path))
    batch = CASE["batch"]
    res = run_bronze(spark, storage, _bronze_spec(), batch, batch, f"{batch} 01:00:00", lambda _name: None, None, "report")
    rows = (
        spark.read.format("delta")
        .load(storage.bronze(CASE["dataset"]))
        .where(f"_batch_id = '{batch}'")
        .orderBy("_line_no")
        .selectExpr("user_id", "_quality_status AS status", "_quarantine_reason AS reason")
        .collect()
    )
    assert [r.asDict() for r in rows] == CASE["expect"]
    late = sum(1 for r in CASE["expect"] if r["reason"] == "late:beyond_watermark")
    assert res.quarantined_by_reason == {"late:beyond_watermark": late}
