"""Silver on Spark + Delta: a batch's promoted bronze rows → conformed, pseudonymised,
de-duplicated records (``silver/_history/<ds>``, one partition per batch, the same
records the local runner writes as its silver partitions), then a MERGE of the keys the
batch touched into the current state table ``silver/<ds>`` (SCD1: the latest version of
each key; SCD2: one row per version with ``_valid_from``/``_valid_to``/``_is_current``).

The state of a touched key is recomputed from its full history, so late data inside
the watermark lands in the right place of an SCD2 history, and re-running a batch
rewrites exactly its partition and the state of its keys (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from .bronze import write_partition
from .plan import JobSpec, PlanError, find_step
from .storage import Storage, qi, sql_str
from .views import vname, vsql


class ConservationBroken(Exception):
    pass


@dataclass
class SilverResult:
    rows_in: int
    promoted: int
    duplicates_in_batch: int
    duplicates_of_earlier_batches: int
    superseded: int


def _order_sql(order_by: list[dict[str, str]], prefix: str = "") -> str:
    return ", ".join(f"{prefix}{qi(o['column'])} {o['direction'].upper()} NULLS LAST" for o in order_by)


def pseudonym_sql(column: str, salt: str) -> str:
    """Salted SHA-256 (hex) of the value's text: sha256(salt || value), NULL stays NULL."""
    c = qi(column)
    return f"CASE WHEN {c} IS NULL THEN NULL ELSE sha2(concat({sql_str(salt)}, CAST({c} AS STRING)), 256) END"


def _replace_columns(df: DataFrame, replacements: dict[str, str]) -> DataFrame:
    exprs = [f"{replacements[c]} AS {qi(c)}" if c in replacements else qi(c) for c in df.columns]
    return df.selectExpr(*exprs)


