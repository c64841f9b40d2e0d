"""A hall server that stops keeps no database file open: a technician's restart, or a test suite
that starts hundreds of apps, must not run the process out of file descriptors (pyserial's select()
fails above 1024, and the boards go dark)."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from fastapi.testclient import TestClient

from onevisit.hall.app import create_app


def files_open_under(folder: Path) -> list[str]:
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            out.append(target)
    return out


def test_a_stopped_hall_server_keeps_no_database_file_open(hall_config, clock, tmp_path):
    for _ in range(3):
        app = create_app(hall_config, db_path=tmp_path / "hall.db", clock=clock, callout=None)
        with TestClient(app) as client:
            assert client.get("/api/status").status_code == 200
            # /verify reads the certificates register: opened with the server, closed with it
            r = client.post("/api/verify-cert", json={"serial": "SZ20261123000001", "code": "ABCD"})
            assert r.status_code == 200 and r.json()["valid"] is False
        del app, client
    gc.collect()
    assert files_open_under(tmp_path) == []
