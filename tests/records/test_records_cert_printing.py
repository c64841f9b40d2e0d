"""A 参保证明 printed through the real driver to the virtual printer: what comes out verifies."""

from __future__ import annotations

import json
import socket

import zxingcpp
from PIL import Image

from onevisit.commands.main import main
from onevisit.sim.printer.virtual import VirtualPrinter
from onevisit.sim.records.demo_backend import demo_id


def _control(vp: VirtualPrinter, line: str) -> dict:
    with socket.create_connection(vp.control_address, timeout=5) as sock:
        sock.sendall(line.encode() + b"\n")
        return json.loads(sock.makefile("r", encoding="utf-8").readline())


def _cert_print(records_config, capsys, vp, who: str) -> tuple[int, str, str]:
    config = str(records_config.base_dir / "config.toml")
    code = main(["cert", "print", "--id", who, "--months", "36", "--printer", vp.url, "--config", config])
    out, err = capsys.readouterr()
    return code, out, err


def test_certificate_printed_to_the_virtual_printer_verifies(records_config, capsys, tmp_path):
    with VirtualPrinter(tmp_path / "paper") as vp:
        code, out, _ = _cert_print(records_config, capsys, vp, demo_id("long_history").value)
        assert code == 0, out
        serial = json.loads(out)["serial"]
        assert vp.wait_for_jobs(1)
        printed = [job for job in vp.jobs if job.outcome == "printed"]
        assert printed and all(job.cut for job in printed)
        qrs = [r.text for job in printed for r in zxingcpp.read_barcodes(Image.open(job.png_path))]
        assert len(qrs) == 1
        code = main(
            ["verify-cert", "--payload", qrs[0], "--config", str(records_config.base_dir / "config.toml")]
        )
        verdict = json.loads(capsys.readouterr().out)
        assert code == 0 and verdict["valid"] and verdict["certificate"]["serial"] == serial
        assert "330106197503142310" not in printed[0].bin_path.read_bytes().decode("latin-1")


def test_paper_out_refuses_with_the_citizens_message_and_prints_nothing(records_config, capsys, tmp_path):
    with VirtualPrinter(tmp_path / "paper") as vp:
        assert _control(vp, "paper out")["ok"]
        code, out, err = _cert_print(records_config, capsys, vp, demo_id("gap").value)
        assert code == 2 and out == ""
        assert json.loads(err.splitlines()[0])["error"]["code"] == "paper_out"
        assert not [job for job in vp.jobs if job.outcome == "printed"]
