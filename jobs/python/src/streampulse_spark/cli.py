"""Command line: the console script ``streampulse-spark`` (the wheel's entry point, what the
Databricks bundle's ``python_wheel_task`` runs) and ``python -m streampulse_spark``.

    streampulse-spark run    --plan SPECS --storage-root ROOT --run-date D [--batch-id B]
                             [--job ID ...] [--layer bronze|silver|gold|mart ...]
                             [--freshness enforce|report] [--secret-scope S] [--secret-key K]
    streampulse-spark export --plan SPECS --storage-root ROOT --run-date D [--batch-id B]

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

    run_date = (date.fromisoformat(args.run_date) + timedelta(days=args.date_offset_days)).isoformat()
    if not args.plan or not args.storage_root:
        print("streampulse-spark: --plan and --storage-root are required (or STREAMPULSE_SPECS / STREAMPULSE_STORAGE_ROOT)", file=sys.stderr)
        return 2
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


if __name__ == "__main__":
    sys.exit(main())
