"""Bronze on Spark + Delta: one batch's landing files → typed rows with audit columns,
every quality check of the spec evaluated, bad rows quarantined with their reasons.
Mirrors the local DuckDB runner (engine/src/bronze.ts) step for step; casts and
row checks are the spec's ``spark`` SQL.

Differences from the local runner, by design:
- the content-hash ledger of landing files is the bronze table itself (column
  ``_file_sha256``), so no separate state file has to be kept consistent with it;
- Spark's JSON parser accepts text after a complete top-level object
  (``{"a":1} x``); DuckDB rejects such a line. The generated sources never write one.

Lines that are not valid UTF-8 are quarantined line by line with the local runner's
reason (``encoding:invalid_utf8``) and text (the invalid bytes as U+FFFD): a file is
checked when listed (its bytes against their UTF-8 decoding), and only the lines of a
file that fails are decoded one by one, so valid files cost nothing more. Spark reads
such bytes without complaint, so without this they would be promoted with the
replacement characters in them.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Callable

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.utils import AnalysisException

from .freshness import evaluate_freshness
from .plan import JobSpec, step
from .storage import Storage, qi, sql_str
from .views import vname, vsql

INVALID_UTF8 = "encoding:invalid_utf8"
# a line (or file) is valid UTF-8 when its bytes survive decoding and encoding again (Spark 3.5's
# decode replaces an invalid sequence with U+FFFD); the decoded text is what is kept of it
_UTF8_TEXT = "decode(CAST(line AS BINARY), 'UTF-8')"
_UTF8_BAD = f"(encode({_UTF8_TEXT}, 'UTF-8') <> CAST(line AS BINARY))"

AUDIT_EXTRA = ["_source_file", "_batch_id", "_record_hash", "_ingested_at", "_quality_status", "_quarantine_reason", "_rescued", "_raw_line", "_line_no", "_file_sha256"]


class QualityFailed(Exception):
    """A check with action ``fail`` failed: the batch is not written."""


@dataclass
class BronzeResult:
    files: list[dict[str, Any]] = field(default_factory=list)
    rows_in: int = 0
    blank_lines: int = 0
    passed: int = 0
    warned: int = 0
    quarantined: int = 0
    dropped: int = 0
    duplicate_file_rows: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    warned_by_reason: dict[str, int] = field(default_factory=dict)
    rules: list[dict[str, Any]] = field(default_factory=list)
    newest_event_time: str | None = None
    newest_promoted_event_time: str | None = None
    rescued_rows: int = 0
    notes: list[str] = field(default_factory=list)


def _spark_type(t: str) -> str:
    if t.startswith("decimal("):
        return t.upper().replace(" ", "")
    return {"string": "STRING", "integer": "INT", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP"}[t]


def _cast(col: dict[str, Any], raw_sql: str) -> str:
    return str(col["cast"]["spark"]).replace("{{value}}", raw_sql)


def _non_null_array(items: list[str]) -> str:
    if not items:
        return "CAST(array() AS ARRAY<STRING>)"
    return f"filter(array({', '.join(f'CAST({i} AS STRING)' for i in items)}), x -> x IS NOT NULL)"


def list_landing(spark: SparkSession, storage: Storage, rel_dir: str, ext: str) -> list[dict[str, Any]]:
    """Files next to the contract's landing path with its extension: rel path, size, sha256, whether all of it is UTF-8."""
    base = storage.landing(rel_dir)
    if not storage.exists(base):
        return []
    try:
        df = spark.read.format("binaryFile").option("pathGlobFilter", f"*{ext}").load(base)
    except AnalysisException:
        return []
    root = storage.qualify(storage.landing()).rstrip("/") + "/"
    rows = df.select("path", "length", F.sha2("content", 256).alias("sha"), F.expr("encode(decode(content, 'UTF-8'), 'UTF-8') = content").alias("utf8")).collect()
    out = []
    for r in rows:
        p = str(r["path"])
        name = posixpath.basename(p)
        if name.startswith(".") or posixpath.dirname(p).rstrip("/") != storage.qualify(base).rstrip("/"):
            continue
        rel = p[len(root):] if p.startswith(root) else posixpath.join(rel_dir, name)
        out.append({"abs": p, "rel": rel, "size": int(r["length"]), "sha": str(r["sha"]), "utf8": bool(r["utf8"])})
    return sorted(out, key=lambda f: f["rel"])


