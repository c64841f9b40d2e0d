"""The ID-card SAM module's serial frames (the common 二代证 reader protocol, our documented subset).

Every frame, either way, is

    AA AA AA 96 69 | LEN (2 bytes, big-endian) | BODY | CHK

LEN counts BODY plus CHK; CHK is the XOR of the two LEN bytes and every BODY byte.
A command's BODY is `CMD PARA` (e.g. 20 01 find card, 20 02 select card, 30 01 read text and photo).
A response's BODY is `SW1 SW2 SW3 DATA`: SW1 SW2 are 00 00 and SW3 says what happened
(90 done, 9F card found, 80 no card, 81 select failed, 41 read failed, 10 bad checksum, 21 bad command).

A read (30 01) answers DATA = text length (2, BE) | photo length (2, BE) | text | photo, where the
256-byte text is UCS-2 little-endian in fixed fields: name 15 chars, gender 1 (1 male, 2 female),
nation 2 (code), birth date 8 (YYYYMMDD), address 35, ID number 18, issuing authority 15,
validity start 8, validity end 8, reserved 18. Photo bytes (WLT) are passed through untouched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber, UnsupportedIdCard, parse_id
from onevisit.core.typed import PADDING

PREAMBLE = bytes.fromhex("AAAAAA9669")
MAX_BODY = 4096

CMD_FIND = bytes([0x20, 0x01])
CMD_SELECT = bytes([0x20, 0x02])
CMD_READ = bytes([0x30, 0x01])

SW_OK = 0x90
SW_FOUND = 0x9F
SW_NO_CARD = 0x80
SW_SELECT_FAILED = 0x81
SW_READ_FAILED = 0x41
SW_BAD_CHECKSUM = 0x10
SW_BAD_COMMAND = 0x21

#: (field, characters) in the order they sit in the 256-byte text block.
TEXT_FIELDS: tuple[tuple[str, int], ...] = (
    ("name", 15),
    ("gender", 1),
    ("nation", 2),
    ("birth", 8),
    ("address", 35),
    ("id_number", 18),
    ("authority", 15),
    ("valid_from", 8),
    ("valid_to", 8),
    ("reserved", 18),
)
TEXT_BYTES = 256


class CardReadError(OneVisitError):
    """The reader answered something we cannot use; the citizen is asked to try again or type."""

    status = 502


def garbled(what: str) -> CardReadError:
    return CardReadError(
        "card_garbled",
        "读卡失败，请重新放置身份证或手动输入身份证号",
        f"The card could not be read ({what}); place the card again or type the ID number",
        what=what,
    )


def unsupported_card_read(exc: UnsupportedIdCard) -> CardReadError:
    """A genuine card of a kind this kiosk does not serve (外国人永久居留身份证): not a bad read,
    so the citizen is sent to a window instead of being asked to place the card again."""
    return CardReadError(exc.code, exc.zh, exc.en, **exc.details)


def no_card() -> CardReadError:
    return CardReadError(
        "card_absent",
        "未检测到身份证，请将身份证放在感应区",
        "No ID card found; place the card on the reader",
    )


def xor(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def encode(body: bytes) -> bytes:
    """A whole frame for `body` (command or response body)."""
    if not body or len(body) > MAX_BODY:
        raise ValueError(f"frame body must be 1..{MAX_BODY} bytes")
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([xor(length + body)])


def response(sw3: int, data: bytes = b"") -> bytes:
    return encode(bytes([0x00, 0x00, sw3]) + data)


@dataclass(frozen=True)
class Frame:
    body: bytes

    @property
    def sw3(self) -> int:
        if len(self.body) < 3:
            raise garbled("response shorter than its status")
        return self.body[2]

    @property
    def data(self) -> bytes:
        return self.body[3:]


class FrameDecoder:
    """Bytes in, whole frames out. Skips line noise before a preamble; a bad checksum or an
    impossible length is an error naming what was wrong (the bytes are dropped, not guessed at)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[Frame]:
        self._buf.extend(chunk)
        frames: list[Frame] = []
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # keep a possible partial preamble at the tail
                del self._buf[: max(0, len(self._buf) - (len(PREAMBLE) - 1))]
                return frames
            del self._buf[:start]
            if len(self._buf) < len(PREAMBLE) + 2:
                return frames
            length = int.from_bytes(self._buf[5:7], "big")
            if length < 2 or length > MAX_BODY + 1:
                del self._buf[: len(PREAMBLE)]
                raise garbled(f"impossible frame length {length}")
            end = len(PREAMBLE) + 2 + length
            if len(self._buf) < end:
                return frames
            raw = bytes(self._buf[:end])
            del self._buf[:end]
            body, chk = raw[7:-1], raw[-1]
            if xor(raw[5:-1]) != chk:
                raise garbled(f"checksum {chk:02X} != {xor(raw[5:-1]):02X}")
            frames.append(Frame(body))

    @property
    def pending(self) -> int:
        return len(self._buf)


