"""The Structured Streaming job (``streampulse_spark.stream``) against a real Kafka broker on
127.0.0.1 (the session fixture of ``kafka_broker.py``): events produced with Spark's own
Kafka sink, the stream spec generated from the contracts (``compileStreams``, through the
built workspace), the query run with ``availableNow`` on a temporary checkpoint.

What it shows:
- bronze, quarantine and silver rows of the stream are the batch path's for the same
  records (the same lines landed as a file and run by the bronze and silver job specs);
- a duplicate record lands twice in bronze (as a duplicated line does) and once in silver;
  a record later than the contract's watermark is quarantined with ``late:beyond_watermark``;
- exactly once under a crash: a failure after the micro-batch's writes and before Spark's
  commit (the query stops, its offsets logged, its commit not) and a deleted last commit
  file (as Spark's own recovery tests do) replay the micro-batch, which writes nothing twice;
  a run with nothing new writes nothing.
And the documented contract of the Kafka source on Databricks / Event Hubs (options).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from streampulse_spark import Runtime, load_plan
from streampulse_spark.stream import KafkaConnection, StreamError, batch_id, load_streams, run_stream

from conftest import REPO, SALT
from kafka_broker import kafka_broker, kafka_broker_info  # noqa: F401  (the session's broker on 127.0.0.1)

STREAM_TOPICS = [t for t in os.environ.get("STREAMPULSE_STREAM_TEST_TOPICS", "player_watch_events").split(",") if t]
VALID = 24  # records per topic taken from the reference day's passed rows


def _streams_json(out: Path) -> Path:
    """The stream specs of the contracts, from the built workspace (what `streampulse generate` writes)."""
    script = (
        "const j=await import(process.argv[1]+'/jobs/dist/src/index.js');"
        "const c=await import(process.argv[1]+'/contracts/dist/src/index.js');"
        "const set=c.loadContractsOrThrow(process.argv[1]+'/contracts/streampulse');"
        "process.stdout.write(JSON.stringify(j.compileStreams(set,j.compileJobs(set))));"
    )
    p = subprocess.run(["node", "--input-type=module", "-e", script, str(REPO)], capture_output=True, text=True, cwd=REPO, timeout=120)
    if p.returncode != 0:
        pytest.fail(f"compileStreams failed:\n{p.stderr[-3000:]}")
    out.write_text(p.stdout)
    return out


@pytest.fixture(scope="session")
def stream_specs(workdir: Path) -> list[dict[str, Any]]:
    return load_streams(str(_streams_json(workdir / "streams.json")))


@pytest.fixture(scope="session")
def parents_lake(spark, reference: dict[str, Any], workdir: Path, stream_specs: list[dict[str, Any]]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A Spark lake holding the silver state of every dataset the streamed datasets' checks
    read (their referential parents, transitively), from the reference's first day."""
    plan = load_plan(str(reference["plan"]))
    by_id = {j["id"]: j for j in plan}
    want: set[str] = set()
    todo = [s["bronze_job"] for s in stream_specs if s["source"]["topic"] in STREAM_TOPICS]
    while todo:
        for dep in by_id[todo.pop()]["depends_on"]:
            if dep.startswith("silver.") and dep not in want:
                want.add(dep)
                todo.append("bronze." + dep.split(".", 1)[1])
    jobs = sorted({*want, *("bronze." + w.split(".", 1)[1] for w in want)}, key=[j["id"] for j in plan].index)
    root = workdir / "stream-parents"
    shutil.copytree(reference["lake"] / "landing", root / "landing")
    # every reference day: the parents' state is then the DuckDB reference lake's (where the local consumer runs)
    rt = Runtime(spark, plan, str(root), SALT, freshness="report")
    for day in reference["dates"]:
        rt.run_batch(day, job_ids=jobs)
    return {"root": root, "plan": plan, "jobs": jobs}


def _lake_copy(parents: dict[str, Any], dest: Path) -> Path:
    """The parents' Delta tables and reports (not the landing files) in a fresh storage root."""
    for zone in ("bronze", "silver", "quarantine", "reports"):
        if (parents["root"] / zone).exists():
            shutil.copytree(parents["root"] / zone, dest / zone)
    return dest