def _lines(spark: SparkSession, abs_path: str, rel: str, utf8: bool = True) -> DataFrame:
    """Physical lines of one file with 1-based line numbers (blank lines included); for a file
    that is not all UTF-8 (``utf8`` False), ``line`` is each line's text decoded with U+FFFD
    and ``_bad_utf8`` says which lines were not valid."""
    df = spark.read.text(abs_path).select(F.monotonically_increasing_id().alias("_mid"), F.col("value").alias("line"))
    text, bad = ("line", "FALSE") if utf8 else (_UTF8_TEXT, _UTF8_BAD)
    return df.selectExpr(
        f"{sql_str(rel)} AS _source_file", "CAST(row_number() OVER (ORDER BY _mid) AS BIGINT) AS _line_no", f"{text} AS line", f"{bad} AS _bad_utf8"
    )


def _count_rows(spark: SparkSession, abs_path: str, fmt: str, header: bool, size: int) -> int:
    if size == 0:
        return 0
    n = spark.read.text(abs_path).where("trim(value) <> ''").count()
    return max(0, n - 1) if fmt == "csv" and header else n


def _parsed_schema_cols(cols: list[dict[str, Any]]) -> str:
    return ", ".join(f"CAST(NULL AS {_spark_type(c['type'])}) AS {qi(c['name'])}" for c in cols)


def _parse_jsonl(spark: SparkSession, lines: DataFrame, view: str, cols: list[dict[str, Any]]) -> DataFrame:
    lines.createOrReplaceTempView(vname(view))
    declared = ", ".join(sql_str(c["name"]) for c in cols)
    def val(c: dict[str, Any]) -> str:
        return "_m[" + sql_str(c["name"]) + "]"

    typed = ",\n ".join(f"{_cast(c, val(c))} AS {qi(c['name'])}" for c in cols)
    type_err = [f"CASE WHEN {val(c)} IS NOT NULL AND {qi(c['name'])} IS NULL THEN {sql_str('type:' + c['name'])} END" for c in cols]
    df = vsql(spark, 
        f"""
        WITH j AS (
          SELECT _source_file, _line_no, line, _bad_utf8, CASE WHEN NOT _bad_utf8 THEN from_json(line, 'map<string,string>') END AS _m
          FROM {view} WHERE line IS NOT NULL AND trim(line) <> ''),
        t AS (SELECT *, {typed} FROM j)
        SELECT _source_file, _line_no, line AS _raw_line, _m IS NOT NULL AS _ok,
               CASE WHEN _bad_utf8 THEN {sql_str(INVALID_UTF8)} WHEN _m IS NULL THEN 'unparseable:not_a_json_object' END AS _parse_error,
               {', '.join(qi(c['name']) for c in cols)},
               CASE WHEN _m IS NULL THEN CAST(array() AS ARRAY<STRING>) ELSE {_non_null_array(type_err)} END AS _type_errors,
               CASE WHEN _m IS NOT NULL AND size(filter(map_keys(_m), k -> NOT array_contains(array({declared}), k))) > 0
                    THEN to_json(map_filter(_m, (k, v) -> NOT array_contains(array({declared}), k))) END AS _rescued,
               sha2(line, 256) AS _record_hash
        FROM t"""
    )
    return df


def _split_header(line: str, delimiter: str) -> list[str]:
    out = []
    for h in line.split(delimiter):
        h = h.strip()
        if len(h) >= 2 and h.startswith('"') and h.endswith('"'):
            h = h[1:-1]
        out.append(h)
    return out


