"""Temporary view names per running job: jobs of one batch may run in parallel threads
of one SparkSession, whose temp views are shared, so every view a job creates is
prefixed with that job's namespace (set per thread)."""

from __future__ import annotations

import re
import threading

from pyspark.sql import DataFrame, SparkSession

_local = threading.local()
_TOKEN = re.compile(r"\bspv_")


def set_namespace(job_id: str) -> None:
    _local.ns = "spv_" + re.sub(r"[^a-zA-Z0-9]", "_", job_id) + "__"


def _ns() -> str:
    return getattr(_local, "ns", "spv_main__")


def vname(name: str) -> str:
    """`spv_x` → the running job's own view name."""
    return _TOKEN.sub(_ns(), name)


def vsql(spark: SparkSession, text: str) -> DataFrame:
    """spark.sql with this job's view names."""
    return spark.sql(_TOKEN.sub(_ns(), text))
