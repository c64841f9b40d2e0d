"""The commands a technician types, the simulator as a separate process, and a serial link."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from onevisit.commands.main import main
from onevisit.core.config import PrinterConfig, load_config
from onevisit.devices.printer import JobState, Printer
from onevisit.queue import QueueService
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.devices.printer.printer_samples import STATUS_URL, sample_ticket

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def hall(tmp_path):
    """The demo config copied into the test's folder, so secrets and databases stay there."""
    path = tmp_path / "config.toml"
    shutil.copy(REPO / "config.toml", path)
    return path


def test_printer_ticket_prints_a_queue_ticket_with_its_status_url(hall, tmp_path, clock, capsys):
    config = load_config(hall)
    db = tmp_path / "hall.db"
    service = QueueService.open(config, db_path=db, clock=clock)
    service.issue(["enroll"], actor="kiosk:test")
    ticket = service.issue(["enroll", "card"], declared="veteran", actor="kiosk:test").ticket
    service.close()
    with VirtualPrinter(tmp_path / "out") as vp:
        code = main(
            [
                "printer",
                "ticket",
                ticket.number,
                "--config",
                str(hall),
                "--db",
                str(db),
                "--day",
                ticket.day,
                "--printer",
                vp.url,
            ]
        )
        out = json.loads(capsys.readouterr().out)
        assert code == 0 and out["state"] == "done" and out["ref"] == ticket.number
        assert vp.wait_for_jobs(1)
        png = vp.jobs[0].png_path
    url = f"{config.hall.public_url}/t/{ticket.number}?c={ticket.short_code}"
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [url]


def test_printer_ticket_for_an_unknown_number_is_a_clear_error(hall, tmp_path, capsys):
    with VirtualPrinter(tmp_path / "out") as vp:
        code = main(
            [
                "printer",
                "ticket",
                "Z999",
                "--config",
                str(hall),
                "--db",
                str(tmp_path / "h.db"),
                "--printer",
                vp.url,
            ]
        )
    assert code == 2
    assert "Z999" in capsys.readouterr().err


def test_render_of_a_missing_file_or_to_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert main(["printer", "render", str(tmp_path / "none.bin")]) == 2
    assert "none.bin: cannot read (No such file or directory) / 无法读取文件" in capsys.readouterr().err
    job = tmp_path / "job.bin"
    job.write_bytes(b"\x1b@hello\n")
    assert main(["printer", "render", str(job), "--out", str(tmp_path / "no" / "x.png")]) == 2
    assert "x.png: cannot write (No such file or directory) / 无法写入文件" in capsys.readouterr().err


def test_bad_printer_url_on_the_command_line(hall, capsys):
    assert main(["printer", "status", "--config", str(hall), "--printer", "lpt://1"]) == 2
    assert "expected usb://VID:PID" in capsys.readouterr().err


def test_virtual_printer_process_with_status_test_page_and_faults(hall, tmp_path, capsys):
    out_dir = tmp_path / "jobs"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "virtual-printer",
            "--listen",
            "127.0.0.1:0",
            "--out",
            str(out_dir),
            "--paper",
            "near_end",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        ready = json.loads(proc.stdout.readline())  # the process prints its ports when listening
        url, ctrl = ready["url"], ready["control"]
        base = ["--config", str(hall), "--printer", url]

        assert main(["printer", "status", *base]) == 0
        status = json.loads(capsys.readouterr().out)
        assert status["paper"] == "near_end" and status["warning"] == "paper_near_end"

        assert main(["printer", "test", *base]) == 0
        assert json.loads(capsys.readouterr().out)["state"] == "done"

        assert main(["printer", "fault", "--control", ctrl, "cover", "open"]) == 0
        capsys.readouterr()
        assert main(["printer", "status", *base]) == 1
        assert json.loads(capsys.readouterr().out)["fault"] == "cover_open"
        assert main(["printer", "test", *base]) == 2
        captured = capsys.readouterr()
        assert json.loads(captured.out)["reason"] == "cover_open"
        assert "打印机盖未关好" in captured.err
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert (out_dir / "job-1.png").is_file() and not (out_dir / "job-2.png").exists()
    assert main(["printer", "render", str(out_dir / "job-1.bin"), "--out", str(tmp_path / "again.png")]) == 0
    assert Image.open(tmp_path / "again.png").size == Image.open(out_dir / "job-1.png").size


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed")
def test_serial_printer_through_a_pty(tmp_path):
    """serial:// end to end: pyserial on a pseudo-terminal that socat bridges to the virtual printer."""
    with VirtualPrinter(tmp_path / "out") as vp:
        host, port = vp.address
        socat = subprocess.Popen(
            ["socat", "-d", "-d", "pty,raw,echo=0", f"tcp:{host}:{port}"], stderr=subprocess.PIPE, text=True
        )
        try:
            pty = None
            for line in socat.stderr:
                if "PTY is " in line:
                    pty = line.split("PTY is ")[1].strip()
                if "starting data transfer loop" in line:
                    break
            assert pty, "socat did not report its pty"
            printer = Printer(PrinterConfig(timeout=2, chinese="gbk"), url=f"serial://{pty}?baud=9600")
            assert printer.status().ready
            job = printer.print_ticket(sample_ticket())
            assert job.state == JobState.DONE, job.to_dict()
            assert vp.wait_for_jobs(1)
            assert [r.text for r in zxingcpp.read_barcodes(Image.open(vp.jobs[0].png_path))] == [STATUS_URL]
        finally:
            socat.terminate()
            socat.wait(timeout=10)
