"""A real local Kafka broker for the Python tests: the same broker the Node tests start.

``kafka_broker`` (session scope) returns its bootstrap address, ``127.0.0.1:<port>``
(PLAINTEXT). It runs ``node rehearsal/dist/src/kafka/serve-broker.js`` — the workspace's
``startKafkaBroker`` (Kafka 4.1 in KRaft mode from ``.cache/kafka/jars``, fetched by
scripts/setup.sh; ports chosen free on 127.0.0.1; the same generated server.properties) —
reads the one JSON line it prints when the broker answers, and at the end of the session
closes the script's stdin, which stops the broker and removes its folder. When this
Python process dies instead, the closed pipe stops the broker too.

Use it from a test module or conftest.py::

    from kafka_broker import kafka_broker  # noqa: F401  (the fixture)

    def test_x(kafka_broker: str) -> None: ...

``kafka_broker_info`` gives the whole record (``bootstrap``, ``dir``, ``logFile``, ``pid``).
"""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "rehearsal" / "dist" / "src" / "kafka" / "serve-broker.js"
START_TIMEOUT_S = 180


def start_broker(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """Starts serve-broker.js (extra args: ``--sasl plain|oauthbearer-unsecured``, ``--partitions N``);
    returns the process and the broker's record. Fails the test with the broker's message."""
    if not SCRIPT.exists():
        pytest.fail(f"{SCRIPT} is missing: the workspace is not built (run scripts/setup.sh, or tsc -b)")
    proc = subprocess.Popen(
        ["node", str(SCRIPT), *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stderr_lines: list[str] = []
    threading.Thread(target=lambda: stderr_lines.extend(proc.stderr or []), daemon=True).start()
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    if not line or not line[0].strip():
        proc.kill()
        pytest.fail(f"the Kafka broker did not start within {START_TIMEOUT_S} s:\n{''.join(stderr_lines)[-4000:]}")
    record = json.loads(line[0])
    if "error" in record:
        proc.wait(30)
        pytest.fail(f"{record['code']}: {record['error']}\n  fix: {record['remedy']}")
    return proc, record


def stop_broker(proc: subprocess.Popen[str]) -> None:
    """Closes the script's stdin (it stops the broker, removes its folder and exits)."""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="session")
def kafka_broker_info() -> Iterator[dict[str, Any]]:
    proc, record = start_broker()
    try:
        yield record
    finally:
        stop_broker(proc)


@pytest.fixture(scope="session")
def kafka_broker(kafka_broker_info: dict[str, Any]) -> str:
    """The bootstrap address of the session's broker: ``127.0.0.1:<port>`` (PLAINTEXT)."""
    return str(kafka_broker_info["bootstrap"])
