"""The demo's simulated devices, each a Component (start, stop, banner lines) of onevisit/sim/demo/run.py:
the records of the demo citizens and the records service in front of them (a separate process the
kiosk reaches over HTTP), the virtual printer, the board emulator (a separate process a
technician can kill and restart), a file camera, a simulated ID card reader on a pseudo-terminal,
and the kiosk - its window when the machine has a display, otherwise its heartbeat alone, so
/maintenance shows the kiosk's devices either way.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onevisit.sim.demo.config import with_updates

if TYPE_CHECKING:
    from onevisit.sim.demo.run import DemoContext

log = logging.getLogger(__name__)


def _shell_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    return str(path)


class RecordsComponent:
    """The demo citizens in var/demo/records.db (seeded once, kept across runs); their names are
    masked in every log line of the demo."""

    name = "records"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.citizens: list[Any] = []

    def start(self) -> None:
        from onevisit.core import logs
        from onevisit.sim.records.demo_backend import default_faces_dir, seed_demo
        from onevisit.sim.records.demo_people import demo_citizens

        config = self.ctx.config
        today = self.ctx.clock.now().date()
        path = config.path(config.records.database)
        seed_demo(path, today, faces_dir=default_faces_dir(config))
        self.citizens = demo_citizens(today)
        for citizen in self.citizens:
            logs.remember_name(citizen.name)

    def stop(self) -> None:
        pass

    def lines(self) -> list[str]:
        from onevisit.core.identity import mask_name

        shown = ", ".join(f"{mask_name(c.name)} ({c.demo_key})" for c in self.citizens[:4])
        return [f"社保记录 Records (demo)   {len(self.citizens)} demo citizens: {shown} … (docs/records.md)"]


class ServiceProcess:
    """A demo service that is an `onevisit …` command in a process of its own: it prints one line
    when it is ready (`ready`, a regex; its group 1, when it has one, is the service's URL), its
    output goes to a log file, and a technician can kill it and start it again by hand."""

    name = "service"
    ready = r"(http://\S+)"
    #: The module run with `python -m`: the command line, or a simulator's own entry point.
    module = "onevisit.commands.main"

    def __init__(self, ctx: DemoContext, log_name: str) -> None:
        self.ctx = ctx
        self.proc: subprocess.Popen[str] | None = None
        self.config_file = ctx.root / "config.toml"
        self.log_file = ctx.root / log_name
        self.url = ""
        self._pump: threading.Thread | None = None

    def command(self) -> list[str]:
        """The `onevisit` arguments that start the service."""
        raise NotImplementedError

    def on_ready(self, first: list[str]) -> None:
        """Point the demo's config at the service (self.url) and check that it answers; `first` is
        what the process printed up to its ready line."""

    @property
    def host(self) -> str:
        return self.ctx.host if self.ctx.host not in ("0.0.0.0", "::") else "127.0.0.1"

    def start(self) -> None:
        import re

        from onevisit.sim.demo.config import write_config

        # The service reads what it needs from the demo's config file, like every command.
        write_config(self.ctx.config, self.config_file)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.command()],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            bufsize=1,
        )
        ready = threading.Event()
        first: list[str] = []

        def pump() -> None:
            assert self.proc is not None and self.proc.stdout is not None
            with self.log_file.open("a", encoding="utf-8") as out:
                for line in self.proc.stdout:
                    out.write(line)
                    out.flush()
                    if not ready.is_set():
                        first.append(line)
                        found = re.match(self.ready, line)
                        if found:
                            self.url = found.group(1) if found.re.groups else ""
                            ready.set()
            ready.set()

        self._pump = threading.Thread(target=pump, name=f"{self.name}-log", daemon=True)
        self._pump.start()
        started = ready.wait(30) and self.proc.poll() is None
        if not started or (re.compile(self.ready).groups and not self.url):
            raise RuntimeError(f"{self.name} did not start: {''.join(first)[-500:]}")
        self.on_ready(first)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._pump is not None:
            self._pump.join(2)


class RecordsServiceProcess(ServiceProcess):
    """The demo records as `onevisit records serve`: the kiosk and every command given
    var/demo/config.toml reach records over the HTTP contract (`[records] type = "http"`), as they
    would a province's system. Kill it to see what citizens see when records are down; run the
    printed command to bring it back on the same port."""

    name = "records_service"
    ready = r"records service: (http://\S+)"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx, "records-service.log")

    def command(self) -> list[str]:
        return ["records", "serve", "--config", str(self.config_file), "--host", self.host, "--port", "0"]

    def on_ready(self, first: list[str]) -> None:
        from onevisit.records.http_backend import HttpRecordsBackend

        self.ctx.config = with_updates(self.ctx.config, {"records": {"type": "http", "url": self.url}})
        with HttpRecordsBackend.from_config(self.ctx.config) as client:
            client.health()  # the socket listens once the URL is printed; this proves it answers

    def lines(self) -> list[str]:
        pid = self.proc.pid if self.proc else "?"
        port = self.url.rsplit(":", 1)[-1]
        return [
            f"社保记录服务 Records service {self.url}  (HTTP, docs/records.md; pid {pid}; log "
            f"{_shell_path(self.log_file)})",
            f"  records down: kill {pid}   back up: uv run onevisit records serve --config "
            f"{_shell_path(self.config_file)} --port {port}",
        ]


class SmsGatewayProcess(ServiceProcess):
    """`onevisit sms-gateway-sim`: 到号提醒 notices from the hall land in var/demo/sms/messages.jsonl
    (numbers masked). Its control endpoint makes it fail or slow, to see notices wait and retry."""

    name = "sms_gateway"
    ready = r"sms gateway: (http://\S+)/sms"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx, "sms-gateway.log")
        self.out = ctx.root / "sms"
        self.secret = ""

    def command(self) -> list[str]:
        import secrets

        self.secret = self.secret or secrets.token_urlsafe(16)
        return [
            "sms-gateway-sim",
            "--listen",
            f"{self.host}:0",
            "--out",
            str(self.out),
            "--secret",
            self.secret,
        ]

    def on_ready(self, first: list[str]) -> None:
        notify = {"url": f"sms+{self.url}/sms", "secret": self.secret}
        self.ctx.config = with_updates(self.ctx.config, {"notify": notify})

    def lines(self) -> list[str]:
        return [
            f"到号提醒 SMS gateway    {self.url}/sms (simulated); notices in {_shell_path(self.out)}/messages.jsonl",
            f'  gateway down: curl -X POST {self.url}/control -d \'{{"mode": "fail"}}\'  '
            f'back: … \'{{"mode": "ok"}}\'',
        ]


class PaySimProcess(ServiceProcess):
    """`onevisit pay-sim` on a free port, notifying the demo hall: the kiosk's 居民养老缴费 QR opens
    its pay page (a phone on the same network, or a browser on this machine). A fresh signing
    secret per demo run goes into `[payment]` of the demo's config, which the hall then reads."""

    name = "pay_sim"
    ready = r"payment simulator: (http://\S+)"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx, "pay-sim.log")
        self.secret = secrets.token_hex(16)
        self.notify = f"http://{self.host}:{ctx.port}/api/payments/notify"

    def command(self) -> list[str]:
        return [
            "pay-sim",
            "--config",
            str(self.config_file),
            "--listen",
            f"{self.host}:0",
            "--notify",
            self.notify,
            "--secret",
            self.secret,
        ]

    def on_ready(self, first: list[str]) -> None:
        update = {"url": self.url, "secret": self.secret, "notify_url": self.notify}
        self.ctx.config = with_updates(self.ctx.config, {"payment": update})

    def lines(self) -> list[str]:
        pid = self.proc.pid if self.proc else "?"
        return [
            f"缴费平台 Payment simulator {self.url}  (pay-sim, pid {pid}; log {_shell_path(self.log_file)})",
            "  居民养老缴费: 周玉梅 (resident_pension) is due this year; open the QR's page to pay;",
            f"  faults: curl -X POST {self.url}/control -d '{{\"fail_next\": 1}}'  (also hold, duplicates, bad_signature)",
        ]


