"""`onevisit region` on a port another server holds: a bilingual error and exit 2 before serving,
not uvicorn's English log line and exit 3 (the same for `onevisit hall`: both use serve_forever)."""

from __future__ import annotations

from pathlib import Path

from onevisit.commands.main import EXIT_ERROR, main
from onevisit.hall.server import bind

REPO = Path(__file__).resolve().parents[2]


def test_region_on_a_taken_port_says_so(postgres, tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text(
        (REPO / "config.toml").read_text(encoding="utf-8")
        + f'\n[region]\nid_key_file = "{tmp_path / "city.key"}"\n',
        encoding="utf-8",
    )
    url = postgres.create_database("region_port")
    holder = bind("127.0.0.1", 0)
    port = holder.getsockname()[1]
    try:
        code = main(["--config", str(config), "region", "--db", url, "--port", str(port)])
    finally:
        holder.close()
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert "port_taken" in err and f"端口 {port} 已被占用" in err and "--port" in err
    assert "Traceback" not in err