def _parse_csv(
    spark: SparkSession, abs_path: str, rel: str, view: str, cols: list[dict[str, Any]], csv: dict[str, Any], notes: list[str], utf8: bool = True
) -> DataFrame:
    delim = csv.get("delimiter", ",")
    has_header = bool(csv.get("header", True))
    declared = [c["name"] for c in cols]
    lines = _lines(spark, abs_path, rel, utf8)
    first = lines.where("_line_no = 1").select("line").collect()
    first_line = (str(first[0]["line"] or "") if first else "").lstrip("\ufeff")
    header = _split_header(first_line, delim) if has_header else declared
    missing = [c for c in declared if c not in header]
    missing_required = [c["name"] for c in cols if c.get("required") and c["name"] in missing]
    names = ", ".join(qi(c) for c in declared)
    if missing_required or len(set(header)) != len(header):
        why = f"file:wrong_header (missing {', '.join(missing_required)})" if missing_required else "file:wrong_header (duplicate column names)"
        notes.append(f'{rel}: {why}; header was "{delim.join(header)}"')
        lines.createOrReplaceTempView(vname(view))
        return vsql(spark, 
            f"""SELECT _source_file, _line_no, line AS _raw_line, FALSE AS _ok,
                       CASE WHEN _bad_utf8 THEN {sql_str(INVALID_UTF8)} ELSE {sql_str(why)} END AS _parse_error,
                       {_parsed_schema_cols(cols)}, CAST(array() AS ARRAY<STRING>) AS _type_errors, CAST(NULL AS STRING) AS _rescued,
                       sha2(line, 256) AS _record_hash
                FROM {view} WHERE _line_no > {1 if has_header else 0} AND line IS NOT NULL AND trim(line) <> ''"""
        ).select("_source_file", "_line_no", "_raw_line", "_ok", "_parse_error", *declared, "_type_errors", "_rescued", "_record_hash")
    raw_names = [f"__raw_{h}" for h in header]
    schema = ", ".join(f"{qi(r)} STRING" for r in raw_names) + ", `_corrupt_record` STRING"
    csv_options = {"sep": delim, "quote": '"', "escape": '"', "mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"}
    invalid: DataFrame | None = None
    if utf8:
        df = spark.read.option("header", str(has_header).lower()).options(**csv_options).schema(schema).csv(abs_path).withColumn("_mid", F.monotonically_increasing_id())
        # a corrupt record's physical line: its number among the records, after the header
        line_of_mid = f"row_number() OVER (ORDER BY _mid) + {1 if has_header else 0}"
    else:
        # lines that are not UTF-8 are quarantined as they are; the others are parsed one by one
        # with the reader's own parser (from_csv: the same options, the same corrupt records)
        body = lines.where(f"_line_no > {1 if has_header else 0} AND line IS NOT NULL AND trim(line) <> ''")
        invalid = body.where("_bad_utf8").selectExpr(
            "_source_file",
            "CAST(1000000000 + _line_no AS BIGINT) AS _line_no",
            "line AS _raw_line",
            "FALSE AS _ok",
            f"{sql_str(INVALID_UTF8)} AS _parse_error",
            *[f"CAST(NULL AS {_spark_type(c['type'])}) AS {qi(c['name'])}" for c in cols],
            "CAST(array() AS ARRAY<STRING>) AS _type_errors",
            "CAST(NULL AS STRING) AS _rescued",
            "sha2(line, 256) AS _record_hash",
        )
        df = body.where("NOT _bad_utf8").select(F.from_csv(F.col("line"), schema, csv_options).alias("_r"), F.col("_line_no").alias("_mid")).select("_r.*", "_mid")
        line_of_mid = "_mid"
        n_bad = invalid.count()
        notes.append(f"{rel}: {n_bad} record(s) not valid UTF-8 quarantined as {INVALID_UTF8}; the other records were read")
    df.createOrReplaceTempView(vname(view))
    extra = [h for h in header if h not in declared]

    def raw(c: str) -> str:
        return f"nullif({qi('__raw_' + c)}, '')" if c in header else "CAST(NULL AS STRING)"

    typed = ", ".join(f"{_cast(c, raw(c['name']))} AS {qi(c['name'])}" for c in cols)
    type_err = [f"CASE WHEN {raw(c['name'])} IS NOT NULL AND {qi(c['name'])} IS NULL THEN {sql_str('type:' + c['name'])} END" for c in cols]
    opts = "map('ignoreNullFields', 'false')"
    extra_pairs = ", ".join(f"{sql_str(e)}, {qi('__raw_' + e)}" for e in extra)
    rescued = f"to_json(named_struct({extra_pairs}), {opts})" if extra else "CAST(NULL AS STRING)"
    raw_line = f"to_json(named_struct({', '.join(f'{sql_str(h)}, {qi(r)}' for h, r in zip(header, raw_names))}), {opts})"
    hashed = f"sha2(concat_ws(char(31), {', '.join(f'coalesce({qi(r)}, char(0))' for r in raw_names)}), 256)"
    # a corrupt row (wrong number of fields): quarantined with its text, as the local
    # runner's CSV rejects; field count decides the reason (delimiters outside quotes)
    split_re = sql_str(f"\\Q{delim}\\E(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)")
    good = vsql(spark, 
        f"""WITH s AS (SELECT * FROM {view} WHERE _corrupt_record IS NULL),
                 t AS (SELECT *, {typed} FROM s)
            SELECT {sql_str(rel)} AS _source_file, CAST(row_number() OVER (ORDER BY _mid) AS BIGINT) AS _line_no, {raw_line} AS _raw_line,
                   TRUE AS _ok, CAST(NULL AS STRING) AS _parse_error, {names},
                   {_non_null_array(type_err)} AS _type_errors, {rescued} AS _rescued, {hashed} AS _record_hash
            FROM t"""
    )
    bad = vsql(spark, 
        f"""WITH a AS (SELECT *, {line_of_mid} AS _n FROM {view})
            SELECT {sql_str(rel)} AS _source_file, CAST(1000000000 + _n AS BIGINT) AS _line_no, _corrupt_record AS _raw_line,
                   FALSE AS _ok,
                   CASE WHEN size(split(_corrupt_record, {split_re})) > {len(header)} THEN 'unparseable:too_many_columns' ELSE 'unparseable:missing_columns' END AS _parse_error,
                   {_parsed_schema_cols(cols)}, CAST(array() AS ARRAY<STRING>) AS _type_errors, CAST(NULL AS STRING) AS _rescued,
                   sha2(_corrupt_record, 256) AS _record_hash
            FROM a WHERE _corrupt_record IS NOT NULL"""
    )
    return good.unionByName(bad) if invalid is None else good.unionByName(bad).unionByName(invalid)


