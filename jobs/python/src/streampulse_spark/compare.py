"""Engine parity: the rows of a gold table or mart from the local DuckDB runner (its
Parquet file) against the same table from the PySpark runtime (Delta), both read by
Spark and cast to the contract's column types, so one engine renders both sides.

Rows are compared as ordered row hashes. The one documented tolerance: ``double``
columns (ratios and averages) may differ in the last bits between engines (the order
of floating-point additions differs), so they are compared with a relative tolerance
of 1e-9 (absolute 1e-12 around zero) when the exact hashes differ. Every other type —
strings, integers, decimals, dates, timestamps, booleans — must be equal exactly.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame

REL_TOL = 1e-9
ABS_TOL = 1e-12

_TYPES = {"string": "STRING", "integer": "INT", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}


def _spark_type(t: str) -> str:
    return t.upper().replace(" ", "") if t.startswith("decimal(") else _TYPES[t]


def canonical_rows(df: DataFrame, columns: list[dict[str, str]]) -> list[tuple[Any, ...]]:
    """Rows as tuples: doubles as floats (or None), every other value as Spark's text of the contract type."""
    exprs = []
    for c in columns:
        q = "`" + c["name"].replace("`", "``") + "`"
        if c["type"] == "double":
            exprs.append(f"CAST({q} AS DOUBLE) AS {q}")
        else:
            exprs.append(f"CAST(CAST({q} AS {_spark_type(c['type'])}) AS STRING) AS {q}")
    rows = [tuple(r) for r in df.selectExpr(*exprs).collect()]
    return sorted(rows, key=_sort_key)


def _sort_key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("\x00" if v is None else (f"{v:.9g}" if isinstance(v, float) else str(v)) for v in row)


def row_hash(rows: list[tuple[Any, ...]]) -> str:
    """sha256 over the ordered rows' exact text (doubles by repr)."""
    h = hashlib.sha256()
    for r in rows:
        h.update(("\x1f".join("\x00" if v is None else repr(v) if isinstance(v, float) else str(v) for v in r) + "\n").encode("utf-8"))
    return h.hexdigest()


@dataclass
class TableParity:
    table: str
    rows_left: int
    rows_right: int
    hash_left: str
    hash_right: str
    exact: bool
    within_tolerance: bool
    max_rel_diff: float
    mismatch: str | None

    @property
    def ok(self) -> bool:
        return self.exact or self.within_tolerance


def compare_tables(table: str, left: DataFrame, right: DataFrame, columns: list[dict[str, str]]) -> TableParity:
    a = canonical_rows(left, columns)
    b = canonical_rows(right, columns)
    ha, hb = row_hash(a), row_hash(b)
    exact = ha == hb
    within = exact
    max_rel = 0.0
    mismatch = None
    if not exact:
        within = len(a) == len(b)
        if not within:
            mismatch = f"{len(a)} rows vs {len(b)} rows"
        for ra, rb in zip(a, b):
            if not within:
                break
            for c, va, vb in zip(columns, ra, rb):
                if isinstance(va, float) and isinstance(vb, float) and c["type"] == "double":
                    if not math.isclose(va, vb, rel_tol=REL_TOL, abs_tol=ABS_TOL):
                        within, mismatch = False, f"{c['name']}: {va!r} vs {vb!r} in {ra} / {rb}"
                        break
                    if va != vb:
                        max_rel = max(max_rel, abs(va - vb) / max(abs(va), abs(vb)))
                elif va != vb:
                    within, mismatch = False, f"{c['name']}: {va!r} vs {vb!r} in {ra} / {rb}"
                    break
    return TableParity(table, len(a), len(b), ha, hb, exact, within, max_rel, mismatch)
