"""The city in a test: a region server on a private PostgreSQL database of its own, halls with
simulated days on SQLite files, and a TCP proxy per hall's uplink that the test can cut."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from onevisit.core.clock import FixedClock, SystemClock
from onevisit.core.config import Config
from onevisit.db import Database, open_database, schema
from onevisit.hall.server import ServerThread
from onevisit.queue.service import QueueService
from onevisit.region.app import RegionSettings, create_region_app
from onevisit.region.hall_bookings import BookingSync
from onevisit.region.ship import RegionClient, Shipper
from onevisit.region.source import HallSource
from onevisit.region.store import RegionStore
from onevisit.sim.hallday.simulation import DayPlan, simulate_day, simulation_config
from onevisit.sim.tcp_proxy import TcpProxy

DAY = dt.date(2026, 11, 23)


@dataclass
class Region:
    store: RegionStore
    server: ServerThread
    key: bytes
    supervisor: str
    staff: str

    @property
    def url(self) -> str:
        return self.server.url


@dataclass
class Hall:
    code: str
    config: Config
    path: Path
    db: Database
    token: str
    proxy: TcpProxy
    clock: FixedClock
    extra: dict = field(default_factory=dict)

    def shipper(self, *, hall_clock=None, batch_size: int = 200, bookings: bool = True) -> Shipper:
        client = RegionClient(self.proxy.url, self.token, hall_clock or SystemClock(), timeout=5)
        self.extra.setdefault("clients", []).append(client)
        return Shipper(
            HallSource(self.db),
            client,
            batch_size=batch_size,
            bookings=BookingSync(self.db, self.code) if bookings else None,
        )

    def service(self) -> QueueService:
        """The hall's queue on its own database, on the hall's injected clock."""
        return QueueService.open(self.config, db_path=self.db, clock=self.clock)


@pytest.fixture
def region(postgres, tmp_path, config):
    """A region server (real socket, uvicorn on a thread) over a fresh PostgreSQL database, naming
    matters by the city's standard (the demo config's)."""
    url = postgres.create_database("region_" + secrets.token_hex(6))
    store = RegionStore.open(url, SystemClock())
    key = secrets.token_bytes(32)
    matters = {m.code: (m.name_zh, m.name_en) for m in config.matters}
    settings = RegionSettings(skew_alarm_seconds=120, matters=matters)
    server = ServerThread(create_region_app(store, key, settings)).start()
    region = Region(store, server, key, store.add_user("city-sup"), store.add_user("booker", "staff"))
    yield region
    server.stop()
    store.close()


@pytest.fixture
def make_hall(config, tmp_path, region):
    """make_hall(i, visits) -> a Hall: its own code and SQLite file, the city's ID key installed in
    its secrets dir, a simulated day (with kiosk self-service and ratings), registered at the region,
    and a proxy in front of the region for its uplink."""
    made: list[Hall] = []

    def make(i: int, visits: int = 120, seed: int | None = None) -> Hall:
        code = f"{config.hall.code}_{i}"
        folder = tmp_path / f"hall{i}"
        secrets_dir = folder / "secrets"
        secrets_dir.mkdir(parents=True)
        # provisioned by the city: one citizen, one hash in every hall
        (secrets_dir / "id-hash.key").write_bytes(region.key)
        hall_config = config.model_copy(
            update={
                "hall": config.hall.model_copy(update={"code": code}),
                "security": config.security.model_copy(update={"secrets_dir": str(secrets_dir)}),
            }
        )
        path = folder / "hall.db"
        db = open_database(path, hall_code=code)
        rated = [0]

        def selfservice(kind: str, when: dt.datetime, data: dict) -> None:
            with db.transaction() as tx:
                tx.insert(
                    schema.selfservice_events,
                    {
                        "at": when.isoformat(timespec="milliseconds"),
                        "day": when.date().isoformat(),
                        "actor": "kiosk:k1",
                        "kind": kind,
                        "data": json.dumps(data),
                    },
                )

        def finished(window: int, step_id: int, number: str, matter: str, when: dt.datetime) -> None:
            rated[0] += 1
            if rated[0] % 3:
                return
            with db.transaction() as tx:
                tx.insert(
                    schema.hall_ratings,
                    {
                        "step_id": step_id,
                        "day": when.date().isoformat(),
                        "number": number,
                        "window": window,
                        "matter": matter,
                        "score": 1 + rated[0] % 5,
                        "at": when.isoformat(timespec="seconds"),
                    },
                )

        plan = DayPlan(
            visits=visits, seed=seed if seed is not None else i, durable=False, selfservice_rate=0.15
        )
        result = simulate_day(hall_config, path, plan, DAY, on_selfservice=selfservice, on_finished=finished)
        result.service.close()
        token = region.store.add_hall(code, f"第{i}大厅")
        proxy = TcpProxy(region.server.host, region.server.port).start()
        # the day's own config (hours and caps lifted), so the hall can go on issuing after it
        hall = Hall(
            code, simulation_config(hall_config, plan), path, db, token, proxy, FixedClock(result.end)
        )
        made.append(hall)
        return hall

    yield make
    for hall in made:
        for client in hall.extra.get("clients", []):
            client.close()
        hall.proxy.close()
        hall.db.dispose()


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def browser():
    """Headless Chromium (Debian's), launched as the hall's page tests launch it."""
    import shutil

    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (scripts/setup.sh)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run"]
        )
        yield b
        b.close()
