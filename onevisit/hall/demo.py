"""`onevisit demo`: the whole hall on one machine, assembled from components started in order.

Each component (the hall server now; printers, boards, voice and kiosks as their parts land) has
start(), stop() and lines() for the banner. The demo database lives in var/demo/ and is made fresh
on every run (pass --keep to continue yesterday's demo), so the printed accounts always work.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from onevisit.clock import Clock, OffsetClock
from onevisit.config import Config

log = logging.getLogger(__name__)


class Component(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def lines(self) -> list[str]:
        """What the banner prints about this component (URLs, accounts, files)."""
        ...


@dataclass
class DemoContext:
    """What components share: the config (database pointed into var/demo), the clock, the folder."""

    config: Config
    clock: Clock
    root: Path
    host: str = "127.0.0.1"
    port: int = 8600
    #: Set by the hall component once the server runs; later components read them.
    hall_url: str = ""
    kiosk_token: str = ""
    extras: dict[str, object] = field(default_factory=dict)


def demo_clock(config: Config) -> OffsetClock:
    """Real time, shifted so the demo hall opens at 09:00 today whatever the hour."""
    tz = ZoneInfo(config.hall.timezone)
    today = dt.datetime.now(tz).date()
    return OffsetClock(dt.datetime.combine(today, dt.time(9, 0), tz))


def demo_context(
    config: Config, root: Path, *, port: int, host: str = "127.0.0.1", keep: bool = False
) -> DemoContext:
    root.mkdir(parents=True, exist_ok=True)
    db = root / "hall.db"
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    hall = config.hall.model_copy(update={"database": str(db.resolve()), "host": host, "port": port})
    config = config.model_copy(update={"hall": hall})
    return DemoContext(config=config, clock=demo_clock(config), root=root, host=host, port=port)


class HallComponent:
    """The hall server with demo accounts: staff for every window, a supervisor, a technician, a kiosk."""

    name = "hall"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.server = None
        self.accounts: list[tuple[str, str, str]] = []  # (role, name, password)

    def start(self) -> None:
        from onevisit.hall.app import create_app
        from onevisit.hall.server import ServerThread

        ctx = self.ctx
        app = create_app(ctx.config, clock=ctx.clock)
        store = app.state.hall.accounts
        existing = {u.name for u in store.users()}
        wanted = [("staff", f"staff{w.number}", w.number) for w in ctx.config.windows]
        wanted += [("supervisor", "supervisor", None), ("technician", "technician", None)]
        for role, name, window in wanted:
            if name in existing:
                continue
            password = secrets.token_hex(3)  # six characters: easy to type from the banner
            store.add_user(name, role, password, window=window)
            self.accounts.append((role, name, password))
        if "demo-kiosk" not in {k["name"] for k in store.kiosks()}:
            ctx.kiosk_token = store.add_kiosk("demo-kiosk")
            token_file = ctx.root / "kiosk-token"
            token_file.write_text(ctx.kiosk_token + "\n", encoding="utf-8")
            token_file.chmod(0o600)
        self.server = ServerThread(app, ctx.host, ctx.port, log_level="warning").start()
        ctx.hall_url = self.server.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def lines(self) -> list[str]:
        url = self.ctx.hall_url
        out = [
            f"大厅服务 Hall server   {url}   (database {self.ctx.config.hall.database})",
            f"  窗口工作台 Staff console   {url}/staff",
            f"  大厅显示屏 Hall display    {url}/display",
            f"  评价器 Rating tablet       {url}/rate?window=1",
            f"  API (OpenAPI)              {url}/openapi.json",
        ]
        if self.accounts:
            out.append("  演示账号 Demo accounts (shown once; the demo database is fresh each run):")
            for role, name, password in self.accounts:
                out.append(f"    {role:<11} {name:<12} {password}")
        else:
            out.append("  演示账号 Demo accounts: kept from the previous run (--keep)")
        if self.ctx.kiosk_token:
            out.append(f"  终端凭证 Kiosk token (demo-kiosk): {self.ctx.kiosk_token}")
            out.append(f"    saved to {self.ctx.root / 'kiosk-token'}")
        return out


class BoardsComponent:
    """The call-display boards as an emulator on a pseudo-terminal at boards.port, started before
    the hall so its board bus finds the link; what each board shows is written to boards.json."""

    name = "boards"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.emulator = None
        self.state_file = ctx.root / "boards.json"

    def start(self) -> None:
        from onevisit.devices.boards.emulator import BoardEmulator

        boards = self.ctx.config.boards
        link = self.ctx.config.path(boards.port)
        link.parent.mkdir(parents=True, exist_ok=True)
        self.emulator = BoardEmulator(link, boards.codec, state_file=self.state_file).start()

    def stop(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()

    def lines(self) -> list[str]:
        link = self.ctx.config.path(self.ctx.config.boards.port)
        voice = self.ctx.config.voice
        out = [f"叫号屏 Boards (emulated)   {link} -> {self.emulator.device}; texts in {self.state_file}"]
        if voice.out_dir:
            out.append(
                f"语音 Voice ({voice.engine})     announcements as WAV files in {self.ctx.config.path(voice.out_dir)}"
            )
        return out


def default_components(ctx: DemoContext) -> list[Component]:
    components: list[Component] = []
    if ctx.config.boards.enabled and importlib.util.find_spec("onevisit.devices.boards.emulator"):
        components.append(BoardsComponent(ctx))
    components.append(HallComponent(ctx))
    return components


#: Components later parts add to the demo: each is built from the context after the hall is up.
EXTRA_COMPONENTS: list[Callable[[DemoContext], Component]] = []


class Demo:
    def __init__(self, ctx: DemoContext, components: list[Component] | None = None) -> None:
        self.ctx = ctx
        self.components: list[Component] = components if components is not None else default_components(ctx)
        self.started: list[Component] = []

    def start(self) -> None:
        for component in self.components:
            log.info("starting demo component %s", component.name)
            component.start()
            self.started.append(component)
        for factory in EXTRA_COMPONENTS:
            component = factory(self.ctx)
            component.start()
            self.started.append(component)

    def stop(self) -> None:
        while self.started:
            component = self.started.pop()
            try:
                component.stop()
            except Exception:
                log.exception("stopping demo component %s failed", component.name)

    def banner(self) -> str:
        lines = [
            f"OneVisit 演示大厅 demo — {self.ctx.config.hall.name}",
            f"演示时钟 Demo clock: {self.ctx.clock.now():%H:%M} (starts at 09:00)",
        ]
        for component in self.started:
            lines += component.lines()
        lines.append("按 Ctrl-C 退出 / Ctrl-C to stop")
        return "\n".join(lines)

    def run(self, stop: threading.Event | None = None) -> None:
        """Start everything, print the banner, wait for Ctrl-C (or `stop`), then stop in reverse."""
        stop = stop or threading.Event()
        try:
            self.start()
            print(self.banner(), flush=True)
            stop.wait()
        except KeyboardInterrupt:
            print("\n正在停止… stopping", flush=True)
        finally:
            self.stop()
