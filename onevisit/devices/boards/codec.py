"""What every board protocol offers: encode commands, parse a byte stream into messages.

A hall may mix vendors, so the bus and the emulator speak to a `BoardCodec` and never to a frame
layout. Both directions (commands to a board, replies from it) go through the same streaming
parser: serial bytes arrive in arbitrary pieces, may be garbled, and must never crash the reader.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from onevisit.core import charsets
from onevisit.core.charsets import check_charset
from onevisit.core.errors import OneVisitError

#: Board addresses 1..254 are boards; 0 and 255 are reserved (broadcast, vendor tools).
MIN_ADDRESS = 1
MAX_ADDRESS = 254
#: The most text bytes a board keeps; longer text is refused before it reaches the wire.
MAX_TEXT_BYTES = 1024
MAX_BRIGHTNESS = 15


class BoardTextError(OneVisitError):
    """Text a board cannot show (not in its charset, too long, control characters)."""


#: The most text bytes a keypad's small display keeps (a 呼叫器 shows "A012 候12" and a code).
MAX_KEYPAD_TEXT_BYTES = 32
#: Key-report sequence numbers run 1..255 and wrap to 1; 0 in a poll means "nothing to acknowledge".
MAX_SEQ = 255


class CommandKind(StrEnum):
    TEXT = "text"
    CLEAR = "clear"
    BRIGHTNESS = "brightness"
    PING = "ping"
    # keypads (呼叫器, 评价器): polled by the hall, they answer with a key report or an ACK
    POLL = "poll"
    DISPLAY = "display"
    LAMP = "lamp"


class Key(StrEnum):
    """The keys of a caller keypad (呼叫 重呼 过号 暂停 转移) and a rating keypad (r1 非常满意 … r4 不满意)."""

    CALL = "call"
    RECALL = "recall"
    SKIP = "skip"
    PAUSE = "pause"
    TRANSFER = "transfer"
    R1 = "r1"
    R2 = "r2"
    R3 = "r3"
    R4 = "r4"


CALLER_KEYS = (Key.CALL, Key.RECALL, Key.SKIP, Key.PAUSE, Key.TRANSFER)
RATER_KEYS = (Key.R1, Key.R2, Key.R3, Key.R4)


class NakReason(StrEnum):
    CHECKSUM = "checksum"
    UNKNOWN_COMMAND = "unknown_command"
    BAD_PAYLOAD = "bad_payload"
    BUSY = "busy"
    OTHER = "other"


@dataclass(frozen=True)
class Command:
    """A command as a board receives it."""

    address: int
    kind: CommandKind
    text: str = ""
    scroll: bool = False
    level: int = 0
    #: POLL: the sequence number of the key report the hall acknowledges (0: none)
    seq: int = 0
    #: LAMP: on or off
    on: bool = False


@dataclass(frozen=True)
class KeyReport:
    """A keypad's answer to a poll: its oldest unacknowledged key press, numbered 1..255."""

    address: int
    seq: int
    key: Key


@dataclass(frozen=True)
class Ack:
    address: int


@dataclass(frozen=True)
class Nak:
    address: int
    reason: NakReason


@dataclass(frozen=True)
class Rejected:
    """Bytes the parser threw away, and why; `address` is set when the frame named one we could
    trust enough to answer with a NAK."""

    raw: bytes
    why: str
    address: int | None = None
    reason: NakReason = NakReason.OTHER


Message = Command | Ack | Nak | KeyReport | Rejected


