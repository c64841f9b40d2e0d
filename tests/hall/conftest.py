"""Fixtures for the hall server: an app on a fresh database, accounts of every role, their tokens."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from onevisit.hall.app import create_app
from onevisit.hall.stores import accounts

PASSWORD = "correct-horse"
#: The system's Chromium (scripts/setup.sh installs it): no browser download in tests.
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def fast_scrypt(monkeypatch):
    """A cheaper scrypt cost in tests (hashes record their cost, so checking still works)."""
    monkeypatch.setattr(accounts, "_SCRYPT_N", 2**10)


@pytest.fixture
def hall_config(config, tmp_path):
    # base_dir: secrets (the ID-hash key) go to the test's own folder, not the repo's var/.
    return config.model_copy(update={"base_dir": tmp_path})


@pytest.fixture
def db_path(db_target):
    """The hall's database: a file under tmp_path, or the test PostgreSQL for modules marked
    `both_engines` (each test's hall code is its own schema)."""
    return db_target


@pytest.fixture
def app(hall_config, clock, db_path):
    # No boards or voice here (test_hall_callout.py covers them): API tests stay fast and quiet.
    return create_app(
        hall_config, db_path=db_path, clock=clock, poll_seconds=0.05, expire_seconds=0.05, callout=None
    )


@pytest.fixture
def client(app):
    with TestClient(app) as c:
        yield c


@dataclass
class Tokens:
    """Authorization headers per role; staff1 works window 1, staff2 window 2."""

    kiosk: dict
    staff1: dict
    staff2: dict
    supervisor: dict
    technician: dict

    def by_name(self, name: str | None) -> dict:
        return {} if name is None else getattr(self, name)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client: TestClient, name: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/login", json={"username": name, "password": password})
    assert r.status_code == 200, r.text
    return bearer(r.json()["token"])


@pytest.fixture
def tokens(app, client) -> Tokens:
    store = app.state.hall.accounts
    store.add_user("wang", "staff", PASSWORD, window=1)
    store.add_user("li", "staff", PASSWORD, window=2)
    store.add_user("zhao", "supervisor", PASSWORD)
    store.add_user("chen", "technician", PASSWORD)
    kiosk = store.add_kiosk("kiosk-1")
    return Tokens(
        kiosk=bearer(kiosk),
        staff1=login(client, "wang"),
        staff2=login(client, "li"),
        supervisor=login(client, "zhao"),
        technician=login(client, "chen"),
    )


@pytest.fixture
def issue(client, tokens):
    """Issue a ticket from the kiosk: issue("enroll", "card", tag=...) -> the response body."""
    keys = iter(range(1, 10**6))

    def run(*matters: str, **extra) -> dict:
        body = {"matters": list(matters or ("enroll",)), "idempotency_key": f"k-{next(keys)}", **extra}
        r = client.post("/api/tickets", json=body, headers=tokens.kiosk)
        assert r.status_code == 201, r.text
        return r.json()

    return run


@pytest.fixture
def browser():
    """Headless Chromium for the page tests; every wait in them is Playwright's wait on a condition."""
    if not shutil.which(CHROMIUM):
        pytest.skip("chromium is not installed (scripts/setup.sh)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
