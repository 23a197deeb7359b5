"""Unit tests of the runtime's pieces: plan loading, SQL binding, pseudonyms, the
SCD2 state over a hand-made history (late data inside the watermark), the CLI."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from streampulse_spark.cli import parse_args, resolve_salt
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
    a = parse_args(["run", "--plan", "/Workspace/specs", "--storage-root", "abfss://{layer}@acct.dfs.core.windows.net", "--run-date", "2026-02-01", "--date-offset-days", "-1", "--job", "bronze.users"])
    assert (a.command, a.run_date, a.date_offset_days, a.job, a.layer, a.batch_id) == ("run", "2026-02-01", -1, ["bronze.users"], [], None)
    # the salt's names default to PII_SALT (jobs/src/deploy-names.ts)
    assert (a.secret_scope, a.secret_key, a.freshness) == ("streampulse", "streampulse-pii-salt", "enforce")
    assert parse_args(["run", "--run-date", "2026-02-01", "--freshness", "report", "--layer", "gold,mart"]).layer == ["gold", "mart"]


def test_cli_reads_empty_job_parameters_as_not_given() -> None:
    """The step job passes every job parameter; one left empty arrives as an empty string."""
    a = parse_args(["run", "--run-date", "2026-02-01", "--job", "", "--layer", "", "--freshness", "", "--batch-id", ""])
    assert (a.job, a.layer, a.freshness, a.batch_id) == ([], [], "enforce", None)
    e = parse_args(["export", "--run-date", "2026-02-01", "--job", "", "--layer", "", "--freshness", "report"])
    assert (e.command, e.job, e.layer) == ("export", [], [])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--run-date", "", "--job", "bronze.users"], "--run-date is empty"),
        (["run", "--run-date", "2026-2-1"], "is not a date"),
        (["run", "--run-date", "2026-02-01", "--freshness", "sometimes"], "--freshness 'sometimes'"),
        (["run", "--run-date", "2026-02-01", "--layer", "platinum"], "unknown layer(s) platinum"),
        (["export", "--run-date", "2026-02-01", "--job", "mart.kpi"], "export writes every mart"),
        (["export", "--run-date", "2026-02-01", "--layer", "gold"], "takes no --job or --layer"),
    ],
)
def test_cli_refuses_what_it_cannot_run_with_a_usage_error(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        parse_args(argv)
    assert e.value.code == 2
    assert message in capsys.readouterr().err


def test_salt_comes_from_the_environment_or_the_secret_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMPULSE_PII_SALT", "from-env")
    assert resolve_salt("streampulse", "streampulse-pii-salt") == "from-env"
    monkeypatch.delenv("STREAMPULSE_PII_SALT")
    assert resolve_salt("streampulse", "streampulse-pii-salt", spark=None) is None
    # not on Databricks (no pyspark.dbutils): no salt, and silver refuses to pseudonymise without one
    assert resolve_salt("streampulse", "streampulse-pii-salt", spark=object()) is None
    assert resolve_salt(None, "streampulse-pii-salt", spark=object()) is None


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


SAMPLE = {"command": "run", "job": "bronze.users", "layer": "", "run_date": "2026-01-25", "freshness": "enforce"}


def _bundle_jobs() -> dict[str, dict]:
    jobs: dict[str, dict] = {}
    for f in sorted(_golden("jobs", "test", "golden", "databricks", "resources").glob("*.job.yml")):
        jobs.update(yaml.safe_load(f.read_text())["resources"]["jobs"])
    return jobs


def _bind(args: list[str], values: dict[str, str]) -> list[str]:
    """A task's parameters as the cluster gets them: job parameters and bundle variables substituted."""
    out = []
    for p in args:
        p = re.sub(r"\{\{job\.parameters\.([A-Za-z0-9_]+)\}\}", lambda m: values[m.group(1)], p)
        out.append(p.replace("${workspace.file_path}", "/Workspace/Users/sp/.bundle/streampulse/dev/files").replace("${var.lake_account}", "stspulselakedev"))
    return out


