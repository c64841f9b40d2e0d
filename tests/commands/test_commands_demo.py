"""A second `onevisit demo` leaves the running one alone: it is refused before var/demo is reset
(it used to delete the running demo's database, kiosk token and device links, then stop with a
traceback on the taken port)."""

from __future__ import annotations

import fcntl
import socket

from onevisit.commands.main import main
from tests.conftest import REPO


def _hall(tmp_path):
    config = tmp_path / "config.toml"
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    config.write_text(text.replace('secrets_dir = "var/secrets"', f'secrets_dir = "{tmp_path}/secrets"'))
    running_db = tmp_path / "var" / "demo" / "hall.db"
    running_db.parent.mkdir(parents=True)
    running_db.write_bytes(b"the running demo's database")
    return config, running_db


def test_a_taken_hall_port_is_refused_and_var_demo_is_left_as_it_is(tmp_path, capsys):
    config, running_db = _hall(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main(["demo", "--headless", "--port", str(port), "--config", str(config)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"端口 {port} 已被占用" in err and "give --port N" in err and "Traceback" not in err
    assert running_db.read_bytes() == b"the running demo's database"


def test_a_demo_already_running_from_the_folder_is_refused(tmp_path, capsys):
    config, running_db = _hall(tmp_path)
    with (running_db.parent / ".running").open("w") as held:  # what the running demo holds
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = main(["demo", "--headless", "--port", "0", "--config", str(config)])
    assert code == 2
    assert "a demo is already running from" in capsys.readouterr().err
    assert running_db.read_bytes() == b"the running demo's database"
