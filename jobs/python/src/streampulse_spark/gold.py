"""Gold models and marts: the spec's ``spark`` SQL with its placeholders bound, the
result overwriting a Delta table (a full rebuild per batch, as the local runner does)."""

from __future__ import annotations

import re

from pyspark.sql import SparkSession

from .plan import JobSpec, step
from .storage import Storage

PLACEHOLDER = re.compile(r"\{\{(silver|gold)\.([a-z0-9_]+)\}\}")
RUN_DATE = "{{param:run_date}}"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def bind_sql(sql: str, storage: Storage, run_date: str) -> str:
    """``{{param:run_date}}`` → ``DATE 'YYYY-MM-DD'``; ``{{silver.x}}`` / ``{{gold.x}}`` → Delta tables."""
    if not DATE_RE.match(run_date):
        raise ValueError(f'"{run_date}" is not a YYYY-MM-DD date')
    bound = sql.replace(RUN_DATE, f"DATE '{run_date}'")

    def table(m: re.Match[str]) -> str:
        layer, name = m.group(1), m.group(2)
        return storage.ref(storage.silver(name) if layer == "silver" else storage.gold(name))

    return PLACEHOLDER.sub(table, bound)


def run_build(spark: SparkSession, storage: Storage, spec: JobSpec, run_date: str) -> int:
    build = step(spec, "build")
    sql = bind_sql(str(build["sql"]["spark"]), storage, run_date)
    path = storage.gold(spec["name"])
    spark.sql(sql).write.format("delta").mode("overwrite").option("overwriteSchema", "true").save(path)
    # the row count from the commit's metrics, not a second scan
    metrics = spark.sql(f"DESCRIBE HISTORY {storage.ref(path)} LIMIT 1").collect()[0]["operationMetrics"] or {}
    n = metrics.get("numOutputRows")
    return int(n) if n is not None else spark.read.format("delta").load(path).count()
