"""`onevisit card-reader-sim`: a SAM ID-card module on a pseudo-terminal, with faults on demand.

The kiosk (or `onevisit card-reader-read`) opens the pty like a real reader's serial port. The card
is "placed" at start; after a read it counts as taken away until `place` is typed on stdin (or
always, with --always). Faults: checksum (answers with a wrong XOR), nocard (never finds a card),
garbled (the text block is noise), slow (answers after --delay seconds), silent (never answers).
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import select
import threading
import tty
from pathlib import Path

from onevisit.devices.cardreader.frames import (
    CMD_FIND,
    CMD_READ,
    CMD_SELECT,
    SW_BAD_COMMAND,
    SW_FOUND,
    SW_NO_CARD,
    SW_OK,
    SW_READ_FAILED,
    CardReadError,
    FrameDecoder,
    encode_text,
    read_data,
    response,
)
from onevisit.devices.cardreader.readers import card_fields

log = logging.getLogger(__name__)

FAULTS = ("checksum", "nocard", "garbled", "slow", "silent")


class SamEmulator:
    """The module's answers, independent of the wire (tests drive `handle` directly too)."""

    def __init__(
        self,
        id_number: str,
        name: str,
        gender: str | None = None,
        fault: str | None = None,
        fault_count: int = 0,
        always: bool = False,
        seed: int = 0,
    ) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        self.text = encode_text(card_fields(id_number, name, gender))
        self.photo = bytes(1024)  # a WLT photo's size; its content is not ours to decode
        self.fault = fault
        self.fault_count = fault_count  # 0: every answer faulty
        self.always = always
        self.present = True
        self.reads = 0
        self._rng = random.Random(seed)
        self._faults_done = 0

    def place(self) -> None:
        self.present = True

    def _faulty(self) -> str | None:
        if self.fault is None:
            return None
        if self.fault_count and self._faults_done >= self.fault_count:
            return None
        return self.fault

    def handle(self, body: bytes) -> bytes | None:
        """The answer frame to one command body; None means stay silent."""
        fault = self._faulty()
        if fault == "silent":
            self._faults_done += 1
            return None
        command = body[:2]
        if command == CMD_FIND:
            if fault == "nocard":
                self._faults_done += 1
                return response(SW_NO_CARD)
            return response(SW_FOUND if self.present else SW_NO_CARD)
        if command == CMD_SELECT:
            return response(SW_OK if self.present else SW_NO_CARD)
        if command == CMD_READ:
            if not self.present:
                return response(SW_READ_FAILED)
            text = self.text
            if fault == "garbled":
                self._faults_done += 1
                text = bytes(self._rng.randrange(256) for _ in range(len(text)))
            frame = bytearray(response(SW_OK, read_data(text, self.photo)))
            if fault == "checksum":
                self._faults_done += 1
                frame[-1] ^= 0x5A
            self.reads += 1
            # a read that reached the host intact takes the card "away"; a faulty one leaves it
            # on the reader, so the next attempt can succeed as with a real module
            if not self.always and fault is None:
                self.present = False
            return bytes(frame)
        return response(SW_BAD_COMMAND)


class PtyLink:
    """A pseudo-terminal whose other end is linked at `link` for the reader to open."""

    def __init__(self, link: Path) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.slave_name = os.ttyname(slave)
        self._slave = slave  # kept open so the pty does not hang up between readers
        self.link = link
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(self.slave_name)

    def close(self) -> None:
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link.is_symlink():
            self.link.unlink()


def serve(emulator: SamEmulator, link: PtyLink, stop: threading.Event, delay: float = 0.0) -> None:
    decoder = FrameDecoder()
    while not stop.is_set():
        ready, _, _ = select.select([link.master], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(link.master, 1024)
        except OSError:
            return
        try:
            frames = decoder.feed(chunk)
        except CardReadError as exc:
            log.warning("bad command frame: %s", exc.en)
            frames = []
        for frame in frames:
            answer = emulator.handle(frame.body)
            if answer is None:
                continue
            if emulator.fault == "slow" and delay:
                # the fault under test is a slow device, so waiting is the point here
                stop.wait(delay)
            os.write(link.master, answer)


def run(args) -> int:
    emulator = SamEmulator(
        args.id, args.name, args.gender, fault=args.fault, fault_count=args.fault_count, always=args.always
    )
    link = PtyLink(Path(args.link))
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(emulator, link, stop, args.delay), daemon=True)
    thread.start()
    print(
        f"card reader emulator on {link.slave_name}, linked at {link.link}; type 'place' to present the card again"
    )
    try:
        while True:
            line = input()
            if line.strip() == "place":
                emulator.place()
                print("card placed")
            elif line.strip() in ("quit", "exit"):
                break
    except (EOFError, KeyboardInterrupt):
        # stdin closed (run from a script): keep serving until the process is stopped
        if not stop.is_set():
            with contextlib.suppress(KeyboardInterrupt):
                stop.wait()
    finally:
        stop.set()
        link.close()
    return 0
