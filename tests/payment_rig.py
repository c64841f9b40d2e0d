"""A hall that takes resident pension payments, for tests: the real hall server with the demo
records service and the payment simulator (PaySim) over HTTP both ways, notifications included."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

import httpx

from onevisit.core.config import PaymentConfig
from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from onevisit.kiosk.hall_client import HallClient
from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.sim.pay.simulator import PaySim
from onevisit.sim.records.demo_backend import DemoBackend, demo_id, seed_demo
from onevisit.sim.records.service import create_records_app

SECRET = "test-secret-0123456789"
SEEDED = dt.date(2026, 11, 23)
#: 周玉梅, the resident due to pay for 2026.
WHO = demo_id("resident_pension", SEEDED)


class PaymentHall:
    """`records` the demo backend over the served file; `sim` the platform; `kiosk` a HallClient
    with a kiosk token; `config` the hall's config with `[payment]`; `token` the kiosk's."""

    def __init__(self, records, sim, url, kiosk, app, config, token) -> None:
        self.records, self.sim, self.url, self.kiosk, self.app = records, sim, url, kiosk, app
        self.config, self.token = config, token

    def pay(self, pay_url: str) -> httpx.Response:
        """The citizen's phone: open the QR's page, press the button."""
        page = httpx.get(pay_url)
        assert page.status_code == 200 and "确认支付" in page.text
        return httpx.post(pay_url)

    def control(self, **faults) -> None:
        httpx.post(f"{self.sim.public_url}/control", json=faults).raise_for_status()

    def order(self, amount: str = "500.00", key: str = "press-1") -> dict:
        return self.kiosk.payment_order(WHO.value, 2026, amount, key)


@contextlib.contextmanager
def payment_hall(config, clock, tmp_path) -> Iterator[PaymentHall]:
    seed_demo(tmp_path / "records.db", SEEDED)
    direct = DemoBackend(tmp_path / "records.db")
    sim = PaySim(secret=SECRET)
    with (
        ServerThread(create_records_app(direct)) as records_server,
        HttpRecordsBackend(records_server.url) as records,
        ServerThread(sim.app()) as pay_server,
    ):
        sim.public_url = pay_server.url
        payment = PaymentConfig(url=pay_server.url, secret=SECRET, notify_url="http://127.0.0.1:9/unused")
        config = config.model_copy(update={"payment": payment, "base_dir": tmp_path})
        app = create_app(config, db_path=tmp_path / "hall.db", clock=clock, callout=None, records=records)
        accounts = app.state.hall.accounts
        token = accounts.add_kiosk("kiosk-test")
        accounts.add_user("boss", "supervisor", "secret-2")
        with ServerThread(app) as server:
            app.state.payments.notify_url = f"{server.url}/api/payments/notify"
            with HallClient(server.url, token, kiosk="kiosk-test") as kiosk:
                yield PaymentHall(direct, sim, server.url, kiosk, app, config, token)
    sim.stop()
