"""Structured, rotated logs with no full ID number or citizen name in them.

Every process (hall server, kiosk, demo) calls `install(config, "hall")` once at start. Records go
to `<log_dir>/<process>.log` as one JSON object per line, rotated at midnight and kept
`maintenance.log_keep_days` days (`hall.log.2026-11-23`). A redacting filter sits on every handler
(the file and the console), so whatever a module logs - a message, its arguments, a traceback,
`extra=` fields - passes through `redact()` before it is written:

- anything shaped like a full ID number becomes its masked form (identity.redact_ids);
- values given under a name-like key (`name=张三丰`, `"姓名": "张三丰"`) are masked (张*丰);
- names the process was told about (`remember_name`, e.g. the demo citizens, a card just read)
  are masked wherever they appear.

The device log a technician downloads from /maintenance is `device_log(...)`: one day's lines from
the device loggers (printers, boards, voice, camera, card readers, heartbeats, the maintenance
monitor).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from onevisit.core.identity import mask_name, redact_ids

#: Loggers whose lines make up a technician's device log.
DEVICE_LOGGERS = (
    "onevisit.devices",
    "onevisit.hall.live.callout",
    "onevisit.hall.live.device_watch",
    "onevisit.hall.stores.devices",
    "onevisit.hall.device_monitor",
    "onevisit.kiosk.heartbeat",
    "onevisit.kiosk.printing",
    "onevisit.devices.doctor",
)

#: Keys whose value is a person's name (in free text as key=value / "key": "value", and as extras).
_NAME_KEYS = ("name", "姓名", "full_name", "person_name", "citizen_name", "holder", "citizen")
_KEYS_ALT = "|".join(re.escape(k) for k in _NAME_KEYS)
_NAME_IN_TEXT = re.compile(
    r"""(?P<key>["']?(?:""" + _KEYS_ALT + r""")["']?\s*[:=：]\s*["']?)(?P<value>[^\s"',;，；。)\]}]{1,20})""",
    re.IGNORECASE,
)
#: Account and device names are not citizens': `name=staff3`, `name=kiosk-1` stay readable.
_NOT_A_PERSON = re.compile(r"^[A-Za-z0-9_.:/@-]+$")

_STANDARD_ATTRS = set(vars(logging.LogRecord("x", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _Names:
    """Recently seen citizen names, masked wherever they appear (bounded: oldest forgotten first)."""

    def __init__(self, limit: int = 5000) -> None:
        self._names: OrderedDict[str, None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, name: str) -> None:
        name = (name or "").strip()
        if len(name) < 2:
            return  # one character would mask half the language
        with self._lock:
            self._names[name] = None
            self._names.move_to_end(name)
            while len(self._names) > self._limit:
                self._names.popitem(last=False)
            self._pattern = None

    def sub(self, text: str) -> str:
        with self._lock:
            if not self._names:
                return text
            if self._pattern is None:
                # Longest first, so 欧阳娜娜 is masked whole before 欧阳 could match.
                alternatives = sorted(self._names, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(n) for n in alternatives))
            pattern = self._pattern
        return pattern.sub(lambda m: mask_name(m.group(0)), text)

    def clear(self) -> None:
        with self._lock:
            self._names.clear()
            self._pattern = None


_names = _Names()


def remember_name(name: str) -> None:
    """Mask this citizen's name in every later log line of this process."""
    _names.add(name)


def forget_names() -> None:
    _names.clear()


def _mask_value(match: re.Match[str]) -> str:
    value = match.group("value")
    if _NOT_A_PERSON.match(value) or "*" in value:
        return match.group(0)
    return match.group("key") + mask_name(value)


def redact(text: str) -> str:
    """The text with full ID numbers and citizen names masked (idempotent)."""
    if not text:
        return text
    text = redact_ids(text)
    text = _NAME_IN_TEXT.sub(_mask_value, text)
    return _names.sub(text)


def _redact_value(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key.lower() in _NAME_KEYS and not _NOT_A_PERSON.match(value):
            return mask_name(value)
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(key, v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record in place: message, arguments, traceback text and extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_onevisit_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can, redacted
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key in set(vars(record)) - _STANDARD_ATTRS:
            if not key.startswith("_"):
                setattr(record, key, _redact_value(key, getattr(record, key)))
        record._onevisit_redacted = True
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (ISO 8601 with offset), level, logger, msg, process, extras."""

    def __init__(self, process: str, tz: dt.tzinfo | None = None) -> None:
        super().__init__()
        self.process = process
        self.tz = tz

    def format(self, record: logging.LogRecord) -> str:
        ts = dt.datetime.fromtimestamp(record.created, self.tz).astimezone(self.tz)
        out: dict[str, Any] = {
            "ts": ts.isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "process": self.process,
        }
        for key in sorted(set(vars(record)) - _STANDARD_ATTRS):
            if not key.startswith("_"):
                out[key] = getattr(record, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class _OurFile(logging.handlers.TimedRotatingFileHandler):
    """Marks the handlers install() added, so a second install() replaces rather than doubles."""


def log_dir(config: Any) -> Path:
    return config.path(config.maintenance.log_dir)


def install(
    config: Any,
    process: str,
    *,
    directory: str | Path | None = None,
    level: int = logging.INFO,
    console_level: int | None = None,
) -> Path:
    """Structured rotating file logging for this process, redaction on every handler.

    Returns the log file's path. Safe to call twice (the file handler is replaced). The console
    handler (logging.basicConfig's, from onevisit.commands.main) keeps its format and gains the filter.
    """
    from zoneinfo import ZoneInfo

    folder = Path(directory) if directory else log_dir(config)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{process}.log"
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, _OurFile):
            root.removeHandler(handler)
            handler.close()
    handler = _OurFile(
        path, when="midnight", backupCount=config.maintenance.log_keep_days, encoding="utf-8", delay=False
    )
    handler.setFormatter(JsonFormatter(process, ZoneInfo(config.hall.timezone)))
    handler.setLevel(level)
    root.addHandler(handler)
    redactor = RedactingFilter()
    for h in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in h.filters):
            h.addFilter(redactor)
        if console_level is not None and not isinstance(h, _OurFile):
            h.setLevel(console_level)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    logging.getLogger(__name__).debug("logging to %s", path)
    return path


def _log_files(folder: Path, process: str) -> list[Path]:
    return sorted(folder.glob(f"{process}.log*"))


def read_lines(folder: Path, process: str, day: dt.date) -> Iterator[dict[str, Any]]:
    """Every structured line of `process` logged on `day` (from the live and the rotated files)."""
    # A day before the day began: the machine's zone may differ from the hall's.
    start = dt.datetime.combine(day, dt.time()).timestamp() - 86400
    prefix = day.isoformat()
    for path in _log_files(folder, process):
        try:
            if path.stat().st_mtime < start:
                continue  # last written before that day began
            handle = path.open(encoding="utf-8", errors="replace")
        except OSError:
            continue
        with handle:
            for raw in handle:
                if not raw.startswith('{"ts": "' + prefix):
                    continue
                try:
                    yield json.loads(raw)
                except ValueError:
                    continue


def is_device_line(line: dict[str, Any], loggers: Iterable[str] = DEVICE_LOGGERS) -> bool:
    name = str(line.get("logger", ""))
    return any(name == p or name.startswith(p + ".") for p in loggers) or "device" in line


def device_log(folder: Path, process: str, day: dt.date) -> list[str]:
    """The day's device lines as JSON text lines, redacted again (a file written by an older
    version, or edited by hand, must not leak through the download either)."""
    wanted = sorted(
        (x for x in read_lines(folder, process, day) if is_device_line(x)), key=lambda x: str(x["ts"])
    )
    return [redact(json.dumps(line, ensure_ascii=False, default=str)) for line in wanted]
