"""Command line: the console script ``streampulse-spark`` (the wheel's entry point, what the
Databricks bundle's ``python_wheel_task`` runs) and ``python -m streampulse_spark``.

    streampulse-spark run    --plan SPECS --storage-root ROOT --run-date D [--batch-id B]
                             [--job ID ...] [--layer bronze|silver|gold|mart ...]
                             [--freshness enforce|report] [--secret-scope S] [--secret-key K]
    streampulse-spark export --plan SPECS --storage-root ROOT --run-date D [--batch-id B]
    streampulse-spark stream --plan SPECS --storage-root ROOT [--stream ID ...]
                             (--bootstrap HOST:PORT [--connection-string CS] |
                              --kafka-secret-scope S --kafka-bootstrap-key K --kafka-connection-string-key K)
                             [--checkpoint DIR] [--secret-scope S] [--secret-key K]

Both commands take the same options, so that one parameter list serves every run of the
bundle's step job (``streampulse-step``): its job parameters ``command``, ``job``,
``layer``, ``run_date`` and ``freshness`` arrive as ``{{job.parameters.<name>}}``, and a
job parameter left empty arrives as an empty string. An empty ``--job``, ``--layer``,
``--freshness`` or ``--batch-id`` therefore means "not given" (every job, every layer,
``enforce``, the run date); ``export`` refuses a non-empty ``--job`` or ``--layer`` (it
exports every mart) and ignores ``--freshness``. ``--run-date`` must be a date.

``--run-date`` binds ``{{param:run_date}}`` and the landing path's ``{date}``;
``--date-offset-days -1`` turns a date into the day before it. The pseudonymisation salt
comes from the environment variable STREAMPULSE_PII_SALT or, on Databricks, from the
Databricks secret ``--secret-scope``/``--secret-key`` (default: scope ``streampulse``, key
``streampulse-pii-salt``, the names of ``PII_SALT`` in ``@streampulse/jobs``).

``stream`` runs the stream specs (``SPECS/streams.json``; every stream, or the ``--stream``
ids) as Structured Streaming queries with ``availableNow`` (``stream.py``) and prints what
each micro-batch did. The Kafka endpoint: ``--bootstrap`` (a local broker, PLAINTEXT; with
``--connection-string``, Event Hubs over SASL_SSL), or on Databricks the secrets
``--kafka-bootstrap-key`` and ``--kafka-connection-string-key`` of ``--kafka-secret-scope``
(``EVENT_HUBS_KAFKA_SECRETS`` in ``@streampulse/jobs``), read with dbutils; the environment
variables STREAMPULSE_KAFKA_BOOTSTRAP / STREAMPULSE_KAFKA_CONNECTION_STRING stand in for
both. ``--checkpoint`` (tests, local runs) replaces the spec's checkpoint folder for a
single stream.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, timedelta
from typing import Any

SALT_ENV = "STREAMPULSE_PII_SALT"
# PII_SALT in jobs/src/deploy-names.ts: the Databricks-backed secret scope and its key
DEFAULT_SCOPE = "streampulse"
DEFAULT_SECRET = "streampulse-pii-salt"
LAYERS = ("bronze", "silver", "gold", "mart")
FRESHNESS = ("enforce", "report")


def resolve_salt(scope: str | None, key: str, spark: Any = None) -> str | None:
    """The salt: $STREAMPULSE_PII_SALT, else (on Databricks) the secret ``scope``/``key``
    read with dbutils as the job's run-as identity; None when neither is there."""
    env = os.environ.get(SALT_ENV)
    if env:
        return env
    if scope and spark is not None:
        try:
            from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]  # only on Databricks
        except ImportError:
            return None
        return str(DBUtils(spark).secrets.get(scope=scope, key=key))
    return None


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    p = argparse.ArgumentParser(prog="streampulse-spark", description="Run StreamPulse job specs on Spark + Delta Lake")
    sub = p.add_subparsers(dest="command", required=True)
    subs: dict[str, argparse.ArgumentParser] = {}
    st = subs["stream"] = sub.add_parser("stream")
    st.add_argument("--plan", default=os.environ.get("STREAMPULSE_SPECS"), help="specs folder (index.json, streams.json, <id>.json) (default: $STREAMPULSE_SPECS)")
    st.add_argument("--storage-root", default=os.environ.get("STREAMPULSE_STORAGE_ROOT"), help="lake root (default: $STREAMPULSE_STORAGE_ROOT)")
    st.add_argument("--stream", action="append", default=[], help="stream spec id (repeatable or comma-separated); empty or absent: every stream")
    st.add_argument("--bootstrap", default=os.environ.get("STREAMPULSE_KAFKA_BOOTSTRAP", ""), help="Kafka bootstrap servers (default: $STREAMPULSE_KAFKA_BOOTSTRAP)")
    st.add_argument("--connection-string", default=os.environ.get("STREAMPULSE_KAFKA_CONNECTION_STRING", ""), help="Event Hubs connection string: SASL_SSL + PLAIN (default: $STREAMPULSE_KAFKA_CONNECTION_STRING)")
    st.add_argument("--kafka-secret-scope", default="", help="Databricks secret scope of the Kafka bootstrap and connection string")
    st.add_argument("--kafka-bootstrap-key", default="", help="key of the bootstrap server in that scope")
    st.add_argument("--kafka-connection-string-key", default="", help="key of the Event Hubs connection string in that scope")
    st.add_argument("--checkpoint", default="", help="checkpoint folder (one stream only; default: the spec's, under the storage root)")
    st.add_argument("--secret-scope", default=DEFAULT_SCOPE, help=f"Databricks secret scope of the salt (default {DEFAULT_SCOPE})")
    st.add_argument("--secret-key", default=DEFAULT_SECRET, help=f"key of the salt in that scope (default {DEFAULT_SECRET})")
    for name in ("run", "export"):
        s = subs[name] = sub.add_parser(name)
        s.add_argument("--plan", default=os.environ.get("STREAMPULSE_SPECS"), help="specs folder (index.json + <id>.json) or one plan JSON file (default: $STREAMPULSE_SPECS)")
        s.add_argument("--storage-root", default=os.environ.get("STREAMPULSE_STORAGE_ROOT"), help="lake root: a folder, or abfss://{layer}@<account>.dfs.core.windows.net (default: $STREAMPULSE_STORAGE_ROOT)")
        s.add_argument("--run-date", required=True, help="YYYY-MM-DD")
        s.add_argument("--date-offset-days", type=int, default=0, help="added to --run-date (e.g. -1: the day before)")
        s.add_argument("--batch-id", default="", help="partition key written to _batch_id (default or empty: the run date); must sort chronologically")
        s.add_argument("--secret-scope", default=DEFAULT_SCOPE, help=f"Databricks secret scope of the salt (default {DEFAULT_SCOPE})")
        s.add_argument("--secret-key", default=DEFAULT_SECRET, help=f"key of the salt in that scope (default {DEFAULT_SECRET})")
        s.add_argument("--job", action="append", default=[], help="job id to run (repeatable); empty or absent: every job" + ("" if name == "run" else " (run only)"))
        s.add_argument("--layer", action="append", default=[], help="bronze, silver, gold, mart (repeatable or comma-separated, e.g. gold,mart); empty or absent: every layer" + ("" if name == "run" else " (run only)"))
        s.add_argument(
            "--freshness",
            default="",
            help='enforce (default, also when empty): a failed freshness rule with action "fail" stops the batch; report: it is only reported (a backfill of sparse history)'
            + ("" if name == "run" else "; ignored by export"),
        )
    return p, subs


