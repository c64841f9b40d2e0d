"""Our documented board protocol (docs/board-protocol.md):

    STX(02) | addr | cmd | len (2 bytes, big-endian) | payload | BCC | ETX(03)

BCC is the XOR of addr, cmd, both length bytes and every payload byte. Frames are delimited by
their length, not by scanning for ETX, so payload bytes equal to STX or ETX need no escaping; the
ETX at the expected offset and the BCC together reject a mis-synchronised frame, after which the
parser drops that one STX byte and looks for the next.
"""

from __future__ import annotations

from collections.abc import Callable

from onevisit.devices.boards.codec import (
    Ack,
    BoardCodec,
    Command,
    CommandKind,
    FrameParser,
    Key,
    KeyReport,
    Message,
    Nak,
    NakReason,
    Rejected,
    check_address,
    check_level,
    check_seq,
    encode_keypad_text,
)

STX = 0x02
ETX = 0x03
HEADER = 5  # STX addr cmd len_hi len_lo
TRAILER = 2  # BCC ETX
#: A text payload is one flags byte plus at most 1024 text bytes.
MAX_PAYLOAD = 1 + 1024

CMD_TEXT = 0x10
CMD_CLEAR = 0x11
CMD_BRIGHTNESS = 0x12
CMD_PING = 0x13
CMD_POLL = 0x20
CMD_DISPLAY = 0x21
CMD_LAMP = 0x22
CMD_KEY = 0x30  # keypad -> hall
CMD_ACK = 0x06
CMD_NAK = 0x15

FLAG_SCROLL = 0x01

NAK_CODES = {
    NakReason.CHECKSUM: 0x01,
    NakReason.UNKNOWN_COMMAND: 0x02,
    NakReason.BAD_PAYLOAD: 0x03,
    NakReason.BUSY: 0x04,
    NakReason.OTHER: 0xFF,
}
NAK_REASONS = {code: reason for reason, code in NAK_CODES.items()}

KEY_CODES = {
    Key.CALL: 0x01,
    Key.RECALL: 0x02,
    Key.SKIP: 0x03,
    Key.PAUSE: 0x04,
    Key.TRANSFER: 0x05,
    Key.R1: 0x11,
    Key.R2: 0x12,
    Key.R3: 0x13,
    Key.R4: 0x14,
}
KEYS = {code: key for key, code in KEY_CODES.items()}


def bcc(data: bytes) -> int:
    value = 0
    for byte in data:
        value ^= byte
    return value


def frame(address: int, cmd: int, payload: bytes = b"") -> bytes:
    body = bytes([address, cmd]) + len(payload).to_bytes(2, "big") + payload
    return bytes([STX]) + body + bytes([bcc(body), ETX])


class DefaultFrameParser(FrameParser):
    def feed(self, data: bytes) -> list[Message]:
        self._buf.extend(data)
        out: list[Message] = []
        while self._buf:
            start = self._buf.find(STX)
            if start < 0:
                out.append(Rejected(bytes(self._buf), "bytes outside a frame"))
                self._buf.clear()
                break
            if start > 0:
                out.append(Rejected(bytes(self._buf[:start]), "bytes outside a frame"))
                del self._buf[:start]
            if len(self._buf) < HEADER:
                break
            length = int.from_bytes(self._buf[3:5], "big")
            if length > MAX_PAYLOAD:
                out.append(Rejected(bytes(self._buf[:1]), f"length {length} exceeds {MAX_PAYLOAD}"))
                del self._buf[:1]
                continue
            total = HEADER + length + TRAILER
            if len(self._buf) < total:
                break
            raw = bytes(self._buf[:total])
            if raw[-1] != ETX:
                # Not a frame after all (an STX inside noise): resynchronise on the next STX.
                out.append(Rejected(raw[:1], "no ETX where the length says the frame ends"))
                del self._buf[:1]
                continue
            del self._buf[:total]
            body = raw[1 : HEADER + length]
            if bcc(body) != raw[-2]:
                out.append(Rejected(raw, "checksum mismatch", address=raw[1], reason=NakReason.CHECKSUM))
                continue
            out.append(_interpret(raw, raw[1], raw[2], raw[HEADER : HEADER + length], self.decode_text))
        return out


