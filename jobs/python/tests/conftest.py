"""Shared fixtures: one local SparkSession for the whole run, and one generated batch
set run through both engines (the DuckDB reference via the built workspace, the PySpark
runtime here), so every test reads the same two lakes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from streampulse_spark import Runtime, load_plan
from streampulse_spark.session import local_session

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SALT = "streampulse-local-demo-salt"  # the local runner's demo salt, so pseudonyms agree
USERS = int(os.environ.get("STREAMPULSE_PARITY_USERS", "60"))
DAYS = int(os.environ.get("STREAMPULSE_PARITY_DAYS", "2"))
SEED = "parity"
START = "2026-01-29"
PARALLELISM = int(os.environ.get("STREAMPULSE_SPARK_PARALLELISM", "3"))


@pytest.fixture(scope="session")
def spark():  # type: ignore[no-untyped-def]
    s = local_session("streampulse-tests", cores=2, shuffle_partitions=2)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engines")


@pytest.fixture(scope="session")
def reference(workdir: Path) -> dict[str, Any]:
    """Seeded landing files (with every defect kind) run through the local DuckDB runner."""
    script = HERE / "reference" / "duckdb_reference.mjs"
    if not (REPO / "cli" / "dist" / "src" / "index.js").exists():
        pytest.fail("the workspace is not built (cli/dist missing): run scripts/setup.sh (tsc -b) first")
    out = workdir / "duckdb"
    env = {k: v for k, v in os.environ.items() if k != "STREAMPULSE_PII_SALT"}
    p = subprocess.run(["node", str(script), str(out), str(USERS), str(DAYS), SEED, START], capture_output=True, text=True, env=env, cwd=REPO, timeout=600)
    if p.returncode != 0:
        pytest.fail(f"DuckDB reference run failed:\n{p.stderr[-4000:]}")
    doc = json.loads(p.stdout.strip().splitlines()[-1])
    doc["lake"] = out / "lake"
    doc["plan"] = out / "plan.json"
    return doc


@pytest.fixture(scope="session")
def spark_run(spark, reference: dict[str, Any], workdir: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The same landing files through the PySpark runtime, batch by batch."""
    root = workdir / "spark"
    shutil.copytree(reference["lake"] / "landing", root / "landing")
    plan = load_plan(str(reference["plan"]))
    rt = Runtime(spark, plan, str(root), SALT, parallelism=PARALLELISM, freshness="report")  # as the reference run: too few users to enforce
    reports = []
    seconds = []
    for i, d in enumerate(reference["dates"]):
        last = i == len(reference["dates"]) - 1
        # gold is a full rebuild from the silver state: building it for the last batch
        # only gives the same tables, in a fraction of the time
        t0 = time.perf_counter()
        reports.append(rt.run_batch(d, layers=None if last else ["bronze", "silver"]))
        seconds.append(time.perf_counter() - t0)
    return {"root": root, "plan": plan, "runtime": rt, "reports": reports, "seconds": seconds}


@pytest.fixture(scope="session")
def spark_rerun(spark, spark_run: dict[str, Any], reference: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The last batch's bronze and silver jobs run again over the lake they already wrote
    (gold and marts are overwritten from silver on every run: nothing to duplicate)."""
    from test_engine_parity import snapshot

    root, plan, rt = spark_run["root"], spark_run["plan"], spark_run["runtime"]
    before = snapshot(spark, root, plan)
    t0 = time.perf_counter()
    report = rt.run_batch(reference["dates"][-1], layers=["bronze", "silver"])
    seconds = time.perf_counter() - t0
    return {"before": before, "after": snapshot(spark, root, plan), "report": report, "seconds": seconds}
