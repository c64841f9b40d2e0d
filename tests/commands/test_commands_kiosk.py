"""`onevisit kiosk`: the screenshot mode never opens the kiosk's live card reader."""

from __future__ import annotations

import argparse

from onevisit.commands.kiosk import build_devices


def _args(**over) -> argparse.Namespace:
    base = dict(token_file=None, hall=None, printer=None, card_reader=None, camera="none")
    return argparse.Namespace(**{**base, **over})


def test_screenshots_use_an_empty_simulated_reader_whatever_is_configured(config, tmp_path):
    # A port that does not exist: opening it would fail (or, on a kiosk, swallow a real card).
    live = f"serial://{tmp_path}/ttyUSB-live?baud=115200"
    devices = build_devices(config, _args(card_reader=live), for_screenshots=True)
    assert devices.card_reader is not None and devices.card_reader.url == "sim://"
    assert devices.card_reader_error is None
    assert devices.card_reader.read(timeout=0.1) is None  # nothing placed: no card is invented
    # the running kiosk does open what it is told to, and keeps the fault for technicians
    running = build_devices(config, _args(card_reader=live, token_file=str(tmp_path / "none")), False)
    assert running.card_reader is None and running.card_reader_error is not None
