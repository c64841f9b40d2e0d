"""Serial printers (RS-232, or USB-serial adapters) through escpos.printer.Serial (pyserial)."""

from __future__ import annotations

import contextlib

import serial
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Serial

from onevisit.devices.printer.connection import Connection


class SerialConnection(Connection):
    def open(self) -> None:
        rtscts = self.url.params.get("rtscts") == "1"
        self._printer = Serial(
            devfile=self.url.path,
            baudrate=self.url.baud,
            timeout=self.timeout,
            parity=self.url.params.get("parity", "N"),
            # python-escpos: dsrdtr=False selects RTS/CTS instead of DSR/DTR flow control
            dsrdtr=not rtscts,
        )
        try:
            self._printer.open()
        except DeviceNotFoundError as err:
            raise self.unreachable(err) from None
        self._port: serial.Serial = self._printer.device

    def write(self, data: bytes) -> None:
        # A slow line needs time to drain: 10 bits per byte at the configured baud, plus margin.
        self._port.write_timeout = self.timeout + len(data) * 10 / self.url.baud
        try:
            self._printer._raw(data)
            self._port.flush()
        except (OSError, serial.SerialException) as err:
            raise self.interrupted(err) from None

    def read_byte(self, timeout: float) -> int | None:
        self._port.timeout = timeout
        try:
            got = self._port.read(1)
        except (OSError, serial.SerialException):
            return None
        return got[0] if got else None

    def drain(self) -> None:
        with contextlib.suppress(OSError, serial.SerialException):
            self._port.reset_input_buffer()

    def close(self) -> None:
        printer = getattr(self, "_printer", None)
        if printer is not None:
            printer.close()
