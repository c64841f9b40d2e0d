"""The virtual printer started with --paper near_end, then --offline: the matching alert on
/maintenance (through a kiosk's heartbeat) and in `onevisit doctor`; fixing it clears both."""

from __future__ import annotations

import json

import pytest

from onevisit.devices.printer import Printer
from onevisit.kiosk.hall_client import HallClient
from onevisit.kiosk.heartbeat import DeviceProbe, KioskHeartbeat, printer_actions
from tests.hall.maintenance.conftest import VirtualPrinterProcess

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def doctor_config(tmp_path, hall_url):
    """A kiosk's config.toml: no boards or camera here, the hall at `hall_url`."""
    from onevisit.core.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("[boards]\nenabled = true", "[boards]\nenabled = false")
    text = text.replace('public_url = "http://127.0.0.1:8600"', 'public_url = "http://hall.example.org:8600"')
    text = text.replace('url = "camera://0"', 'url = "none"')
    text = text.replace('hall_url = "http://127.0.0.1:8600"', f'hall_url = "{hall_url}"')
    text += '\n[card_reader]\nurl = "none"\n'
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def doctor(capsys, config_path, printer_url):
    """`onevisit doctor --json` as typed (in this process: the command, not a subprocess, is tested)."""
    from onevisit.commands.main import main

    capsys.readouterr()
    code = main(
        [
            "doctor",
            "--json",
            "--config",
            str(config_path),
            "--printer",
            printer_url,
            "--token-file",
            str(config_path.parent / "kiosk-token"),
        ]
    )
    checks = {c["name"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    return code, checks


def test_paper_near_end_then_offline_then_fixed(hall, tech_config, tmp_path, capsys):
    out = tmp_path / "printer"
    cfg = doctor_config(tmp_path, hall.url)
    client = HallClient(hall.url, hall.kiosk_token, kiosk="kiosk-1")

    def kiosk_beats(printer_url):
        printer = Printer(tech_config.printer, url=printer_url)
        probe = DeviceProbe(printer=printer, printer_url=printer_url)
        KioskHeartbeat(client, probe, actions=printer_actions(printer, probe)).beat_once()
        return {a["code"] for a in hall.overview()["alerts"]}

    vp = VirtualPrinterProcess(out, "--paper", "near_end")
    try:
        assert kiosk_beats(vp.url) == {"paper_near_end"}
        code, checks = doctor(capsys, cfg, vp.url)
        assert checks["printer"]["status"] == "warn" and "paper_near_end" in checks["printer"]["summary"]
        assert code == 0  # a warning: citizens are still served
    finally:
        vp.stop()

    vp = VirtualPrinterProcess(out, "--offline", port=vp.port)
    try:
        assert kiosk_beats(vp.url) == {"printer_offline"}
        [alert] = hall.overview()["alerts"]
        assert alert["severity"] == "error" and "printer" in alert["hint"].lower()
        code, checks = doctor(capsys, cfg, vp.url)
        assert checks["printer"]["status"] == "fail" and checks["printer"]["fix"]
        assert code == 1
    finally:
        vp.stop()

    vp = VirtualPrinterProcess(out, port=vp.port)
    try:
        assert kiosk_beats(vp.url) == set()
        code, checks = doctor(capsys, cfg, vp.url)
        assert checks["printer"]["status"] == "ok" and code == 0, checks
        assert (
            checks["hall server"]["status"] == "ok"
            and "kiosk token valid" in checks["hall server"]["summary"]
        )
    finally:
        vp.stop()
    history = [
        e["code"] for e in reversed(hall.overview()["events"]) if e["device"] == "kiosk:kiosk-1/printer"
    ]
    assert history == ["paper_near_end", "printer_offline", None]
    client.close()


def test_a_test_print_from_maintenance_prints_at_the_kiosk(hall, tech_config, tmp_path):
    import httpx

    vp = VirtualPrinterProcess(tmp_path / "printer")
    client = HallClient(hall.url, hall.kiosk_token, kiosk="kiosk-1")
    try:
        printer = Printer(tech_config.printer, url=vp.url)
        probe = DeviceProbe(printer=printer, printer_url=vp.url)
        beat = KioskHeartbeat(client, probe, actions=printer_actions(printer, probe))
        beat.beat_once()
        assert (
            httpx.post(f"{hall.url}/api/maintenance/kiosks/kiosk-1/test-print", headers=hall.tech).status_code
            == 202
        )
        beat.beat_once()  # picks the command up, prints, reports at once
        [command] = hall.overview()["kiosks"][0]["commands"]
        assert command["state"] == "done", command
        assert (tmp_path / "printer" / "job-1.png").is_file()  # the self-test page came out
    finally:
        client.close()
        vp.stop()