def encode_board_text(text: str, charset: str = "gb2312", address: int | None = None) -> bytes:
    """Text as the bytes (in the board's `charset`: gb2312, gbk or gb18030) a board renders.

    Every glyph the charset has reaches the board whichever way it was typed (core.charsets:
    `·` and `—` are GB2312 A1A4 and A1AA). Raises a bilingual BoardTextError naming the first
    character the charset has no glyph for, a control character, or text over MAX_TEXT_BYTES."""
    for ch in text:
        if ord(ch) < 0x20 or ord(ch) == 0x7F:
            raise BoardTextError(
                "board_text_control",
                f"显示内容含控制字符 U+{ord(ch):04X}",
                f"board text contains control character U+{ord(ch):04X}",
                address=address,
            )
    try:
        data = charsets.encode(text, charset)
    except charsets.CharsetError as exc:
        bad, name = exc.character, charset.upper()
        raise BoardTextError(
            "board_text_not_in_charset",
            f"显示屏无法显示字符“{bad}”（不在{name}字符集中）",
            f"the board cannot show {bad!r} (U+{ord(bad):04X}): not in {name}",
            address=address,
            character=bad,
            charset=charset,
        ) from None
    if len(data) > MAX_TEXT_BYTES:
        raise BoardTextError(
            "board_text_too_long",
            f"显示内容过长（{len(data)}字节，最多{MAX_TEXT_BYTES}）",
            f"board text too long ({len(data)} bytes, at most {MAX_TEXT_BYTES})",
            address=address,
        )
    return data


def check_address(address: int) -> int:
    if not MIN_ADDRESS <= address <= MAX_ADDRESS:
        raise BoardTextError(
            "board_address_invalid",
            f"显示屏地址{address}无效（1–254）",
            f"board address {address} is out of range 1-254",
        )
    return address


def check_level(level: int) -> int:
    if not 0 <= level <= MAX_BRIGHTNESS:
        raise BoardTextError(
            "board_brightness_invalid",
            f"亮度{level}无效（0–{MAX_BRIGHTNESS}）",
            f"brightness {level} is out of range 0-{MAX_BRIGHTNESS}",
        )
    return level


def check_seq(seq: int) -> int:
    if not 0 <= seq <= MAX_SEQ:
        raise BoardTextError(
            "keypad_seq_invalid", f"按键序号{seq}无效（0–255）", f"key sequence {seq} is out of range 0-255"
        )
    return seq


def encode_keypad_text(text: str, charset: str = "gb2312", address: int | None = None) -> bytes:
    """A keypad display's text in its charset, at most MAX_KEYPAD_TEXT_BYTES; BoardTextError otherwise."""
    data = encode_board_text(text, charset, address)
    if len(data) > MAX_KEYPAD_TEXT_BYTES:
        raise BoardTextError(
            "keypad_text_too_long",
            f"呼叫器显示内容过长（{len(data)}字节，最多{MAX_KEYPAD_TEXT_BYTES}）",
            f"keypad text too long ({len(data)} bytes, at most {MAX_KEYPAD_TEXT_BYTES})",
            address=address,
        )
    return data


class KeypadUnsupported(BoardTextError):
    """The codec has no keypad commands (a board-only vendor protocol)."""