def _events(spark, reference: dict[str, Any], stream: dict[str, Any], now: datetime) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Records of the stream's dataset: the reference day's passed rows, moved to the last
    hours before ``now`` (every timestamp column by the same amount) with the primary key
    suffixed (new records), plus one late beyond the watermark, one exact duplicate, one
    that is not JSON and one whose event time does not cast."""
    name, evt = stream["name"], stream["watermark"]["event_time"]
    ts_cols = [c["name"] for c in stream["columns"] if c["type"] == "timestamp"]
    key = stream["targets"]["silver"]["merge_key"]
    rows = (
        spark.read.parquet(str(reference["lake"] / "bronze" / name))
        .where("_quality_status = 'passed'")
        .orderBy("_line_no")
        .select("_raw_line")
        .limit(VALID * 2)
        .collect()
    )
    # one record per primary key (the reference's defects re-send some records)
    by_key: dict[str, dict[str, Any]] = {}
    for r in rows:
        d = json.loads(r["_raw_line"])
        by_key.setdefault("|".join(str(d.get(k)) for k in key), d)
    docs = list(by_key.values())[:VALID]
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    newest = max(datetime.strptime(d[evt], fmt).replace(tzinfo=timezone.utc) for d in docs)
    shift = (now - timedelta(minutes=5)).replace(microsecond=0) - newest

    def moved(d: dict[str, Any], extra: timedelta = timedelta(0)) -> dict[str, Any]:
        out = dict(d)
        for c in ts_cols:
            if out.get(c):
                out[c] = (datetime.strptime(out[c], fmt).replace(tzinfo=timezone.utc) + shift + extra).strftime(fmt)
        for k in key:
            out[k] = f"{out[k]}s"
        return out

    values = [json.dumps(moved(d), separators=(",", ":")) for d in docs]
    late = moved(docs[0], -timedelta(hours=stream["watermark"]["max_delay_hours"] + 30))
    late[key[0]] = late[key[0]] + "late"
    bad_time = dict(moved(docs[1]), **{evt: "yesterday"})
    bad_time[key[0]] = bad_time[key[0]] + "bad"
    extra = [json.dumps(late, separators=(",", ":")), values[2], "not json", json.dumps(bad_time, separators=(",", ":"))]
    kc = stream["source"]["key"]  # the contract's stream_key: records keyed as a producer keys them
    keys = [str(json.loads(v).get(kc, "")) if kc and v.startswith("{") else "" for v in values + extra]
    return {"values": values + extra, "keys": keys, "late": json.dumps(late, separators=(",", ":")), "duplicate": values[2]}


def _produce(spark, bootstrap: str, topic: str, values: list[str], keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Records to the topic with Spark's Kafka sink (no other Kafka client), keyed by user id."""
    df = spark.createDataFrame(list(zip(keys, values)), "key string, value string").coalesce(1)
    df.write.format("kafka").option("kafka.bootstrap.servers", bootstrap).option("topic", topic).save()


AUDIT_COMPARED = ["_record_hash", "_quality_status", "_quarantine_reason"]


def _rows(spark, path: Path, cols: list[str], where: str = "TRUE") -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
    return sorted((tuple(r) for r in spark.read.format("delta").load(str(path)).where(where).select(*cols).collect()), key=repr)