def run_bronze(
    spark: SparkSession,
    storage: Storage,
    spec: JobSpec,
    batch: str,
    run_date: str,
    ingested_at: str,
    silver_ref: Callable[[str], str | None],
    newest_before: str | None = None,
    freshness: str = "enforce",
) -> BronzeResult:
    read = step(spec, "read_landing")
    parse = step(spec, "parse")
    cols: list[dict[str, Any]] = parse["columns"]
    res = BronzeResult()
    bronze_path = storage.bronze(spec["name"])
    bronze_exists = storage.is_delta(bronze_path)

    # ---- files: a re-landed identical file (same content hash) is recognised
    rel_path = str(read["path"]).replace("{date}", run_date)
    rel_dir, ext = posixpath.dirname(rel_path), posixpath.splitext(rel_path)[1]
    listed = list_landing(spark, storage, rel_dir, ext)
    prior: dict[str, list[tuple[str, str]]] = {}
    if bronze_exists and listed:
        shas = ", ".join(sql_str(f["sha"]) for f in listed)
        for r in vsql(spark, 
            f"SELECT DISTINCT _file_sha256 AS sha, _batch_id AS b, _source_file AS f FROM {storage.ref(bronze_path)} WHERE _file_sha256 IN ({shas}) ORDER BY b, f"
        ).collect():
            prior.setdefault(str(r["sha"]), []).append((str(r["b"]), str(r["f"])))
    to_read: list[dict[str, Any]] = []
    seen: dict[str, str] = {}
    for f in listed:
        others = [p for p in prior.get(f["sha"], []) if not (p[0] == batch and p[1] == f["rel"])]
        dup_of = others[0][1] if others else seen.get(f["sha"])
        if dup_of is not None:
            rows = _count_rows(spark, f["abs"], read["format"], bool((read.get("csv") or {}).get("header", True)), f["size"])
            res.duplicate_file_rows += rows
            res.files.append({"file": f["rel"], "rows": rows, "sha256": f["sha"], "duplicateOf": dup_of})
            res.notes.append(f"{f['rel']} is identical to {dup_of} (sha256 {f['sha'][:12]}…): its {rows} rows count as duplicates")
            continue
        seen[f["sha"]] = f["rel"]
        res.files.append({"file": f["rel"], "rows": 0, "sha256": f["sha"]})
        to_read.append(f)
    if not listed:
        res.notes.append(f"no landing file for {batch} under {rel_dir}")

    # ---- raw rows with a uniform shape
    parts: list[DataFrame] = []
    blanks: list[str] = []
    for i, f in enumerate(to_read):
        if f["size"] == 0:
            res.notes.append(f"{f['rel']} is empty (0 bytes)")
            continue
        view = f"spv_b_file{i}"
        if read["format"] == "jsonl":
            lines = _lines(spark, f["abs"], f["rel"], f["utf8"])
            df = _parse_jsonl(spark, lines, view, cols)
            if not f["utf8"]:
                bad = [int(r["_line_no"]) for r in lines.where("_bad_utf8").select("_line_no").orderBy("_line_no").collect()]
                shown = ", ".join(str(n) for n in bad[:5]) + (", …" if len(bad) > 5 else "")
                res.notes.append(f"{f['rel']}: {len(bad)} line(s) not valid UTF-8 ({shown}) quarantined as {INVALID_UTF8}; the other lines were read")
            blanks.append(f"SELECT 'blank' AS kind, _source_file AS key, count(*) AS n, CAST(NULL AS STRING) AS s FROM {view} WHERE line IS NULL OR trim(line) = '' GROUP BY 2")
        else:
            df = _parse_csv(spark, f["abs"], f["rel"], view, cols, read.get("csv") or {"delimiter": ",", "header": True}, res.notes, f["utf8"])
        parts.append(df.withColumn("_file_sha256", F.lit(f["sha"])))
    if parts:
        parsed = parts[0]
        for p in parts[1:]:
            parsed = parsed.unionByName(p)
    else:
        parsed = vsql(spark, 
            f"""SELECT CAST(NULL AS STRING) AS _source_file, CAST(NULL AS BIGINT) AS _line_no, CAST(NULL AS STRING) AS _raw_line,
                       CAST(NULL AS BOOLEAN) AS _ok, CAST(NULL AS STRING) AS _parse_error, {_parsed_schema_cols(cols)},
                       CAST(array() AS ARRAY<STRING>) AS _type_errors, CAST(NULL AS STRING) AS _rescued, CAST(NULL AS STRING) AS _record_hash,
                       CAST(NULL AS STRING) AS _file_sha256 WHERE FALSE"""
        )
    return check_and_write(spark, storage, spec, batch, run_date, ingested_at, silver_ref, newest_before, freshness, res, parsed, blanks)


