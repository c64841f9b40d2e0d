"""Printer URLs: the scheme picks the connection, the rest says where the printer is.

usb://VID:PID[?in_ep=0x82&out_ep=0x01]   hex vendor and product ids, e.g. usb://04b8:0202
serial:///dev/ttyS0?baud=9600            also parity=N|E|O, rtscts=1
tcp://HOST[:9100]                        a network printer's raw port
file:///path/out.bin                     append job bytes to a file (or /dev/usb/lp0)
virtual://HOST:PORT                      our virtual printer (a network printer that renders PNGs)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from onevisit.devices.printer.errors import PrinterUrlError

EXPECTED = (
    "expected usb://VID:PID, serial:///dev/ttyS0?baud=9600, tcp://HOST:9100, file:///path/out.bin "
    "or virtual://HOST:PORT"
)
_BAUDS = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}


@dataclass(frozen=True)
class PrinterUrl:
    scheme: str
    url: str
    host: str = ""
    port: int = 0
    path: str = ""
    vendor: int = 0
    product: int = 0
    params: dict[str, str] = field(default_factory=dict)

    @property
    def baud(self) -> int:
        return int(self.params.get("baud", "9600"))


def _hex16(url: str, text: str, what: str) -> int:
    try:
        value = int(text, 16)
    except ValueError:
        raise PrinterUrlError(url, f"{what} {text!r} is not a hexadecimal number (usb://04b8:0202)") from None
    if not 0 < value <= 0xFFFF:
        raise PrinterUrlError(url, f"{what} {text!r} is out of range 0001-ffff")
    return value


def parse_printer_url(url: str) -> PrinterUrl:
    """Split and check a printer URL; every problem names what was expected."""
    if not url or "://" not in url:
        raise PrinterUrlError(url, EXPECTED)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme == "usb":
        ids = parts.netloc.split(":")
        if len(ids) != 2 or not all(ids):
            raise PrinterUrlError(
                url, "usb needs vendor and product ids: usb://VID:PID, e.g. usb://04b8:0202"
            )
        unknown = set(params) - {"in_ep", "out_ep"}
        if unknown:
            raise PrinterUrlError(url, f"unknown usb option(s) {sorted(unknown)}; known: in_ep, out_ep")
        return PrinterUrl(
            scheme,
            url,
            vendor=_hex16(url, ids[0], "vendor id"),
            product=_hex16(url, ids[1], "product id"),
            params=params,
        )
    if scheme == "serial":
        path = parts.path
        if parts.netloc or not path:
            raise PrinterUrlError(
                url, "serial needs a device path: serial:///dev/ttyS0?baud=9600 (three slashes)"
            )
        unknown = set(params) - {"baud", "parity", "rtscts"}
        if unknown:
            raise PrinterUrlError(
                url, f"unknown serial option(s) {sorted(unknown)}; known: baud, parity, rtscts"
            )
        baud = params.get("baud", "9600")
        if not baud.isdigit() or int(baud) not in _BAUDS:
            raise PrinterUrlError(url, f"baud {baud!r} is not one of {sorted(_BAUDS)}")
        if params.get("parity", "N") not in ("N", "E", "O"):
            raise PrinterUrlError(url, "parity must be N, E or O")
        return PrinterUrl(scheme, url, path=path, params=params)
    if scheme in ("tcp", "virtual"):
        if not parts.hostname:
            raise PrinterUrlError(url, f"{scheme} needs a host: {scheme}://HOST:9100")
        try:
            port = parts.port
        except ValueError:
            raise PrinterUrlError(url, "the port must be a number 1-65535") from None
        if port is None:
            if scheme == "virtual":
                raise PrinterUrlError(url, "virtual needs a port: virtual://127.0.0.1:9100")
            port = 9100
        if parts.path not in ("", "/") or params:
            raise PrinterUrlError(url, f"{scheme} takes only HOST:PORT, nothing after it")
        return PrinterUrl(scheme, url, host=parts.hostname, port=port)
    if scheme == "file":
        if parts.netloc or not parts.path:
            raise PrinterUrlError(url, "file needs an absolute path: file:///path/out.bin (three slashes)")
        return PrinterUrl(scheme, url, path=parts.path)
    raise PrinterUrlError(url, f"unknown scheme {scheme!r}; {EXPECTED}")