class PrinterComponent:
    """The virtual printer on the configured port (another free port when that one is taken);
    every job becomes a PNG in var/demo/printer/."""

    name = "printer"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.printer: Any = None
        self.out = ctx.root / "printer"

    def start(self) -> None:
        from urllib.parse import urlsplit

        from onevisit.sim.printer.virtual import VirtualPrinter

        config = self.ctx.config
        parts = urlsplit(config.printer.url)
        host = parts.hostname or "127.0.0.1"
        port = (parts.port or 9100) if parts.scheme in ("virtual", "tcp") else 9100
        try:
            self.printer = VirtualPrinter(self.out, host, port, port + 1, width=config.printer.width)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            log.warning("printer port %s:%s is taken; the demo printer takes free ports", host, port)
            self.printer = VirtualPrinter(self.out, host, 0, 0, width=config.printer.width)
        self.printer.start()
        self.ctx.config = with_updates(config, {"printer": {"url": self.printer.url}})

    def stop(self) -> None:
        if self.printer is not None:
            self.printer.stop()

    def lines(self) -> list[str]:
        host, port = self.printer.control_address
        return [
            f"打印机 Printer (virtual) {self.printer.url}; every job as a PNG in {_shell_path(self.out)}/",
            f"  faults: uv run onevisit printer fault --control {host}:{port} paper near_end|out|ok, offline on|off",
        ]


