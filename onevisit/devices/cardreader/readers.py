"""Card readers behind one interface: SAM module over serial, keyboard wedge, in-process simulator.

`read()` returns a validated CardRead, None when no card is on the reader, and raises CardReadError
(bilingual) when the reader answered something unusable. Readers never import UI code: the kiosk
polls `read()` on its own thread and decides what to show.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

import serial

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import UnsupportedIdCard, parse_id
from onevisit.core.typed import clean
from onevisit.devices.cardreader.frames import (
    CMD_FIND,
    CMD_READ,
    CMD_SELECT,
    SW_BAD_CHECKSUM,
    SW_FOUND,
    SW_NO_CARD,
    SW_OK,
    CardRead,
    CardReadError,
    FrameDecoder,
    encode,
    garbled,
    parse_read_response,
    parse_text,
    unsupported_card_read,
)

log = logging.getLogger(__name__)


class CardReader(Protocol):
    url: str

    def read(self, timeout: float = 1.0) -> CardRead | None: ...

    def close(self) -> None: ...


def reader_unavailable(url: str, why: str) -> CardReadError:
    return CardReadError(
        "card_reader_unavailable",
        "身份证读卡器暂不可用，请手动输入身份证号",
        f"The ID card reader is not available ({why}); please type the ID number",
        url=url,
    )


class SamReader:
    """A SAM module on a serial line: find → select → read, each one command frame and one answer."""

    def __init__(self, port: serial.SerialBase, url: str, today: Callable[[], dt.date] | None = None) -> None:
        self.port = port
        self.url = url
        self._today = today
        self._lock = threading.Lock()

    @classmethod
    def open(cls, url: str, **kwargs) -> SamReader:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        baud = int(query.get("baud", ["115200"])[0])
        path = parts.path if parts.scheme in ("serial", "sam") else url
        try:
            port = serial.serial_for_url(path, baudrate=baud, timeout=0.05, write_timeout=1.0)
        except (serial.SerialException, ValueError, OSError) as exc:
            raise reader_unavailable(url, str(exc)) from None
        return cls(port, url, **kwargs)

    def _exchange(self, command: bytes, timeout: float):
        decoder = FrameDecoder()
        try:
            self.port.reset_input_buffer()
            self.port.write(encode(command))
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise reader_unavailable(self.url, str(exc)) from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = self.port.read(512)
            except (serial.SerialException, OSError) as exc:
                raise reader_unavailable(self.url, str(exc)) from None
            if not chunk:
                continue
            frames = decoder.feed(chunk)
            if frames:
                frame = frames[0]
                if frame.sw3 == SW_BAD_CHECKSUM:
                    raise garbled("the reader did not understand our command")
                return frame
        raise reader_unavailable(self.url, f"no answer within {timeout:.1f}s")

    def read(self, timeout: float = 1.0) -> CardRead | None:
        with self._lock:
            found = self._exchange(CMD_FIND, timeout)
            if found.sw3 == SW_NO_CARD:
                return None
            if found.sw3 != SW_FOUND:
                raise garbled(f"find card answered {found.sw3:02X}")
            selected = self._exchange(CMD_SELECT, timeout)
            if selected.sw3 != SW_OK:
                raise garbled(f"select card answered {selected.sw3:02X}")
            answer = self._exchange(CMD_READ, timeout)
            card = parse_read_response(answer, today=self._today() if self._today else None)
            log.info("card read %s", card)
            return card

    def probe(self, timeout: float = 1.0) -> str:
        """Is the module there? One find-card command (a card on it stays unread): "card" or
        "no card"; raises CardReadError when the module does not answer properly."""
        with self._lock:
            found = self._exchange(CMD_FIND, timeout)
        if found.sw3 == SW_FOUND:
            return "card"
        if found.sw3 == SW_NO_CARD:
            return "no card"
        raise garbled(f"find card answered {found.sw3:02X}")

    def close(self) -> None:
        self.port.close()


class WedgeDecoder:
    """A keyboard-wedge reader types the ID number and Enter. Keys arrive one by one; anything that
    is not a digit or X resets the line (a stray key must not glue two numbers together)."""

    def __init__(self, today: Callable[[], dt.date] | None = None) -> None:
        self._chars: list[str] = []
        self._today = today

    def feed(self, key: str) -> CardRead | None:
        if key in ("\r", "\n", "enter"):
            text, self._chars = "".join(self._chars), []
            if not text:
                return None
            try:
                number = parse_id(text, today=self._today() if self._today else None)
            except UnsupportedIdCard as exc:
                raise unsupported_card_read(exc) from None
            except OneVisitError as exc:
                raise CardReadError(
                    "card_id_invalid",
                    f"读到的身份证号无效：{exc.zh}",
                    f"The ID number read is invalid: {exc.en}",
                ) from None
            return CardRead(
                id_number=number, name="", gender="", birth_date=number.birth_date, source="wedge"
            )
        key = clean(key) if len(key) == 1 else key  # a wedge behind a full-width IME types １ and Ｘ
        if len(key) == 1 and (key in "0123456789xX"):
            self._chars.append(key.upper())
            if len(self._chars) > 18:
                self._chars = self._chars[-18:]
        else:
            self._chars = []
        return None

    def reset(self) -> None:
        self._chars = []


class WedgeReader:
    """`wedge://`: the reader types into the focused window; the kiosk feeds key presses here."""

    def __init__(self, url: str = "wedge://", today: Callable[[], dt.date] | None = None) -> None:
        self.url = url
        self.decoder = WedgeDecoder(today)
        self._ready: list[CardRead] = []
        self._lock = threading.Lock()

    def key(self, key: str) -> CardRead | None:
        card = self.decoder.feed(key)
        if card:
            with self._lock:
                self._ready.append(card)
        return card

    def read(self, timeout: float = 1.0) -> CardRead | None:
        with self._lock:
            return self._ready.pop(0) if self._ready else None

    def close(self) -> None:
        pass


class SimCardReader:
    """`sim://?id=...&name=...&gender=1`: a card on an imaginary reader, read once per placing
    (like a real module, a card that was read is not found again until it is placed again)."""

    def __init__(self, url: str = "sim://", today: Callable[[], dt.date] | None = None) -> None:
        self.url = url
        self._today = today
        self._card: bytes | None = None
        self._fault: str | None = None
        self._lock = threading.Lock()
        query = parse_qs(urlsplit(url).query)
        if "id" in query:
            self.place(query["id"][0], query.get("name", ["张三"])[0], query.get("gender", [""])[0] or None)

    def place(self, id_number: str, name: str, gender: str | None = None) -> None:
        from onevisit.devices.cardreader.frames import encode_text

        with self._lock:
            self._card = encode_text(card_fields(id_number, name, gender))

    def fail_next(self, fault: str) -> None:
        """Inject: "garbled" (the next read raises), "absent" (the next read finds nothing)."""
        with self._lock:
            self._fault = fault

    def probe(self, timeout: float = 1.0) -> str:
        with self._lock:
            return "card" if self._card is not None else "no card"

    def read(self, timeout: float = 1.0) -> CardRead | None:
        with self._lock:
            fault, self._fault = self._fault, None
            card, self._card = self._card, None
        if fault == "absent" or card is None:
            return None
        if fault == "garbled":
            raise garbled("simulated noise")
        return parse_text(card, today=self._today() if self._today else None, source="sim")

    def close(self) -> None:
        pass


def card_fields(id_number: str, name: str, gender: str | None = None) -> dict[str, str]:
    """The text fields a real card carries for this person (simulators, tests)."""
    if gender is None:
        gender = "1" if len(id_number) >= 17 and id_number[16].isdigit() and int(id_number[16]) % 2 else "2"
    return {
        "name": name,
        "gender": gender,
        "nation": "01",
        "birth": id_number[6:14],
        "address": "示范区人民路1号",
        "id_number": id_number,
        "authority": "示范区公安分局",
        "valid_from": "20200101",
        "valid_to": "20400101",
    }


def open_card_reader(url: str, today: Callable[[], dt.date] | None = None) -> CardReader:
    """The reader a URL names: sim://, wedge://, serial:///dev/ttyUSB0?baud=115200 (or sam://PATH)."""
    scheme = urlsplit(url).scheme
    if scheme == "sim":
        return SimCardReader(url, today)
    if scheme == "wedge":
        return WedgeReader(url, today)
    if scheme in ("serial", "sam", "socket", "loop", "rfc2217"):
        return SamReader.open(url, today=today)
    raise reader_unavailable(url, f"unknown card reader scheme {scheme!r} (sim, wedge, serial)")
