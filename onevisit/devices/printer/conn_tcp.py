"""Network printers (raw port 9100) and our virtual printer, through escpos.printer.Network."""

from __future__ import annotations

import socket

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network

from onevisit.devices.printer.connection import Connection


class TcpConnection(Connection):
    def open(self) -> None:
        self._printer = Network(self.url.host, self.url.port, timeout=self.timeout)
        try:
            self._printer.open()
        except DeviceNotFoundError as err:
            raise self.unreachable(err) from None
        self._sock: socket.socket = self._printer.device

    def write(self, data: bytes) -> None:
        try:
            self._sock.settimeout(self.timeout)
            self._printer._raw(data)
        except OSError as err:
            raise self.interrupted(err) from None

    def read_byte(self, timeout: float) -> int | None:
        self._sock.settimeout(timeout)
        try:
            got = self._sock.recv(1)
        except (TimeoutError, OSError):
            return None
        return got[0] if got else None

    def drain(self) -> None:
        self._sock.setblocking(False)
        try:
            while self._sock.recv(64):
                pass
        except (BlockingIOError, OSError):
            pass
        finally:
            self._sock.setblocking(True)

    def close(self) -> None:
        printer = getattr(self, "_printer", None)
        if printer is not None:
            printer.close()
