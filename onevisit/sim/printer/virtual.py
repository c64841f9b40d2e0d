"""The virtual printer: a real TCP server that accepts jobs like a network printer (raw port 9100),
answers DLE EOT status as its faults say, and writes each job as job-N.bin and job-N.png.

A job is everything a connection sends up to and including a cut (GS V); bytes left when the
connection closes without a cut form a job too. Status requests are answered at once, in stream
order, and are not part of any job. ESC @ does not start a new job (layouts reset the printer at
the top of each job).

Faults, changeable while it runs through the control port (one text line per command, one JSON
line back; see docs/printing.md):
    paper ok|near_end|out   offline on|off   cover open|closed   cutter error|ok
    mute on|off             slow SECONDS     reset               status
`offline` answers status with the offline bit set, as a real printer does (DLE EOT is executed even
offline); `mute` answers nothing at all, like a printer that is powered off behind a print server.
While a fault stops printing, a job that arrives is not printed: it is kept as job-N.bin with
job-N.dropped.txt saying why (a real printer would hold it and print it later, surprising the
next citizen - which is why our driver checks status first).
"""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from onevisit.sim.printer.render import Renderer, on_paper
from onevisit.sim.printer.tokenizer import Token, TokenizeError, Tokenizer

log = logging.getLogger(__name__)

Paper = Literal["ok", "near_end", "out"]


@dataclass
class Faults:
    paper: Paper = "ok"
    offline: bool = False
    cover_open: bool = False
    cutter_error: bool = False
    mute: bool = False
    slow: float = 0.0  # seconds of delay per received chunk and per status reply

    def stops_printing(self) -> str | None:
        if self.cover_open:
            return "cover open"
        if self.paper == "out":
            return "paper out"
        if self.cutter_error:
            return "cutter error"
        if self.offline:
            return "offline"
        return None

    def status_byte(self, n: int) -> int:
        """The reply to DLE EOT n (Epson bit layout; bits 1 and 4 always set)."""
        out = self.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if self.stops_printing() else 0)
        if n == 2:
            return (
                0x12
                | (0x04 if self.cover_open else 0)
                | (0x20 if out else 0)
                | (0x40 if self.cutter_error else 0)
            )
        if n == 3:
            return 0x12 | (0x08 if self.cutter_error else 0)
        return 0x12 | (0x0C if self.paper in ("near_end", "out") else 0) | (0x60 if out else 0)


@dataclass
class VirtualJob:
    number: int
    outcome: Literal["printed", "dropped", "rejected"]
    bin_path: Path
    png_path: Path | None
    size: int
    cut: bool
    message: str = ""
    tokens: list[Token] = field(default_factory=list, repr=False)


class _JobHandler(socketserver.BaseRequestHandler):
    server: _PrintServer

    def handle(self) -> None:
        self.server.printer._session(self.request)


class _ControlHandler(socketserver.StreamRequestHandler):
    server: _ControlServer

    def handle(self) -> None:
        for raw in self.rfile:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            reply = self.server.printer.control(line)
            self.wfile.write((json.dumps(reply, ensure_ascii=False) + "\n").encode())
            self.wfile.flush()


class _PrintServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    printer: VirtualPrinter


class _ControlServer(_PrintServer):
    pass