def _interpret(
    raw: bytes, address: int, cmd: int, payload: bytes, decode_text: Callable[[int, bytes], str]
) -> Message:
    def bad(why: str) -> Rejected:
        return Rejected(raw, why, address=address, reason=NakReason.BAD_PAYLOAD)

    if cmd == CMD_ACK:
        return Ack(address)
    if cmd == CMD_NAK:
        if len(payload) != 1:
            return bad("NAK needs one reason byte")
        return Nak(address, NAK_REASONS.get(payload[0], NakReason.OTHER))
    if cmd == CMD_TEXT:
        if not payload:
            return bad("text command without flags byte")
        flags = payload[0]
        if flags & ~FLAG_SCROLL:
            return bad(f"unknown text flags 0x{flags:02x}")
        try:
            text = decode_text(address, payload[1:])
        except UnicodeDecodeError:
            return bad("text is not valid in the board's charset")
        return Command(address, CommandKind.TEXT, text=text, scroll=bool(flags & FLAG_SCROLL))
    if cmd == CMD_KEY:
        if len(payload) != 2 or not 1 <= payload[0] <= 255 or payload[1] not in KEYS:
            return bad("key report takes a sequence 1-255 and a known key code")
        return KeyReport(address, payload[0], KEYS[payload[1]])
    if cmd == CMD_POLL:
        if len(payload) != 1:
            return bad("poll takes one acknowledged-sequence byte")
        return Command(address, CommandKind.POLL, seq=payload[0])
    if cmd == CMD_DISPLAY:
        try:
            text = decode_text(address, payload)
        except UnicodeDecodeError:
            return bad("display text is not valid in the keypad's charset")
        return Command(address, CommandKind.DISPLAY, text=text)
    if cmd == CMD_LAMP:
        if len(payload) != 1 or payload[0] > 1:
            return bad("lamp takes one byte 0 or 1")
        return Command(address, CommandKind.LAMP, on=bool(payload[0]))
    if cmd == CMD_CLEAR:
        return Command(address, CommandKind.CLEAR) if not payload else bad("clear takes no payload")
    if cmd == CMD_PING:
        return Command(address, CommandKind.PING) if not payload else bad("ping takes no payload")
    if cmd == CMD_BRIGHTNESS:
        if len(payload) != 1 or payload[0] > 15:
            return bad("brightness takes one byte 0-15")
        return Command(address, CommandKind.BRIGHTNESS, level=payload[0])
    return Rejected(raw, f"unknown command 0x{cmd:02x}", address=address, reason=NakReason.UNKNOWN_COMMAND)


class DefaultCodec(BoardCodec):
    name = "default"

    def encode_text(self, address: int, text: str, scroll: bool = False) -> bytes:
        data = self.text_bytes(address, text)
        return frame(address, CMD_TEXT, bytes([FLAG_SCROLL if scroll else 0]) + data)

    def encode_clear(self, address: int) -> bytes:
        return frame(check_address(address), CMD_CLEAR)

    def encode_brightness(self, address: int, level: int) -> bytes:
        return frame(check_address(address), CMD_BRIGHTNESS, bytes([check_level(level)]))

    def encode_ping(self, address: int) -> bytes:
        return frame(check_address(address), CMD_PING)

    def encode_ack(self, address: int) -> bytes:
        return frame(address, CMD_ACK)

    def encode_nak(self, address: int, reason: NakReason) -> bytes:
        return frame(address, CMD_NAK, bytes([NAK_CODES[reason]]))

    def parser(self) -> DefaultFrameParser:
        return DefaultFrameParser(self.charset)

    supports_keypads = True

    def encode_poll(self, address: int, ack_seq: int) -> bytes:
        return frame(check_address(address), CMD_POLL, bytes([check_seq(ack_seq)]))

    def encode_display(self, address: int, text: str) -> bytes:
        return frame(
            address, CMD_DISPLAY, encode_keypad_text(text, self.charset(check_address(address)), address)
        )

    def encode_lamp(self, address: int, on: bool) -> bytes:
        return frame(check_address(address), CMD_LAMP, bytes([1 if on else 0]))

    def encode_key(self, address: int, seq: int, key: Key) -> bytes:
        # 0 is "nothing to acknowledge" in a poll, so a report is numbered 1..255.
        check_seq(seq - 1)
        return frame(check_address(address), CMD_KEY, bytes([seq, KEY_CODES[key]]))