def run_silver(spark: SparkSession, storage: Storage, spec: JobSpec, batch: str, salt: str | None) -> SilverResult:
    merge = find_step(spec, "merge")
    if merge is None:
        raise PlanError(f"job {spec['id']} has no merge step; regenerate the job specs")
    name = spec["name"]
    read = find_step(spec, "read_bronze") or {"statuses": ["passed", "warned"]}
    statuses = ", ".join(sql_str(s) for s in read["statuses"])
    bronze = storage.ref(storage.bronze(name))
    s_in = vsql(spark, f"SELECT * FROM {bronze} WHERE _batch_id = {sql_str(batch)} AND _quality_status IN ({statuses})").drop(
        "_raw_line", "_quality_status", "_quarantine_reason", "_ingested_at", "_file_sha256"
    )
    for s in spec["steps"]:
        if s["op"] == "conform":
            s_in = _replace_columns(s_in, {c["name"]: c["sql"]["spark"] for c in s["columns"]})
        elif s["op"] == "pseudonymise":
            if not salt:
                raise PlanError(f"job {spec['id']} pseudonymises {', '.join(s['columns'])} but no salt was given (secret {s['salt_secret']})")
            s_in = _replace_columns(s_in, {c: pseudonym_sql(c, salt) for c in s["columns"]})
        elif s["op"] == "drop_columns":
            s_in = s_in.drop(*s["columns"])
    s_in.createOrReplaceTempView(vname("spv_s_in"))
    key_cols: list[str] = list(merge["key"])
    key = ", ".join(qi(k) for k in key_cols)
    order = _order_sql(merge["order_by"])

    # 1. exact duplicates inside the batch (same record hash): keep the first
    # 2. records already promoted by an earlier batch (same hash): re-sent, drop
    # 3. SCD1: older versions of a key inside the batch are superseded by the latest
    hist_path = storage.history(name)
    hist_exists = storage.is_delta(hist_path)
    earlier = (
        f"(SELECT DISTINCT _record_hash FROM {storage.ref(hist_path)} WHERE _batch_id < {sql_str(batch)})"
        if hist_exists
        else "(SELECT CAST(NULL AS STRING) AS _record_hash WHERE FALSE)"
    )
    ranked = vsql(spark, 
        f"""SELECT s.*, row_number() OVER (PARTITION BY s._record_hash ORDER BY s._source_file, s._line_no) AS _exact_rank,
                   e._record_hash IS NOT NULL AS _seen_before
            FROM spv_s_in s LEFT JOIN {earlier} e ON e._record_hash = s._record_hash"""
    )
    ranked.createOrReplaceTempView(vname("spv_s_ranked0"))
    ranked = vsql(spark, 
        f"""SELECT *, CASE WHEN _exact_rank = 1 AND NOT _seen_before THEN
                row_number() OVER (PARTITION BY {key}, (_exact_rank = 1 AND NOT _seen_before) ORDER BY {order}, _source_file DESC, _line_no DESC) END AS _key_rank
            FROM spv_s_ranked0"""
    ).localCheckpoint(eager=True)
    ranked.createOrReplaceTempView(vname("spv_s_ranked"))
    scd1 = merge["mode"] == "scd1"
    stats = vsql(spark, 
        f"""SELECT count(*) AS rows_in, count_if(_exact_rank > 1) AS exact,
                   count_if(_exact_rank = 1 AND _seen_before) AS seen,
                   count_if(_exact_rank = 1 AND NOT _seen_before AND {'_key_rank > 1' if scd1 else 'FALSE'}) AS superseded,
                   count_if(_exact_rank = 1 AND NOT _seen_before{' AND _key_rank = 1' if scd1 else ''}) AS promoted
            FROM spv_s_ranked"""
    ).collect()[0]
    keep = f"_exact_rank = 1 AND NOT _seen_before{' AND _key_rank = 1' if scd1 else ''}"
    promoted_df = ranked.where(keep).drop("_exact_rank", "_seen_before", "_key_rank", "_source_file", "_line_no")
    rows_in = int(stats["rows_in"])
    exact, seen, superseded, promoted = int(stats["exact"]), int(stats["seen"]), int(stats["superseded"]), int(stats["promoted"])
    if exact + seen + superseded + promoted != rows_in:
        raise ConservationBroken(f"silver {name} {batch}: {rows_in} in ≠ {promoted} promoted + {exact + seen + superseded} duplicates")

    # keys whose state can change: this batch's keys, before and after the rewrite
    old_keys = (
        vsql(spark, f"SELECT DISTINCT {key} FROM {storage.ref(hist_path)} WHERE _batch_id = {sql_str(batch)}").localCheckpoint(eager=True)
        if hist_exists
        else None
    )
    later = hist_exists and vsql(spark, f"SELECT 1 FROM {storage.ref(hist_path)} WHERE _batch_id > {sql_str(batch)} LIMIT 1").count() > 0
    write_partition(promoted_df, hist_path, batch)
    merge_state(spark, storage, spec, merge, batch, promoted_df, old_keys, full=later or not storage.is_delta(storage.silver(name)))
    return SilverResult(rows_in, promoted, exact, seen, superseded)


def state_sql(merge: dict[str, Any], source: str) -> str:
    """The current state over a history relation: the local runner's merge-on-read
    (engine/src/silver.ts silverStateSql) in Spark SQL."""
    key = ", ".join(qi(k) for k in merge["key"])
    ordered = f"{_order_sql(merge['order_by'])}, _batch_id DESC, _record_hash"
    cols = ", ".join(qi(c) for c in merge["columns"])
    if merge["mode"] == "scd1":
        return f"SELECT {cols}, _batch_id, _record_hash FROM (SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY {ordered}) AS _rn FROM {source}) WHERE _rn = 1"
    first = merge["order_by"][0]
    asc = ", ".join(f"{qi(o['column'])} {'ASC' if o['direction'] == 'desc' else 'DESC'} NULLS FIRST" for o in merge["order_by"])
    tracked = [qi(t) for t in merge.get("tracked_columns") or []]
    changed = " OR ".join(f"({t} IS DISTINCT FROM lag({t}) OVER w)" for t in tracked) or "FALSE"
    return f"""WITH r AS (
        SELECT *, CASE WHEN lag(_record_hash) OVER w IS NULL OR {changed} THEN 1 ELSE 0 END AS _chg
        FROM {source} WINDOW w AS (PARTITION BY {key} ORDER BY {asc}, _batch_id, _record_hash)),
      v AS (SELECT *, sum(_chg) OVER (PARTITION BY {key} ORDER BY {asc}, _batch_id, _record_hash ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS _ver FROM r),
      g AS (SELECT *, min(CAST({qi(first['column'])} AS TIMESTAMP)) OVER (PARTITION BY {key}, _ver) AS _valid_from,
                   row_number() OVER (PARTITION BY {key}, _ver ORDER BY {ordered}) AS _rn FROM v)
      SELECT {cols}, _batch_id, _record_hash, _valid_from,
             lead(_valid_from) OVER (PARTITION BY {key} ORDER BY _valid_from) AS _valid_to,
             lead(_valid_from) OVER (PARTITION BY {key} ORDER BY _valid_from) IS NULL AS _is_current
      FROM g WHERE _rn = 1"""