class DocumentsComponent:
    """A private CUPS (cupsd of our own on a free port) with a cups-pdf queue: the demo kiosk's A4
    printer. Every certificate printed at the kiosk or with `onevisit cert print` lands as a PDF in
    var/demo/documents/. Without root or the CUPS packages the demo goes on with the receipt roll."""

    name = "documents"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.cups: Any = None
        self.out = ctx.root / "documents"
        self.error = ""

    def start(self) -> None:
        from onevisit.sim.cups import PrivateCups, PrivateCupsError

        self.out.mkdir(parents=True, exist_ok=True)
        try:
            self.cups = PrivateCups(output_dir=self.out).start()
        except PrivateCupsError as exc:
            self.cups, self.error = None, str(exc).splitlines()[0]
            log.warning("demo A4 printer not started: %s", self.error)
            return
        self.ctx.config = with_updates(self.ctx.config, {"documents": {"printer": self.cups.pdf_queue_url}})

    def stop(self) -> None:
        if self.cups is not None:
            self.cups.stop()

    def lines(self) -> list[str]:
        if self.cups is None:
            return [
                f"A4 打印机 Document printer: not started ({self.error}); certificates on the receipt roll"
            ]
        return [
            f"A4 打印机 Document printer (CUPS, cups-pdf) {self.cups.pdf_queue_url}; printed PDFs in {_shell_path(self.out)}/",
            f"  pause it: cupsdisable -h {self.cups.server} {self.cups.pdf_queue}  (cupsenable to resume)",
        ]


class BoardEmulatorProcess(ServiceProcess):
    """The call-display boards as `onevisit board-emulator`, a process of its own: kill it to pull
    the serial adapter, run the printed command to plug it back in; the hall reconnects by itself."""

    name = "boards"
    module = "onevisit.sim.boards.emulator"
    ready = r"board emulator:"

    def __init__(self, ctx: DemoContext) -> None:
        super().__init__(ctx, "board-emulator.log")
        self.link = ctx.config.path(ctx.config.boards.port)
        self.state_file = ctx.root / "boards.json"
        #: The keypads' control port: 0 asks the emulator for a free one, read back from its output.
        self.control_port = 0

    def command(self) -> list[str]:
        keypads = [f"{k.window}:{k.kind}@{k.address}" for k in self.ctx.config.boards.keypads]
        return [
            "--link",
            str(self.link),
            "--codec",
            self.ctx.config.boards.codec,
            "--state",
            str(self.state_file),
            *(f"--charset={b.address}={b.charset}" for b in self.ctx.config.boards.boards),
            *[arg for spec in keypads for arg in ("--keypad", spec)],
            *(["--control", f"127.0.0.1:{self.control_port}"] if keypads else []),
        ]

    def start(self) -> None:
        self.link.parent.mkdir(parents=True, exist_ok=True)
        super().start()

    def on_ready(self, first: list[str]) -> None:
        for line in first:
            if line.startswith("control: "):
                # "control: 127.0.0.1:PORT (press ADDRESS KEY)": a restart reuses the port
                self.control_port = int(line.split()[1].rpartition(":")[2])

    def lines(self) -> list[str]:
        voice = self.ctx.config.voice
        pid = self.proc.pid if self.proc else "?"
        out = [
            f"叫号屏 Boards (emulated)  {_shell_path(self.link)}, pid {pid}; what they show: "
            f"{_shell_path(self.state_file)}",
            f"  pull the adapter: kill {pid}   plug it back in: uv run onevisit board-emulator "
            + " ".join(_shell_path(Path(a)) if "/" in a else a for a in self.command()),
        ]
        keypads = self.ctx.config.boards.keypads
        if keypads:
            names = {"caller": "呼叫器 caller", "rater": "评价器 rater"}
            out.append(
                "键盘 Keypads (emulated)  "
                + ", ".join(f"{names[k.kind]} of window {k.window} at address {k.address}" for k in keypads)
            )
            press = f"uv run onevisit boards press 127.0.0.1:{self.control_port}"
            out.append(
                f"  press a key: {press} ADDRESS KEY   (KEY: call recall skip pause transfer r1 r2 r3 r4)"
            )
            caller = next((k for k in keypads if k.kind == "caller"), None)
            rater = next((k for k in keypads if k.kind == "rater"), None)
            if caller:
                out.append(
                    f"  e.g. call the next citizen at window {caller.window}: {press} {caller.address} call"
                )
            if rater:
                out.append(f"  then rate after the next 呼叫 finishes them: {press} {rater.address} r1")
            out.append(f'  what they show and their lamps: {_shell_path(self.state_file)} ("keypads")')
        if voice.out_dir:
            engine = voice.engine if voice.engine != "espeak" or shutil.which("espeak-ng") else "silent"
            out.append(
                f"语音 Voice ({engine})      every announcement as a WAV file in "
                f"{_shell_path(self.ctx.config.path(voice.out_dir))}/"
            )
        return out


