"""The A4 printer's IPP printer-state-reasons, read from a real CUPS by the kiosk's heartbeat, reach
/maintenance as the kiosk's "documents" device with its alert, and clear when the reason does."""

from __future__ import annotations

from onevisit.devices.documents import open_document_printer
from onevisit.kiosk.heartbeat import DeviceProbe
from onevisit.records.documents import wait_final
from tests.hall.maintenance.test_maint_api import beat


def _documents(hall):
    [kiosk] = hall.overview()["kiosks"]
    return {d["kind"]: d for d in kiosk["devices"]}["documents"]


def test_media_empty_from_cups_reaches_maintenance_and_clears(hall, private_cups):
    printer = open_document_printer(private_cups.fault_queue_url)
    probe = DeviceProbe(documents=printer)
    private_cups.set_fault("onevisit-fault", states=["+media-empty-error"], exit_code=1)
    wait_final(printer, printer.submit(b"%PDF-1.4\n%%EOF\n", "SFQ-MT"), timeout=60, poll=0.05)
    assert beat(hall.url, hall.kiosk_token, probe.collect()).status_code == 200
    device = _documents(hall)
    assert device["state"] == "error" and device["code"] == "media_empty"
    assert device["info"]["url"] == private_cups.fault_queue_url
    [alert] = [a for a in hall.overview()["alerts"] if a["device"] == "kiosk:kiosk-1/documents"]
    assert alert["code"] == "media_empty" and alert["severity"] == "error"
    # paper loaded: the backend clears the reason with the next job
    private_cups.set_fault("onevisit-fault", states=["-media-empty-error"])
    assert wait_final(printer, printer.submit(b"%PDF-1.4\n%%EOF\n", "SFQ-MT2"), 60, 0.05).state == "completed"
    beat(hall.url, hall.kiosk_token, probe.collect())
    assert _documents(hall)["state"] == "ok"
    assert not [a for a in hall.overview()["alerts"] if a["device"] == "kiosk:kiosk-1/documents"]


def test_a_paused_queue_is_named_on_maintenance(hall, private_cups):
    private_cups.disable(private_cups.pdf_queue, "tray open")
    probe = DeviceProbe(documents=open_document_printer(private_cups.pdf_queue_url))
    beat(hall.url, hall.kiosk_token, probe.collect())
    device = _documents(hall)
    assert device["code"] == "paused" and "tray open" in device["detail"]
