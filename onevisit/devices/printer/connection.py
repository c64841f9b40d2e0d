"""One open link to a printer: write job bytes, read status bytes, close.

Each connection type lives in its own small module wrapping the python-escpos class for it; we use
python-escpos for opening and writing, and read replies ourselves with an explicit timeout, because
its `query_status` treats "no reply" as "paper OK".
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from types import TracebackType

from onevisit.devices.printer.errors import PrinterError
from onevisit.devices.printer.url import PrinterUrl, parse_printer_url

log = logging.getLogger(__name__)


class Connection(ABC):
    """A printer link. Open it with `with connect(url) as link:`; errors are PrinterError."""

    #: False for sinks that can never answer (a file): status is then "not queried", not "offline".
    can_read = True

    def __init__(self, url: PrinterUrl, timeout: float) -> None:
        self.url = url
        self.timeout = timeout

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    def read_byte(self, timeout: float) -> int | None:
        """One reply byte, or None when the printer stays silent for `timeout` seconds."""
        return None

    def drain(self) -> None:
        """Drop stale input (a late reply to an earlier query) so it is not read as a new answer."""
        return None

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Connection:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.close()
        except OSError as err:  # closing a dead link must not hide the real error
            log.debug("closing %s: %s", self.url.url, err)

    def unreachable(self, err: BaseException) -> PrinterError:
        return PrinterError("printer_offline", f"cannot open {self.url.url}: {err}".replace("\n", " "))

    def interrupted(self, err: BaseException) -> PrinterError:
        return PrinterError("print_interrupted", f"writing to {self.url.url} failed: {err}")


def connect(url: str | PrinterUrl, timeout: float = 5.0) -> Connection:
    """The connection the URL's scheme names (not opened yet)."""
    parsed = url if isinstance(url, PrinterUrl) else parse_printer_url(url)
    if parsed.scheme in ("tcp", "virtual"):
        from onevisit.devices.printer.conn_tcp import TcpConnection

        return TcpConnection(parsed, timeout)
    if parsed.scheme == "serial":
        from onevisit.devices.printer.conn_serial import SerialConnection

        return SerialConnection(parsed, timeout)
    if parsed.scheme == "usb":
        from onevisit.devices.printer.conn_usb import UsbConnection

        return UsbConnection(parsed, timeout)
    from onevisit.devices.printer.conn_file import FileConnection

    return FileConnection(parsed, timeout)
