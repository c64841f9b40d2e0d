"""A small ESC/POS tokenizer: bytes -> tokens, for the virtual printer and for tests.

It knows the commands our layouts and python-escpos send (text, sizes, bold, alignment, fonts,
GBK Chinese mode, raster images, QR codes, feeds, cuts, real-time status) and rejects anything
else with a message naming the byte offset, so a layout bug shows up as a clear error instead of
a silently wrong ticket. It is incremental (`feed` chunks as they arrive from a socket) because a
real-time status request (DLE EOT) must be answered while a job is still arriving.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10

#: ESC x commands with a fixed number of argument bytes.
_ESC_FIXED: dict[int, tuple[str, int]] = {
    ord("@"): ("init", 0),
    ord("!"): ("print_mode", 1),
    ord("E"): ("bold", 1),
    ord("G"): ("double_strike", 1),
    ord("-"): ("underline", 1),
    ord("a"): ("align", 1),
    ord("d"): ("feed_lines", 1),
    ord("J"): ("feed_dots", 1),
    ord("2"): ("line_spacing_default", 0),
    ord("3"): ("line_spacing", 1),
    ord("M"): ("font", 1),
    ord("t"): ("codepage", 1),
    ord("{"): ("upside_down", 1),
    ord("R"): ("charset", 1),
    ord(" "): ("char_spacing", 1),
    ord("p"): ("drawer_pulse", 3),
}
_GS_FIXED: dict[int, tuple[str, int]] = {
    ord("!"): ("size", 1),
    ord("B"): ("invert", 1),
    ord("L"): ("left_margin", 2),
    ord("W"): ("print_width", 2),
}
_FS_FIXED: dict[int, tuple[str, int]] = {
    ord("&"): ("chinese_on", 0),
    ord("."): ("chinese_off", 0),
    ord("!"): ("chinese_mode", 1),
}
_NAMES = {ESC: "ESC", GS: "GS", FS: "FS", DLE: "DLE"}


@dataclass(frozen=True)
class Token:
    """One command or run of text. `value` holds the decoded argument(s)."""

    name: str
    offset: int
    raw: bytes
    value: object = None


class TokenizeError(ValueError):
    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"byte offset {offset}: {message}")
        self.offset = offset


def _show(byte: int) -> str:
    return f"0x{byte:02x}" + (f" ({chr(byte)!r})" if 0x20 <= byte < 0x7F else "")


class Tokenizer:
    def __init__(self) -> None:
        self._buf = bytearray()
        self._start = 0  # stream offset of _buf[0]
        self.chinese = False  # FS & seen: bytes >= 0x81 pair up as GBK

    @property
    def pending(self) -> int:
        """Bytes held back because the command they start is not complete yet."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Token]:
        self._buf += data
        tokens: list[Token] = []
        i = 0
        while i < len(self._buf):
            token, used = self._next(i)
            if token is None:  # incomplete: wait for more bytes
                break
            tokens.append(token)
            i += used
        del self._buf[:i]
        self._start += i
        return tokens

    def close(self) -> None:
        """The stream ended: a half-sent command is an error."""
        if self._buf:
            raise TokenizeError(
                self._start,
                f"stream ends inside a command ({len(self._buf)} bytes: {bytes(self._buf[:12]).hex(' ')}...)",
            )

    # -- one token at buffer index i; (None, 0) when more bytes are needed ----------------------
    def _next(self, i: int) -> tuple[Token | None, int]:
        buf = self._buf
        off = self._start + i
        b = buf[i]
        if b == 0x0A:
            return Token("lf", off, b"\n"), 1
        if b in (0x0D, 0x00):  # CR and NUL padding: printers ignore them
            return Token("ignore", off, bytes([b])), 1
        if b == 0x09:
            return Token("tab", off, b"\t"), 1
        if b in (ESC, GS, FS):
            return self._command(i, off)
        if b == DLE:
            if len(buf) < i + 3:
                return None, 0
            if buf[i + 1] != 0x04:
                raise TokenizeError(off, f"unknown command DLE {_show(buf[i + 1])} (only DLE EOT n is known)")
            n = buf[i + 2]
            if n not in (1, 2, 3, 4):
                raise TokenizeError(off, f"DLE EOT {n}: status request n must be 1-4")
            return Token("status_request", off, bytes(buf[i : i + 3]), n), 3
        if b < 0x20 or b == 0x7F:
            raise TokenizeError(off, f"unknown control byte {_show(b)}")
        return self._text(i, off)

    def _text(self, i: int, off: int) -> tuple[Token | None, int]:
        buf = self._buf
        j = i
        while j < len(buf):
            b = buf[j]
            if 0x20 <= b < 0x7F:
                j += 1
            elif b >= 0x80 and self.chinese:
                if not 0x81 <= b <= 0xFE:
                    raise TokenizeError(self._start + j, f"byte {_show(b)} is not a GBK lead byte")
                if j + 1 >= len(buf):
                    break  # the trail byte is in the next chunk
                trail = buf[j + 1]
                if not (0x40 <= trail <= 0xFE and trail != 0x7F):
                    raise TokenizeError(self._start + j + 1, f"byte {_show(trail)} is not a GBK trail byte")
                j += 2
            elif b >= 0x80:
                j += 1
            else:
                break
        if j == i:
            return None, 0
        raw = bytes(buf[i:j])
        try:
            text = raw.decode("gbk") if self.chinese else raw.decode("cp437")
        except UnicodeDecodeError as err:
            raise TokenizeError(
                off + err.start, f"bytes {raw[err.start : err.end].hex(' ')} are not GBK text"
            ) from None
        return Token("text", off, raw, text), j - i

    def _command(self, i: int, off: int) -> tuple[Token | None, int]:
        buf = self._buf
        if len(buf) < i + 2:
            return None, 0
        prefix, code = buf[i], buf[i + 1]
        table = {ESC: _ESC_FIXED, GS: _GS_FIXED, FS: _FS_FIXED}[prefix]
        if code in table:
            name, nargs = table[code]
            if len(buf) < i + 2 + nargs:
                return None, 0
            args = bytes(buf[i + 2 : i + 2 + nargs])
            if name == "chinese_on":
                self.chinese = True
            elif name in ("chinese_off", "init"):  # ESC @ resets to single-byte mode, as Epson does
                self.chinese = False
            value: object = args[0] if nargs == 1 else (tuple(args) if nargs else None)
            token = Token(name, off, bytes(buf[i : i + 2 + nargs]), value)
            self._check(token)
            return token, 2 + nargs
        if prefix == GS and code == ord("V"):
            if len(buf) < i + 3:
                return None, 0
            m = buf[i + 2]
            if m in (0, 1, 48, 49):
                return Token("cut", off, bytes(buf[i : i + 3]), "full" if m in (0, 48) else "partial"), 3
            if m in (65, 66):
                if len(buf) < i + 4:
                    return None, 0
                return Token("cut", off, bytes(buf[i : i + 4]), "full" if m == 65 else "partial"), 4
            raise TokenizeError(off, f"GS V: cut mode {m} is not 0, 1, 48, 49, 65 or 66")
        if prefix == GS and code == ord("v"):
            return self._raster(i, off)
        if prefix == GS and code == ord("("):
            return self._gs_paren(i, off)
        raise TokenizeError(off, f"unknown command {_NAMES[prefix]} {_show(code)}")

    def _check(self, t: Token) -> None:
        v = t.value
        if t.name == "align" and v not in (0, 1, 2, 48, 49, 50):
            raise TokenizeError(t.offset, f"ESC a: alignment {v} is not 0, 1 or 2")
        if t.name == "size" and isinstance(v, int) and ((v >> 4) > 7 or (v & 0x0F) > 7):
            raise TokenizeError(t.offset, f"GS !: size byte 0x{v:02x} asks for more than 8x")
        if t.name == "font" and v not in (0, 1, 48, 49):
            raise TokenizeError(t.offset, f"ESC M: font {v} is not 0 or 1")

    def _raster(self, i: int, off: int) -> tuple[Token | None, int]:
        buf = self._buf
        if len(buf) < i + 8:
            return None, 0
        if buf[i + 2] != 0x30:
            raise TokenizeError(off, f"GS v {_show(buf[i + 2])}: only GS v 0 (raster image) is known")
        m = buf[i + 3]
        if m not in (0, 1, 2, 3, 48, 49, 50, 51):
            raise TokenizeError(off, f"GS v 0: mode {m} is not 0-3 or 48-51")
        width_bytes = buf[i + 4] | buf[i + 5] << 8
        height = buf[i + 6] | buf[i + 7] << 8
        if width_bytes == 0 or height == 0:
            raise TokenizeError(off, f"GS v 0: empty image ({width_bytes} bytes x {height} rows)")
        if width_bytes > 255 or height > 4095:
            raise TokenizeError(off, f"GS v 0: {width_bytes * 8}x{height} dots is larger than any printer")
        size = width_bytes * height
        if len(buf) < i + 8 + size:
            return None, 0
        data = bytes(buf[i + 8 : i + 8 + size])
        value = {"mode": m % 48, "width_bytes": width_bytes, "height": height, "data": data}
        return Token("raster", off, bytes(buf[i : i + 8]) + data, value), 8 + size

    def _gs_paren(self, i: int, off: int) -> tuple[Token | None, int]:
        buf = self._buf
        if len(buf) < i + 5:
            return None, 0
        kind = buf[i + 2]
        if kind != ord("k"):
            hint = " (graphics; send images with GS v 0)" if kind == ord("L") else ""
            raise TokenizeError(off, f"unknown command GS ( {_show(kind)}{hint}")
        length = buf[i + 3] | buf[i + 4] << 8
        if length < 2:
            raise TokenizeError(off, f"GS ( k: parameter length {length} is too short")
        if len(buf) < i + 5 + length:
            return None, 0
        body = bytes(buf[i + 5 : i + 5 + length])
        cn, fn, rest = body[0], body[1], body[2:]
        if cn != 49:
            raise TokenizeError(off, f"GS ( k: symbol type cn={cn} is not 49 (QR code)")
        if fn == 65:
            value: dict[str, object] = {"fn": "model", "model": rest[0] - 48 if rest else 2}
        elif fn == 67:
            value = {"fn": "module", "size": rest[0] if rest else 3}
            if not 1 <= int(value["size"]) <= 16:
                raise TokenizeError(off, f"GS ( k: QR module size {value['size']} is not 1-16")
        elif fn == 69:
            value = {"fn": "ec", "level": "LMQH"[(rest[0] - 48) % 4] if rest else "L"}
        elif fn == 80:
            value = {"fn": "store", "data": rest[1:]}  # rest[0] is m = 48
        elif fn == 81:
            value = {"fn": "print"}
        else:
            raise TokenizeError(off, f"GS ( k: QR function {fn} is not 65, 67, 69, 80 or 81")
        return Token("qr", off, bytes(buf[i : i + 5 + length]), value), 5 + length


def tokenize(data: bytes) -> list[Token]:
    """All tokens of a complete byte stream; TokenizeError names the offset of the first problem."""
    t = Tokenizer()
    tokens = t.feed(data)
    t.close()
    return tokens
