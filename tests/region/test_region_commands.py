"""`onevisit region …` on the command line: halls and users get a token printed once (only its hash
is kept), the city's key is exported for the halls."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from onevisit.commands.main import main
from onevisit.core.clock import SystemClock
from onevisit.region.store import RegionStore

REPO = Path(__file__).resolve().parents[2]


def test_region_commands(postgres, tmp_path, capsys):
    url = postgres.create_database("region_cli")
    config = tmp_path / "config.toml"
    key_file = tmp_path / "city.key"
    config.write_text(
        (REPO / "config.toml").read_text(encoding="utf-8") + f'\n[region]\nid_key_file = "{key_file}"\n',
        encoding="utf-8",
    )
    base = ["--config", str(config), "region", "--db", url]
    assert main([*base, "halls", "add", "H0101", "--name", "鼓楼区社保大厅"]) == 0
    hall = json.loads(capsys.readouterr().out)
    assert main([*base, "users", "add", "wang"]) == 0
    user = json.loads(capsys.readouterr().out)
    assert main([*base, "halls", "add", "H0101"]) != 0  # once only
    assert "hall_exists" in capsys.readouterr().err
    store = RegionStore.open(url, SystemClock())
    try:
        assert store.hall_of_token(hall["token"]) == "H0101"
        assert store.user_of_token(user["token"]) == ("wang", "supervisor")
        assert hall["token"] not in json.dumps(store.db.query("SELECT * FROM region_halls"))
    finally:
        store.close()
    out = tmp_path / "for-hall" / "id-hash.key"
    out.parent.mkdir()
    assert main(["--config", str(config), "region", "key", "export", str(out)]) == 0
    assert out.read_bytes() == key_file.read_bytes() and len(out.read_bytes()) == 32
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert main(["--config", str(config), "region", "key", "export", str(out)]) != 0
    assert "key_file_exists" in capsys.readouterr().err


def test_region_halls_add_refuses_a_code_no_hall_can_have(postgres, tmp_path, capsys):
    """A dash is refused by every hall's config ([hall] code) and a code in another case is the same
    hall (one PostgreSQL schema `hall_<code>`): both are clear errors, not a second registered hall."""
    url = postgres.create_database("region_codes")
    base = ["region", "--db", url, "halls"]
    assert main([*base, "add", "H-01"]) == 2
    err = capsys.readouterr().err
    assert "bad_hall_code" in err and "字母、数字和下划线" in err and "Traceback" not in err
    assert main([*base, "add", "HB02"]) == 0
    capsys.readouterr()
    assert main([*base, "add", "hb02"]) == 2
    err = capsys.readouterr().err
    assert "hall_exists" in err and "HB02" in err
    store = RegionStore.open(url, SystemClock())
    try:
        assert [h["code"] for h in store.db.query("SELECT code FROM region_halls")] == ["HB02"]
    finally:
        store.close()
