"""`onevisit queue issue --phone`: subscribes the ticket as the kiosk does; a bad number issues nothing."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    config = tmp_path / "config.toml"
    if not config.exists():
        text = (REPO / "config.toml").read_text(encoding="utf-8")
        config.write_text(text.replace('secrets_dir = "var/secrets"', f'secrets_dir = "{tmp_path}/secrets"'))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "--config",
            str(config),
            "--db",
            str(tmp_path / "hall.db"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_issue_with_a_phone_subscribes_it_masked(tmp_path):
    out = run(
        tmp_path,
        "queue",
        "issue",
        "--matters",
        "enroll",
        "--phone",
        "+86 139 0000 1111",
        "--now",
        "2026-11-23T09:30",
    )
    assert out.returncode == 0, out.stderr
    ticket = json.loads(out.stdout)
    assert ticket["notify"] == {"channel": "sms", "to": "139****1111"}
    assert "13900001111" not in out.stdout + out.stderr
    rows = (
        sqlite3.connect(tmp_path / "hall.db")
        .execute("SELECT number, masked, address_enc FROM notify_subscriptions")
        .fetchall()
    )
    assert rows[0][0] == ticket["number"] and rows[0][1] == "139****1111" and "13900001111" not in rows[0][2]


def test_a_bad_phone_issues_no_ticket(tmp_path):
    out = run(
        tmp_path, "queue", "issue", "--matters", "enroll", "--phone", "12345", "--now", "2026-11-23T09:30"
    )
    assert out.returncode == 2
    assert "bad_phone" in out.stderr and "Traceback" not in out.stderr
    status = run(tmp_path, "queue", "status", "--now", "2026-11-23T09:31")
    assert status.returncode == 0, status.stderr
    assert all(m["waiting"] == 0 for m in json.loads(status.stdout)["matters"])
