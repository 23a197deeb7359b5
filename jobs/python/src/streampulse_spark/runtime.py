"""The runtime: runs the jobs of a plan for one batch on a SparkSession over a storage
root, in plan order (dependencies first), and writes what each job did to
``reports/batches/<batch>/jobs/<job id>.json``. A Databricks task runs one job (or one
layer); a local run runs them all in one process. The dataset report (conservation:
rows in = promoted + quarantined + duplicates) is completed by the dataset's silver
job, from its own result and the bronze job's."""

from __future__ import annotations

import json
import re
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from pyspark.sql import SparkSession

from .bronze import BronzeResult, run_bronze
from .freshness import MODES as FRESHNESS_MODES
from .freshness import age_hours
from .gold import run_build
from .plan import JobSpec
from .silver import SilverResult, run_silver
from .storage import Storage
from .views import set_namespace

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RuntimeError_(Exception):
    """A batch that cannot run or did not conserve rows."""


def _json(o: Any) -> str:
    return json.dumps(o, indent=2, sort_keys=False, default=str) + "\n"


class Runtime:
    def __init__(
        self,
        spark: SparkSession,
        plan: list[JobSpec],
        storage_root: str,
        salt: str | None,
        on_progress: Callable[[str], None] | None = None,
        parallelism: int = 1,
        freshness: str = "enforce",
    ):
        if freshness not in FRESHNESS_MODES:
            raise RuntimeError_(f'freshness must be one of {", ".join(FRESHNESS_MODES)}, got "{freshness}"')
        self.spark = spark
        self.plan = plan
        self.storage = Storage(spark, storage_root)
        self.salt = salt
        self.on_progress = on_progress
        self.parallelism = parallelism
        self.freshness = freshness
        self._bronze: dict[tuple[str, str], BronzeResult] = {}

    def _silver_ref(self, dataset: str) -> str | None:
        p = self.storage.silver(dataset)
        return self.storage.ref(p) if self.storage.is_delta(p) else None

    def select(self, job_ids: Iterable[str] | None = None, layers: Iterable[str] | None = None) -> list[JobSpec]:
        ids = set(job_ids or [])
        lays = set(layers or [])
        known = {j["id"] for j in self.plan}
        unknown = sorted(ids - known)
        if unknown:
            raise RuntimeError_(f"unknown job id(s): {', '.join(unknown)}; the plan has {len(known)} jobs (e.g. {sorted(known)[0]})")
        return [j for j in self.plan if (not ids or j["id"] in ids) and (not lays or j["layer"] in lays)]

    def run_batch(
        self,
        run_date: str,
        batch_id: str | None = None,
        job_ids: Iterable[str] | None = None,
        layers: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        """Runs the selected jobs (default: all) for one batch; returns the batch report."""
        if not DATE_RE.match(run_date):
            raise RuntimeError_(f'"{run_date}" is not a YYYY-MM-DD date; pass --run-date YYYY-MM-DD')
        batch = batch_id or run_date
        ingested_at = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        jobs = self.select(job_ids, layers)
        datasets: list[dict[str, Any]] = []
        tables: list[dict[str, Any]] = []
        timings: dict[str, float] = {}
        total = len(jobs)
        lock = threading.Lock()
        recorded: list[str] = []
        # gold and the marts always reflect the newest processed batch: a re-run of an
        # earlier batch repairs its bronze and silver, never moves gold back in time
        as_of = self.gold_as_of(run_date) if any(j["layer"] not in ("bronze", "silver") for j in jobs) else None
        if as_of is not None and as_of != run_date and self.on_progress:
            self.on_progress(f"{batch}: gold and marts built as of {as_of}, the newest processed batch (run date {run_date})")

        def run_one(job: JobSpec) -> None:
            set_namespace(job["id"])
            t0 = time.perf_counter()
            if job["layer"] == "bronze":
                r = run_bronze(
                    self.spark, self.storage, job, batch, run_date, ingested_at, self._silver_ref, self._newest_promoted_before(job["name"], batch), self.freshness
                )
                with lock:
                    self._bronze[(batch, job["name"])] = r
                self._write_job(batch, job["id"], asdict(r))
            elif job["layer"] == "silver":
                s = run_silver(self.spark, self.storage, job, batch, self.salt)
                self._write_job(batch, job["id"], asdict(s))
                d = self._dataset_report(job["name"], batch, s)
                with lock:
                    datasets.append(d)
                self.storage.write_text(self.storage.report(batch, "datasets", f"{job['name']}.json"), _json(d))
                # the batch is processed (its silver written): later runs build gold as of its run
                # date; written once per run (parallel silver jobs would race on its temp file)
                with lock:
                    if not recorded:
                        self.storage.write_text(self.storage.report(batch, "run.json"), _json({"batch": batch, "run_date": run_date}))
                        recorded.append(batch)
            else:
                n = run_build(self.spark, self.storage, job, as_of or run_date)
                with lock:
                    tables.append({"table": job["name"], "layer": job["layer"], "rows": n})
                self._write_job(batch, job["id"], {"rows": n})
            with lock:
                timings[job["id"]] = round(time.perf_counter() - t0, 3)
                if self.on_progress:
                    self.on_progress(f"[{len(timings)}/{total}] {batch} {job['id']} {timings[job['id']]}s")

        if self.parallelism <= 1:
            for job in jobs:
                run_one(job)
        else:
            # a job starts when every job it depends on (among the selected ones) is done
            selected = {j["id"] for j in jobs}
            pending = {j["id"]: {d for d in j["depends_on"] if d in selected} for j in jobs}
            by_id = {j["id"]: j for j in jobs}
            order = {j["id"]: i for i, j in enumerate(jobs)}
            running: dict[Future[None], str] = {}
            with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
                while pending or running:
                    ready = sorted((i for i, deps in pending.items() if not deps), key=order.__getitem__)
                    for i in ready[: max(0, self.parallelism - len(running))]:
                        del pending[i]
                        running[pool.submit(run_one, by_id[i])] = i
                    if not running:
                        raise RuntimeError_(f"jobs wait on each other: {sorted(pending)}")
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for fut in done:
                        jid = running.pop(fut)
                        fut.result()  # re-raises the job's error
                        for deps in pending.values():
                            deps.discard(jid)
        datasets.sort(key=lambda d: d["dataset"])
        tables.sort(key=lambda t: (t["layer"], t["table"]))
        report: dict[str, Any] = {"batch": batch, "run_date": run_date, "datasets": datasets, "tables": tables, "seconds": timings}
        if tables and as_of is not None and as_of != run_date:
            report["gold_as_of"] = as_of  # as the local runner's batch report: only when not the run date
        broken = [d["dataset"] for d in datasets if not d["conserved"]]
        if broken:
            raise RuntimeError_(f"rows not conserved in {', '.join(broken)} ({batch}); see {self.storage.report(batch)}")
        return report

    def processed_run_dates(self) -> list[str]:
        """The run dates of the batches the lake processed, in order: a batch is processed
        once its silver jobs ran (``reports/batches/<batch>/run.json``; a batch written
        before that file existed counts when its id is a date and it has dataset reports),
        as the local runner counts the batches with a report."""
        out: set[str] = set()
        for b in self.storage.list_names(self.storage.path("reports", "batches")):
            p = self.storage.report(b, "run.json")
            if self.storage.exists(p):
                try:
                    d = json.loads(self.storage.read_text(p))["run_date"]
                except (ValueError, KeyError, TypeError) as e:
                    raise RuntimeError_(f"{p} is not a batch record ({e}); run batch {b} again to rewrite it, or move the file away") from e
                if isinstance(d, str) and DATE_RE.match(d):
                    out.add(d)
            elif DATE_RE.match(b) and any(n.endswith(".json") for n in self.storage.list_names(self.storage.report(b, "datasets"))):
                out.add(b)
        return sorted(out)

    def gold_as_of(self, run_date: str) -> str:
        """The run date gold and the marts are built as of: the newest of ``run_date`` and
        the processed batches' run dates (a re-run of an earlier batch keeps gold current)."""
        return max([run_date, *self.processed_run_dates()])

    def _newest_promoted_before(self, dataset: str, batch: str) -> str | None:
        """The newest event time of ``dataset`` promoted before ``batch``: what the latest
        earlier batch's dataset report recorded (each report carries it forward)."""
        for b in sorted((n for n in self.storage.list_names(self.storage.path("reports", "batches")) if n < batch), reverse=True):
            p = self.storage.report(b, "datasets", f"{dataset}.json")
            if self.storage.exists(p):
                try:
                    doc = json.loads(self.storage.read_text(p))
                    return doc["freshness"]["newest_event_time"]
                except (ValueError, KeyError, TypeError) as e:
                    raise RuntimeError_(f"{p} is not a dataset report ({e}); run batch {b} again to rewrite it, or move the file away") from e
        return None

    def _write_job(self, batch: str, job_id: str, doc: dict[str, Any]) -> None:
        self.storage.write_text(self.storage.report(batch, "jobs", f"{job_id}.json"), _json(doc))

    def _bronze_result(self, batch: str, dataset: str) -> BronzeResult:
        r = self._bronze.get((batch, dataset))
        if r is not None:
            return r
        p = self.storage.report(batch, "jobs", f"bronze.{dataset}.json")
        if not self.storage.exists(p):
            raise RuntimeError_(f"silver.{dataset} ran for batch {batch} before bronze.{dataset}: run the bronze job first")
        return BronzeResult(**json.loads(self.storage.read_text(p)))

    def _dataset_report(self, name: str, batch: str, s: SilverResult, run_date: str | None = None) -> dict[str, Any]:
        """``run_date``: the day freshness is measured at, when the batch id is not a date (a stream's micro-batch)."""
        b = self._bronze_result(batch, name)
        dup = {
            "in_batch": s.duplicates_in_batch,
            "of_earlier_batches": s.duplicates_of_earlier_batches,
            "superseded_versions": s.superseded,
            "relanded_file_rows": b.duplicate_file_rows,
        }
        duplicates = sum(dup.values())
        quarantined = b.quarantined + b.dropped
        bronze = next((j for j in self.plan if j["id"] == f"bronze.{name}"), None)
        quality = next((s for s in (bronze or {}).get("steps", []) if s["op"] == "quality"), {})
        sla = quality.get("freshness_sla_hours", 24)
        newest = b.newest_promoted_event_time
        age = age_hours(run_date or batch, newest)
        return {
            "dataset": name,
            "batch": batch,
            "rows_in": b.rows_in,
            "no_data": not b.files,
            "promoted": s.promoted,
            "quarantined": quarantined,
            "duplicates_dropped": duplicates,
            "conserved": b.rows_in == s.promoted + quarantined + duplicates,
            "quarantined_by_reason": b.quarantined_by_reason,
            "warned": b.warned,
            "warned_by_reason": b.warned_by_reason,
            "duplicates": dup,
            "rescued_rows": b.rescued_rows,
            "blank_lines": b.blank_lines,
            "rules": [
                {**r, "pass_rate": 1 if r["evaluated"] == 0 else round((r["evaluated"] - r["failed"]) / r["evaluated"], 4)} for r in b.rules
            ],
            "freshness": {"newest_event_time": newest, "batch_newest_event_time": b.newest_event_time, "age_hours": age, "sla_hours": sla, "within_sla": age is not None and age <= sla},
            "files": b.files,
            "notes": b.notes,
        }

    def export(self, run_date: str, batch_id: str | None = None) -> dict[str, Any]:
        """The export task: every mart as one CSV extract under ``serving/extracts/<mart>/``
        (what the copy into the serving database reads) and the batch's quality summary."""
        batch = batch_id or run_date
        marts = [j for j in self.plan if j["layer"] == "mart"]
        out: dict[str, Any] = {"batch": batch, "extracts": {}}
        for m in marts:
            df = self.spark.read.format("delta").load(self.storage.gold(m["name"]))
            cols = df.columns
            target = self.storage.path("serving", "extracts", m["name"])
            df.orderBy(*cols).coalesce(1).write.mode("overwrite").option("header", "true").csv(target)
            out["extracts"][m["name"]] = target
        datasets = []
        for name in self.storage.list_names(self.storage.report(batch, "datasets")):
            if name.endswith(".json"):
                datasets.append(json.loads(self.storage.read_text(self.storage.report(batch, "datasets", name))))
        out["datasets"] = datasets
        out["conserved"] = all(d["conserved"] for d in datasets)
        self.storage.write_text(self.storage.report(batch, "batch.json"), _json(out))
        if not out["conserved"]:
            raise RuntimeError_(f"batch {batch}: rows not conserved in {[d['dataset'] for d in datasets if not d['conserved']]}")
        return out