class FrameParser(ABC):
    """Streaming parser: feed whatever bytes arrived, get whole messages and rejected garbage.

    Subclasses keep what has not made a whole message yet in `_buf`; a text payload for board
    `address` is read with `charset_of(address)` (gb2312 when none is given)."""

    #: the reason a half-received message is rejected with
    incomplete = "incomplete frame"

    def __init__(self, charset_of: Callable[[int], str] | None = None) -> None:
        self._buf = bytearray()
        self._charset_of = charset_of or (lambda _address: "gb2312")

    def decode_text(self, address: int, data: bytes) -> str:
        """A text payload as the board shows it; UnicodeDecodeError when it is not valid in the
        board's charset."""
        return charsets.decode(data, self._charset_of(address))

    @abstractmethod
    def feed(self, data: bytes) -> list[Message]: ...

    def pending(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def flush_partial(self) -> list[Message]:
        """Give up on a half-received frame (the line went quiet mid-frame)."""
        if not self._buf:
            return []
        raw, self._buf = bytes(self._buf), bytearray()
        return [Rejected(raw, self.incomplete)]


class BoardCodec(ABC):
    """One vendor protocol. Encoders raise BoardTextError before anything is written.

    `charsets` maps a board address to its character set (gb2312, gbk, gb18030: boards with
    bigger fonts); boards not named use `default_charset`. Text is encoded and decoded per board."""

    name: str

    def __init__(self, charsets: Mapping[int, str] | None = None, default_charset: str = "gb2312") -> None:
        self.default_charset = check_charset(default_charset)
        self.charsets = {address: check_charset(c) for address, c in (charsets or {}).items()}

    def charset(self, address: int) -> str:
        return self.charsets.get(address, self.default_charset)

    def text_bytes(self, address: int, text: str) -> bytes:
        """Validated text bytes for board `address` (see encode_board_text)."""
        return encode_board_text(text, self.charset(check_address(address)), address)

    @abstractmethod
    def encode_text(self, address: int, text: str, scroll: bool = False) -> bytes: ...

    @abstractmethod
    def encode_clear(self, address: int) -> bytes: ...

    @abstractmethod
    def encode_brightness(self, address: int, level: int) -> bytes: ...

    @abstractmethod
    def encode_ping(self, address: int) -> bytes: ...

    @abstractmethod
    def encode_ack(self, address: int) -> bytes:
        """What a board answers (used by the emulator)."""

    @abstractmethod
    def encode_nak(self, address: int, reason: NakReason) -> bytes: ...

    @abstractmethod
    def parser(self) -> FrameParser: ...

    # -- keypads: optional, a board-only protocol leaves them out ---------------------------------
    #: True when the codec implements the four keypad encoders below.
    supports_keypads = False

    def encode_poll(self, address: int, ack_seq: int) -> bytes:
        """Ask keypad `address` for its oldest unacknowledged key press, acknowledging `ack_seq`."""
        raise self._no_keypads()

    def encode_display(self, address: int, text: str) -> bytes:
        """Show `text` (at most MAX_KEYPAD_TEXT_BYTES of GB2312) on a keypad's display."""
        raise self._no_keypads()

    def encode_lamp(self, address: int, on: bool) -> bytes:
        """Switch a keypad's lamp (the 评价器's "请评价" light)."""
        raise self._no_keypads()

    def encode_key(self, address: int, seq: int, key: Key) -> bytes:
        """What a keypad answers a poll with when a key was pressed (used by the emulator)."""
        raise self._no_keypads()

    def _no_keypads(self) -> KeypadUnsupported:
        return KeypadUnsupported(
            "keypad_codec_unsupported",
            f"协议“{self.name}”不支持呼叫器/评价器",
            f"the {self.name!r} codec has no keypad commands",
        )

    def decode(self, data: bytes) -> list[Message]:
        """Every message in a complete buffer (fixtures, tests, one-shot reads)."""
        return self.parser().feed(data)

    def decode_reply(self, data: bytes) -> Ack | Nak | Rejected:
        """The first reply in `data`; a Rejected when there is none."""
        messages = self.decode(data)
        for message in messages:
            if isinstance(message, Ack | Nak):
                return message
        rejected = [m for m in messages if isinstance(m, Rejected)]
        if rejected:
            return rejected[0]
        return Rejected(bytes(data), "no reply frame in the bytes")


def codec_for(
    name: str, charsets: Mapping[int, str] | None = None, default_charset: str = "gb2312"
) -> BoardCodec:
    """The codec called `name` ("default", "line"), with per-board charsets (see BoardCodec)."""
    from onevisit.devices.boards.codec_default import DefaultCodec
    from onevisit.devices.boards.codec_line import LineCodec

    codecs: dict[str, type[BoardCodec]] = {"default": DefaultCodec, "line": LineCodec}
    try:
        cls = codecs[name]
    except KeyError:
        raise ValueError(f"unknown board codec {name!r} (known: {sorted(codecs)})") from None
    return cls(charsets, default_charset)
