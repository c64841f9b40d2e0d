"""`onevisit queue transfer --return`: the command line gives the same 转出 and way back as the console."""

from __future__ import annotations

import json

from onevisit.commands.main import main
from tests.conftest import REPO, both_engines


def run(capsys, *argv: str) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@both_engines
def test_transfer_with_return_from_the_command_line(tmp_path, capsys, db_target, config):
    """Also `--db postgresql://…`: every queue command against a hall on PostgreSQL."""
    # A copy of the config in tmp_path: its secrets (the ID-hash key) are written beside it, not in
    # the checkout; with the test's own hall code, so its PostgreSQL schema is its own.
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(
        text.replace('code = "SZ01"', f'code = "{config.hall.code}"', 1), encoding="utf-8"
    )
    common = ["--config", str(tmp_path / "config.toml"), "--db", db_target]
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
