"""`onevisit ship --once` as a technician runs it, with what a technician gets wrong: a region URL
without its scheme, the address of something that is not a region, and shipping a hall database
restored from a backup before the hall server has opened it. Each is a clear error and exit 2, never
"unreachable, sent later" for ever or a silent exit 0 with nothing sent."""

from __future__ import annotations

import json
from pathlib import Path

from onevisit.commands.main import EXIT_ERROR, main
from onevisit.queue.store import QueueStore

REPO = Path(__file__).resolve().parents[2]


def _hall(tmp_path: Path, region, code: str) -> tuple[Path, str]:
    """A hall's config.toml (its code registered at the region) and one ticket in its database."""
    text = (REPO / "config.toml").read_text(encoding="utf-8")
    text = text.replace('code = "SZ01"', f'code = "{code}"').replace(
        'database = "var/onevisit.db"', 'database = "hall.db"'
    )
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    assert (
        main(["--config", str(config), "queue", "issue", "--matters", "enroll", "--now", "2026-11-23T09:30"])
        == 0
    )
    return config, region.store.add_hall(code)


def _ship(capsys, config: Path, url: str, token: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(config), "ship", "--region", url, "--token", token, "--once"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_region_url_typo_is_named_not_retried(region, tmp_path, capsys):
    config, token = _hall(tmp_path, region, "QAURL")
    host = region.url.split("://", 1)[1]
    for typo in (f"htp://{host}", host):
        code, out, err = _ship(capsys, config, typo, token)
        assert code == EXIT_ERROR and out == ""
        assert "not an http:// or https:// URL" in err and "sent later" not in err
    code, out, err = _ship(capsys, config, region.url + "/api", token)
    assert code == EXIT_ERROR
    assert "not_a_region" in err and "不是市级平台的地址" in err and "check --region" in err
    code, out, err = _ship(capsys, config, region.url, token)
    assert code == 0 and json.loads(out)["sent"]["events"] == 1


def test_shipping_a_restored_hall_before_the_hall_server_opened_it_says_so(region, tmp_path, capsys):
    config, token = _hall(tmp_path, region, "QARST")
    assert _ship(capsys, config, region.url, token)[0] == 0
    backup = tmp_path / "copy.db"
    assert main(["--config", str(config), "backup", str(backup)]) == 0
    assert main(["--config", str(config), "backup", "restore", str(backup), "--replace"]) == 0
    code, out, err = _ship(capsys, config, region.url, token)
    assert code == EXIT_ERROR and out == ""
    assert "hall_not_ready" in err and "onevisit hall" in err and "尚未启用" in err
    # the hall server opens it (a new epoch); then it ships as a new incarnation
    QueueStore.open(tmp_path / "hall.db", "QARST").close()
    code, out, err = _ship(capsys, config, region.url, token)
    assert code == 0, err
    report = json.loads(out)
    assert report["ready"] is True and report["sent"]["events"] == 1


def test_a_hall_shipping_with_another_halls_token_is_refused(region, tmp_path, capsys):
    """A hall set up with its neighbour's token (copied from the wrong line of `halls add`): its
    rows would be filed under the neighbour, and the neighbour's bookings pulled into it."""
    config, _ = _hall(tmp_path, region, "QAONE")
    neighbour = region.store.add_hall("QATWO")
    code, out, err = _ship(capsys, config, region.url, neighbour)
    assert code == EXIT_ERROR and out == ""
    assert "token_of_another_hall" in err and "QATWO" in err and "QAONE" in err and "[hall] code" in err
    counted = region.store.db.query(
        "SELECT count(*) AS n FROM region_events WHERE hall IN ('QAONE', 'QATWO')"
    )
    assert counted[0]["n"] == 0
