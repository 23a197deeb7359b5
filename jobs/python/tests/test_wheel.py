"""The streampulse-spark wheel as Databricks installs it: built from this project offline
(pip wheel --no-build-isolation with the setuptools + wheel of requirements.lock, as the
bundle's artifact build does with isolation), checked from its own metadata.

Documented contract: a library for a Databricks cluster must not require what the
Databricks Runtime provides (pyspark, delta-spark): pip would install open-source PySpark
over the runtime's own. ``python_wheel_task`` runs ``package_name`` + ``entry_point``, an
entry point of the wheel's metadata (entry_points.txt)."""

from __future__ import annotations

import configparser
import email.parser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
RUNTIME_PROVIDED = {"pyspark", "delta-spark"}


def _name(requirement: str) -> str:
    """The normalised distribution name of a Requires-Dist value (PEP 503)."""
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert m, requirement
    return re.sub(r"[-_.]+", "-", m.group(1)).lower()


def _marker(requirement: str) -> str:
    return requirement.split(";", 1)[1].strip() if ";" in requirement else ""


REPO = PROJECT.parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    # built where the bundle's artifact build builds it: the runtime/ folder `streampulse
    # generate` writes into the bundle (a copy of this project's pyproject.toml and src/)
    if not (REPO / "cli" / "dist" / "src" / "bin.js").exists():
        pytest.fail("the workspace is not built (cli/dist missing): run scripts/setup.sh (tsc -b) first")
    gen = tmp_path_factory.mktemp("generated")
    done = subprocess.run(["node", "cli/dist/src/bin.js", "generate", "--out", str(gen)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    src = gen / "databricks" / "runtime"
    modules = sorted(p.name for p in (PROJECT / "src" / "streampulse_spark").glob("*.py"))
    assert sorted(p.name for p in (src / "src" / "streampulse_spark").glob("*.py")) == modules
    out = tmp_path_factory.mktemp("dist")
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--disable-pip-version-check", "--wheel-dir", str(out), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = sorted(out.glob("*.whl"))
    assert [w.name for w in wheels] == ["streampulse_spark-0.1.0-py3-none-any.whl"]
    whl = zipfile.ZipFile(wheels[0])
    assert sorted(n.split("/")[-1] for n in whl.namelist() if n.startswith("streampulse_spark/")) == modules
    return whl


def _dist_info(whl: zipfile.ZipFile, name: str) -> str:
    (path,) = [n for n in whl.namelist() if n.endswith(f".dist-info/{name}")]
    return whl.read(path).decode("utf-8")


def test_the_wheel_requires_neither_pyspark_nor_delta_spark_outside_the_spark_extra_checked_against_the_documented_contract(wheel: zipfile.ZipFile) -> None:
    meta = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    requires = meta.get_all("Requires-Dist") or []
    assert meta["Name"] == "streampulse-spark"
    # every pyspark / delta-spark requirement is behind the `spark` extra ...
    unconditional = [r for r in requires if _name(r) in RUNTIME_PROVIDED and 'extra == "spark"' not in _marker(r)]
    assert unconditional == []
    # ... and the extra carries the pinned pair of the 15.4 LTS line (Spark 3.5, Delta 3.x)
    assert "spark" in (meta.get_all("Provides-Extra") or [])
    pinned = {_name(r): r.split(";", 1)[0].strip() for r in requires if 'extra == "spark"' in _marker(r)}
    assert set(pinned) == RUNTIME_PROVIDED
    assert re.fullmatch(r"pyspark==3\.5\.\d+", pinned["pyspark"])
    assert re.fullmatch(r"delta-spark==3\.\d+\.\d+", pinned["delta-spark"])
    # nothing else is installed on the cluster with the wheel
    assert [r for r in requires if not _marker(r)] == []


def test_the_wheel_has_the_console_script_the_python_wheel_task_runs_checked_against_the_documented_contract(wheel: zipfile.ZipFile) -> None:
    ep = configparser.ConfigParser()
    ep.optionxform = str  # type: ignore[assignment,method-assign]  # entry point names are case-sensitive
    ep.read_string(_dist_info(wheel, "entry_points.txt"))
    # RUNTIME_WHEEL in jobs/src/deploy-names.ts: entry point streampulse-spark of package streampulse_spark
    assert dict(ep["console_scripts"]) == {"streampulse-spark": "streampulse_spark.cli:main"}
    names = wheel.namelist()
    assert "streampulse_spark/cli.py" in names and "streampulse_spark/__init__.py" in names
    assert not [n for n in names if n.startswith("tests/") or n.endswith(".jar")]