def test_the_generated_bundle_tasks_call_this_cli_with_valid_arguments() -> None:
    """The golden bundle's tasks (generated by TypeScript) pass parameters this runtime's
    parser accepts, with the job parameters' defaults and with values a run gives: no drift
    between the generator and the CLI."""
    jobs = _bundle_jobs()
    assert sorted(j["name"] for j in jobs.values()) == ["streampulse-daily", "streampulse-step", "streampulse-stream"]
    calls = 0
    for job in jobs.values():
        if job["name"] == "streampulse-stream":
            # the stream tasks: no job parameters; the Kafka endpoint from the secret scope
            for t in job["tasks"]:
                args = parse_args(_bind(t["python_wheel_task"]["parameters"], {}))
                calls += 1
                assert args.command == "stream" and len(args.stream) == 1 and t["task_key"] == args.stream[0].replace(".", "__")
                assert (args.kafka_secret_scope, args.kafka_bootstrap_key, args.kafka_connection_string_key) == (
                    "streampulse",
                    "eventhubs-kafka-bootstrap",
                    "eventhubs-listen-connection-string",
                )
                assert args.plan.endswith("/files/specs") and "{layer}" in args.storage_root and (args.secret_scope, args.secret_key) == ("streampulse", "streampulse-pii-salt")
            continue
        defaults = {p["name"]: p["default"] for p in job["parameters"]}
        for t in job["tasks"]:
            w = t["python_wheel_task"]
            assert (w["package_name"], w["entry_point"]) == ("streampulse_spark", "streampulse-spark")
            for given in ({}, {"run_date": "2026-01-25"}, {"run_date": "2026-01-25", "layer": "gold,mart", "freshness": "report"}, {"run_date": "2026-01-25", "command": "export"}):
                values = {**defaults, **{k: v for k, v in given.items() if k in defaults}}
                argv = _bind(w["parameters"], values)
                if not values["run_date"]:
                    # run_date has no default: a run without it is refused, not run for some day
                    with pytest.raises(SystemExit):
                        parse_args(argv)
                    continue
                args = parse_args(argv)
                calls += 1
                assert args.command in ("run", "export") and args.run_date == "2026-01-25"
                assert args.plan.endswith("/files/specs") and "{layer}" in args.storage_root and "${" not in args.storage_root
                assert (args.secret_scope, args.secret_key) == ("streampulse", "streampulse-pii-salt")
    assert calls > len(jobs)


def test_the_generated_adf_databricks_activities_start_the_step_job_with_parameters_this_cli_accepts() -> None:
    """Each DatabricksJob activity of the golden factory sets only the step job's job
    parameters; with its expressions given sample values, the step job's task parameters
    parse. The factory passes whatever the step job does not default."""
    step = _bundle_jobs()["streampulse_step"]
    defaults = {p["name"]: p["default"] for p in step["parameters"]}
    template = step["tasks"][0]["python_wheel_task"]["parameters"]
    seen: list[str] = []
    for f in sorted(_golden("pipelines", "test", "golden", "adf", "pipeline").glob("*.json")):
        def walk(acts: list[dict]) -> None:
            for a in acts:
                if a["type"] == "DatabricksJob":
                    given = a["typeProperties"]["jobParameters"]
                    assert set(given) <= set(defaults), f"{f.name}/{a['name']}: {sorted(set(given) - set(defaults))} are not job parameters of the step job"
                    values = {**defaults, **{k: (SAMPLE[k] if isinstance(v, dict) else v) for k, v in given.items()}}
                    args = parse_args(_bind(template, values))
                    assert args.command in ("run", "export")
                    seen.append(f"{a['name']}:{args.command}")
                for key in ("activities", "ifTrueActivities", "ifFalseActivities", "defaultActivities"):
                    walk(a["typeProperties"].get(key, []))
        walk(json.loads(f.read_text())["properties"]["activities"])
    assert len(seen) >= 4 and any(s.endswith(":export") for s in seen)
