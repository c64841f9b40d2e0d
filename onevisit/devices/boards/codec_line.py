"""The plain-line protocol of simple boards: one text line per command (GB2312 or the board's charset).

    @ADDR,CMD,ARG\\r\\n      ADDR three decimal digits; CMD T (text), S (scrolling text),
                            C (clear), B (brightness 0-15), P (ping)
    @ADDR,OK\\r\\n           reply: done
    @ADDR,NG,REASON\\r\\n    reply: refused

There is no checksum: such boards trust the line, so a garbled line shows up as a refused command
or as no answer, and the bus's retry handles both.
"""

from __future__ import annotations

from collections.abc import Callable

from onevisit.devices.boards.codec import (
    Ack,
    BoardCodec,
    Command,
    CommandKind,
    FrameParser,
    Message,
    Nak,
    NakReason,
    Rejected,
    check_address,
    check_level,
)

MAX_LINE = 1100
_KINDS = {"T": CommandKind.TEXT, "S": CommandKind.TEXT, "C": CommandKind.CLEAR, "B": CommandKind.BRIGHTNESS}
_KINDS["P"] = CommandKind.PING


def _line(address: int, *fields: str | bytes) -> bytes:
    parts = [f"@{address:03d}".encode("ascii")]
    parts += [f.encode("ascii") if isinstance(f, str) else f for f in fields]
    return b",".join(parts) + b"\r\n"


class LineParser(FrameParser):
    incomplete = "incomplete line"

    def feed(self, data: bytes) -> list[Message]:
        self._buf.extend(data)
        out: list[Message] = []
        while True:
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > MAX_LINE:
                    out.append(Rejected(bytes(self._buf), f"line longer than {MAX_LINE} bytes"))
                    self._buf.clear()
                break
            raw = bytes(self._buf[: end + 1])
            del self._buf[: end + 1]
            out.append(_interpret(raw, self.decode_text))
        return out


def _interpret(raw: bytes, decode_text: Callable[[int, bytes], str]) -> Message:
    line = raw.rstrip(b"\r\n")
    if len(line) > MAX_LINE:
        return Rejected(raw, f"line longer than {MAX_LINE} bytes")
    if not line.startswith(b"@") or len(line) < 6 or line[4:5] != b",":
        return Rejected(raw, "line does not start with @NNN,")
    digits = line[1:4]
    if not digits.isdigit():
        return Rejected(raw, "address is not three digits")
    address = int(digits)
    rest = line[5:]
    if rest == b"OK":
        return Ack(address)
    head, _, arg = rest.partition(b",")
    if head == b"NG":
        try:
            return Nak(address, NakReason(arg.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            return Nak(address, NakReason.OTHER)
    try:
        code = head.decode("ascii")
        kind = _KINDS[code]
    except (UnicodeDecodeError, KeyError):
        return Rejected(raw, "unknown command", address=address, reason=NakReason.UNKNOWN_COMMAND)
    if kind is CommandKind.TEXT:
        try:
            text = decode_text(address, arg)
        except UnicodeDecodeError:
            return Rejected(
                raw, "text is not valid in the board's charset", address=address, reason=NakReason.BAD_PAYLOAD
            )
        return Command(address, kind, text=text, scroll=code == "S")
    if kind is CommandKind.BRIGHTNESS:
        if not arg.isdigit() or int(arg) > 15:
            return Rejected(raw, "brightness must be 0-15", address=address, reason=NakReason.BAD_PAYLOAD)
        return Command(address, kind, level=int(arg))
    if arg:
        return Rejected(raw, f"{code} takes no argument", address=address, reason=NakReason.BAD_PAYLOAD)
    return Command(address, kind)


class LineCodec(BoardCodec):
    name = "line"

    def encode_text(self, address: int, text: str, scroll: bool = False) -> bytes:
        data = self.text_bytes(address, text)
        return _line(address, "S" if scroll else "T", data)

    def encode_clear(self, address: int) -> bytes:
        return _line(check_address(address), "C", "")

    def encode_brightness(self, address: int, level: int) -> bytes:
        return _line(check_address(address), "B", str(check_level(level)))

    def encode_ping(self, address: int) -> bytes:
        return _line(check_address(address), "P", "")

    def encode_ack(self, address: int) -> bytes:
        return _line(address, "OK")

    def encode_nak(self, address: int, reason: NakReason) -> bytes:
        return _line(address, "NG", str(reason))

    def parser(self) -> LineParser:
        return LineParser(self.charset)