class VirtualPrinter:
    """Start with `with VirtualPrinter(out_dir) as vp:`; print to `vp.url`."""

    def __init__(
        self,
        out_dir: str | Path,
        host: str = "127.0.0.1",
        port: int = 0,
        control_port: int | None = 0,
        width: int = 576,
        faults: Faults | None = None,
        font: str | None = None,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.width = width
        self.font = font
        self.faults = faults or Faults()
        self.jobs: list[VirtualJob] = []
        self._lock = threading.Condition()
        self._server = _PrintServer((host, port), _JobHandler)
        self._server.printer = self
        self._control: _ControlServer | None = None
        if control_port is not None:
            self._control = _ControlServer((host, control_port), _ControlHandler)
            self._control.printer = self
        self._threads: list[threading.Thread] = []
        self._next = max((int(p.stem.split("-")[1]) for p in self.out_dir.glob("job-*.bin")), default=0) + 1

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_address[:2]  # type: ignore[return-value]

    @property
    def control_address(self) -> tuple[str, int] | None:
        return self._control.server_address[:2] if self._control else None  # type: ignore[return-value]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"virtual://{host}:{port}"

    def start(self) -> VirtualPrinter:
        for server in (self._server, self._control):
            if server is not None:
                thread = threading.Thread(
                    target=server.serve_forever, args=(0.05,), name="virtual-printer", daemon=True
                )
                thread.start()
                self._threads.append(thread)
        log.info(
            "virtual printer on %s (control %s), jobs to %s", self.url, self.control_address, self.out_dir
        )
        return self

    def stop(self) -> None:
        for server in (self._server, self._control):
            if server is not None:
                server.shutdown()
                server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> VirtualPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for_jobs(self, count: int, timeout: float = 10.0) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: len(self.jobs) >= count, timeout)

    # -- faults ---------------------------------------------------------------------------------
    def set_faults(self, **changes: object) -> Faults:
        with self._lock:
            for key, value in changes.items():
                if not hasattr(self.faults, key):
                    raise ValueError(f"unknown fault {key!r}")
                setattr(self.faults, key, value)
            return Faults(**asdict(self.faults))

    def control(self, line: str) -> dict[str, object]:
        """Run one control command; the reply says ok and the state, or what was wrong."""
        words = line.split()
        cmd, args = words[0].lower(), [w.lower() for w in words[1:]]
        choices = {
            "paper": ({"ok": "ok", "near_end": "near_end", "out": "out"}, "paper"),
            "offline": ({"on": True, "off": False}, "offline"),
            "cover": ({"open": True, "closed": False}, "cover_open"),
            "cutter": ({"error": True, "ok": False}, "cutter_error"),
            "mute": ({"on": True, "off": False}, "mute"),
        }
        try:
            if cmd in choices:
                allowed, key = choices[cmd]
                if len(args) != 1 or args[0] not in allowed:
                    raise ValueError(f"usage: {cmd} {'|'.join(allowed)}")
                self.set_faults(**{key: allowed[args[0]]})
            elif cmd == "slow":
                seconds = float(args[0]) if len(args) == 1 else -1
                if not 0 <= seconds <= 60:
                    raise ValueError("usage: slow SECONDS (0-60)")
                self.set_faults(slow=seconds)
            elif cmd == "reset":
                with self._lock:
                    self.faults = Faults()
            elif cmd != "status":
                raise ValueError(
                    f"unknown command {cmd!r}; known: paper, offline, cover, cutter, mute, slow, reset, status"
                )
        except ValueError as err:
            return {"ok": False, "error": str(err)}
        log.info("control: %s", line)
        with self._lock:
            return {"ok": True, "faults": asdict(self.faults), "jobs": len(self.jobs)}

    # -- one connection -------------------------------------------------------------------------
    def _session(self, sock: socket.socket) -> None:
        tokenizer = Tokenizer()
        job: list[Token] = []
        try:
            while data := sock.recv(65536):
                if self.faults.slow:
                    time.sleep(self.faults.slow)  # the simulated device is slow; nobody waits on this
                try:
                    tokens = tokenizer.feed(data)
                except TokenizeError as err:
                    self._finish(job, cut=False, rejected=f"{err}", tail=data)
                    return
                for token in tokens:
                    if token.name == "status_request":
                        self._answer(sock, int(token.value))  # type: ignore[arg-type]
                        continue
                    if token.name != "ignore":
                        job.append(token)
                    if token.name == "cut":
                        self._finish(job, cut=True)
                        job = []
            tokenizer.close()
        except TokenizeError as err:
            self._finish(job, cut=False, rejected=str(err))
            return
        except OSError as err:
            log.warning("virtual printer: connection error %s", err)
        if any(t.name != "init" for t in job):
            self._finish(job, cut=False)

    def _answer(self, sock: socket.socket, n: int) -> None:
        with self._lock:
            faults = Faults(**asdict(self.faults))
        if faults.mute:
            return
        if faults.slow:
            time.sleep(faults.slow)
        sock.sendall(bytes([faults.status_byte(n)]))

    def _finish(
        self, tokens: list[Token], *, cut: bool, rejected: str | None = None, tail: bytes = b""
    ) -> None:
        data = b"".join(t.raw for t in tokens) + tail
        with self._lock:
            number = self._next
            self._next += 1
            stopped = self.faults.stops_printing()
        bin_path = self.out_dir / f"job-{number}.bin"
        bin_path.write_bytes(data)
        png_path: Path | None = None
        if rejected:
            outcome, message = "rejected", f"not ESC/POS we understand: {rejected}"
            (self.out_dir / f"job-{number}.error.txt").write_text(message + "\n", encoding="utf-8")
            log.error("job %d rejected: %s", number, rejected)
        elif stopped:
            outcome, message = "dropped", f"not printed: printer {stopped}"
            (self.out_dir / f"job-{number}.dropped.txt").write_text(message + "\n", encoding="utf-8")
            log.warning("job %d (%d bytes) %s", number, len(data), message)
        else:
            renderer = Renderer(self.width, self.font)
            renderer.feed(tokens)
            png_path = self.out_dir / f"job-{number}.png"
            on_paper(renderer.image()).save(png_path)
            outcome = "printed"
            message = "" if cut else "no cut at the end of the job"
            if renderer.clipped:
                message = (
                    message + "; " if message else ""
                ) + f"content wider than {self.width} dots was clipped"
            log.info("job %d printed: %d bytes -> %s %s", number, len(data), png_path, message)
        with self._lock:
            self.jobs.append(VirtualJob(number, outcome, bin_path, png_path, len(data), cut, message, tokens))  # type: ignore[arg-type]
            self._lock.notify_all()
