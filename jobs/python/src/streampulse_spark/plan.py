"""Loading a serialized JobPlan: either one JSON file ``{spec_version, jobs: [...]}``
or a specs folder written by ``streampulse generate`` (``index.json`` listing the job
ids in execution order, one ``<id>.json`` per job spec)."""

from __future__ import annotations

import json
import os
from typing import Any, Callable

SPEC_VERSION = 1

JobSpec = dict[str, Any]


class PlanError(Exception):
    """A plan that this runtime cannot execute (wrong version, missing step)."""


def _read_default(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def load_plan(path: str, read_text: Callable[[str], str] | None = None) -> list[JobSpec]:
    """The plan's job specs in execution order (dependencies first)."""
    read = read_text or _read_default
    is_dir = path.endswith("/") or (read_text is None and os.path.isdir(path))
    if is_dir:
        base = path.rstrip("/")
        index = json.loads(read(f"{base}/index.json"))
        _check_version(index, f"{base}/index.json")
        jobs = [json.loads(read(f"{base}/{job_id}.json")) for job_id in index["jobs"]]
    else:
        doc = json.loads(read(path))
        _check_version(doc, path)
        jobs = list(doc["jobs"])
    for j in jobs:
        _check_version(j, j.get("id", "?"))
    return jobs


def _check_version(doc: dict[str, Any], where: str) -> None:
    v = doc.get("spec_version")
    if v != SPEC_VERSION:
        raise PlanError(
            f"{where}: spec_version {v!r} is not supported by this runtime (expects {SPEC_VERSION}); "
            "regenerate the specs with `streampulse generate` or upgrade streampulse-spark"
        )


def step(spec: JobSpec, op: str) -> dict[str, Any]:
    for s in spec["steps"]:
        if s["op"] == op:
            return s
    raise PlanError(f"job {spec['id']} has no {op!r} step; regenerate the job specs from the contracts")


def find_step(spec: JobSpec, op: str) -> dict[str, Any] | None:
    for s in spec["steps"]:
        if s["op"] == op:
            return s
    return None
