"""Drivers that deliver nowhere: masked lines in the log, or masked JSON lines in a file.

For halls without a gateway contract yet and for the demo: what would have been sent, with the
number masked (138****1234), never the full number.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from onevisit.devices.notify.base import Notice

log = logging.getLogger(__name__)


class LogNotifier:
    def send(self, notice: Notice, request_id: str | None = None) -> None:
        log.info("notice %s to %s: %s %s", notice.kind, notice.masked, notice.template, notice.params)

    def close(self) -> None:
        pass


class FileNotifier:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, notice: Notice, request_id: str | None = None) -> None:
        line = {
            "channel": notice.channel,
            "to": notice.masked,
            "kind": notice.kind,
            "template": notice.template,
            "params": notice.params,
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        pass
