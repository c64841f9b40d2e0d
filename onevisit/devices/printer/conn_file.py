"""A file or a raw device node (e.g. /dev/usb/lp0) through escpos.printer.File.

Jobs are appended, so a file acts as a spool of everything printed. A file never answers, so status
is "not queried" (never "paper OK").
"""

from __future__ import annotations

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File

from onevisit.devices.printer.connection import Connection


class _AppendingFile(File):
    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.device = open(self.devfile, "ab")  # noqa: SIM115 - closed by close()
        except OSError as err:
            self.device = None
            raise DeviceNotFoundError(f"could not open {self.devfile}: {err}") from None


class FileConnection(Connection):
    can_read = False

    def open(self) -> None:
        self._printer = _AppendingFile(self.url.path)
        try:
            self._printer.open()
        except DeviceNotFoundError as err:
            raise self.unreachable(err) from None

    def write(self, data: bytes) -> None:
        try:
            self._printer._raw(data)
        except OSError as err:
            raise self.interrupted(err) from None

    def close(self) -> None:
        printer = getattr(self, "_printer", None)
        if printer is not None:
            printer.close()