def decode_one(raw: bytes) -> Frame:
    """Exactly one frame from recorded bytes (tests, tools)."""
    decoder = FrameDecoder()
    frames = decoder.feed(raw)
    if len(frames) != 1:
        raise garbled(f"expected one frame, found {len(frames)}")
    return frames[0]


@dataclass(frozen=True)
class CardRead:
    """What a second-generation ID card says, validated. `str()` shows only masked data."""

    id_number: IdNumber
    name: str
    gender: str  # 男 / 女 / "" when the source does not say (keyboard wedge)
    birth_date: dt.date | None
    nation: str = ""
    address: str = ""
    source: str = ""

    def __str__(self) -> str:
        from onevisit.core.identity import mask_name

        return f"CardRead({self.id_number.masked}, {mask_name(self.name)}, {self.gender}, via {self.source})"

    __repr__ = __str__


def encode_text(fields: dict[str, str]) -> bytes:
    """The 256-byte text block for a card (simulator, tests)."""
    out = bytearray()
    for name, chars in TEXT_FIELDS:
        value = fields.get(name, "")[:chars].ljust(chars)
        out += value.encode("utf-16-le")
    assert len(out) == TEXT_BYTES
    return bytes(out)


def read_data(text: bytes, photo: bytes = b"") -> bytes:
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def parse_text(text: bytes, today: dt.date | None = None, source: str = "sam") -> CardRead:
    """The text block's fields, checked: the ID number with GB 11643, the birth date against it."""
    if len(text) != TEXT_BYTES:
        raise garbled(f"text block is {len(text)} bytes, not {TEXT_BYTES}")
    try:
        decoded = text.decode("utf-16-le")
    except UnicodeDecodeError:
        raise garbled("text is not UCS-2") from None
    fields: dict[str, str] = {}
    pos = 0
    for name, chars in TEXT_FIELDS:
        # Fields are padded with spaces, NULs, or spaces then NULs ("张三    \0\0"): strip all of them.
        fields[name] = decoded[pos : pos + chars].strip(PADDING)
        pos += chars
    if any(not ch.isprintable() for ch in fields["name"] + fields["id_number"]):
        raise garbled("unprintable characters in name or ID number")
    try:
        id_number = parse_id(fields["id_number"], today=today)
    except UnsupportedIdCard as exc:
        raise unsupported_card_read(exc) from None
    except OneVisitError as exc:
        raise CardReadError(
            "card_id_invalid",
            f"身份证芯片中的号码无效（{exc.zh}），请到窗口办理",
            f"The ID number on the card's chip is invalid ({exc.en}); please go to a window",
        ) from None
    if not fields["name"]:
        raise garbled("empty name")
    gender = {"1": "男", "2": "女"}.get(fields["gender"])
    if gender is None:
        raise garbled(f"gender code {fields['gender']!r}")
    try:
        birth = dt.datetime.strptime(fields["birth"], "%Y%m%d").date()
    except ValueError:
        raise garbled("birth date field") from None
    if birth != id_number.birth_date:
        raise garbled("birth date disagrees with the ID number")
    return CardRead(
        id_number=id_number,
        name=fields["name"],
        gender=gender,
        birth_date=birth,
        nation=fields["nation"],
        address=fields["address"],
        source=source,
    )


def parse_read_response(frame: Frame, today: dt.date | None = None) -> CardRead:
    """A 30 01 answer: status checked, lengths checked, text parsed."""
    if frame.sw3 == SW_NO_CARD:
        raise no_card()
    if frame.sw3 != SW_OK:
        raise garbled(f"reader status {frame.sw3:02X}")
    data = frame.data
    if len(data) < 4:
        raise garbled("read answer without lengths")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if text_len != TEXT_BYTES or len(data) != 4 + text_len + photo_len:
        raise garbled(f"lengths text={text_len} photo={photo_len} do not match {len(data) - 4} bytes")
    return parse_text(data[4 : 4 + text_len], today=today)