@pytest.fixture(scope="module")
def watch_stream(stream_specs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(s for s in stream_specs if s["source"]["topic"] == STREAM_TOPICS[0])


@pytest.fixture(scope="module")
def streamed(spark, kafka_broker, reference, parents_lake, watch_stream, tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The first topic's records produced, then the stream run through a crash after its
    first micro-batch's writes (before Spark's commit), restarted, run again with nothing
    new, and replayed once more from a deleted commit file; every run's result kept."""
    s = watch_stream
    root = _lake_copy(parents_lake, tmp_path_factory.mktemp("stream-lake"))
    cp = root / "checkpoint"
    ev = _events(spark, reference, s, datetime.now(timezone.utc))
    topic = s["source"]["topic"] + "_" + os.urandom(3).hex()  # a fresh topic per session (the broker may be shared)
    spec = {**s, "source": {**s["source"], "topic": topic, "max_offsets_per_trigger": 10}}
    _produce(spark, kafka_broker, topic, ev["values"], ev["keys"])
    kafka = KafkaConnection(kafka_broker)
    plan = parents_lake["plan"]

    def crash(point: str, epoch: int) -> None:
        if point == "after-silver" and epoch == 0:
            raise RuntimeError("simulated crash after the micro-batch's writes, before its commit")

    runs: dict[str, Any] = {}
    with pytest.raises(StreamError, match="simulated crash"):
        run_stream(spark, plan, spec, str(root), SALT, kafka, checkpoint=str(cp), fault=crash)
    runs["after_crash"] = {
        "bronze": spark.read.format("delta").load(str(root / "bronze" / s["name"])).count(),
        "offsets": sorted(p.name for p in (cp / "offsets").iterdir() if p.name.isdigit()),
        "commits": sorted(p.name for p in (cp / "commits").iterdir() if p.name.isdigit()) if (cp / "commits").exists() else [],
    }
    runs["restart"] = run_stream(spark, plan, spec, str(root), SALT, kafka, checkpoint=str(cp))
    cols = [c["name"] for c in s["columns"]] + ["_source_file", "_line_no", *AUDIT_COMPARED]
    runs["bronze_after_restart"] = _rows(spark, root / "bronze" / s["name"], cols)
    runs["silver_after_restart"] = _rows(spark, root / "silver" / s["name"], [*spark.read.format("delta").load(str(root / "silver" / s["name"])).columns])
    runs["nothing_new"] = run_stream(spark, plan, spec, str(root), SALT, kafka, checkpoint=str(cp))
    commits = sorted((p for p in (cp / "commits").iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    last = commits[-1]
    last.unlink()
    crc = cp / "commits" / f".{last.name}.crc"
    if crc.exists():
        crc.unlink()
    runs["replayed"] = run_stream(spark, plan, spec, str(root), SALT, kafka, checkpoint=str(cp))
    runs["last_commit"] = int(last.name)
    runs["bronze_final"] = _rows(spark, root / "bronze" / s["name"], cols)
    runs["silver_final"] = _rows(spark, root / "silver" / s["name"], [*spark.read.format("delta").load(str(root / "silver" / s["name"])).columns])
    return {"root": root, "spec": spec, "events": ev, "runs": runs, "cols": cols, "plan": plan}


def test_stream_crash_after_writes_before_commit_replays_the_batch_and_writes_nothing_twice(streamed) -> None:  # type: ignore[no-untyped-def]
    runs = streamed["runs"]
    n = len(streamed["events"]["values"])
    # the crash: micro-batch 0's rows are in bronze, its offsets logged, its commit not
    assert runs["after_crash"]["offsets"] == ["0"] and runs["after_crash"]["commits"] == []
    assert 0 < runs["after_crash"]["bronze"] <= 10
    # the restart runs micro-batch 0 again (same offsets), then the rest: each record once
    restart = runs["restart"]
    assert [b["batch"] for b in restart.batches][0] == batch_id(0)
    bronze = runs["bronze_after_restart"]
    assert len(bronze) == n
    ids = [(r[-5], r[-4]) for r in bronze]  # (_source_file, _line_no): the Kafka record
    assert len(set(ids)) == n
    assert all(b["conserved"] for b in restart.batches)
    assert sum(b["rows_in"] for b in restart.batches) == n


def test_stream_run_with_nothing_new_writes_nothing(streamed) -> None:  # type: ignore[no-untyped-def]
    assert streamed["runs"]["nothing_new"].batches == []
    assert streamed["runs"]["nothing_new"].input_rows == 0


def test_stream_deleted_last_commit_replays_that_batch_without_duplicates(streamed) -> None:  # type: ignore[no-untyped-def]
    """As Spark's own recovery tests do: the last commit file removed, the query runs that
    micro-batch again from its logged offsets; the MERGE keyed by the record adds nothing."""
    runs = streamed["runs"]
    assert [b["batch"] for b in runs["replayed"].batches] == [batch_id(runs["last_commit"])]
    assert runs["bronze_final"] == runs["bronze_after_restart"]
    assert runs["silver_final"] == runs["silver_after_restart"]


def test_stream_duplicate_lands_twice_in_bronze_once_in_silver_and_late_is_quarantined(spark, streamed) -> None:  # type: ignore[no-untyped-def]
    s, ev, root = streamed["spec"], streamed["events"], streamed["root"]
    b = spark.read.format("delta").load(str(root / "bronze" / s["name"]))
    assert b.where(f"_raw_line = '{ev['duplicate']}'").count() == 2
    q = spark.read.format("delta").load(str(root / "quarantine" / s["name"]))
    late = q.where(f"_raw_line = '{ev['late']}'").select("_quality_status", "_quarantine_reason").collect()
    # the watermark is checked first (the batch path's order of reasons); warnings may follow it
    assert [(r[0], r[1].split("; ")[0]) for r in late] == [("quarantined", "late:beyond_watermark")]
    assert q.where("_raw_line = 'not json'").select("_quarantine_reason").collect()[0][0] == "unparseable:not_a_json_object"
    evt = s["watermark"]["event_time"]
    assert [r[0].split("; ")[0] for r in q.where(f"_quarantine_reason LIKE '%type:{evt}%'").select("_quarantine_reason").collect()] == [f"type:{evt}"]
    # the late record never reaches silver; the duplicate is there once
    key = s["targets"]["silver"]["merge_key"][0]
    silver = spark.read.format("delta").load(str(root / "silver" / s["name"]))
    late_key = json.loads(ev["late"])[key]
    assert silver.where(f"{key} = '{late_key}'").count() == 0
    assert silver.where(f"{key} = '{json.loads(ev['duplicate'])[key]}'").count() == 1
    # conservation per micro-batch, and over the run: every record is promoted, quarantined or a duplicate
    reports = [json.loads(p.read_text()) for p in sorted((root / "reports" / "streams" / s["name"]).glob("*.json"))]
    assert all(r["conserved"] for r in reports)
    assert sum(r["rows_in"] for r in reports) == len(ev["values"])
    assert sum(r["duplicates_dropped"] for r in reports) == 1


def test_stream_bronze_and_silver_equal_the_batch_path_for_the_same_records(spark, streamed, parents_lake, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    """The batch path's bronze output is the reference: the same record values landed as one
    JSONL file and run by the dataset's bronze and silver job specs give the same bronze rows
    (business columns, record hash, quality status, quarantine reason) and the same silver state."""
    s, ev, root = streamed["spec"], streamed["events"], streamed["root"]
    plan = streamed["plan"]
    batch_root = _lake_copy(parents_lake, tmp_path_factory.mktemp("batch-lake"))
    day = datetime.now(timezone.utc).date().isoformat()
    bronze_job = next(j for j in plan if j["id"] == s["bronze_job"])
    path = next(st for st in bronze_job["steps"] if st["op"] == "read_landing")["path"].replace("{date}", day)
    (batch_root / "landing" / path).parent.mkdir(parents=True, exist_ok=True)
    (batch_root / "landing" / path).write_text("".join(v + "\n" for v in ev["values"]))
    Runtime(spark, plan, str(batch_root), SALT, freshness="report").run_batch(day, job_ids=[s["bronze_job"], s["silver_job"]])
    cols = [c["name"] for c in s["columns"]] + AUDIT_COMPARED
    assert _rows(spark, root / "bronze" / s["name"], cols) == _rows(spark, batch_root / "bronze" / s["name"], cols)
    assert _rows(spark, root / "quarantine" / s["name"], cols) == _rows(spark, batch_root / "quarantine" / s["name"], cols)
    silver_cols = [c for c in spark.read.format("delta").load(str(batch_root / "silver" / s["name"])).columns if c != "_batch_id"]
    assert _rows(spark, root / "silver" / s["name"], silver_cols) == _rows(spark, batch_root / "silver" / s["name"], silver_cols)


# ---- the documented contract of the Kafka source on Databricks and Event Hubs (no Azure here)


def test_event_hubs_kafka_options_documented_contract() -> None:
    """Event Hubs' Kafka endpoint: SASL_SSL, mechanism PLAIN, user name "$ConnectionString" and
    the connection string as the password; on Databricks the Kafka client is shaded, so the
    login module is kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule."""
    cs = "Endpoint=sb://evhns-x.servicebus.windows.net/;SharedAccessKeyName=listen;SharedAccessKey=abc="
    on_dbx = KafkaConnection("evhns-x.servicebus.windows.net:9093", cs, databricks=True).options()
    assert on_dbx["kafka.bootstrap.servers"] == "evhns-x.servicebus.windows.net:9093"
    assert on_dbx["kafka.security.protocol"] == "SASL_SSL"
    assert on_dbx["kafka.sasl.mechanism"] == "PLAIN"
    assert on_dbx["kafka.sasl.jaas.config"] == (
        f'kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule required username="$ConnectionString" password="{cs}";'
    )
    # Event Hubs' recommended Kafka client configuration: metadata.max.age.ms and connections.max.idle.ms
    # 180000 (< 240000: Azure closes inbound TCP connections idle longer), request.timeout.ms at least 60000
    assert int(on_dbx["kafka.metadata.max.age.ms"]) == 180000 and int(on_dbx["kafka.connections.max.idle.ms"]) == 180000
    assert int(on_dbx["kafka.request.timeout.ms"]) >= 60000
    off = KafkaConnection("evhns-x.servicebus.windows.net:9093", cs, databricks=False).options()
    assert off["kafka.sasl.jaas.config"].startswith("org.apache.kafka.common.security.plain.PlainLoginModule required ")
    local = KafkaConnection("127.0.0.1:9092").options()
    assert local == {"kafka.bootstrap.servers": "127.0.0.1:9092", "kafka.security.protocol": "PLAINTEXT"}


def test_stream_specs_documented_contract(stream_specs) -> None:  # type: ignore[no-untyped-def]
    """Kafka source options as Databricks documents them for incremental batch loading:
    subscribe to one topic, startingOffsets earliest for a new query (a checkpointed query
    resumes from its checkpoint), failOnDataLoss, maxOffsetsPerTrigger, Trigger.AvailableNow;
    a checkpoint location per query; the watermark delay from the contract."""
    assert stream_specs, "no contract has a stream_topic"
    checkpoints = [s["checkpoint"] for s in stream_specs]
    assert len(set(checkpoints)) == len(checkpoints)
    for s in stream_specs:
        assert s["trigger"] == "available_now"
        assert s["source"]["starting_offsets"] == "earliest" and s["source"]["fail_on_data_loss"] is True
        assert s["source"]["max_offsets_per_trigger"] > 0
        assert s["checkpoint"].startswith("bronze/_checkpoints/stream/")
        assert s["watermark"]["delay_threshold"] == f"{s['watermark']['max_delay_hours']} hours"
        assert s["targets"]["bronze"]["merge_key"] == ["_source_file", "_line_no"]



# ---- parity with the local consumer (`streampulse stream run`, the Node side) for the same records


@pytest.fixture(scope="module")
def local_consumer(spark, kafka_broker, reference, stream_specs, watch_stream, streamed, tmp_path_factory) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The records the Structured Streaming job read, produced again to the contract's own
    topic and read by the local consumer (the built CLI, `stream run --once`) into a copy of
    the DuckDB reference lake, whose parents' state equals the Spark lake's."""
    topics = sorted({s["source"]["topic"] for s in stream_specs})
    script = (
        "const r=await import(process.argv[1]+'/rehearsal/dist/src/index.js');"
        "await r.createTopicsOn(process.argv[2], process.argv.slice(3), 1);"
    )
    p = subprocess.run(["node", "--input-type=module", "-e", script, str(REPO), kafka_broker, *topics], capture_output=True, text=True, cwd=REPO, timeout=120)
    if p.returncode != 0:
        pytest.fail(f"creating the contract topics failed:\n{p.stderr[-3000:]}")
    ev = streamed["events"]
    _produce(spark, kafka_broker, watch_stream["source"]["topic"], ev["values"], ev["keys"])
    lake = tmp_path_factory.mktemp("local-consumer") / "lake"
    shutil.copytree(reference["lake"], lake)
    env = {k: v for k, v in os.environ.items() if k != "STREAMPULSE_PII_SALT"}
    cmd = ["node", str(REPO / "cli" / "dist" / "src" / "bin.js"), "stream", "run", "--bootstrap", kafka_broker, "--lake", str(lake), "--once", "--no-progress", "--freshness", "report"]
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=600)
    if p.returncode != 0:
        pytest.fail(f"streampulse stream run failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-4000:]}")
    return {"lake": lake, "stdout": p.stdout, "stderr": p.stderr}


def test_stream_bronze_equals_the_local_consumers_bronze_for_the_same_records(spark, local_consumer, streamed) -> None:  # type: ignore[no-untyped-def]
    """Must show: the Structured Streaming job and the local consumer write the same bronze rows
    for the same events — business columns, record hash, quality status, quarantine reason
    (not the ingestion time, batch id or file naming, which are each runtime's own)."""
    s = streamed["spec"]
    cols = [c["name"] for c in s["columns"]] + AUDIT_COMPARED
    local = spark.read.parquet(str(local_consumer["lake"] / "bronze" / s["name"]))
    batch_col = "_batch_id" if "_batch_id" in local.columns else "batch"
    # the reference's daily batches are dates; the consumer's micro-batches are <day>T<time>
    local_rows = sorted((tuple(r) for r in local.where(f"{batch_col} LIKE '%T%'").select(*cols).collect()), key=repr)
    spark_rows = _rows(spark, streamed["root"] / "bronze" / s["name"], cols)
    assert len(local_rows) == len(streamed["events"]["values"])
    assert local_rows == spark_rows


def test_the_cli_stream_command_runs_a_stream_spec_from_a_specs_folder(spark, kafka_broker, reference, parents_lake, watch_stream, tmp_path_factory, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`streampulse-spark stream` (what the bundle's stream tasks run) over a specs folder as
    `streampulse generate` writes it, against the local broker: one micro-batch, conserved."""
    from streampulse_spark.cli import main, parse_args

    with pytest.raises(SystemExit):
        parse_args(["stream", "--plan", "x", "--storage-root", "y"])  # no Kafka endpoint
    work = tmp_path_factory.mktemp("cli-stream")
    specs = work / "specs"
    specs.mkdir()
    plan = parents_lake["plan"]
    (specs / "index.json").write_text(json.dumps({"spec_version": 1, "jobs": [j["id"] for j in plan]}))
    for j in plan:
        (specs / f"{j['id']}.json").write_text(json.dumps(j))
    topic = watch_stream["source"]["topic"] + "_cli_" + os.urandom(3).hex()
    (specs / "streams.json").write_text(json.dumps({"spec_version": 1, "streams": [{**watch_stream, "source": {**watch_stream["source"], "topic": topic}}]}))
    root = _lake_copy(parents_lake, work / "lake")
    ev = _events(spark, reference, watch_stream, datetime.now(timezone.utc))
    _produce(spark, kafka_broker, topic, ev["values"][:6], ev["keys"][:6])
    capsys.readouterr()
    monkeypatch.setenv("STREAMPULSE_PII_SALT", SALT)  # the salt as a local run gets it (a dataset may pseudonymise in silver)
    rc = main(["stream", "--plan", str(specs), "--storage-root", str(root), "--stream", watch_stream["id"], "--bootstrap", kafka_broker, "--checkpoint", str(work / "cp")])
    assert rc == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [(o["stream"], o["input_rows"]) for o in out] == [(watch_stream["id"], 6)]
    assert all(r["conserved"] for r in out[0]["reports"]) and sum(r["rows_in"] for r in out[0]["reports"]) == 6
    assert spark.read.format("delta").load(str(root / "bronze" / watch_stream["name"])).count() == 6
