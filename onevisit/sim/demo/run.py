"""`onevisit demo`: the whole hall on one machine, assembled from components started in order.

Each component has start(), stop() and lines() for the banner: the demo citizens' records, the
records service in front of them (its own process; the kiosk reaches records over HTTP), the
virtual printer, the board emulator (its own process), a file camera, a simulated ID card reader,
the hall server (with file voice), and the kiosk (its window when there is a display, otherwise its
heartbeat). Everything lives in var/demo/: the hall database is made fresh on every run (pass
--keep to continue), so the printed accounts always work; var/demo/config.toml is the demo's config
for every other command (`onevisit doctor --config var/demo/config.toml`).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from onevisit.core.clock import Clock, OffsetClock
from onevisit.core.config import Config

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
    from onevisit.sim.demo.config import demo_config

    root.mkdir(parents=True, exist_ok=True)
    db = root / "hall.db"
    if not keep:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        (root / "kiosk-token").unlink(missing_ok=True)
    config = demo_config(config, root, host=host, port=port)
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
        from onevisit.sim.hallday.plan_report import plan_for_hall

        ctx = self.ctx
        records = None
        if ctx.config.payment.url:  # the hall settles 居民养老缴费 in records
            from onevisit.records.systems import open_records
            from onevisit.sim.records.demo_backend import open_backend

            records = open_records(ctx.config, demo=open_backend)
        app = create_app(ctx.config, clock=ctx.clock, planner=plan_for_hall, records=records)
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
        ctx.extras["app"] = app

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
            f"  值班长 Supervisor          {url}/supervisor",
            f"  设备维护 Maintenance        {url}/maintenance",
            f"  证明核验 Certificate check {url}/verify",
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


#: The demo's bookings for today (see the README's demo citizens): one that can be checked in at
#: once on the demo clock (09:00), one that is still too early (check-in opens at 14:00).
DEMO_APPOINTMENTS = (
    ("510107195808083156", ("benefit",), dt.time(9, 30)),  # 刘德明
    ("330106197503142310", ("enroll", "card"), dt.time(15, 0)),  # 张建国
)


class AppointmentsComponent:
    """Books the demo's appointments for today in the running hall, so 预约签到 works at once."""

    name = "appointments"

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.booked: list[str] = []

    def start(self) -> None:
        from onevisit.core.errors import OneVisitError

        app = self.ctx.extras.get("app")
        if app is None:
            return
        store = app.state.hall.appointments
        today = self.ctx.clock.now().date()
        for id_number, matters, at in DEMO_APPOINTMENTS:
            slot = dt.datetime.combine(today, at)
            try:
                store.book(id_number, matters, slot, "demo")
            except OneVisitError as exc:  # --keep: booked on the last run already
                log.info("demo appointment not booked: %s", exc.code)
        opens = self.ctx.config.appointments.early_minutes
        for appt in store.day(today.isoformat()):
            names = "、".join(self.ctx.config.matter(m).name_zh for m in appt.matters)
            slot = appt.slot_time
            self.booked.append(
                f"    {slot:%H:%M}  {appt.person_masked}  {names}  [{appt.state}]"
                f"  check-in from {slot - dt.timedelta(minutes=opens):%H:%M}"
            )

    def stop(self) -> None:
        pass

    def lines(self) -> list[str]:
        if not self.booked:
            return []
        return ["预约 Appointments today (kiosk tile 预约签到, type the citizen's ID):", *self.booked]


def default_components(ctx: DemoContext, *, kiosk_window: bool | None = None) -> list[Component]:
    """In dependency order: devices first (the hall's board bus and the kiosk need them), then the
    hall server, then the kiosk that talks to it."""
    from onevisit.sim.demo import devices as d

    components: list[Component] = [
        d.RecordsComponent(ctx),
        d.RecordsServiceProcess(ctx),
        d.SmsGatewayProcess(ctx),
        d.PaySimProcess(ctx),  # before the hall: it reads [payment] when it starts
        d.PrinterComponent(ctx),
        d.DocumentsComponent(ctx),
    ]
    if ctx.config.boards.enabled and ctx.config.boards.boards:
        components.append(d.BoardEmulatorProcess(ctx))
    components += [
        d.CameraComponent(ctx),
        d.CardReaderComponent(ctx),
        HallComponent(ctx),
        AppointmentsComponent(ctx),
        d.KioskComponent(ctx, window=kiosk_window),
    ]
    return components


#: Components later parts add to the demo: each is built from the context after the hall is up.
EXTRA_COMPONENTS: list[Callable[[DemoContext], Component]] = []


class Demo:
    def __init__(self, ctx: DemoContext, components: list[Component] | None = None) -> None:
        self.ctx = ctx
        self.components: list[Component] = components if components is not None else default_components(ctx)
        self.started: list[Component] = []

    def start(self) -> None:
        from onevisit.sim.demo.config import write_config

        for component in self.components:
            log.info("starting demo component %s", component.name)
            if component.name == "kiosk":
                # The kiosk window reads the demo's config from the file, as any other command can.
                write_config(self.ctx.config, self.ctx.root / "config.toml")
            component.start()
            self.started.append(component)
        for factory in EXTRA_COMPONENTS:
            component = factory(self.ctx)
            component.start()
            self.started.append(component)
        write_config(self.ctx.config, self.ctx.root / "config.toml")
        self._settle()

    def _settle(self) -> None:
        """Before "ready": the boards have their first texts and /maintenance has read them."""
        app = self.ctx.extras.get("app")
        if app is None:
            return
        bus = getattr(app.state.callout, "bus", None)
        if bus is not None and not bus.wait_settled(10):
            log.warning("the boards did not all answer within 10 s; see /maintenance")
        app.state.maintenance.check_once()

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
        root = self.ctx.root
        lines += [
            f"日志 Logs                 {root / 'logs'}/ (JSON lines, no ID numbers or names)",
            f"检查 Doctor               uv run onevisit doctor --config {root / 'config.toml'}",
            "演示已就绪 Demo ready: open the pages above in a browser.",
            "按 Ctrl-C 退出 / Ctrl-C to stop",
        ]
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
