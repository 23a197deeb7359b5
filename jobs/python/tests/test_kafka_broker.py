"""The pytest broker (kafka_broker.py): a real Kafka broker on 127.0.0.1, started through
the workspace's serve-broker.js and gone (process and folder) when it is stopped."""

from __future__ import annotations

import os
import socket
import struct
from pathlib import Path

from kafka_broker import start_broker, stop_broker


def _api_versions(bootstrap: str) -> int:
    """Sends Kafka's ApiVersions v0 request; returns the response's error code (0: a broker answered)."""
    host, port = bootstrap.rsplit(":", 1)
    client = b"pytest"
    body = struct.pack(">hhih", 18, 0, 1, len(client)) + client
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(struct.pack(">i", len(body)) + body)
        size = struct.unpack(">i", s.recv(4))[0]
        data = b""
        while len(data) < size:
            data += s.recv(size - len(data))
    correlation, error = struct.unpack(">ih", data[:6])
    assert correlation == 1
    return error


def _group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_broker_answers_on_127_0_0_1_then_leaves_no_process_and_no_folder() -> None:
    proc, record = start_broker()
    try:
        assert record["bootstrap"].startswith("127.0.0.1:")
        assert _api_versions(record["bootstrap"]) == 0
        assert _group_alive(record["pid"])
        assert Path(record["dir"]).is_dir()
    finally:
        stop_broker(proc)
    assert proc.returncode == 0
    assert not _group_alive(record["pid"])
    assert not Path(record["dir"]).exists()
