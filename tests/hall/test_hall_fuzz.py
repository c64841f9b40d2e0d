"""The API fuzzed from its own OpenAPI document: no 5xx for anyone, and the queue stays consistent.

Schemathesis generates requests for every operation in /openapi.json; each case is sent without a
token and with a kiosk, a staff and a supervisor token to a real uvicorn server. Afterwards the
queue's tables must still equal a replay of its events (nothing changed without an event), every
window's current ticket must be one it called, and the server must still answer.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from onevisit.core.clock import FixedClock
from onevisit.hall.app import create_app
from onevisit.hall.server import ServerThread
from onevisit.queue import replay

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

MAX_EXAMPLES = 12
STATE: dict = {}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    from onevisit.core.config import DEFAULT_CONFIG, load_config

    base = tmp_path_factory.mktemp("fuzz")
    config = load_config(DEFAULT_CONFIG).model_copy(update={"base_dir": base})
    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    app = create_app(config, db_path=base / "hall.db", clock=clock, callout=None)
    store = app.state.hall.accounts
    store.add_user("wang", "staff", "pw-wang-1", window=1)
    store.add_user("zhao", "supervisor", "pw-zhao-3")
    kiosk = store.add_kiosk("kiosk-1")
    with ServerThread(app) as server:
        headers = {"kiosk": kiosk}
        for role, (name, pw) in {"staff": ("wang", "pw-wang-1"), "supervisor": ("zhao", "pw-zhao-3")}.items():
            headers[role] = httpx.post(
                f"{server.url}/api/auth/login", json={"username": name, "password": pw}
            ).json()["token"]
        # Some state for the fuzzer to find: tickets waiting, one called at window 1.
        for i, matters in enumerate((["enroll"], ["enroll", "card"], ["benefit"])):
            httpx.post(
                f"{server.url}/api/tickets",
                json={"matters": matters, "idempotency_key": f"seed-{i}"},
                headers={"Authorization": f"Bearer {kiosk}"},
            )
        httpx.post(
            f"{server.url}/api/windows/1/call", headers={"Authorization": f"Bearer {headers['staff']}"}
        )
        STATE.update(server=server, app=app, config=config, tokens=headers, db=base / "hall.db")
        yield server


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_no_server_errors(fuzz_server, mode):
    # Schemathesis's own pytest plumbing (from_fixture) does not run on pytest 9, so each operation's
    # case strategy is driven by Hypothesis directly; the generation and the check are schemathesis's.
    api = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    callers_all = [{}] + [{"Authorization": f"Bearer {t}"} for t in STATE["tokens"].values()]
    tested = []
    for result in api.get_all_operations():
        operation = result.ok()
        # Logging out would end a token for the rest of the run; that route is fuzzed anonymously.
        callers = [{}] if operation.path == "/api/auth/logout" else callers_all

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def run(case):
            for headers in callers:  # noqa: B023 (run() is called in this same iteration)
                before = _queue_events()
                response = case.call(base_url=fuzz_server.url, headers=headers)
                case.validate_response(response, checks=[not_a_server_error])
                if response.status_code >= 400:
                    # A refused request (bad input, no token, wrong role) leaves the queue as it was.
                    assert _queue_events() == before, f"{case.method} {case.path} -> {response.status_code}"

        try:
            run()
        except Unsatisfiable:
            # An operation with no parameters has no invalid form (e.g. GET /healthz).
            assert mode == GenerationMode.NEGATIVE
            continue
        tested.append(operation.label)
    assert "POST /api/windows/{window}/transfer" in tested and "POST /api/tickets" in tested


def _queue_events() -> int:
    import sqlite3

    with sqlite3.connect(STATE["db"]) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def test_state_is_consistent_after_fuzzing(fuzz_server):
    """Runs after the fuzz cases (same module, later in file order)."""
    app, config = STATE["app"], STATE["config"]
    service = app.state.hall.service
    events = service.events_since(0, 100_000)
    assert not replay.differences(replay.rebuild(config, events), replay.snapshot(service.store))
    for window in service.windows():
        if window.current_number:
            ticket = service.ticket(window.current_number)
            live = [s for s in ticket.steps if s.state in ("called", "serving")]
            assert len(live) == 1 and live[0].window == window.number
    assert httpx.get(f"{fuzz_server.url}/api/status").status_code == 200
    assert httpx.get(f"{fuzz_server.url}/healthz").json() == {"ok": True}
