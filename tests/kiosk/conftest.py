"""One offscreen Kivy window for the whole kiosk test session (Kivy allows one per process).

The environment is set before anything imports kivy: offscreen SDL on Mesa, no argument parsing,
a private KIVY_HOME. Never KIVY_GL_BACKEND=mock: graphics would silently stop being exercised.
"""

from __future__ import annotations

import os
import tempfile
import time

os.environ["SDL_VIDEODRIVER"] = "offscreen"
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_NO_CONSOLELOG"] = "1"
os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="kivy-test-")

import pytest

from onevisit.kiosk.kivy_setup import prepare

prepare((1080, 1920), offscreen=True)


class FakeTime:
    """The kiosk's monotonic clock for the hidden-corner hold, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pump(frames: int = 2) -> None:
    from kivy.base import EventLoop

    for _ in range(frames):
        EventLoop.idle()


def wait_until(condition, timeout: float = 30.0) -> None:
    """Pump frames until `condition()` holds (background calls report back through the Clock)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached within timeout")
        pump(1)


def tap(widget) -> None:
    from kivy.tests.common import UnitTestTouch

    pump(1)
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()
    pump(2)


def texts(widget) -> str:
    """Every label's text under a widget, joined: what the citizen can read."""
    out = []
    for w in widget.walk():
        t = getattr(w, "text", None)
        if isinstance(t, str) and t:
            out.append(t)
    return "\n".join(out)


@pytest.fixture(scope="session")
def kiosk_session(tmp_path_factory):
    from kivy.base import EventLoop
    from kivy.core.window import Window

    from onevisit.core.config import load_config
    from onevisit.kiosk.app import KioskApp, KioskDevices
    from onevisit.kiosk.printing import KioskPrinter
    from tests.conftest import REPO

    config = load_config(REPO / "config.toml")
    # A hall's real address: with the repo's loopback default the kiosk refuses certificates.
    # Its var/ (signing key, register) in a temporary folder, never in the checkout.
    config = config.model_copy(
        update={
            "hall": config.hall.model_copy(update={"public_url": "http://hall.example.org:8600"}),
            "base_dir": tmp_path_factory.mktemp("kiosk"),
        }
    )
    devices = KioskDevices(hall=None, printer=KioskPrinter(None, config))
    fake_time = FakeTime()
    app = KioskApp(config, devices, realtime_idle=False, monotonic=fake_time)
    app.fake_time = fake_time
    EventLoop.ensure_window()
    Window.size = (1080, 1920)
    Window.add_widget(app.build())
    pump(3)
    yield app
    app.on_stop()


@pytest.fixture
def kiosk(kiosk_session):
    """The app back at home with default devices; a test swaps in what it needs."""
    from onevisit.kiosk.printing import KioskPrinter

    app = kiosk_session
    app.devices.hall = None
    app.devices.card_reader = None
    app.devices.card_reader_error = None
    app.devices.printer = KioskPrinter(None, app.config_)
    app.devices.camera_url = None
    app.devices.verification = None
    app.devices.voice = None
    from onevisit.kiosk.selfservice_report import SelfServiceOutbox

    app.outbox = SelfServiceOutbox(None)  # reports a previous test left waiting are not this test's
    app.default_lang, app.default_elderly = "zh", False
    app.go_home()
    pump(2)
    yield app
    wait_until(lambda: app.busy == 0)
    app.go_home()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HallServer:
    """The real hall server (create_app under uvicorn) on a free port, in a thread, with a kiosk
    token made by the hall's own account code. `stop()` and `start()` again on the same port and
    database: the hall going away mid-session and coming back."""

    def __init__(self, config, db_path, clock) -> None:
        self.config = config
        self.db_path = db_path
        self.clock = clock
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.thread = None
        self.app = None
        self.token = None

    def start(self) -> HallServer:
        import threading

        import uvicorn

        from onevisit.hall.app import create_app

        self.app = create_app(self.config, db_path=self.db_path, clock=self.clock, callout=None)
        accounts = self.app.state.hall.accounts
        if self.token is None:
            self.token = accounts.add_kiosk("kiosk-test")
            accounts.add_user("staff1", "staff", "secret-1", window=1)
            accounts.add_user("boss", "supervisor", "secret-2")
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), timeout=15)
        assert self.server.started, "hall server did not start"
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(10)
            self.server = None

    def client(self, timeout: float = 5.0):
        from onevisit.kiosk.hall_client import HallClient

        return HallClient(self.url, self.token, timeout=timeout, kiosk="kiosk-test")

    def login(self, user: str, password: str):
        import httpx

        r = httpx.post(f"{self.url}/api/auth/login", json={"username": user, "password": password})
        r.raise_for_status()
        token = r.json()["token"]
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


@pytest.fixture
def hall_server(config, clock, tmp_path):
    server = HallServer(config, tmp_path / "hall.db", clock).start()
    yield server
    server.stop()
