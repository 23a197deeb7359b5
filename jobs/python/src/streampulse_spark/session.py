"""SparkSession for local runs and tests. On Databricks the cluster's session is used
as it is (Delta is built in there); locally Delta's jars come from files fetched at
install time (``jobs/python/pom.xml``), never from a package download at start."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from pyspark.sql import SparkSession

JARS_ENV = "STREAMPULSE_SPARK_JARS"


def default_jars() -> list[str]:
    """Delta jars: $STREAMPULSE_SPARK_JARS (comma-separated files or a folder), else
    ``jobs/python/jars`` next to this source tree."""
    env = os.environ.get(JARS_ENV)
    if env:
        parts = [p for p in env.split(",") if p]
        if len(parts) == 1 and os.path.isdir(parts[0]):
            return sorted(glob.glob(os.path.join(parts[0], "*.jar")))
        return parts
    here = Path(__file__).resolve()
    for base in (here.parents[2] / "jars", here.parent / "jars"):
        if base.is_dir():
            return sorted(str(p) for p in base.glob("*.jar"))
    return []


def on_databricks() -> bool:
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def local_session(app: str = "streampulse", cores: int = 2, jars: list[str] | None = None, shuffle_partitions: int = 2) -> SparkSession:
    """A small local SparkSession with Delta Lake, UTC, few shuffle partitions."""
    if on_databricks():
        return SparkSession.builder.getOrCreate()
    jar_files = jars if jars is not None else default_jars()
    missing = [j for j in jar_files if not os.path.isfile(j)]
    if not jar_files or missing:
        raise RuntimeError(
            "Delta Lake jars not found (" + (", ".join(missing) or "no jars") + "): run scripts/setup.sh, "
            f"which fetches them into jobs/python/jars, or set {JARS_ENV}"
        )
    # a local session binds to loopback only (and Spark stops warning about the host name)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    b = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app)
        .config("spark.jars", ",".join(jar_files))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(cores))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", os.environ.get("STREAMPULSE_SPARK_DRIVER_MEMORY", "2g"))
        .config("spark.sql.warehouse.dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), "streampulse-spark-warehouse"))
        # Delta state reconstruction on tiny tables: one partition, not 50
        .config("spark.databricks.delta.snapshotPartitions", "1")
        .config("spark.databricks.delta.retentionDurationCheck.enabled", "false")
        .config("spark.databricks.delta.writeChecksumFile.enabled", "false")
    )
    for k, v in runtime_conf().items():
        b = b.config(k, v)
    s = b.getOrCreate()
    s.sparkContext.setLogLevel(os.environ.get("STREAMPULSE_SPARK_LOG_LEVEL", "ERROR"))
    return s


def runtime_conf() -> dict[str, str]:
    """Settings the runtime's SQL relies on, on every cluster (also set by the Databricks
    job definitions' spark_conf)."""
    return {
        "spark.sql.session.timeZone": "UTC",
        # a JSON record with a repeated key keeps the last value instead of failing the batch
        "spark.sql.mapKeyDedupPolicy": "LAST_WIN",
        "spark.sql.ansi.enabled": "false",
    }
