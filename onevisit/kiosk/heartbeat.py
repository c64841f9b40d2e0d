"""The kiosk's heartbeat: every `kiosk.heartbeat_seconds` it tells the hall how its printer, camera
and card reader are, its software version and its last error, and runs what a technician asked for
(test print, paper replaced) from the hall's answer.

No Kivy here: the heartbeat runs on its own thread beside the touchscreen, and the demo runs the
same code headless when the machine has no display. Device words only go out: fault codes, URLs
and details from the drivers, with ID numbers and names redacted (onevisit.core.logs.redact).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from onevisit.core.errors import OneVisitError
from onevisit.core.logs import redact

log = logging.getLogger(__name__)

Action = Callable[[], tuple[bool, str]]


def software_version() -> str:
    try:
        return importlib.metadata.version("onevisit")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class ErrorTap(logging.Handler):
    """Remembers the kiosk's latest warning or error line (redacted) for the heartbeat."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: dict[str, str] | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("onevisit.kiosk.heartbeat"):
            return  # "the hall did not answer" is not news to the hall
        try:
            message = redact(f"{record.levelname} {record.name}: {record.getMessage()}")[:500]
        except Exception:
            return
        at = dt.datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="seconds")
        self.last = {"at": at, "message": message}


class DeviceProbe:
    """Reads the kiosk's devices the way a technician would, without disturbing a citizen."""

    def __init__(
        self,
        *,
        printer: Any = None,
        printer_url: str | None = None,
        printer_error: str = "",
        camera_url: str | None = None,
        camera_size: tuple[int, int] | None = None,
        camera_busy: Callable[[], bool] = lambda: False,
        camera_every: float = 60.0,
        card_reader: Any = None,
        card_reader_error: OneVisitError | None = None,
        documents: Any = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.documents = documents  # the A4 printer (onevisit.devices.documents) or None
        self.printer = printer  # onevisit.devices.printer.Printer or None
        self.printer_url = printer_url
        self.printer_error = printer_error
        self.camera_url = camera_url
        self.camera_size = camera_size
        self.camera_busy = camera_busy
        self.camera_every = camera_every
        self.card_reader = card_reader
        self.card_reader_error = card_reader_error
        self.monotonic = monotonic
        self._camera: dict[str, Any] | None = None
        self._camera_at = float("-inf")

    def collect(self) -> dict[str, dict[str, Any]]:
        out = {
            "printer": self.printer_state(),
            "camera": self.camera_state(),
            "card_reader": self.card_state(),
        }
        if self.documents is not None:
            out["documents"] = self.documents_state()
        return out

    def documents_state(self) -> dict[str, Any]:
        """The A4 printer as IPP reports it: printer-state and printer-state-reasons, for /maintenance."""
        health = self.documents.printer_status()
        out: dict[str, Any] = {"url": self.documents.url[:300], "detail": health.summary()[:300]}
        if health.errors:
            code = health.errors[0].removesuffix("-error").replace("-", "_")[:40]
            state = "offline" if health.state == "unreachable" else "error"
            return {**out, "state": state, "code": code}
        if health.warnings:
            return {
                **out,
                "state": "warning",
                "code": health.warnings[0].removesuffix("-warning").replace("-", "_")[:40],
            }
        return {**out, "state": "ok"}

    def printer_state(self) -> dict[str, Any]:
        url = self.printer_url
        if self.printer is None:
            if not url:
                return {"state": "missing", "detail": "no printer configured"}
            return {"state": "error", "code": "printer_offline", "url": url, "detail": self.printer_error}
        status = self.printer.status()
        out: dict[str, Any] = {"url": url or self.printer.url, "paper": status.paper}
        if not status.queried:
            return {**out, "state": "ok", "detail": status.detail or "cannot report status"}
        fault = status.fault
        if fault:
            state = "offline" if fault == "printer_offline" else "error"
            messages = status.messages()
            detail = status.detail or (messages[2] if messages else "")
            return {**out, "state": state, "code": fault, "detail": detail}
        if status.warning:
            return {**out, "state": "warning", "code": status.warning, "detail": ""}
        return {**out, "state": "ok", "detail": ""}

    def camera_state(self, force: bool = False) -> dict[str, Any]:
        if not self.camera_url:
            return {"state": "missing", "detail": "no camera configured"}
        now = self.monotonic()
        if self._camera is not None and (
            self.camera_busy() or (not force and now - self._camera_at < self.camera_every)
        ):
            return self._camera  # in use by a certification, or read recently: the last reading
        self._camera = self._read_camera()
        self._camera_at = now
        return self._camera

    def _read_camera(self) -> dict[str, Any]:
        from onevisit.devices.camera import CameraError, open_camera

        url = self.camera_url or ""
        width, height = self.camera_size or (None, None)
        try:
            camera = open_camera(url, width, height)
        except CameraError as exc:
            return {"state": "error", "code": exc.code, "url": url, "detail": exc.en}
        try:
            frame = camera.read()
            health = camera.health()
        except CameraError as exc:
            return {"state": "error", "code": exc.code, "url": url, "detail": exc.en}
        finally:
            camera.close()
        if frame is None:
            return {"state": "error", "code": "camera_lost", "url": url, "detail": "opened but gave no frame"}
        w, h = frame.size
        return {
            "state": "ok",
            "url": url,
            "detail": f"{w}x{h}",
            "frames": health.frames,
            "bad_frames": health.bad_frames,
        }

    def card_state(self) -> dict[str, Any]:
        reader = self.card_reader
        if reader is None:
            if self.card_reader_error is not None:
                err = self.card_reader_error
                return {"state": "error", "code": err.code, "detail": err.en}
            return {"state": "missing", "detail": "no card reader configured"}
        url = getattr(reader, "url", "")
        probe = getattr(reader, "probe", None)
        if probe is None:
            return {"state": "ok", "url": url, "detail": "keyboard wedge: checked when a card is swiped"}
        try:
            answer = probe(timeout=1.0)
        except OneVisitError as exc:
            state = "offline" if exc.code == "card_reader_unavailable" else "error"
            return {"state": state, "code": exc.code, "url": url, "detail": exc.en}
        return {"state": "ok", "url": url, "detail": answer}


class KioskHeartbeat:
    """Sends heartbeats on its own thread; `beat_once()` is one round (tests call it directly)."""

    def __init__(
        self,
        client: Any,  # HallClient
        probe: DeviceProbe,
        *,
        period: float = 15.0,
        actions: dict[str, Action] | None = None,
        errors: ErrorTap | None = None,
    ) -> None:
        self.client = client
        self.probe = probe
        self.period = period
        self.actions = actions or {}
        self.errors = errors
        self.started_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self.version = software_version()
        self.results: list[dict[str, Any]] = []
        self._done_ids: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_answer: dict[str, Any] | None = None
        self.last_failure: str | None = None
        self.beats = 0

    def beat_once(self) -> dict[str, Any] | None:
        """Collect, send, run the commands the answer carries; their results go with the next beat
        (sent at once when there were any, so the technician sees the outcome without waiting)."""
        for _ in range(3):
            answer = self._send()
            if answer is None:
                return None
            if not self._run_commands(answer.get("commands") or []):
                return answer
        return answer

    def _send(self) -> dict[str, Any] | None:
        devices = self.probe.collect()
        extra: dict[str, Any] = {"version": self.version, "started_at": self.started_at}
        if self.errors is not None and self.errors.last:
            extra["last_error"] = self.errors.last
        results, self.results = self.results, []
        if results:
            extra["results"] = results
        try:
            answer = self.client.heartbeat(devices, **extra)
        except OneVisitError as exc:
            self.results = results + self.results  # delivered next time
            if self.last_failure != exc.code:
                log.warning("heartbeat not delivered: %s", exc.en)
            self.last_failure = exc.code
            return None
        if self.last_failure:
            log.info("heartbeat delivered again")
        self.last_failure = None
        self.last_answer = answer
        self.beats += 1
        if isinstance(answer.get("heartbeat_seconds"), int | float) and answer["heartbeat_seconds"] > 0:
            self.period = float(answer["heartbeat_seconds"])
        return answer

    def _run_commands(self, commands: list[dict[str, Any]]) -> bool:
        ran = False
        for command in commands:
            command_id = int(command.get("id", 0))
            if command_id in self._done_ids:
                continue  # its result is on its way; the hall repeats open commands until then
            action = self.actions.get(str(command.get("action")))
            if action is None:
                ok, detail = False, f"this kiosk cannot {command.get('action')}"
            else:
                try:
                    ok, detail = action()
                except Exception as exc:  # one failed action must not stop the heartbeat
                    log.exception("command %s failed", command.get("action"))
                    ok, detail = False, f"{type(exc).__name__}: {exc}"
            log.info("technician command %s: %s %s", command.get("action"), "ok" if ok else "failed", detail)
            self._done_ids.add(command_id)
            self.results.append({"id": command_id, "ok": ok, "detail": redact(detail)[:300]})
            ran = True
        return ran

    # -- the thread -----------------------------------------------------------------------------
    def start(self) -> KioskHeartbeat:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="kiosk-heartbeat", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.beat_once()
            except Exception:  # a bug in a probe must not end the heartbeat for the day
                log.exception("heartbeat round failed")
            self._stop.wait(self.period)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def printer_actions(printer: Any, probe: DeviceProbe) -> dict[str, Action]:
    """What a technician can ask of a kiosk's printer from /maintenance."""

    def test_print() -> tuple[bool, str]:
        if printer is None:
            return False, "no printer at this kiosk"
        job = printer.print_selftest()
        if str(job.state) == "done":
            return True, f"self-test page printed (job {job.id})"
        return False, f"{job.reason}: {job.message_en or ''}".strip()

    def paper_replaced() -> tuple[bool, str]:
        state = probe.printer_state()
        log.info("technician: paper replaced; printer now %s %s", state["state"], state.get("code") or "")
        if state.get("paper") in ("near_end", "out"):
            return False, f"the printer still reports paper {state['paper']}: check the roll and its sensor"
        return True, f"printer {state['state']}, paper {state.get('paper', 'unknown')}"

    return {"test_print": test_print, "paper_replaced": paper_replaced}


def start_for_app(app: Any, config: Any) -> KioskHeartbeat | None:
    """Wire the heartbeat to a running KioskApp's devices (called by `onevisit kiosk`)."""
    devices = app.devices
    if devices.hall is None:
        return None
    kiosk_printer = devices.printer
    probe = DeviceProbe(
        printer=getattr(kiosk_printer, "driver", None),
        printer_url=getattr(kiosk_printer, "url", None),
        printer_error=getattr(kiosk_printer, "error", ""),
        camera_url=devices.camera_url,
        camera_size=(config.camera.width, config.camera.height),
        # The face screen owns the camera while it shows; the heartbeat reports the last reading.
        camera_busy=lambda: getattr(getattr(app, "sm", None), "current", "") == "face",
        card_reader=devices.card_reader,
        card_reader_error=devices.card_reader_error,
        documents=devices.documents,
    )
    errors = ErrorTap()
    logging.getLogger("onevisit").addHandler(errors)
    beat = KioskHeartbeat(
        devices.hall,
        probe,
        period=config.kiosk.heartbeat_seconds,
        actions=printer_actions(getattr(kiosk_printer, "driver", None), probe),
        errors=errors,
    )
    return beat.start()