def merge_state(
    spark: SparkSession,
    storage: Storage,
    spec: JobSpec,
    merge: dict[str, Any],
    batch: str,
    promoted: DataFrame,
    old_keys: DataFrame | None,
    full: bool,
) -> None:
    """MERGE the recomputed state of the touched keys into ``silver/<ds>``: new and
    changed versions are upserted, versions that no longer exist are deleted — one
    Delta transaction."""
    name = spec["name"]
    key_cols: list[str] = list(merge["key"])
    key = ", ".join(qi(k) for k in key_cols)
    hist = storage.ref(storage.history(name))
    target_path = storage.silver(name)
    # the state of every processed batch, later ones included: a re-run of an earlier batch
    # repairs its partition and leaves the state (and gold) as of the newest batch (issue 19)
    upto = f"(SELECT * FROM {hist})"
    if full:
        source = upto
    else:
        touched = promoted.selectExpr(*[qi(k) for k in key_cols])
        if old_keys is not None:
            touched = touched.unionByName(old_keys)
        touched.distinct().createOrReplaceTempView(vname("spv_m_touched"))
        on = " AND ".join(f"h.{qi(k)} <=> t.{qi(k)}" for k in key_cols)
        source = f"(SELECT h.* FROM {upto} h LEFT SEMI JOIN spv_m_touched t ON {on})"
    if not full and promoted.isEmpty() and (old_keys is None or old_keys.isEmpty()):
        return  # nothing touched: no commit
    state = vsql(spark, state_sql(merge, source)).localCheckpoint(eager=True)
    if not storage.is_delta(target_path):
        state.write.format("delta").mode("overwrite").save(target_path)
        return
    state.createOrReplaceTempView(vname("spv_m_state"))
    ident = [*key_cols, "_record_hash", *(["_valid_from"] if merge["mode"] == "scd2" else [])]
    on_ts = " AND ".join(f"t.{qi(c)} <=> s.{qi(c)}" for c in ident)
    scope = "" if full else f" LEFT SEMI JOIN spv_m_touched k ON {' AND '.join(f't.{qi(c)} <=> k.{qi(c)}' for c in key_cols)}"
    cols = state.columns
    src = vsql(spark, 
        f"""SELECT *, 'upsert' AS _op FROM spv_m_state
            UNION ALL
            SELECT t.*, 'delete' AS _op FROM {storage.ref(target_path)} t{scope}
            LEFT ANTI JOIN spv_m_state s ON {on_ts}"""
    )
    src.createOrReplaceTempView(vname("spv_m_src"))
    col_list = ", ".join(qi(c) for c in cols)
    sets = ", ".join(f"t.{qi(c)} = s.{qi(c)}" for c in cols)
    vals = ", ".join(f"s.{qi(c)}" for c in cols)
    vsql(spark, 
        f"""MERGE INTO {storage.ref(target_path)} t USING spv_m_src s ON {on_ts}
            WHEN MATCHED AND s._op = 'delete' THEN DELETE
            WHEN MATCHED THEN UPDATE SET {sets}
            WHEN NOT MATCHED AND s._op = 'upsert' THEN INSERT ({col_list}) VALUES ({vals})"""
    )
