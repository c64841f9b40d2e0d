"""The A4 printer's IPP reasons go into the kiosk heartbeat, in the hall's heartbeat contract
(what /maintenance shows per kiosk device)."""

from __future__ import annotations

from onevisit.devices.documents import open_document_printer
from onevisit.hall.schemas import HeartbeatIn
from onevisit.kiosk.heartbeat import DeviceProbe
from onevisit.records.documents import wait_final


def test_media_empty_from_ipp_reaches_the_heartbeat(private_cups):
    printer = open_document_printer(private_cups.fault_queue_url)
    probe = DeviceProbe(documents=printer)
    assert probe.collect()["documents"]["state"] == "ok"
    private_cups.set_fault("onevisit-fault", states=["+media-empty-error"], exit_code=1)
    wait_final(printer, printer.submit(b"%PDF-1.4\n%%EOF\n", "SFQ-HB"), timeout=60, poll=0.05)
    report = probe.collect()["documents"]
    assert report["state"] == "error" and report["code"] == "media_empty" and "缺纸" in report["detail"]
    beat = HeartbeatIn.model_validate({"kiosk": "kiosk-1", "devices": {"documents": report}})
    assert beat.devices["documents"].code == "media_empty"
