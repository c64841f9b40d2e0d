"""The kiosk's 参保证明 on the A4 printer through a real CUPS (the private cupsd of tests/conftest.py):
"正在打印…" while CUPS says processing, "printed" when it says completed; a job CUPS aborts gives the
bilingual go-to-a-window answer with a tagged ticket; a loopback hall.public_url or a name no font
can draw refuses the certificate before a serial is taken."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from tests.kiosk.conftest import pump, tap, texts, wait_until


@pytest.fixture
def cert_kiosk(kiosk, tmp_path):
    """The kiosk with the demo records in tmp_path and its own certificate register."""
    from onevisit.sim.records.demo_backend import open_backend, seed_demo

    seed_demo(tmp_path / "records.db", dt.date.today(), reset=True)
    base = kiosk.config_
    records = base.records.model_copy(
        update={"database": str(tmp_path / "records.db"), "certificates_db": str(tmp_path / "certs.db")}
    )
    kiosk.config_ = base.model_copy(update={"records": records})
    kiosk.devices.records = open_backend(kiosk.config_)
    yield kiosk
    wait_until(lambda: kiosk.busy == 0)
    kiosk.config_ = base
    kiosk.devices.records = None
    kiosk.devices.documents = None


def preview(kiosk, who: str):
    from onevisit.sim.records.demo_backend import demo_id

    kiosk.session.identified(demo_id(who))
    kiosk.go("certificate")
    screen = kiosk.screen("certificate")
    pump(2)
    tap(next(w for w in screen.walk() if getattr(w, "text", "") == kiosk.t("cert.preview")))
    wait_until(lambda: screen.issued is not None or screen.error is not None)
    pump(2)
    return screen


def print_button(kiosk, screen):
    return next(w for w in screen.walk() if getattr(w, "text", "") == kiosk.t("cert.print"))


def test_printing_shows_until_cups_says_completed(cert_kiosk, private_cups, tmp_path):
    from onevisit.devices.documents import open_document_printer

    hold = tmp_path / "hold"
    hold.write_text("keep the job processing")
    private_cups.set_fault("onevisit-fault", wait_file=str(hold))
    cert_kiosk.devices.documents = open_document_printer(private_cups.fault_queue_url)
    screen = preview(cert_kiosk, "rare_name")
    # the preview numbers nothing: the A4 document is made with the serial at the press of 打印
    assert screen.error is None and screen.pdf is None
    tap(print_button(cert_kiosk, screen))
    assert cert_kiosk.t("cert.printing") in texts(screen)
    wait_until(lambda: screen.final is not None)
    serial = screen.final.certificate.serial
    register = sqlite3.connect(tmp_path / "certs.db")
    wait_until(
        lambda: (
            register.execute("SELECT status FROM certificates WHERE serial=?", (serial,)).fetchone()[0]
            == "printing"
        )
    )
    pump(2)
    assert screen.print_state == "printing" and cert_kiosk.t("cert.printing") in texts(screen)
    hold.unlink()  # the printer finishes the page
    wait_until(lambda: screen.print_state == "printed")
    pump(2)
    assert cert_kiosk.t("cert.printed") in texts(screen)
    assert screen.pdf is not None and screen.pdf.startswith(b"%PDF")
    assert register.execute("SELECT status FROM certificates").fetchall() == [("printed",)]


def test_an_aborted_job_sends_the_citizen_to_a_window(cert_kiosk, private_cups):
    from onevisit.devices.documents import open_document_printer

    private_cups.set_fault("onevisit-fault", states=["+media-jam-error"], exit_code=1)
    cert_kiosk.devices.documents = open_document_printer(private_cups.fault_queue_url)
    screen = preview(cert_kiosk, "gap")
    tap(print_button(cert_kiosk, screen))
    wait_until(lambda: screen.print_state == "failed")
    pump(2)
    shown = texts(screen)
    assert "窗口" in shown and cert_kiosk.t("cert.to_window") in shown
    tap(next(w for w in screen.walk() if getattr(w, "text", "") == cert_kiosk.t("cert.to_window")))
    assert cert_kiosk.session.tag == "certificate:print_failed"


def test_a_loopback_public_url_refuses_before_a_serial(cert_kiosk, tmp_path):
    cfg = cert_kiosk.config_
    cert_kiosk.config_ = cfg.model_copy(
        update={"hall": cfg.hall.model_copy(update={"public_url": "http://127.0.0.1:8600"})}
    )
    screen = preview(cert_kiosk, "gap")
    assert screen.error is not None and screen.error.code == "public_url_unset"
    assert "核验地址" in texts(screen) and cert_kiosk.t("cert.to_window") in texts(screen)
    assert (
        not (tmp_path / "certs.db").exists()
        or not sqlite3.connect(tmp_path / "certs.db")
        .execute("SELECT count(*) FROM certificates")
        .fetchone()[0]
    )


def test_a_name_no_font_draws_gets_a_window_ticket(cert_kiosk, tmp_path):
    from onevisit.sim.records.demo_backend import demo_id

    with sqlite3.connect(tmp_path / "records.db") as db:
        db.execute(
            "UPDATE people SET name = ? WHERE id_number = ?", ("孙\U00030000", demo_id("rare_name").value)
        )
    screen = preview(cert_kiosk, "rare_name")
    assert screen.error is not None and screen.error.code == "glyph_missing"
    assert "生僻字" in texts(screen)
    tap(next(w for w in screen.walk() if getattr(w, "text", "") == cert_kiosk.t("cert.to_window")))
    assert cert_kiosk.session.tag == "certificate:glyph_missing"
