"""Command line / Databricks task entry point.

    streampulse-spark run    --plan SPECS --storage-root ROOT --run-date D [--batch-id B]
                             [--job ID ...] [--layer bronze|silver|gold|mart ...]
                             [--freshness enforce|report]
    streampulse-spark export --plan SPECS --storage-root ROOT --run-date D [--batch-id B]

On Databricks this file is the ``spark_python_task`` (``python_file``) with the
streampulse-spark wheel as a library; the job passes the parameters above. ``--run-date``
binds ``{{param:run_date}}`` and the landing path's ``{date}``; ``--date-offset-days -1``
turns a job's start date into the day it closes. The pseudonymisation salt comes from
the environment variable STREAMPULSE_PII_SALT or, on Databricks, from the secret scope
(``--secret-scope``, key = the spec's ``salt_secret``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, timedelta
from typing import Any

SALT_ENV = "STREAMPULSE_PII_SALT"
SALT_CONF = "spark.streampulse.pii_salt"
DEFAULT_SCOPE = "streampulse"
DEFAULT_SECRET = "streampulse-pii-salt"


def resolve_salt(scope: str | None, key: str, spark: Any = None) -> str | None:
    """The salt: $STREAMPULSE_PII_SALT, else the cluster's spark conf
    ``spark.streampulse.pii_salt`` (the Data Factory linked service sets it from the
    secret scope), else the Databricks secret ``scope/key``."""
    env = os.environ.get(SALT_ENV)
    if env:
        return env
    conf = spark.conf.get(SALT_CONF, None) if spark is not None else None
    if conf:
        return str(conf)
    if scope and spark is not None:
        try:
            from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]  # only on Databricks

            return str(DBUtils(spark).secrets.get(scope=scope, key=key))
        except ImportError:
            return None
    return None


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="streampulse-spark", description="Run StreamPulse job specs on Spark + Delta Lake")
    sub = p.add_subparsers(dest="command", required=True)
    for name in ("run", "export"):
        s = sub.add_parser(name)
        s.add_argument("--plan", default=os.environ.get("STREAMPULSE_SPECS"), help="specs folder (index.json + <id>.json) or one plan JSON file (default: $STREAMPULSE_SPECS or spark conf spark.streampulse.specs)")
        s.add_argument("--storage-root", default=os.environ.get("STREAMPULSE_STORAGE_ROOT"), help="lake root: a folder, or abfss://… (default: $STREAMPULSE_STORAGE_ROOT or spark conf spark.streampulse.storageRoot)")
        s.add_argument("--run-date", required=True, help="YYYY-MM-DD")
        s.add_argument("--date-offset-days", type=int, default=0, help="added to --run-date (e.g. -1: the day before the job started)")
        s.add_argument("--batch-id", default=None, help="partition key written to _batch_id (default: the run date); must sort chronologically")
        s.add_argument("--secret-scope", default=DEFAULT_SCOPE)
        s.add_argument("--secret-key", default=DEFAULT_SECRET)
        if name == "run":
            s.add_argument("--job", action="append", default=[], help="job id to run (repeatable); default: every job")
            s.add_argument("--layer", action="append", default=[], help="bronze, silver, gold, mart (repeatable or comma-separated, e.g. gold,mart)")
            s.add_argument(
                "--freshness",
                choices=["enforce", "report"],
                default="enforce",
                help='enforce: a failed freshness rule with action "fail" stops the batch; report: it is only reported (a backfill of sparse history)',
            )
    return p


def main(argv: list[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    if raw and raw[0].startswith("--"):
        raw = ["run", *raw]  # the Data Factory activity passes only the options
    args = _parser().parse_args(raw)
    from .plan import load_plan
    from .runtime import Runtime
    from .session import local_session
    from .storage import Storage

    run_date = (date.fromisoformat(args.run_date) + timedelta(days=args.date_offset_days)).isoformat()
    spark = local_session("streampulse-spark")
    args.plan = args.plan or spark.conf.get("spark.streampulse.specs", None)
    args.storage_root = args.storage_root or spark.conf.get("spark.streampulse.storageRoot", None)
    if not args.plan or not args.storage_root:
        print("streampulse-spark: --plan and --storage-root are required (or STREAMPULSE_SPECS / STREAMPULSE_STORAGE_ROOT)", file=sys.stderr)
        return 2
    layers = [x for v in getattr(args, "layer", []) for x in v.split(",") if x]
    bad = [x for x in layers if x not in ("bronze", "silver", "gold", "mart")]
    if bad:
        print(f"streampulse-spark: unknown layer(s) {bad}: use bronze, silver, gold, mart", file=sys.stderr)
        return 2
    storage = Storage(spark, args.storage_root)
    remote = "://" in args.plan or args.plan.startswith("dbfs:")
    plan = load_plan(args.plan.rstrip("/") + ("/" if remote and not args.plan.endswith(".json") else ""), storage.read_text if remote else None)
    salt = resolve_salt(args.secret_scope, args.secret_key, spark)
    rt = Runtime(spark, plan, args.storage_root, salt, on_progress=lambda m: print(m, file=sys.stderr, flush=True), freshness=getattr(args, "freshness", "enforce"))
    if args.command == "export":
        out = rt.export(run_date, args.batch_id)
    else:
        out = rt.run_batch(run_date, args.batch_id, args.job or None, layers or None)
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
