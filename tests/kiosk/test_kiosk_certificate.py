"""参保证明 at the kiosk: a preview numbers nothing, the printed one is numbered, registered and
said to be the certificate; the preview opens full screen and zooms."""

from __future__ import annotations

import sqlite3

import pytest

from onevisit.kiosk.printing import KioskPrinter
from onevisit.records.certificate import PREVIEW_SERIAL
from onevisit.records.issue import decode_qr
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.kiosk.conftest import pump, tap, texts, wait_until


def register_rows(config) -> list[tuple[str, str]]:
    path = config.path(config.records.certificates_db)
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return list(conn.execute("SELECT serial, status FROM certificates"))


@pytest.fixture
def cert_kiosk(kiosk, tmp_path):
    """The kiosk with the demo records seeded in tmp_path (the screenshot tool's), at the
    certificate screen for the demo citizen with a gap in contributions."""
    from onevisit.commands.kiosk import demo_records_config, open_kiosk_records
    from onevisit.sim.records.demo_backend import demo_id

    saved = kiosk.config_
    kiosk.config_ = demo_records_config(saved, tmp_path)
    kiosk.devices.records = open_kiosk_records(kiosk.config_)
    kiosk.session.identified(demo_id("gap"))
    kiosk.go("certificate")
    pump(2)
    yield kiosk
    wait_until(lambda: kiosk.busy == 0)
    kiosk.devices.records = None
    kiosk.config_ = saved


def test_a_preview_registers_no_serial_until_it_is_printed(cert_kiosk, tmp_path):
    app = cert_kiosk
    screen = app.screen("certificate")
    screen.preview()
    wait_until(lambda: screen.issued is not None)
    pump(2)
    assert screen.issued.certificate.serial == PREVIEW_SERIAL
    assert register_rows(app.config_) == []  # looked at and walked away from: no gap in the register
    assert decode_qr(screen.issued.pages[-1]) == []  # nothing that would verify
    assert "打印时生成证明编号和二维码" in texts(screen)

    with VirtualPrinter(tmp_path / "paper") as vp:
        app.devices.printer = KioskPrinter(vp.url, app.config_)
        screen.print_certificate()
        wait_until(lambda: screen.print_state in ("printed", "failed"))
        pump(2)
        assert screen.print_state == "printed", screen.print_error
        shown = texts(screen)
        assert "参保证明已打印" in shown and "号票" not in shown
        serial = screen.issued.certificate.serial
        assert serial.startswith(app.config_.records.serial_prefix)
        assert register_rows(app.config_) == [(serial, "printed")]
        assert decode_qr(screen.issued.pages[-1]) == [screen.issued.certificate.verify_url]
        assert f"证明编号 {serial}" in shown


def test_the_preview_opens_full_screen_and_zooms(cert_kiosk):
    app = cert_kiosk
    screen = app.screen("certificate")
    screen.preview()
    wait_until(lambda: screen.issued is not None)
    pump(2)
    tap(screen.view_button)
    viewer = screen.viewer
    try:
        wait_until(lambda: viewer.parent is not None)
        from kivy.core.window import Window

        images = [w for w in viewer.grid.children]
        assert len(images) == len(screen.issued.pages)
        pump(2)
        fit = images[0].norm_image_size[0]  # as drawn, not the widget's box
        assert fit >= Window.width * 0.9  # an 80 mm page across the whole screen
        tap(viewer.larger)
        pump(2)
        assert viewer.grid.children[0].norm_image_size[0] == pytest.approx(fit * 1.5, rel=0.01)
        assert not viewer.smaller.disabled
    finally:
        tap(viewer.close)
    wait_until(lambda: viewer.parent is None)
