"""Unit tests of the runtime's pieces: plan loading, SQL binding, pseudonyms, the
SCD2 state over a hand-made history (late data inside the watermark), the CLI."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from streampulse_spark.cli import _parser, resolve_salt
from streampulse_spark.gold import bind_sql
from streampulse_spark.plan import PlanError, load_plan
from streampulse_spark.silver import pseudonym_sql, state_sql
from streampulse_spark.storage import Storage


def _spec(i: str, deps: list[str]) -> dict:
    return {"spec_version": 1, "id": i, "layer": i.split(".")[0], "name": i.split(".")[1], "contract": "x.yaml", "depends_on": deps, "steps": []}


def test_load_plan_from_a_file_and_from_a_specs_folder(tmp_path: Path) -> None:
    jobs = [_spec("bronze.a", []), _spec("silver.a", ["bronze.a"])]
    (tmp_path / "plan.json").write_text(json.dumps({"spec_version": 1, "jobs": jobs}))
    assert [j["id"] for j in load_plan(str(tmp_path / "plan.json"))] == ["bronze.a", "silver.a"]
    d = tmp_path / "specs"
    d.mkdir()
    (d / "index.json").write_text(json.dumps({"spec_version": 1, "jobs": ["bronze.a", "silver.a"]}))
    for j in jobs:
        (d / f"{j['id']}.json").write_text(json.dumps(j))
    assert [j["id"] for j in load_plan(str(d))] == ["bronze.a", "silver.a"]


def test_load_plan_refuses_another_spec_version(tmp_path: Path) -> None:
    (tmp_path / "plan.json").write_text(json.dumps({"spec_version": 2, "jobs": []}))
    with pytest.raises(PlanError, match="spec_version 2"):
        load_plan(str(tmp_path / "plan.json"))


def test_bind_sql_replaces_placeholders(spark) -> None:  # type: ignore[no-untyped-def]
    st = Storage(spark, "/lake")
    sql = bind_sql("SELECT * FROM {{silver.users}} u JOIN {{gold.dim_date}} d ON d.x = {{param:run_date}}", st, "2026-02-01")
    assert sql == "SELECT * FROM delta.`/lake/silver/users` u JOIN delta.`/lake/gold/dim_date` d ON d.x = DATE '2026-02-01'"
    with pytest.raises(ValueError):
        bind_sql("x", st, "2026-2-1")


def test_pseudonym_is_salted_sha256_of_the_text(spark) -> None:  # type: ignore[no-untyped-def]
    spark.createDataFrame([("a@example.com",), (None,)], "email string").createOrReplaceTempView("t_pii")
    got = [r[0] for r in spark.sql(f"SELECT {pseudonym_sql('email', 's4lt')} FROM t_pii").collect()]
    assert got == [hashlib.sha256(b"s4lta@example.com").hexdigest(), None]


def test_scd2_state_places_late_data_inside_the_history(spark) -> None:  # type: ignore[no-untyped-def]
    # versions of one user: country changes DE -> FR on day 3; a late record (landed in
    # batch 4) says the change to FR really happened on day 2
    rows = [
        ("u1", "DE", "2026-01-01 00:00:00", "b1", "h1"),
        ("u1", "DE", "2026-01-02 12:00:00", "b1", "h2"),
        ("u1", "FR", "2026-01-03 00:00:00", "b3", "h3"),
        ("u1", "FR", "2026-01-02 18:00:00", "b4", "h4"),
    ]
    spark.createDataFrame(rows, "user_id string, country string, updated_at string, _batch_id string, _record_hash string").selectExpr(
        "user_id", "country", "CAST(updated_at AS TIMESTAMP) AS updated_at", "_batch_id", "_record_hash"
    ).createOrReplaceTempView("t_hist")
    merge = {"mode": "scd2", "key": ["user_id"], "order_by": [{"column": "updated_at", "direction": "desc"}], "tracked_columns": ["country"], "columns": ["user_id", "country", "updated_at"]}
    got = [
        (r["country"], str(r["_valid_from"]), str(r["_valid_to"]), r["_is_current"], r["_record_hash"])
        for r in spark.sql(state_sql(merge, "t_hist") + " ORDER BY _valid_from").collect()
    ]
    assert got == [
        ("DE", "2026-01-01 00:00:00", "2026-01-02 18:00:00", False, "h2"),
        ("FR", "2026-01-02 18:00:00", "None", True, "h3"),
    ]
    merge1 = {**merge, "mode": "scd1"}
    latest = spark.sql(state_sql(merge1, "t_hist")).collect()
    assert [(r["country"], r["_record_hash"]) for r in latest] == [("FR", "h3")]


def test_cli_parameters_for_a_databricks_task() -> None:
    a = _parser().parse_args(["run", "--plan", "/Workspace/specs", "--storage-root", "abfss://lake@acct.dfs.core.windows.net", "--run-date", "2026-02-01", "--date-offset-days", "-1", "--job", "bronze.users"])
    assert (a.command, a.run_date, a.date_offset_days, a.job, a.secret_key, a.freshness) == ("run", "2026-02-01", -1, ["bronze.users"], "streampulse-pii-salt", "enforce")
    assert _parser().parse_args(["run", "--run-date", "2026-02-01", "--freshness", "report"]).freshness == "report"
    with pytest.raises(SystemExit):
        _parser().parse_args(["run", "--run-date", "2026-02-01", "--freshness", "sometimes"])


def test_salt_comes_from_the_environment_or_the_cluster_conf(spark, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STREAMPULSE_PII_SALT", "from-env")
    assert resolve_salt("streampulse", "streampulse-pii-salt") == "from-env"
    monkeypatch.delenv("STREAMPULSE_PII_SALT")
    assert resolve_salt("streampulse", "streampulse-pii-salt", spark=None) is None
    spark.conf.set("spark.streampulse.pii_salt", "from-conf")
    try:
        assert resolve_salt("streampulse", "streampulse-pii-salt", spark) == "from-conf"
    finally:
        spark.conf.unset("spark.streampulse.pii_salt")
    assert resolve_salt(None, "streampulse-pii-salt", spark) is None  # not on Databricks, no scope: no salt


def test_storage_paths_in_one_folder_or_one_file_system_per_zone() -> None:
    local = Storage(None, "/tmp/lake/")
    assert local.bronze("users") == "/tmp/lake/bronze/users"
    assert local.report("2026-01-25", "batch.json") == "/tmp/lake/reports/batches/2026-01-25/batch.json"
    adls = Storage(None, "abfss://{layer}@stspulselakedev.dfs.core.windows.net")
    assert adls.bronze("users") == "abfss://bronze@stspulselakedev.dfs.core.windows.net/users"
    assert adls.history("users") == "abfss://silver@stspulselakedev.dfs.core.windows.net/_history/users"
    assert adls.landing("users/2026-01-25/users.jsonl") == "abfss://landing@stspulselakedev.dfs.core.windows.net/users/2026-01-25/users.jsonl"
    assert adls.path("serving", "extracts", "m") == "abfss://serving@stspulselakedev.dfs.core.windows.net/extracts/m"


def _golden(*parts: str) -> Path:
    return Path(__file__).resolve().parents[3].joinpath(*parts)


def test_the_generated_adf_activities_and_databricks_tasks_call_this_cli_with_valid_arguments() -> None:
    """The golden Data Factory pipelines and Databricks jobs (generated by TypeScript) pass
    parameters this runtime's parser accepts: no drift between the generators and the CLI."""
    calls: list[list[str]] = []
    for f in sorted(_golden("pipelines", "test", "golden", "adf", "pipeline").glob("*.json")):
        def walk(acts: list[dict]) -> None:
            for a in acts:
                if a["type"] == "DatabricksSparkPython":
                    assert a["typeProperties"]["pythonFile"].endswith("/runtime/databricks_task.py")
                    calls.append([p.replace("@pipeline().parameters.runDate", "2026-01-25").replace("@pipeline().parameters.bronzeJob", "bronze.users").replace("@pipeline().parameters.silverJob", "silver.users").replace("@pipeline().parameters.freshness", "enforce") for p in a["typeProperties"]["parameters"]])
                walk(a["typeProperties"].get("activities", []))
        walk(json.loads(f.read_text())["properties"]["activities"])
    adf = len(calls)
    for f in sorted(_golden("jobs", "test", "golden", "databricks").glob("*.json")):
        for t in json.loads(f.read_text())["tasks"]:
            calls.append([p.replace("{{job.parameters.run_date}}", "2026-01-25").replace("{{job.parameters.freshness}}", "enforce") for p in t["spark_python_task"]["parameters"]])
    assert adf == 4 and len(calls) > adf
    for argv in calls:
        args = _parser().parse_args(argv)
        assert args.command in ("run", "export")
        assert args.run_date == "2026-01-25" and args.plan.endswith("/specs") and "{layer}" in args.storage_root
