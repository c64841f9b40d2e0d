"""The command table: every command reachable, light start-up, options honoured wherever written."""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from onevisit.commands.main import COMMANDS, build_parser, common_options

REPO = Path(__file__).resolve().parents[2]


def test_each_module_registers_exactly_the_commands_the_table_names():
    by_module: dict[str, set[str]] = {}
    for name, (module, _help) in COMMANDS.items():
        by_module.setdefault(module, set()).add(name)
    for module, names in by_module.items():
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(module).register(sub, common_options())
        assert set(sub.choices) == names, module


def test_the_full_tree_builds_and_every_command_has_help():
    parser = build_parser(None)
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert set(sub.choices) == set(COMMANDS)


def test_help_imports_no_device_or_server_stack():
    code = (
        "import sys, contextlib, io\n"
        "from onevisit.commands.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
        "heavy = [m for m in ('escpos', 'cv2', 'kivy', 'fastapi', 'numpy', 'pydantic', 'sqlite_utils')"
        " if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("before", [True, False], ids=["options-before-command", "options-after-command"])
def test_config_and_db_are_honoured_before_or_after_the_command(tmp_path, before):
    config = tmp_path / "config.toml"
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('secrets_dir = "var/secrets"', f'secrets_dir = "{tmp_path}/secrets"'))
    db = tmp_path / "chosen.db"
    options = ["--config", str(config), "--db", str(db)]
    args = [*options, "queue", "status"] if before else ["queue", "status", *options]
    out = subprocess.run(
        [sys.executable, "-m", "onevisit.commands.main", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    json.loads(out.stdout)
    assert db.exists(), "the database named by --db was not the one used"
    assert (tmp_path / "secrets").is_dir(), "the config named by --config was not the one used"
