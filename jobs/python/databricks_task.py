"""Databricks ``spark_python_task`` launcher for the StreamPulse PySpark runtime.

Upload this file to ``<workspace root>/runtime/databricks_task.py`` and the
streampulse-spark wheel to ``<workspace root>/dist/``; the generated job definitions
(``streampulse generate --out DIR`` → ``DIR/databricks/*.json``) reference both. The task
parameters are the CLI's (``run --plan … --storage-root … --run-date … --job …``).
"""

import sys

from streampulse_spark.cli import main

if __name__ == "__main__":
    sys.exit(main())
