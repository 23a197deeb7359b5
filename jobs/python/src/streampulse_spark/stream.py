"""The streaming job: a stream spec (``@streampulse/jobs`` ``compileStreams``, the bundle's
``specs/streams.json``) as a Structured Streaming query — the Kafka source on the
dataset's topic (Event Hubs' Kafka endpoint on Databricks, a local broker in the tests),
``withWatermark`` on the contract's event time, and ``foreachBatch``:

1. the micro-batch's records as the bronze job's lines: ``_source_file`` is
   ``kafka:<topic>/<partition>``, ``_line_no`` the record's offset, the line the record
   value (UTF-8 text; a value that is not UTF-8 is quarantined as ``encoding:invalid_utf8``);
2. the batch path's bronze code from there on (``bronze._parse_jsonl`` and
   ``bronze.check_and_write``: the same parse and casts, audit columns, rules, watermark
   ``late:beyond_watermark`` and quarantine), written by a Delta MERGE keyed by the record
   (topic, partition, offset): a micro-batch replayed after a crash — Spark runs a batch
   again when its offsets were logged but its commit was not — inserts nothing twice;
3. the dataset's silver job spec for the micro-batch (``silver.run_silver``: its
   ``silver/_history`` partition replaced, the state of the touched keys MERGEd), also
   idempotent when replayed;
4. the dataset report (conservation: rows in = promoted + quarantined + duplicates) under
   ``reports/streams/<dataset>/<batch>.json``.

A micro-batch's ``_batch_id`` is ``stream-<Spark batch id, 12 digits>``: a partition of its
own (re-running the batch path's day never replaces it), sorted after every daily batch
id and in order among the stream's, so silver's "seen before" dedupe reads the daily
batches and the earlier micro-batches. The watermark rule measures like the batch path:
the cutoff is the micro-batch's run date (UTC day it runs) at 00:00 minus
``max_delay_hours``; Spark's ``withWatermark`` carries the same delay (the query's
progress reports the event-time watermark), but a late record is quarantined with its
reason, never dropped: Spark drops late rows only in stateful operators, and this query
has none. Freshness rules are reported per micro-batch, not enforced: the daily batch
enforces them.

``trigger`` ``available_now``: the query reads every record available at start, in
micro-batches of at most ``max_offsets_per_trigger``, and stops; the bundle's stream job
runs it on a schedule.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .bronze import BronzeResult, _parse_jsonl, check_and_write
from .plan import JobSpec, PlanError, step
from .runtime import Runtime, RuntimeError_
from .session import on_databricks
from .silver import run_silver
from .storage import Storage, qi, sql_str
from .views import set_namespace, vname, vsql

STREAM_SPECS_FILE = "streams.json"  # STREAM_SPECS_FILE in jobs/src/stream.ts
BATCH_PREFIX = "stream-"
# Databricks Runtime ships the Kafka client shaded: its login modules are under kafkashaded.
SHADED_PLAIN_LOGIN = "kafkashaded.org.apache.kafka.common.security.plain.PlainLoginModule"
PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule"

StreamSpec = dict[str, Any]
Fault = Callable[[str, int], None]


class StreamError(Exception):
    """A stream that cannot run (unknown id, specs out of step, a failed query)."""


def batch_id(epoch: int) -> str:
    """The ``_batch_id`` of Spark micro-batch ``epoch``."""
    return f"{BATCH_PREFIX}{epoch:012d}"


@dataclass
class KafkaConnection:
    """Where the records are. ``connection_string`` set: Event Hubs' Kafka endpoint —
    SASL_SSL with the PLAIN mechanism, user name ``$ConnectionString`` and the connection
    string as the password (Event Hubs' documented Kafka client configuration); on
    Databricks the login module is the shaded one. Without it: PLAINTEXT (a local broker)."""

    bootstrap: str
    connection_string: str | None = None
    databricks: bool = field(default_factory=on_databricks)

    def options(self) -> dict[str, str]:
        o = {"kafka.bootstrap.servers": self.bootstrap}
        if not self.connection_string:
            o["kafka.security.protocol"] = "PLAINTEXT"
            return o
        module = SHADED_PLAIN_LOGIN if self.databricks else PLAIN_LOGIN
        secret = self.connection_string.replace("\\", "\\\\").replace('"', '\\"')
        o.update(
            {
                "kafka.security.protocol": "SASL_SSL",
                "kafka.sasl.mechanism": "PLAIN",
                "kafka.sasl.jaas.config": f'{module} required username="$ConnectionString" password="{secret}";',
                # Event Hubs' recommended Kafka client settings: Azure closes inbound TCP connections idle
                # over 240 s, so metadata and idle connections are renewed sooner; requests wait 60 s
                "kafka.request.timeout.ms": "60000",
                "kafka.metadata.max.age.ms": "180000",
                "kafka.connections.max.idle.ms": "180000",
            }
        )
        return o


def load_streams(path: str, read_text: Callable[[str], str] | None = None) -> list[StreamSpec]:
    """The stream specs of a specs folder (``streams.json``) or of one streams file."""
    target = path if path.endswith(".json") else path.rstrip("/") + "/" + STREAM_SPECS_FILE
    if read_text is None:
        with open(target, encoding="utf-8") as f:
            text = f.read()
    else:
        text = read_text(target)
    doc = json.loads(text)
    if doc.get("spec_version") != 1:
        raise PlanError(f"{target}: spec_version {doc.get('spec_version')!r} is not supported (expects 1); regenerate with `streampulse generate`")
    return list(doc["streams"])


def _job(plan: list[JobSpec], job_id: str, stream: StreamSpec) -> JobSpec:
    for j in plan:
        if j["id"] == job_id:
            return j
    raise StreamError(f"{stream['id']} runs {job_id}, which the plan does not have; regenerate the specs (streampulse generate) so both come from the same contracts")


def _check_spec(stream: StreamSpec, bronze: JobSpec) -> None:
    parse = step(bronze, "parse")
    if [c["name"] for c in parse["columns"]] != [c["name"] for c in stream["columns"]] or parse["columns"] != stream["columns"]:
        raise StreamError(
            f"{stream['id']}: its columns differ from {bronze['id']}'s parse step ({stream['contract']}); regenerate the specs so both come from the same contract"
        )
    wm = step(bronze, "watermark")
    if wm["event_time"] != stream["watermark"]["event_time"] or int(wm["max_delay_hours"]) != int(stream["watermark"]["max_delay_hours"]):
        raise StreamError(f"{stream['id']}: its watermark differs from {bronze['id']}'s; regenerate the specs")


@dataclass
class StreamResult:
    stream: str
    batches: list[dict[str, Any]] = field(default_factory=list)
    input_rows: int = 0
    watermark: str | None = None
    seconds: float = 0.0


def merge_records(spark: SparkSession, storage: Storage, df: DataFrame, path: str, key: list[str]) -> None:
    """Inserts the rows whose record key is not in the Delta table yet (creating the
    table, partitioned by ``_batch_id``, on first use): a replayed micro-batch adds nothing."""
    if not storage.is_delta(path):
        df.limit(0).write.format("delta").mode("append").partitionBy("_batch_id").save(path)
    df.createOrReplaceTempView(vname("spv_st_rows"))
    on = " AND ".join(f"t.{qi(k)} = s.{qi(k)}" for k in key)
    vsql(
        spark,
        f"""MERGE INTO {storage.ref(path)} t USING spv_st_rows s
            ON t._batch_id LIKE {sql_str(BATCH_PREFIX + '%')} AND {on}
            WHEN NOT MATCHED THEN INSERT *""",
    )


def process_batch(
    spark: SparkSession,
    plan: list[JobSpec],
    stream: StreamSpec,
    storage_root: str,
    salt: str | None,
    records: DataFrame,
    epoch: int,
    run_date: str | None = None,
    fault: Fault | None = None,
) -> dict[str, Any]:
    """One micro-batch (``records``: the Kafka source's rows) through bronze and silver;
    returns the dataset report. Idempotent per ``epoch``."""
    set_namespace(stream["id"])
    storage = Storage(spark, storage_root)
    bronze_job = _job(plan, stream["bronze_job"], stream)
    silver_job = _job(plan, stream["silver_job"], stream)
    name = stream["name"]
    batch = batch_id(epoch)
    now = datetime.now(timezone.utc)
    day = run_date or now.date().isoformat()
    ingested_at = now.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    lines = records.selectExpr(
        "concat('kafka:', topic, '/', CAST(partition AS STRING)) AS _source_file",
        "CAST(offset AS BIGINT) AS _line_no",
        "decode(value, 'UTF-8') AS line",
        "coalesce(encode(decode(value, 'UTF-8'), 'UTF-8') <> value, FALSE) AS _bad_utf8",
    ).localCheckpoint(eager=True)
    view = "spv_st_lines"
    parsed = _parse_jsonl(spark, lines, view, step(bronze_job, "parse")["columns"]).withColumn("_file_sha256", F.lit(None).cast("string"))
    blanks = [f"SELECT 'blank' AS kind, _source_file AS key, count(*) AS n, CAST(NULL AS STRING) AS s FROM {view} WHERE line IS NULL OR trim(line) = '' GROUP BY 2"]
    res = BronzeResult()
    for r in lines.groupBy("_source_file").agg(F.min("_line_no").alias("first"), F.max("_line_no").alias("last")).orderBy("_source_file").collect():
        res.files.append({"file": str(r["_source_file"]), "rows": 0, "offsets": [int(r["first"]), int(r["last"])]})
    key = list(stream["targets"]["bronze"]["merge_key"])

    def write(df: DataFrame, path: str, _batch: str) -> None:
        merge_records(spark, storage, df, path, key)

    rt = Runtime(spark, plan, storage_root, salt, freshness="report")
    res = check_and_write(spark, storage, bronze_job, batch, day, ingested_at, rt._silver_ref, None, "report", res, parsed, blanks, write)
    if fault:
        fault("after-bronze", epoch)
    s = run_silver(spark, storage, silver_job, batch, salt)
    if fault:
        fault("after-silver", epoch)
    rt._bronze[(batch, name)] = res
    report = rt._dataset_report(name, batch, s, day)
    report["stream"] = stream["id"]
    report["run_date"] = day
    report["bronze_job"] = asdict(res)
    storage.write_text(storage.path("reports", "streams", name, f"{batch}.json"), json.dumps(report, indent=2, default=str) + "\n")
    if not report["conserved"]:
        raise RuntimeError_(f"{stream['id']} {batch}: rows not conserved (in {report['rows_in']}, promoted {report['promoted']}, quarantined {report['quarantined']}, duplicates {report['duplicates_dropped']})")
    lines.unpersist()
    return report


def _event_time_sql(stream: StreamSpec) -> str:
    evt = stream["watermark"]["event_time"]
    col = next((c for c in stream["columns"] if c["name"] == evt), None)
    if col is None:
        raise StreamError(f"{stream['id']}: the event time {evt} is not one of its columns ({stream['contract']})")
    raw = f"get_json_object(CAST(value AS STRING), {sql_str('$.' + evt)})"
    return f"CAST({str(col['cast']['spark']).replace('{{value}}', raw)} AS TIMESTAMP)"


def run_stream(
    spark: SparkSession,
    plan: list[JobSpec],
    stream: StreamSpec,
    storage_root: str,
    salt: str | None,
    kafka: KafkaConnection,
    checkpoint: str | None = None,
    run_date: str | None = None,
    fault: Fault | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> StreamResult:
    """Runs the stream's query with ``availableNow`` until it has read every record
    available at its start, then returns what each micro-batch did."""
    _check_spec(stream, _job(plan, stream["bronze_job"], stream))
    if stream.get("trigger") != "available_now":
        raise StreamError(f"{stream['id']}: trigger {stream.get('trigger')!r} is not supported (available_now)")
    storage = Storage(spark, storage_root)
    cp = checkpoint or storage.path(stream["checkpoint"])
    src = stream["source"]
    result = StreamResult(stream["id"])
    t0 = time.perf_counter()
    records = (
        spark.readStream.format("kafka")
        .options(**kafka.options())
        .option("subscribe", src["topic"])
        .option("startingOffsets", src["starting_offsets"])
        .option("failOnDataLoss", "true" if src["fail_on_data_loss"] else "false")
        .option("maxOffsetsPerTrigger", str(src["max_offsets_per_trigger"]))
        .option("groupIdPrefix", "streampulse-" + stream["id"].replace(".", "-"))
        .load()
        .selectExpr("topic", "partition", "offset", "timestamp", "value", f"{_event_time_sql(stream)} AS _event_time")
        .withWatermark("_event_time", stream["watermark"]["delay_threshold"])
    )

    def each(df: DataFrame, epoch: int) -> None:
        report = process_batch(df.sparkSession, plan, stream, storage_root, salt, df, epoch, run_date, fault)
        result.batches.append(report)
        if on_progress:
            on_progress(
                f"{stream['id']} {report['batch']}: in {report['rows_in']}, promoted {report['promoted']}, "
                f"quarantined {report['quarantined']}, duplicates {report['duplicates_dropped']}"
            )

    q = records.writeStream.queryName(stream["id"].replace(".", "_")).foreachBatch(each).option("checkpointLocation", cp).trigger(availableNow=True).start()
    try:
        q.awaitTermination()
    except StreamingQueryException as e:
        # the micro-batch that failed was not committed: the next run starts with it again
        raise StreamError(f"{stream['id']}: the query stopped in a micro-batch, which the next run replays from the checkpoint {cp}: {e.desc if hasattr(e, 'desc') else e}") from e
    finally:
        if q.isActive:
            q.stop()
    for p in q.recentProgress:
        result.input_rows += int(p.get("numInputRows", 0))
        wm = (p.get("eventTime") or {}).get("watermark")
        if wm:
            result.watermark = wm
    result.seconds = round(time.perf_counter() - t0, 3)
    return result
