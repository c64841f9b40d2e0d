"""Tickets printed over TCP to a running virtual printer, with faults injected and cleared through
its control port while it runs. No mocks: real sockets, our tokenizer and renderer, zxing-cpp."""

from __future__ import annotations

import json
import socket

import pytest
import zxingcpp
from PIL import Image

from onevisit.core.config import PrinterConfig
from onevisit.core.errors import OneVisitError
from onevisit.devices.printer import JobState, Printer
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.devices.printer.printer_samples import STATUS_URL, sample_ticket

TIMEOUT = 0.5  # status reply timeout; only the "mute" test spends it


@pytest.fixture
def vp(tmp_path):
    with VirtualPrinter(tmp_path / "out") as printer:
        yield printer


def control(vp: VirtualPrinter, line: str) -> dict:
    """One command over the control port, exactly as a technician's script would send it."""
    with socket.create_connection(vp.control_address, timeout=5) as sock:
        sock.sendall(line.encode() + b"\n")
        return json.loads(sock.makefile("r", encoding="utf-8").readline())


def make_printer(vp: VirtualPrinter, **cfg: object) -> Printer:
    return Printer(PrinterConfig(timeout=TIMEOUT, **cfg), url=vp.url)  # type: ignore[arg-type]


def qr_texts(path) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(path))]


@pytest.mark.parametrize(("chinese", "width"), [("raster", 576), ("gbk", 576), ("gbk", 384)])
def test_ticket_renders_with_a_qr_that_opens_its_status_page(vp, chinese, width):
    printer = make_printer(vp, chinese=chinese, width=width)
    vp.width = width
    job = printer.print_ticket(sample_ticket())
    assert job.state == JobState.DONE, job.to_dict()
    assert vp.wait_for_jobs(1)
    printed = vp.jobs[0]
    assert printed.outcome == "printed" and printed.cut
    data = printed.bin_path.read_bytes()
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x00")
    assert data == job.data  # status requests are not part of the job: the rest arrived intact
    assert qr_texts(printed.png_path) == [STATUS_URL]
    assert Image.open(printed.png_path).width > width  # the print area on its roll, with margins


def test_status_reports_near_end_but_still_prints(vp):
    printer = make_printer(vp)
    assert control(vp, "paper near_end")["faults"]["paper"] == "near_end"
    status = printer.status()
    assert status.ready and status.warning == "paper_near_end"
    assert printer.print_ticket(sample_ticket()).state == JobState.DONE


@pytest.mark.parametrize(
    ("fault", "clear", "reason", "zh"),
    [
        ("paper out", "paper ok", "paper_out", "缺纸"),
        ("cover open", "cover closed", "cover_open", "盖未关好"),
        ("offline on", "offline off", "printer_offline", "无法连接"),
        ("mute on", "mute off", "printer_offline", "无法连接"),  # no reply at all: offline, not "paper OK"
        ("cutter error", "cutter ok", "cutter_error", "切纸"),
    ],
)
def test_fault_fails_the_job_for_the_kiosk_and_a_retry_prints_the_same_ticket(vp, fault, clear, reason, zh):
    printer = make_printer(vp)
    assert control(vp, fault)["ok"]
    job = printer.print_ticket(sample_ticket())
    assert job.state == JobState.FAILED
    assert job.reason == reason
    assert zh in job.message_zh and "号码已保留" in job.message_zh
    assert job.message_en and job.hint
    assert job.retryable
    assert vp.jobs == []  # nothing was sent while faulted: no surprise print when paper returns

    assert control(vp, clear)["ok"]
    again = printer.retry(job.id)
    assert again is job and again.state == JobState.DONE and again.attempts == 2
    assert vp.wait_for_jobs(1)
    assert len(vp.jobs) == 1  # one ticket, printed once
    assert qr_texts(vp.jobs[0].png_path) == [STATUS_URL]
    assert printer.jobs() == [job]  # history holds the one job, not a second ticket


