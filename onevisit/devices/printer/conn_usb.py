"""USB printers through escpos.printer.Usb (pyusb); the kernel's usblp driver is detached."""

from __future__ import annotations

import contextlib

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Usb

from onevisit.devices.printer.connection import Connection


class UsbConnection(Connection):
    def open(self) -> None:
        params = self.url.params
        self._in_ep = int(params.get("in_ep", "0x82"), 0)
        self._printer = Usb(
            self.url.vendor,
            self.url.product,
            timeout=int(self.timeout * 1000),
            in_ep=self._in_ep,
            out_ep=int(params.get("out_ep", "0x01"), 0),
        )
        try:
            self._printer.open()
        except (DeviceNotFoundError, Exception) as err:  # pyusb raises NoBackendError etc.
            raise self.unreachable(err) from None

    def write(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
        except Exception as err:  # usb.core.USBError and its timeout subclass
            raise self.interrupted(err) from None

    def read_byte(self, timeout: float) -> int | None:
        try:
            got = self._printer.device.read(self._in_ep, 16, int(timeout * 1000))
        except Exception:  # USBTimeoutError: the printer did not answer
            return None
        return int(got[-1]) if len(got) else None

    def close(self) -> None:
        printer = getattr(self, "_printer", None)
        if printer is not None:
            with contextlib.suppress(Exception):  # a device unplugged mid-job cannot be released
                printer.close()
