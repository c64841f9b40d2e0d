"""`onevisit doctor`: one line per check with its fix; exit 1 only when citizens are affected."""

from __future__ import annotations

import json

from onevisit.commands.main import main
from onevisit.devices.doctor import Check, Doctor, Options, exit_code


def run(capsys, *argv):
    capsys.readouterr()
    code = main(["doctor", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def kiosk_toml(tmp_path, **replace):
    from onevisit.core.config import DEFAULT_CONFIG

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    text = text.replace("[boards]\nenabled = true", "[boards]\nenabled = false")
    text = text.replace('public_url = "http://127.0.0.1:8600"', 'public_url = "http://hall.example.org:8600"')
    text = text.replace('url = "camera://0"', f'url = "{replace.get("camera", "none")}"')
    text = text.replace('url = "virtual://127.0.0.1:9100"', f'url = "{replace.get("printer", "none")}"')
    text = text.replace(
        'hall_url = "http://127.0.0.1:8600"', f'hall_url = "{replace.get("hall", "http://127.0.0.1:9")}"'
    )
    text += f'\n[card_reader]\nurl = "{replace.get("card_reader", "sim://")}"\n'
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_broken_config_is_one_failing_line_and_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[hall]\nname = "x"\nprot = 8600\n', encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(bad))
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith("[FAIL] config") and "prot" in first
    assert "fix:" in out
    assert all(line.startswith("[SKIP]") for line in out.splitlines()[2:] if line.startswith("["))


def test_every_check_is_reported_in_json_with_what_a_citizen_depends_on(tmp_path, capsys, hall):
    cfg = kiosk_toml(tmp_path, hall=hall.url)
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "kiosk-token").write_text(hall.kiosk_token)
    code, out, _ = run(capsys, "--config", str(cfg), "--json")
    report = json.loads(out)
    names = [c["name"] for c in report["checks"]]
    assert names == [
        "config",
        "database",
        "disk",
        "fonts",
        "public url",
        "printer",
        "documents",
        "boards",
        "camera",
        "card reader",
        "hall server",
    ]
    by = {c["name"]: c for c in report["checks"]}
    assert by["fonts"]["status"] == "ok"
    assert by["disk"]["status"] == "ok" and by["disk"]["detail"]["free_mb"] > 0
    assert by["card reader"]["status"] == "ok" and not by["card reader"]["critical"]
    assert (
        by["hall server"]["status"] == "ok" and "kiosk token valid (kiosk-1)" in by["hall server"]["summary"]
    )
    assert by["boards"]["status"] == "skip"
    assert code == 0 and report["ok"] is True


def test_a_dead_hall_link_and_a_missing_camera_fail_with_their_fixes(tmp_path, capsys):
    cfg = kiosk_toml(tmp_path, camera=f"frames://{tmp_path / 'nothing-here'}")
    code, out, err = run(capsys, "--config", str(cfg))
    lines = out.splitlines()
    camera = next(i for i, line in enumerate(lines) if line.startswith("[FAIL] camera"))
    assert "fix:" in lines[camera + 1]
    assert any(line.startswith("[FAIL] hall server") for line in lines)
    assert code == 1 and "NOT READY" in err


def test_a_broken_card_reader_alone_does_not_stop_the_kiosk(tmp_path, capsys, hall):
    cfg = kiosk_toml(tmp_path, hall=hall.url, card_reader=f"serial://{tmp_path / 'no-reader'}")
    code, out, _ = run(capsys, "--config", str(cfg))
    assert any(line.startswith("[FAIL] card reader") for line in out.splitlines())
    assert code == 0  # citizens can type their ID


def test_boards_are_pinged_directly_on_the_given_port(tech_config, tmp_path, capsys):
    from onevisit.sim.boards.emulator import BoardEmulator

    cfg = kiosk_toml(tmp_path)
    cfg.write_text(
        cfg.read_text(encoding="utf-8").replace("[boards]\nenabled = false", "[boards]\nenabled = true")
    )
    link = tmp_path / "link"
    with BoardEmulator(link, dead={4}):
        doctor = Doctor(Options(config_path=str(cfg), boards=str(link), hall="http://127.0.0.1:9"))
        doctor.check_config()
        check = doctor.check_boards()
    assert check.status == "fail" and "board(s) 4 do not answer (of 7)" in check.summary
    assert check.fix


def test_exit_code_counts_only_critical_failures():
    assert exit_code([Check("a", "ok", ""), Check("b", "warn", "")]) == 0
    assert exit_code([Check("card reader", "fail", "", critical=False)]) == 0
    assert exit_code([Check("printer", "fail", "")]) == 1


def test_a_loopback_public_url_fails_the_doctor(tmp_path, capsys, hall):
    cfg = kiosk_toml(tmp_path, hall=hall.url)
    cfg.write_text(cfg.read_text().replace("hall.example.org", "127.0.0.1"), encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(cfg), "--json")
    by = {c["name"]: c for c in json.loads(out)["checks"]}
    assert by["public url"]["status"] == "fail" and "loopback" in by["public url"]["summary"]
    assert code == 1


def test_the_a4_printers_ipp_reasons_reach_the_doctor(tmp_path, capsys, hall, private_cups):
    cfg = kiosk_toml(tmp_path, hall=hall.url)
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "kiosk-token").write_text(hall.kiosk_token)
    text = cfg.read_text(encoding="utf-8")
    assert '\nprinter = "none"\n' in text  # [documents] of the repo's config.toml
    text = text.replace('\nprinter = "none"\n', f'\nprinter = "{private_cups.pdf_queue_url}"\n')
    cfg.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "--config", str(cfg), "--json")
    by = {c["name"]: c for c in json.loads(out)["checks"]}
    assert by["documents"]["status"] == "ok" and code == 0
    private_cups.disable(private_cups.pdf_queue, "tray open")
    code, out, _ = run(capsys, "--config", str(cfg), "--json")
    by = {c["name"]: c for c in json.loads(out)["checks"]}
    assert by["documents"]["status"] == "fail" and "paused" in by["documents"]["detail"]["reasons"]
    assert "已暂停" in by["documents"]["summary"] and code == 1