class CameraComponent:
    """A file camera: a clip of a demo citizen's photo blinking and turning (`onevisit face-clip`)
    when the shared face photos are there, otherwise a folder of one drawn face-less frame."""

    name = "camera"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.folder = ctx.root / "camera"
        self.what = ""

    def start(self) -> None:
        from onevisit.sim.records.demo_backend import default_faces_dir
        from onevisit.sim.records.demo_people import OBAMA

        photo = default_faces_dir(self.ctx.config) / OBAMA
        clip = self.folder / "clip"
        if photo.is_file():
            if not any(clip.glob("*.jpg")):
                self._face_clip(photo, clip)
            url = f"frames://{clip.resolve()}?fps=10&loop=1"
            self.what = "a clip made from the pensioner's photo (face-clip): certification can pass"
        else:
            still = self.folder / "still"
            self._still(still)
            url = f"frames://{still.resolve()}?fps=10&loop=1"
            self.what = (
                "a drawn frame without a face (../shared/faces absent): certification goes to a window"
            )
        self.ctx.config = with_updates(self.ctx.config, {"camera": {"url": url}})

    def _face_clip(self, photo: Path, clip: Path) -> None:
        from onevisit.devices.camera import load_image
        from onevisit.sim.camera.puppet import ACTIONS, kiosk_view, write_clip

        log.info("making the demo camera clip from %s (once; kept in %s)", photo.name, clip)
        tmp = clip.with_name(clip.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        write_clip(kiosk_view(load_image(photo)), list(ACTIONS), tmp)
        shutil.rmtree(clip, ignore_errors=True)
        tmp.rename(clip)

    def _still(self, folder: Path) -> None:
        from PIL import Image, ImageDraw, ImageFont

        from onevisit.core.fonts import cjk_font_path

        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "frame-000.png"
        if path.exists():
            return
        image = Image.new("RGB", (640, 480), (58, 70, 84))
        draw = ImageDraw.Draw(image)
        font = ImageFont.truetype(str(cjk_font_path(self.ctx.config.printer.font)), 30)
        draw.text((320, 220), "演示摄像头 demo camera", fill=(235, 240, 245), font=font, anchor="mm")
        draw.text((320, 270), "(no face photo available)", fill=(180, 190, 200), font=font, anchor="mm")
        image.save(path)

    def stop(self) -> None:
        pass

    def lines(self) -> list[str]:
        return [f"摄像头 Camera (file)     {self.ctx.config.camera.url}", f"  {self.what}"]


class CardReaderComponent:
    """A SAM ID-card module on a pseudo-terminal with the pensioner's card on it (read any number of
    times), opened by the kiosk like a real reader on a serial port."""

    name = "card_reader"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.link = ctx.root / "card-link"
        self.stop_event = threading.Event()
        self.pty: Any = None
        self.thread: threading.Thread | None = None
        self.holder = ""

    def start(self) -> None:
        from onevisit.core.identity import mask_name
        from onevisit.sim.cardreader.emulator import PtyLink, SamEmulator, serve
        from onevisit.sim.records.demo_people import demo_citizens

        citizen = next(c for c in demo_citizens(self.ctx.clock.now().date()) if c.demo_key == "pensioner_due")
        self.holder = f"{mask_name(citizen.name)}, {citizen.id_number.masked}"
        emulator = SamEmulator(citizen.id_number.value, citizen.name, always=True)
        self.pty = PtyLink(self.link)
        self.thread = threading.Thread(
            target=serve, args=(emulator, self.pty, self.stop_event), name="card-reader-sim", daemon=True
        )
        self.thread.start()
        self.ctx.config = with_updates(self.ctx.config, {"card_reader": {"url": f"serial://{self.link}"}})

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(2)
        if self.pty is not None:
            self.pty.close()

    def lines(self) -> list[str]:
        return [
            f"读卡器 ID card reader    serial://{_shell_path(self.link)} (simulated; card of {self.holder})"
        ]


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class KioskComponent:
    """The kiosk: its Kivy window as a process of its own when there is a display; otherwise its
    heartbeat alone (same code, same devices), so /maintenance shows the kiosk either way."""

    name = "kiosk"

    def __init__(self, ctx: DemoContext, window: bool | None = None) -> None:
        self.ctx = ctx
        self.window = has_display() if window is None else window
        self.proc: subprocess.Popen[bytes] | None = None
        self.heartbeat: Any = None
        self.printer: Any = None
        self.reader: Any = None
        self.config_file = ctx.root / "config.toml"

    def start(self) -> None:
        config = self.ctx.config
        if self.window:
            out = (self.ctx.root / "kiosk-window.log").open("ab")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "onevisit.commands.main", "kiosk", "--config", str(self.config_file)],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            out.close()
            return
        self._headless(config)

    def _headless(self, config: Any) -> None:
        from onevisit.devices.cardreader import CardReadError, open_card_reader
        from onevisit.devices.printer import Printer
        from onevisit.kiosk.hall_client import HallClient, read_token
        from onevisit.kiosk.heartbeat import DeviceProbe, ErrorTap, KioskHeartbeat, printer_actions

        token = self.ctx.kiosk_token or read_token(config.path(config.kiosk.token_file))
        client = HallClient(self.ctx.hall_url, token, kiosk=config.kiosk.name)
        self.printer = Printer(config.printer)
        error = None
        try:
            self.reader = open_card_reader(config.card_reader.url)
        except CardReadError as exc:
            error = exc
        probe = DeviceProbe(
            printer=self.printer,
            printer_url=config.printer.url,
            camera_url=config.camera.url,
            camera_size=(config.camera.width, config.camera.height),
            card_reader=self.reader,
            card_reader_error=error,
        )
        tap = ErrorTap()
        # Only the kiosk's own devices: in the demo the hall's board bus shares this process.
        self._tapped = ["onevisit.devices.printer", "onevisit.devices.camera", "onevisit.devices.cardreader"]
        for name in self._tapped:
            logging.getLogger(name).addHandler(tap)
        self._tap = tap
        self.heartbeat = KioskHeartbeat(
            client,
            probe,
            period=config.kiosk.heartbeat_seconds,
            actions=printer_actions(self.printer, probe),
            errors=tap,
        )
        self.heartbeat.beat_once()  # the first one now: /maintenance shows the kiosk at once
        self.heartbeat.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.heartbeat is not None:
            self.heartbeat.stop()
            self.heartbeat.client.close()
            for name in self._tapped:
                logging.getLogger(name).removeHandler(self._tap)
        if self.reader is not None:
            with contextlib.suppress(Exception):
                self.reader.close()
        if self.printer is not None:
            self.printer.close()

    def lines(self) -> list[str]:
        cfg = _shell_path(self.config_file)
        if self.window:
            return [
                f"自助机 Kiosk (window)    pid {self.proc.pid if self.proc else '?'}; log "
                f"{_shell_path(self.ctx.root / 'kiosk-window.log')}",
                "  technician screen: hold the top-left corner 3 s, PIN "
                f"{self.ctx.config.kiosk.technician_pin}",
            ]
        return [
            "自助机 Kiosk             no display here: the kiosk runs headless (its heartbeat reports "
            "its printer, camera and card reader to /maintenance every "
            f"{self.ctx.config.kiosk.heartbeat_seconds} s)",
            f"  see its screens: uv run onevisit kiosk --config {cfg} --screenshots var/demo/screens "
            "--size 1080x1920 --lang zh",
            "  or with a display: uv run onevisit kiosk --config " + cfg,
        ]
