"""Engine parity and the layer invariants on Spark: the same generated batches (every
defect kind seeded) through the local DuckDB runner and through the PySpark runtime.

- gold tables and marts: equal ordered row hashes (doubles within 1e-9, see compare.py)
- per batch and dataset: the same rows in / promoted / quarantined / duplicates, the
  same quarantine reasons, and conservation on Spark
- re-running a batch leaves no duplicate in any Delta table and the same results
- a benchmark line: DuckDB runner vs PySpark local on the same batches
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from streampulse_spark import Runtime
from streampulse_spark.compare import REL_TOL, compare_tables

from conftest import REPO, SALT

COUNTED = ["rows_in", "promoted", "quarantined", "duplicates_dropped", "quarantined_by_reason", "warned", "warned_by_reason", "duplicates", "rescued_rows", "conserved", "rules", "freshness"]


def _by_key(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f"{r['batch']} {d['dataset']}": {k: d[k] for k in COUNTED} for r in reports for d in r["datasets"]}


def test_every_defect_kind_is_in_the_batches(reference: dict[str, Any]) -> None:
    reasons = {k for r in reference["reports"] for d in r["datasets"] for k in d["quarantined_by_reason"]}
    dups = {k: sum(d["duplicates"][k] for r in reference["reports"] for d in r["datasets"]) for k in ["in_batch", "of_earlier_batches", "relanded_file_rows"]}
    assert any(r.startswith("unparseable") for r in reasons), reasons
    assert any(r.startswith("type:") for r in reasons), reasons
    assert any(r.startswith("required:") for r in reasons), reasons
    assert all(n > 0 for n in dups.values()), dups


def test_conservation_and_quarantine_reasons_match_duckdb(reference: dict[str, Any], spark_run: dict[str, Any]) -> None:
    duck = _by_key(reference["reports"])
    spark = _by_key(spark_run["reports"])
    assert sorted(spark) == sorted(duck)
    for k in duck:
        assert spark[k] == duck[k], k
        assert spark[k]["conserved"] is True
        assert spark[k]["rows_in"] == spark[k]["promoted"] + spark[k]["quarantined"] + spark[k]["duplicates_dropped"]


def test_gold_and_marts_match_duckdb(spark, reference: dict[str, Any], spark_run: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    results = []
    for job in spark_run["plan"]:
        if job["layer"] not in ("gold", "mart"):
            continue
        build = next(s for s in job["steps"] if s["op"] == "build")
        left = spark.read.parquet(str(reference["lake"] / "gold" / job["name"] / "data.parquet"))
        right = spark.read.format("delta").load(str(spark_run["root"] / "gold" / job["name"]))
        results.append(compare_tables(job["name"], left, right, build["columns"]))
    assert len(results) == sum(1 for j in spark_run["plan"] if j["layer"] in ("gold", "mart"))
    bad = [f"{r.table}: {r.mismatch}" for r in results if not r.ok]
    assert not bad, "\n".join(bad)
    assert sum(r.rows_left for r in results) > 0
    summary = {
        "tables": len(results),
        "rows": sum(r.rows_left for r in results),
        "exact": [r.table for r in results if r.exact],
        "within_tolerance": {r.table: r.max_rel_diff for r in results if not r.exact},
        "rel_tol": REL_TOL,
        "hashes": {r.table: r.hash_right for r in results},
    }
    _write_result("parity.json", summary)
    print(f"\nengine parity: {len(summary['exact'])}/{len(results)} gold tables and marts with equal row hashes, "
          f"{len(summary['within_tolerance'])} equal within rel {REL_TOL} on double columns; {summary['rows']} rows")


def test_bronze_has_audit_columns_and_quarantine_reasons(spark, spark_run: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    root = spark_run["root"]
    audit = {"_source_file", "_batch_id", "_record_hash", "_ingested_at", "_quality_status", "_quarantine_reason", "_rescued"}
    n_quarantined = 0
    for job in spark_run["plan"]:
        if job["layer"] != "bronze":
            continue
        b = spark.read.format("delta").load(str(root / "bronze" / job["name"]))
        assert audit <= set(b.columns), job["name"]
        if (root / "quarantine" / job["name"]).exists():
            q = spark.read.format("delta").load(str(root / "quarantine" / job["name"]))
            rows = q.select("_quality_status", "_quarantine_reason", "_raw_line").collect()
            n_quarantined += len(rows)
            for r in rows:
                assert r["_quality_status"] in ("quarantined", "dropped")
                assert r["_quarantine_reason"], r
                assert r["_raw_line"], r
    assert n_quarantined > 0


def snapshot(spark, root: Path, plan: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    out: dict[str, Any] = {}
    for job in plan:
        name = job["name"]
        tables = {"bronze": [f"bronze/{name}", f"quarantine/{name}"], "silver": [f"silver/{name}", f"silver/_history/{name}"]}.get(job["layer"], [])
        for t in tables:
            if not (root / t).exists():
                continue
            df = spark.read.format("delta").load(str(root / t))
            cols = [c for c in df.columns if c != "_ingested_at"]
            rows = sorted(json.dumps([str(v) for v in r]) for r in df.select(*cols).collect())
            out[t] = rows
    return out


def test_rerunning_a_batch_is_idempotent(spark, spark_run: dict[str, Any], spark_rerun: dict[str, Any], reference: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    root, plan = spark_run["root"], spark_run["plan"]
    before, after = spark_rerun["before"], spark_rerun["after"]
    assert sorted(after) == sorted(before)
    for t in before:
        assert after[t] == before[t], f"{t} changed when {reference['dates'][-1]} was re-run"
    # no duplicate records in silver: one row per key (SCD1) or per key and version (SCD2)
    for job in plan:
        if job["layer"] != "silver":
            continue
        merge = next(s for s in job["steps"] if s["op"] == "merge")
        ident = [*merge["key"], *(["_valid_from"] if merge["mode"] == "scd2" else [])]
        df = spark.read.format("delta").load(str(root / "silver" / job["name"]))
        assert df.count() == df.select(*ident).distinct().count(), job["name"]
        if merge["mode"] == "scd2":
            current = df.where("_is_current").groupBy(*merge["key"]).count().where("count > 1").count()
            assert current == 0, f"{job['name']}: a key with more than one current version"
        hist = spark.read.format("delta").load(str(root / "silver" / "_history" / job["name"]))
        assert hist.count() == hist.select("_record_hash").distinct().count(), job["name"]
    assert _by_key([spark_rerun["report"]]) == _by_key([spark_run["reports"][-1]])


def _gold_rows(spark, root: Path, plan: list[dict[str, Any]]) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    out: dict[str, list[str]] = {}
    for job in plan:
        if job["layer"] in ("bronze", "silver"):
            continue
        df = spark.read.format("delta").load(str(root / "gold" / job["name"]))
        out[job["name"]] = sorted(json.dumps([str(v) for v in r]) for r in df.collect())
    return out


def test_rerunning_an_earlier_batch_builds_gold_as_of_the_newest_batch(spark, spark_run: dict[str, Any], reference: dict[str, Any], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 19: a re-run of batch D < N repairs D and builds gold and the marts as of N,
    as the local runner does (its report's gold_as_of), never rolling them back to D."""
    dates = reference["dates"]
    assert len(dates) >= 2, "needs two batches (STREAMPULSE_PARITY_DAYS >= 2)"
    root = tmp_path / "lake"
    shutil.copytree(spark_run["root"], root)  # every batch processed, gold built for the last
    plan = spark_run["plan"]
    after_newest = _gold_rows(spark, root, plan)
    rt = Runtime(spark, plan, str(root), SALT, freshness="report")
    assert rt.processed_run_dates() == sorted(dates)
    logged: list[str] = []
    rt.on_progress = logged.append
    report = rt.run_batch(dates[0])
    assert report["gold_as_of"] == dates[-1]
    assert any(f"built as of {dates[-1]}" in m for m in logged)
    after_rerun = _gold_rows(spark, root, plan)
    assert sorted(after_rerun) == sorted(after_newest)
    for name, rows in after_newest.items():
        assert after_rerun[name] == rows, f"gold {name} moved back in time when {dates[0]} was re-run"
    # the newest batch itself is built as of its own date: no gold_as_of
    assert "gold_as_of" not in rt.run_batch(dates[-1], layers=["gold", "mart"])


