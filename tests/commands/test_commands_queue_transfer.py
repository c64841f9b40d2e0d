"""`onevisit queue transfer --return`: the command line gives the same 转出 and way back as the console."""

from __future__ import annotations

import json
import shutil

from onevisit.commands.main import main
from tests.conftest import REPO


def run(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_transfer_with_return_from_the_command_line(tmp_path, capsys):
    # A copy of the config in tmp_path: its secrets (the ID-hash key) are written beside it, not in the checkout.
    shutil.copy(REPO / "config.toml", tmp_path / "config.toml")
    common = ["--config", str(tmp_path / "config.toml"), "--db", str(tmp_path / "hall.db")]
    now = ["--now", "2026-11-23T09:30"]
    run(capsys, "queue", *common, "issue", "--matters", "benefit", *now)
    run(capsys, "queue", *common, "call", "--window", "5", *now)
    run(capsys, "queue", *common, "start", "--window", "5", *now)
    moved = run(
        capsys,
        "queue",
        *common,
        "transfer",
        "--window",
        "5",
        "--to",
        "contrib",
        "--reason",
        "需补缴",
        "--return",
        *now,
    )
    assert moved["number"] == "C001"
    assert [(s["matter"], s["state"]) for s in moved["steps"]] == [
        ("benefit", "transferred"),
        ("contrib", "waiting"),
        ("benefit", "pending"),
    ]
    assert moved["position"]["windows"] == [1, 2, 4]