def test_a_done_job_is_not_reprinted_by_a_double_tap(vp):
    printer = make_printer(vp)
    job = printer.print_ticket(sample_ticket())
    with pytest.raises(OneVisitError) as caught:
        printer.retry(job.id)
    assert caught.value.code == "print_job_done"
    assert printer.retry(job.id, reprint=True).state == JobState.DONE  # staff reprint a lost ticket
    assert vp.wait_for_jobs(2)


def test_jobs_run_on_the_worker_thread_in_order(vp):
    printer = make_printer(vp)
    try:
        jobs = [printer.print_ticket(sample_ticket(number=f"A{n:03d}"), wait=False) for n in (1, 2, 3)]
        done = [printer.wait_for(j.id, timeout=20) for j in jobs]
        assert [j.state for j in done] == [JobState.DONE] * 3
        assert vp.wait_for_jobs(3)
        texts = [vp.jobs[i].bin_path.read_bytes() for i in range(3)]
        assert [t == j.data for t, j in zip(texts, jobs, strict=True)] == [True] * 3
    finally:
        printer.close()


def test_print_images_prints_pages_from_another_part(vp):
    printer = make_printer(vp)
    page = Image.new("L", (576, 300), 255)
    page.paste(0, (40, 40, 536, 80))
    job = printer.print_images([page], ref="CERT-1")
    assert job.state == JobState.DONE and job.kind == "pages"
    assert vp.wait_for_jobs(1)
    png = Image.open(vp.jobs[0].png_path).convert("L")
    assert png.getpixel((24 + 300, 60)) < 128  # the bar is on paper (24-dot roll margin)


def test_bytes_sent_while_faulted_are_kept_as_dropped(vp):
    control(vp, "paper out")
    with socket.create_connection(vp.address, timeout=5) as sock:
        sock.sendall(b"\x1b@HELLO\n\x1dV\x00")
    assert vp.wait_for_jobs(1)
    job = vp.jobs[0]
    assert job.outcome == "dropped" and job.png_path is None
    assert "paper out" in (vp.out_dir / f"job-{job.number}.dropped.txt").read_text()


def test_garbage_is_rejected_with_the_offset(vp):
    with socket.create_connection(vp.address, timeout=5) as sock:
        sock.sendall(b"\x1b@OK\n\x1bZ\x01")
    assert vp.wait_for_jobs(1)
    job = vp.jobs[0]
    assert job.outcome == "rejected"
    message = (vp.out_dir / f"job-{job.number}.error.txt").read_text()
    assert "byte offset 5" in message and "ESC 0x5a" in message


def test_control_port_refuses_unknown_commands(vp):
    assert control(vp, "paper soggy") == {"ok": False, "error": "usage: paper ok|near_end|out"}
    assert "unknown command 'explode'" in control(vp, "explode")["error"]
    assert control(vp, "slow 99")["ok"] is False
    state = control(vp, "status")
    assert state["ok"] and state["faults"]["paper"] == "ok" and state["jobs"] == 0


def test_unreachable_printer_fails_the_job_as_offline(tmp_path):
    with VirtualPrinter(tmp_path) as vp:
        url = vp.url
    printer = Printer(PrinterConfig(timeout=TIMEOUT), url=url)  # the server is gone now
    job = printer.print_ticket(sample_ticket())
    assert job.state == JobState.FAILED and job.reason == "printer_offline"
    assert "cannot open" in job.detail
    assert printer.status().fault == "printer_offline"


def test_file_printer_appends_jobs_and_reports_status_as_not_queried(tmp_path):
    out = tmp_path / "spool.bin"
    printer = Printer(PrinterConfig(), url=f"file://{out}")
    first = printer.print_ticket(sample_ticket())
    second = printer.print_ticket(sample_ticket(number="A013"))
    assert first.state == second.state == JobState.DONE
    assert out.read_bytes() == first.data + second.data
    status = printer.status()
    assert not status.queried and status.paper == "unknown" and status.ready