def _parser() -> argparse.ArgumentParser:
    return _parsers()[0]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The parsed options with empty values read as "not given"; a usage error exits 2."""
    p, subs = _parsers()
    args = p.parse_args(argv)
    sub = subs[args.command]  # its usage line heads the error
    if args.command == "stream":
        args.stream = [x.strip() for v in args.stream for x in v.split(",") if x.strip()]
        if args.checkpoint and len(args.stream) != 1:
            sub.error("--checkpoint is one stream's folder: give exactly one --stream with it")
        if not args.bootstrap and not (args.kafka_secret_scope and args.kafka_bootstrap_key):
            sub.error("no Kafka endpoint: give --bootstrap HOST:PORT (or STREAMPULSE_KAFKA_BOOTSTRAP), or --kafka-secret-scope and --kafka-bootstrap-key on Databricks")
        return args
    args.job = [j for v in args.job for j in v.split(",") if j.strip()]
    args.layer = [x.strip() for v in args.layer for x in v.split(",") if x.strip()]
    args.batch_id = args.batch_id or None
    if not args.run_date:
        sub.error("--run-date is empty: give the batch's date as YYYY-MM-DD (the step job's job parameter run_date)")
    try:
        date.fromisoformat(args.run_date)
    except ValueError:
        sub.error(f"--run-date {args.run_date!r} is not a date: use YYYY-MM-DD")
    bad = [x for x in args.layer if x not in LAYERS]
    if bad:
        sub.error(f"unknown layer(s) {', '.join(bad)}: use {', '.join(LAYERS)}")
    if args.freshness and args.freshness not in FRESHNESS:
        sub.error(f"--freshness {args.freshness!r}: use {' or '.join(FRESHNESS)} (or leave it empty for enforce)")
    args.freshness = args.freshness or "enforce"
    if args.command == "export" and (args.job or args.layer):
        sub.error("export writes every mart's extract: it takes no --job or --layer (leave the job parameters job and layer empty)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(list(sys.argv[1:] if argv is None else argv))
    from .plan import load_plan
    from .runtime import Runtime
    from .session import local_session
    from .storage import Storage

    if not args.plan or not args.storage_root:
        print("streampulse-spark: --plan and --storage-root are required (or STREAMPULSE_SPECS / STREAMPULSE_STORAGE_ROOT)", file=sys.stderr)
        return 2
    if args.command == "stream":
        return _stream(args)
    run_date = (date.fromisoformat(args.run_date) + timedelta(days=args.date_offset_days)).isoformat()
    spark = local_session("streampulse-spark")
    storage = Storage(spark, args.storage_root)
    remote = "://" in args.plan
    plan = load_plan(args.plan.rstrip("/") + ("/" if remote and not args.plan.endswith(".json") else ""), storage.read_text if remote else None)
    salt = resolve_salt(args.secret_scope, args.secret_key, spark)
    rt = Runtime(spark, plan, args.storage_root, salt, on_progress=lambda m: print(m, file=sys.stderr, flush=True), freshness=args.freshness)
    if args.command == "export":
        out = rt.export(run_date, args.batch_id)
    else:
        out = rt.run_batch(run_date, args.batch_id, args.job or None, args.layer or None)
    print(json.dumps(out, default=str))
    return 0


def resolve_kafka(args: argparse.Namespace, spark: Any) -> tuple[str, str | None]:
    """(bootstrap, connection string): the options, else the Databricks secrets (dbutils, as the job's run-as identity)."""
    bootstrap, cs = args.bootstrap or "", args.connection_string or None
    if not bootstrap or (cs is None and args.kafka_connection_string_key):
        try:
            from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]  # only on Databricks
        except ImportError as e:
            raise SystemExit(f"streampulse-spark stream: the Kafka secrets of scope {args.kafka_secret_scope!r} can only be read on Databricks; pass --bootstrap here") from e
        secrets = DBUtils(spark).secrets
        bootstrap = bootstrap or str(secrets.get(scope=args.kafka_secret_scope, key=args.kafka_bootstrap_key))
        if cs is None and args.kafka_connection_string_key:
            cs = str(secrets.get(scope=args.kafka_secret_scope, key=args.kafka_connection_string_key))
    return bootstrap, cs


