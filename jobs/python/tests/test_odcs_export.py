"""The ODCS export of the shipped contracts passes datacontract-cli's lint.

`streampulse contracts export --format odcs` (the built CLI) writes one Open Data Contract
Standard v3.2.0 document per dataset, gold model and mart; `datacontract lint <file>`
(datacontract-cli 1.2.8, pinned in requirements.lock, from this venv) checks each against
the ODCS JSON schema it bundles for the document's apiVersion — read from the installed
package, not fetched: the lint runs without a network namespace when `unshare -n` is
available. A document that breaks the schema fails the same lint (the check can fail).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import REPO

DATACONTRACT = Path(sys.executable).parent / "datacontract"
CLI = REPO / "cli" / "dist" / "src" / "bin.js"


def _offline_prefix() -> list[str]:
    """`unshare -n` (no network at all) when this user may create the namespace, else nothing."""
    if shutil.which("unshare") is None:
        return []
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    return ["unshare", "-n"] if probe.returncode == 0 else []


OFFLINE = _offline_prefix()


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*OFFLINE, str(DATACONTRACT), "lint", str(path)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CLI.exists():
        pytest.fail("the workspace is not built (cli/dist missing): run scripts/setup.sh (tsc -b) first")
    if not DATACONTRACT.exists():
        pytest.fail(f"datacontract-cli is not installed in this venv ({DATACONTRACT}): run scripts/setup.sh")
    out = tmp_path_factory.mktemp("odcs") / "odcs"
    p = subprocess.run(["node", str(CLI), "contracts", "export", "--format", "odcs", "--out", str(out)], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert p.returncode == 0, p.stderr
    return out


def test_export_writes_one_document_per_shipped_dataset_model_and_mart(exported: Path) -> None:
    shipped = REPO / "contracts" / "streampulse"
    for folder, contracts in (("datasets", "datasets"), ("models", "gold"), ("marts", "marts")):
        expected = sorted(f"{p.stem}.odcs.yaml" for p in (shipped / contracts).glob("*.yaml"))
        assert expected, contracts
        assert sorted(p.name for p in (exported / folder).iterdir()) == expected


def test_every_exported_document_passes_datacontract_lint(exported: Path) -> None:
    docs = sorted(exported.glob("*/*.odcs.yaml"))
    assert len(docs) > 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lint, docs))
    failed = [f"{d.relative_to(exported)}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}" for d, r in zip(docs, results) if r.returncode != 0]
    assert failed == []
    for r in results:
        assert "Data contract is valid against ODCS v3.2.0" in r.stdout.replace("\n", " ")


def test_a_document_outside_the_schema_fails_the_lint(exported: Path, tmp_path: Path) -> None:
    text = (exported / "datasets" / "users.odcs.yaml").read_text()
    assert "logicalType: string" in text
    broken = tmp_path / "users.odcs.yaml"
    broken.write_text(text.replace("logicalType: string", "logicalType: varchar", 1))
    r = lint(broken)
    assert r.returncode == 1
    assert "'varchar' is not one of" in r.stdout.replace("\n", " ")