def test_benchmark_duckdb_runner_vs_pyspark_local(reference: dict[str, Any], spark_run: dict[str, Any]) -> None:
    # the last batch, every job (bronze, silver, gold, marts), over the state of the batches before it
    duck = float(reference["rerun_seconds"])
    spark = float(spark_run["seconds"][-1])
    ratio = spark / duck
    jobs = len(spark_run["plan"])
    line = (
        f"benchmark: one batch ({reference['dates'][-1]}, {jobs} jobs, same landing files, same earlier batches): "
        f"DuckDB runner {duck:.2f}s (timed on a re-run), PySpark local[2] + Delta {spark:.1f}s (warm session) -> local runner {ratio:.1f}x faster "
        f"(goal >= 10x; machine load average {os.getloadavg()[0]:.1f})"
    )
    print("\n" + line)
    _write_result("bench-engines.json", {"batch": reference["dates"][-1], "jobs": jobs, "duckdb_seconds": duck, "spark_seconds": spark, "ratio": ratio, "line": line, "load_average": os.getloadavg()})
    assert duck > 0 and spark > 0


def _write_result(name: str, doc: dict[str, Any]) -> None:
    d = Path(os.environ.get("STREAMPULSE_TEST_RESULTS", REPO / ".cache" / "test-results"))
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_text(json.dumps(doc, indent=2) + "\n")