def _stream(args: argparse.Namespace) -> int:
    from .plan import load_plan
    from .session import local_session
    from .storage import Storage
    from .stream import KafkaConnection, load_streams, run_stream

    spark = local_session("streampulse-spark-stream")
    storage = Storage(spark, args.storage_root)
    remote = "://" in args.plan
    base = args.plan.rstrip("/") + "/"
    plan = load_plan(base if remote else args.plan, storage.read_text if remote else None)
    streams = load_streams(base, storage.read_text if remote else None)
    known = [s["id"] for s in streams]
    unknown = [i for i in args.stream if i not in known]
    if unknown:
        print(f"streampulse-spark stream: unknown stream(s) {', '.join(unknown)}; the specs have {', '.join(known) or 'none'}", file=sys.stderr)
        return 2
    bootstrap, cs = resolve_kafka(args, spark)
    kafka = KafkaConnection(bootstrap, cs)
    salt = resolve_salt(args.secret_scope, args.secret_key, spark)
    out = []
    for s in streams:
        if args.stream and s["id"] not in args.stream:
            continue
        r = run_stream(spark, plan, s, args.storage_root, salt, kafka, checkpoint=args.checkpoint or None, on_progress=lambda m: print(m, file=sys.stderr, flush=True))
        out.append({"stream": r.stream, "batches": len(r.batches), "input_rows": r.input_rows, "watermark": r.watermark, "seconds": r.seconds, "reports": r.batches})
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