Writer = Callable[[DataFrame, str, str], None]


def check_and_write(
    spark: SparkSession,
    storage: Storage,
    spec: JobSpec,
    batch: str,
    run_date: str,
    ingested_at: str,
    silver_ref: Callable[[str], str | None],
    newest_before: str | None,
    freshness: str,
    res: BronzeResult,
    parsed: DataFrame,
    blanks: list[str],
    write: Writer | None = None,
) -> BronzeResult:
    """The parsed rows of a batch (``_parse_jsonl``/``_parse_csv``'s shape, with
    ``_file_sha256``) → every check, the audit columns, the report's figures, and the
    bronze and quarantine writes (``write(df, table path, batch)``; default: replace the
    batch's partition). The landing files' bronze job and the stream's micro-batches
    (``stream.py``) both end here."""
    wm = step(spec, "watermark")
    quality = step(spec, "quality")
    cols: list[dict[str, Any]] = step(spec, "parse")["columns"]
    name = spec["name"]
    bronze_path = storage.bronze(name)
    write = write or write_partition
    parsed.createOrReplaceTempView(vname("spv_b_parsed"))

    # ---- checks → reasons per action (the same reasons as the local runner)
    checks: list[dict[str, Any]] = quality["checks"]
    evt = qi(wm["event_time"])
    cutoff = f"(CAST({sql_str(run_date)} AS TIMESTAMP) - INTERVAL {int(wm['max_delay_hours'])} HOURS)"
    parse_reason = "CASE WHEN NOT _ok THEN coalesce(_parse_error, 'unparseable') END"
    wm_reason = f"CASE WHEN _ok AND p.{evt} IS NOT NULL AND CAST(p.{evt} AS TIMESTAMP) < {cutoff} THEN 'late:beyond_watermark' END"
    by_action: dict[str, list[str]] = {"quarantine": [], "drop": [], "warn": [], "fail": []}
    for c in checks:
        if c.get("passes") is not None:
            by_action[c["action"]].append(f"CASE WHEN _ok AND NOT coalesce(({c['passes']['spark']}), FALSE) THEN {sql_str(c['id'])} END")
    joins: list[str] = []
    jn = 0
    for c in checks:
        if c["rule"] == "unique" and c.get("columns"):
            part = ", ".join(f"p.{qi(x)}" for x in c["columns"])
            nn = " AND ".join(f"p.{qi(x)} IS NOT NULL" for x in c["columns"])
            by_action[c["action"]].append(
                f"CASE WHEN _ok AND {nn} AND row_number() OVER (PARTITION BY {part}, _ok ORDER BY _source_file, _line_no) > 1 "
                f"AND count(*) OVER (PARTITION BY {part}, _record_hash) < count(*) OVER (PARTITION BY {part}) THEN {sql_str(c['id'])} END"
            )
        if c["rule"] == "referential" and c.get("references") and c.get("columns"):
            table = str(c["references"]["table"])
            parent = table.removeprefix("{{silver.").removesuffix("}}")
            ref = silver_ref(parent)
            col0 = qi(c["columns"][0])
            alias = f"r{jn}"
            jn += 1
            if ref is None:
                by_action[c["action"]].append(f"CASE WHEN _ok AND p.{col0} IS NOT NULL THEN {sql_str(c['id'])} END")
            else:
                joins.append(f"LEFT JOIN (SELECT DISTINCT {qi(c['references']['column'])} AS k FROM {ref}) {alias} ON {alias}.k = p.{col0}")
                by_action[c["action"]].append(f"CASE WHEN _ok AND p.{col0} IS NOT NULL AND {alias}.k IS NULL THEN {sql_str(c['id'])} END")
    vsql(spark, 
        f"""SELECT p.*,
              concat({_non_null_array([parse_reason])}, _type_errors, {_non_null_array([wm_reason, *by_action['quarantine']])}) AS _q,
              {_non_null_array(by_action['drop'])} AS _d,
              {_non_null_array(by_action['warn'])} AS _w,
              {_non_null_array(by_action['fail'])} AS _f
            FROM spv_b_parsed p {' '.join(joins)}"""
    ).createOrReplaceTempView(vname("spv_b_checked"))
    status = "CASE WHEN size(_q) > 0 THEN 'quarantined' WHEN size(_d) > 0 THEN 'dropped' WHEN size(_w) > 0 THEN 'warned' ELSE 'passed' END"
    reason = "nullif(array_join(concat(_q, _d, _w), '; '), '')"
    col_list = ", ".join(qi(c["name"]) for c in cols)
    final = vsql(spark, 
        f"""SELECT {col_list}, _source_file, {sql_str(batch)} AS _batch_id, _record_hash, CAST({sql_str(ingested_at)} AS TIMESTAMP) AS _ingested_at,
                   {status} AS _quality_status, {reason} AS _quarantine_reason, _rescued, _raw_line, _line_no, _file_sha256,
                   _ok, _q, _d, _w, _f
            FROM spv_b_checked"""
    ).localCheckpoint(eager=True)
    final.createOrReplaceTempView(vname("spv_b_final"))

    # ---- every count of the report in one query (a row counts once, under its first reason)
    stats_sql = " UNION ALL ".join(
        [
            "SELECT 'status' AS kind, _quality_status AS key, count(*) AS n, CAST(NULL AS STRING) AS s FROM spv_b_final GROUP BY 2",
            "SELECT 'rescued', NULL, count_if(_rescued IS NOT NULL), NULL FROM spv_b_final",
            f"SELECT 'newest', NULL, 0, CAST(max(CASE WHEN _quality_status IN ('passed', 'warned') THEN {evt} END) AS STRING) FROM spv_b_final",
            "SELECT 'file', _source_file, count(*), NULL FROM spv_b_final GROUP BY 2",
            "SELECT 'evaluated', NULL, count_if(_ok), NULL FROM spv_b_final",
            "SELECT 'qd', concat(_q, _d)[0], count(*), NULL FROM spv_b_final WHERE size(concat(_q, _d)) > 0 GROUP BY 2",
            "SELECT 'w', _w[0], count(*), NULL FROM spv_b_final WHERE size(_w) > 0 AND _quality_status = 'warned' GROUP BY 2",
            "SELECT 'rule', id, count(*), NULL FROM (SELECT explode(concat(_q, _d, _w)) AS id FROM spv_b_final) GROUP BY 2",
            "SELECT 'fail', id, count(*), NULL FROM (SELECT explode(_f) AS id FROM spv_b_final) GROUP BY 2",
            *blanks,
        ]
    )
    stats: dict[str, dict[str | None, Any]] = {}
    for r in vsql(spark, stats_sql).collect():
        stats.setdefault(str(r["kind"]), {})[r["key"]] = r["s"] if r["kind"] == "newest" else int(r["n"])
    failed = sorted((stats.get("fail") or {}).items())
    if failed:
        what = ", ".join(f"{k} ({n} rows)" for k, n in failed)
        raise QualityFailed(
            f"{name} batch {batch}: a check with action \"fail\" failed: {what}; the batch was not written. "
            f"Fix the source data or relax the rule's action in {spec['contract']}"
        )
    # ---- freshness rules: once per batch, on the newest event promoted so far
    batch_newest = (stats.get("newest") or {}).get(None)
    fresh = evaluate_freshness(run_date, wm["event_time"], checks, batch_newest, newest_before, freshness)
    if fresh.stops:
        raise QualityFailed(
            f"{name} batch {batch}: {'; '.join(fresh.stops)}; the batch was not written. "
            f"Check that the batch's landing files of {name} are complete: land a late or missing file and run the batch again. "
            f"If the source really was quiet (a backfill of sparse history, a small synthetic run), run with --freshness report. "
            f"The rule is in {spec['contract']}"
        )
    res.notes.extend(fresh.notes)
    out = final.drop("_ok", "_q", "_d", "_w", "_f")

    # ---- bronze (every row) and quarantine (quarantined + dropped), idempotent per batch
    write(out, bronze_path, batch)
    by_status = stats.get("status") or {}
    n_q = int(by_status.get("quarantined", 0)) + int(by_status.get("dropped", 0))
    q_path = storage.quarantine(name)
    if n_q > 0 or (storage.is_delta(q_path) and vsql(spark, f"SELECT 1 FROM {storage.ref(q_path)} WHERE _batch_id = {sql_str(batch)} LIMIT 1").count() > 0):
        write(out.where("_quality_status IN ('quarantined', 'dropped')"), q_path, batch)

    evaluated = int((stats.get("evaluated") or {}).get(None, 0))
    failed_by = stats.get("rule") or {}
    rules = [
        {"id": c["id"], "rule": c["rule"], "action": c["action"], "evaluated": evaluated, "failed": int(failed_by.get(c["id"], 0))}
        for c in checks
        if c["rule"] != "freshness"
    ]
    rules.append({"id": "watermark", "rule": "watermark", "action": "quarantine", "evaluated": evaluated, "failed": int(failed_by.get("late:beyond_watermark", 0))})
    rules.extend(fresh.rules)
    per_file = stats.get("file") or {}
    for f in res.files:
        if "duplicateOf" not in f:
            f["rows"] = int(per_file.get(f["file"], 0))
    res.blank_lines = sum(int(n) for n in (stats.get("blank") or {}).values())
    total = sum(int(n) for n in by_status.values())
    res.rows_in = total + res.duplicate_file_rows
    res.passed = int(by_status.get("passed", 0))
    res.warned = int(by_status.get("warned", 0))
    res.quarantined = int(by_status.get("quarantined", 0))
    res.dropped = int(by_status.get("dropped", 0))
    res.rescued_rows = int((stats.get("rescued") or {}).get(None, 0))
    res.newest_event_time = batch_newest
    res.newest_promoted_event_time = fresh.newest
    res.quarantined_by_reason = {str(k): int(v) for k, v in sorted((stats.get("qd") or {}).items())}
    res.warned_by_reason = {str(k): int(v) for k, v in sorted((stats.get("w") or {}).items())}
    res.rules = rules
    return res


def write_partition(df: DataFrame, path: str, batch: str) -> None:
    """Replaces exactly one batch partition of a Delta table (creates the table on first use)."""
    (
        df.write.format("delta")
        .mode("overwrite")
        .partitionBy("_batch_id")
        .option("replaceWhere", f"_batch_id = {sql_str(batch)}")
        .option("mergeSchema", "true")
        .save(path)
    )