def test_cli_runs_one_job_from_a_specs_folder_and_exports(spark, spark_run: dict[str, Any], reference: dict[str, Any], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """The wheel's entry point (the bundle's python_wheel_task), in-process: one gold job
    from a specs folder (the layout `streampulse generate` writes), then the export task."""
    from streampulse_spark.cli import main

    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "index.json").write_text(json.dumps({"spec_version": 1, "jobs": [j["id"] for j in spark_run["plan"]]}))
    for j in spark_run["plan"]:
        (specs / f"{j['id']}.json").write_text(json.dumps(j))
    root, last = str(spark_run["root"]), reference["dates"][-1]
    gold = next(j for j in spark_run["plan"] if j["layer"] == "gold")
    assert main(["run", "--plan", str(specs), "--storage-root", root, "--run-date", last, "--job", gold["id"]]) == 0
    with pytest.raises(SystemExit) as usage:  # a usage error, before any Spark work
        main(["run", "--plan", str(specs), "--storage-root", root, "--run-date", last, "--layer", "bogus"])
    assert usage.value.code == 2
    assert main(["export", "--plan", str(specs), "--storage-root", root, "--run-date", last]) == 0
    for m in (j["name"] for j in spark_run["plan"] if j["layer"] == "mart"):
        assert list((spark_run["root"] / "serving" / "extracts" / m).glob("part-*.csv")), m
    printed = capsys.readouterr().out.strip().splitlines()
    assert json.loads(printed[-1])["batch"] == last  # the task prints its report as one JSON line
    batch = json.loads((spark_run["root"] / "reports" / "batches" / last / "batch.json").read_text())
    assert batch["conserved"] is True and len(batch["datasets"]) == sum(1 for j in spark_run["plan"] if j["layer"] == "silver")


def test_freshness_enforced_stops_the_same_dataset_with_the_same_words_as_duckdb(spark, spark_run: dict[str, Any], reference: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """The day after the last, when nothing landed, with freshness enforced: the bronze
    jobs stop at the first dataset whose fail rule is no longer met, before writing it."""
    from streampulse_spark import Runtime
    from streampulse_spark.bronze import QualityFailed

    from conftest import SALT

    expected = reference["enforce_error"]
    assert expected is not None and expected["code"] == "QUALITY_FAILED", expected
    rt = Runtime(spark, spark_run["plan"], str(spark_run["root"]), SALT, freshness="enforce")
    with pytest.raises(QualityFailed) as e:
        rt.run_batch(expected["date"], layers=["bronze"])
    assert str(e.value).startswith(expected["message"]), (str(e.value), expected["message"])
