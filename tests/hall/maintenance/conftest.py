"""Fixtures for the technicians' part: a hall server on a free port with accounts, a kiosk token,
and simulators started as the separate programs a technician would run."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from onevisit.hall.stores import accounts
from onevisit.sim.demo.config import with_updates

PASSWORD = "correct-horse"


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch):
    monkeypatch.setattr(accounts, "_SCRYPT_N", 2**10)


@pytest.fixture
def tech_config(config, tmp_path):
    """The repo's config with files in the test's folder, silent voice and a quick device check."""
    config = config.model_copy(update={"base_dir": tmp_path})
    return with_updates(
        config,
        {
            "voice": {"engine": "silent", "out_dir": None},
            "boards": {
                "port": str(tmp_path / "board-link"),
                "probe_seconds": 0.5,
                "reconnect_max_seconds": 0.2,
            },
            "maintenance": {"check_seconds": 0.1, "log_dir": str(tmp_path / "logs")},
        },
    )


@dataclass
class RunningHall:
    url: str
    app: object
    kiosk_token: str
    tech: dict
    staff3: dict

    @property
    def maintenance(self):
        return self.app.state.maintenance

    def overview(self) -> dict:
        r = httpx.get(f"{self.url}/api/maintenance/overview", headers=self.tech)
        assert r.status_code == 200, r.text
        return r.json()


def login(url: str, name: str) -> dict:
    r = httpx.post(f"{url}/api/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def start_hall(config, tmp_path: Path, *, callout="config", clock=None) -> tuple[ServerThread, RunningHall]:
    app = create_app(config, db_path=tmp_path / "hall.db", callout=callout, clock=clock, poll_seconds=0.05)
    store = app.state.hall.accounts
    if not store.users():
        store.add_user("tech", "technician", PASSWORD)
        store.add_user("staff3", "staff", PASSWORD, window=3)
        store.add_user("boss", "supervisor", PASSWORD)
    token_file = tmp_path / "kiosk-token"
    if not token_file.exists():
        token_file.write_text(store.add_kiosk("kiosk-1"))
    server = ServerThread(app).start()
    hall = RunningHall(
        server.url, app, token_file.read_text(), login(server.url, "tech"), login(server.url, "staff3")
    )
    return server, hall


@pytest.fixture
def hall(tech_config, tmp_path):
    """A hall server without boards or voice (API and kiosk tests)."""
    server, running = start_hall(tech_config, tmp_path, callout=None)
    yield running
    server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VirtualPrinterProcess:
    """`onevisit virtual-printer` as a technician starts it; `url` and `control` from its ready line."""

    def __init__(self, out: Path, *flags: str, port: int = 0) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onevisit.commands.main",
                "virtual-printer",
                "--listen",
                f"127.0.0.1:{port}",
                "--out",
                str(out),
                *flags,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the virtual printer did not start")
        ready = json.loads(line)
        self.url: str = ready["url"]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class BoardEmulatorProcess:
    """`onevisit board-emulator` as its own process, so a test can kill it like a pulled adapter."""

    def __init__(self, link: Path, state: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "onevisit.sim.boards.emulator",
                "--link",
                str(link),
                "--state",
                str(state),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for line in self.proc.stdout:
            if line.startswith("board emulator:"):
                break
        else:
            raise RuntimeError("the board emulator did not start")
        self.state = state

    def texts(self) -> dict[int, str]:
        data = json.loads(self.state.read_text(encoding="utf-8"))
        return {int(a): b["text"] for a, b in data["boards"].items()}

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
