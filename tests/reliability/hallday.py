"""A hall day driven against the real hall server: kiosks, windows, faults, and the checks after.

Used by tests/reliability (a scaled-down day in the default suite) and bench/bench_hallday.py (the
full day: 6,000 visits, 30 windows, 8 kiosks at 20x). The server is `onevisit hall` in its own
process on a free port, so it can be killed with SIGKILL and started again on the same database.

The driver is real time compressed by `speed`: a citizen's 8 minutes at a window is 24 s at 20x.
Kiosk threads issue tickets at the day's arrival times (with retries under the same idempotency
key when the server is gone), window threads call, recall, skip, start, finish and transfer the way
staff do, and 过号 citizens come back to a kiosk and check in again. Everything the clients were
told is kept, so the checks afterwards compare what was acknowledged with what the database holds.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from onevisit.core.config import Config, load_config
from onevisit.sim.hallday.simulation import HOURLY_ARRIVALS, staffed_windows

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
HALL_TZ = ZoneInfo("Asia/Shanghai")
DAY_SECONDS = (17 - 8.5) * 3600  # 08:30 to 17:00
MAIN_BOARD = 200
STAFF_PASSWORD = "window-pass-1"
SUPERVISOR = ("zhao", "supervisor-pass-1")

STEP_STATES = {"pending", "waiting", "called", "serving", "done", "transferred", "skipped", "cancelled"}
#: Every step-state change the queue may make (from the events); anything else is a bug.
LEGAL_STEP_MOVES = {
    (None, "waiting"),
    (None, "pending"),
    ("pending", "waiting"),
    ("pending", "cancelled"),
    ("waiting", "called"),
    ("waiting", "cancelled"),
    ("called", "serving"),
    ("called", "skipped"),
    ("called", "transferred"),  # 转出 straight from the call
    ("called", "cancelled"),
    ("serving", "done"),
    ("serving", "transferred"),  # 转出 after service started
    ("waiting", "transferred"),  # the supervisor moved a waiting ticket to another matter
    ("serving", "cancelled"),
    ("skipped", "waiting"),
    ("skipped", "cancelled"),
}


# -- config ---------------------------------------------------------------------------------------


def toml_dumps(data: dict[str, Any]) -> str:
    """Enough TOML for a config: tables, arrays of tables, scalars and lists of scalars."""

    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        raise TypeError(f"no TOML for {type(v)}")

    lines: list[str] = []

    def table(path: str, d: dict[str, Any]) -> None:
        scalars = {k: v for k, v in d.items() if not isinstance(v, dict) and not _is_table_list(v)}
        if path and (scalars or not d):
            lines.append(f"[{path}]")
        for k, v in scalars.items():
            lines.append(f"{k} = {value(v)}")
        lines.append("")
        for k, v in d.items():
            sub = f"{path}.{k}" if path else k
            if _is_table_list(v):
                for item in v:
                    lines.append(f"[[{sub}]]")
                    lines.extend(f"{ik} = {value(iv)}" for ik, iv in item.items())
                    lines.append("")
            elif isinstance(v, dict):
                table(sub, v)

    table("", data)
    return "\n".join(lines)


def _is_table_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def hallday_config(
    base_dir: Path,
    *,
    windows: int = 30,
    board_link: Path | None = None,
    database: str | None = None,
    hall_code: str | None = None,
) -> Config:
    """config.toml with `windows` staffed windows, a board per window plus a main board, silent
    voice, hours not enforced (the test runs at any hour), caps lifted, and recall pacing left to
    the driver (its clock runs faster than the server's). `database` (a path or a postgresql://
    URL) and `hall_code` as `[hall] database` and `code`; by default hall.db beside the config."""
    base = load_config(REPO / "config.toml")
    staffed = staffed_windows(base, windows)
    boards = [{"address": w.number, "kind": "window", "window": w.number} for w in staffed]
    boards.append({"address": MAIN_BOARD, "kind": "main"})
    raw = base.model_dump(mode="json", exclude_none=True)
    raw["windows"] = [w.model_dump(mode="json", exclude_none=True) for w in staffed]
    raw["matters"] = [{**m, "daily_cap": 100_000} for m in raw["matters"]]
    raw["hall"]["hours"]["enforce"] = False
    raw["hall"]["database"] = database or str(base_dir / "hall.db")
    raw["hall"]["code"] = hall_code or raw["hall"]["code"]
    raw["recall"].update(min_seconds=0, auto_skip_seconds=3600)
    raw["voice"]["engine"] = "silent"
    raw["boards"].update(
        enabled=board_link is not None,
        port=str(board_link or "var/board-link"),
        boards=boards,
        timeout=0.2,
        probe_seconds=0.5,
        reconnect_max_seconds=0.5,
    )
    base_dir.mkdir(parents=True, exist_ok=True)
    path = base_dir / "config.toml"
    path.write_text(toml_dumps(raw), encoding="utf-8")
    return load_config(path)


# -- the server process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HallProcess:
    """`onevisit hall` as a child process; kill() is SIGKILL, as a power cut or OOM would be."""

    def __init__(self, config_path: Path, db_path: str | Path, log_dir: Path, verbose: bool = False) -> None:
        self.config_path = config_path
        self.db_path = db_path
        self.log_dir = log_dir
        self.verbose = verbose
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        log_dir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        self.starts += 1
        out = open(self.log_dir / f"hall-{self.starts}.log", "wb")  # noqa: SIM115 (the child owns it)
        cmd = [sys.executable, "-m", "onevisit.commands.main", "hall", "--config", str(self.config_path)]
        cmd += ["--db", str(self.db_path), "--port", str(self.port)]
        if self.verbose:
            cmd.append("-v")
        self.proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        out.close()
        deadline = time.monotonic() + timeout
        ready = threading.Event()
        while not ready.is_set():
            if self.proc.poll() is not None:
                raise RuntimeError(f"hall server exited with {self.proc.returncode}; see {out.name}")
            if time.monotonic() > deadline:
                raise TimeoutError("hall server did not start")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            ready.wait(0.05)  # the server offers no start signal to another process; poll its port

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def logs(self) -> str:
        return "\n".join(p.read_text("utf-8", "replace") for p in sorted(self.log_dir.glob("hall-*.log")))


def create_accounts(config: Config, db_path: str | Path, windows: list[int], kiosks: int) -> list[str]:
    """Staff for every window, one supervisor, and kiosk tokens, written straight to the database."""
    from onevisit.core.clock import SystemClock
    from onevisit.db import open_database
    from onevisit.hall.stores.accounts import AccountStore

    db = open_database(db_path, hall_code=config.hall.code)
    store = AccountStore(db, config, SystemClock(config.hall.timezone))
    for w in windows:
        store.add_user(f"staff{w}", "staff", STAFF_PASSWORD, window=w)
    store.add_user(SUPERVISOR[0], "supervisor", SUPERVISOR[1])
    tokens = [store.add_kiosk(f"kiosk-{k + 1}") for k in range(kiosks)]
    db.dispose()
    return tokens


# -- the plan -------------------------------------------------------------------------------------


@dataclass
class DayLoad:
    visits: int = 600
    kiosks: int = 8
    windows: int = 30
    #: How many times faster than a real day the driver runs.
    speed: float = 600.0
    seed: int = 10
    #: Service minutes are scaled by this, so the day fits the windows at this many visits.
    service_scale: float = 1.0
    multi_rate: float = 0.3
    transfer_rate: float = 0.06
    late_rate: float = 0.08  # comes after a recall
    no_show_rate: float = 0.04  # never comes: 过号
    come_back_rate: float = 0.7  # of the 过号, checks in again
    id_rate: float = 0.5  # identifies with an ID number at the kiosk
    declared_rate: float = 0.04
    double_tap_rate: float = 0.05  # a kiosk sends the same request twice
    print_every: int = 10  # every n-th ticket goes to the kiosk printer
    #: SIGKILLs of the server at random moments during the day.
    kills: int = 0
    #: Seconds of real time before the driver gives up (a hung server fails the run, not the suite).
    deadline: float = 600.0


@dataclass
class Visit:
    index: int
    arrive: float  # sim seconds after opening
    matters: list[str]
    id_number: str | None
    declared: str | None
    rng: random.Random
    key: str


@dataclass
class Outcome:
    """What the clients were told, and what happened to them."""

    acked: dict[str, dict] = field(default_factory=dict)  # idempotency key -> first answer's ticket
    answers: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # key -> numbers
    created: Counter = field(default_factory=Counter)
    counts: Counter = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    retries_same_ticket: int = 0
    retries_checked: int = 0
    restarts: int = 0
    kill_times: list[float] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    to_print: set[str] = field(default_factory=set)
    ids_sent: set[str] = field(default_factory=set)
    print_failures: int = 0
    real_seconds: float = 0.0
    requests: int = 0
    artefacts: Path | None = None


def plan_visits(load: DayLoad, config: Config, people: list[str]) -> list[Visit]:
    """The day's citizens: arrival times on the hall's hourly profile, itineraries, identities."""
    rng = random.Random(load.seed)
    codes = [m.code for m in config.matters]
    weights = [3, 3, 2, 3, 2][: len(codes)] + [1] * max(0, len(codes) - 5)
    hours = [(h, w) for h, w in HOURLY_ARRIVALS.items()]
    visits = []
    from onevisit.sim.records.idgen import random_id

    people_left = list(people)
    for i in range(load.visits):
        hour, _ = rng.choices(hours, [w for _, w in hours])[0]
        start = max(0.0, (hour - 8.5) * 3600)
        arrive = rng.uniform(start, (hour + 1 - 8.5) * 3600)
        first = rng.choices(codes, weights)[0]
        others = [c for c in codes if c != first]
        extra = rng.choice([1, 1, 1, 2]) if rng.random() < load.multi_rate else 0
        matters = [first, *rng.sample(others, extra)]
        id_number = None
        if people_left and rng.random() < 0.05:
            id_number = people_left.pop()
        elif rng.random() < load.id_rate:
            born = dt.date(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28))
            id_number = str(random_id(rng, born, rng.random() < 0.5).value)
        declared = "veteran" if rng.random() < load.declared_rate else None
        visits.append(
            Visit(
                i, arrive, matters, id_number, declared, random.Random(load.seed * 7919 + i), uuid.uuid4().hex
            )
        )
    visits.sort(key=lambda v: v.arrive)
    return visits


# -- the driver -----------------------------------------------------------------------------------


class ServerDown(Exception):
    pass


class HallDay:
    """Runs one day against a running HallProcess; returns an Outcome."""

    def __init__(
        self,
        load: DayLoad,
        config: Config,
        server: HallProcess,
        kiosk_tokens: list[str],
        artefacts: Path,
        *,
        printer_url: str | None = None,
        people: list[str] | None = None,
        on_tick: Any = None,
    ) -> None:
        self.load = load
        self.config = config
        self.server = server
        self.kiosk_tokens = kiosk_tokens
        self.artefacts = artefacts
        artefacts.mkdir(parents=True, exist_ok=True)
        self.printer_url = printer_url
        self.people = people or []
        #: Called about every 100 ms of real time with the sim time: fault injection hooks in here.
        self.on_tick = on_tick
        self.outcome = Outcome(artefacts=artefacts)
        self.up = threading.Event()
        self.up.set()
        self.stop = threading.Event()
        self.kiosks_done = threading.Event()
        self.lock = threading.Lock()
        self.work = threading.Condition()
        self.checkins: list[tuple[float, int, str]] = []  # (due sim seconds, seq, number)
        self._seq = 0
        self.behaviour: dict[str, random.Random] = {}
        self.windows = [w.number for w in config.windows]
        self.t0 = 0.0
        self._answers = open(artefacts / "api-answers.jsonl", "w", encoding="utf-8")  # noqa: SIM115
        self.max_recalls = config.recall.max_recalls
        self.issued = 0
        self.emulator: Any = None

    # time
    def sim_now(self) -> float:
        return (time.monotonic() - self.t0) * self.load.speed

    def wait_sim(self, sim_seconds: float) -> None:
        """Pace the simulated citizen/staff member (not a wait for a condition)."""
        self.stop.wait(max(0.0, sim_seconds / self.load.speed))

    def wait_until(self, sim_t: float) -> None:
        self.stop.wait(max(0.0, (sim_t - self.sim_now()) / self.load.speed))

    # requests
    def _record(self, method: str, path: str, r: httpx.Response) -> None:
        with self.lock:
            self.outcome.requests += 1
            self.outcome.counts[f"{r.status_code}"] += 1
            self._answers.write(
                json.dumps({"m": method, "p": path, "s": r.status_code, "b": r.text}, ensure_ascii=False)
                + "\n"
            )
            if r.status_code >= 500:
                self.outcome.server_errors.append(f"{method} {path} -> {r.status_code}: {r.text[:300]}")

    def request(
        self, client: httpx.Client, method: str, path: str, *, retry: bool, **kwargs: Any
    ) -> httpx.Response:
        """One request; with retry, sent again (same body, same key) until the server answers."""
        while not self.stop.is_set():
            self.up.wait(30)
            try:
                r = client.request(method, path, **kwargs)
            except httpx.TransportError:
                with self.lock:
                    self.outcome.counts["transport_error"] += 1
                if not retry:
                    raise ServerDown from None
                self.up.wait(5)
                self.stop.wait(0.05)  # the server may be restarting: back off a little
                continue
            self._record(method, path, r)
            return r
        raise ServerDown

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    # kiosks
    def kiosk(self, k: int, visits: list[Visit]) -> None:
        from onevisit.kiosk.printing import ticket_print

        printer = None
        if self.printer_url:
            from onevisit.devices.printer import Printer

            printer = Printer(self.config.printer.model_copy(update={"chinese": "gbk"}), url=self.printer_url)
        unprinted: list[tuple[dict, dict, str]] = []
        with self.client(self.kiosk_tokens[k]) as client:
            for visit in visits:
                if self.stop.is_set():
                    return
                self.wait_until(visit.arrive)
                body = self._issue(client, visit)
                if body is None or printer is None:
                    continue
                if visit.index % self.load.print_every == 0 or visit.id_number in self.people:
                    with self.lock:
                        self.outcome.to_print.add(body["ticket"]["number"])
                    item = (body["ticket"], body["position"], body["status_url"])
                    if not self._print(printer, ticket_print, item):
                        with self.lock:
                            self.outcome.print_failures += 1
                        unprinted.append(item)
                # A ticket whose print failed is printed again once the paper is back (staff reprint).
                unprinted = [i for i in unprinted if not self._print(printer, ticket_print, i)]
            while unprinted and printer is not None and not self.stop.is_set():
                unprinted = [i for i in unprinted if not self._print(printer, ticket_print, i)]
                if unprinted:
                    self.stop.wait(0.2)  # paper is being changed; try again shortly

    def _issue(self, client: httpx.Client, visit: Visit) -> dict | None:
        payload: dict[str, Any] = {"matters": visit.matters, "idempotency_key": visit.key}
        if visit.id_number:
            payload["id_number"] = visit.id_number
            with self.lock:
                self.outcome.ids_sent.add(visit.id_number)
        if visit.declared:
            payload["declared"] = visit.declared
        if visit.rng.random() < 0.03 and visit.id_number:
            # A careless kiosk tag with the full number in it: the queue must mask it.
            payload["tag"] = f"人脸核验失败 {visit.id_number}"
        try:
            r = self.request(client, "POST", "/api/tickets", retry=True, json=payload)
        except ServerDown:
            return None
        if r.status_code not in (200, 201):
            with self.lock:
                self.outcome.unexpected.append(
                    f"issue {payload['matters']} -> {r.status_code} {r.text[:200]}"
                )
            return None
        body = r.json()
        number = body["ticket"]["number"]
        with self.lock:
            self.outcome.acked.setdefault(visit.key, body["ticket"])
            self.outcome.answers[visit.key].add(number)
            self.outcome.created[body["created"]] += 1
            self.behaviour.setdefault(number, visit.rng)
            self.issued += 1
        if visit.rng.random() < self.load.double_tap_rate:
            again = self.request(client, "POST", "/api/tickets", retry=True, json=payload)
            with self.lock:
                self.outcome.retries_checked += 1
                if again.status_code == 200 and again.json()["ticket"]["number"] == number:
                    self.outcome.retries_same_ticket += 1
                self.outcome.answers[visit.key].add(again.json()["ticket"]["number"])
        with self.work:
            self.work.notify(3)
        return body

    def _print(self, printer: Any, ticket_print: Any, item: tuple[dict, dict, str]) -> bool:
        ticket, position, url = item
        job = printer.print_ticket(ticket_print(self.config, ticket, position, url))
        if str(job.state) != "done":
            return False
        with self.lock:
            self.outcome.printed.append(ticket["number"])
        return True

    def _has_checkins(self) -> bool:
        with self.lock:
            return bool(self.checkins)

    def checkin_desk(self) -> None:
        """Citizens back after 过号 check in again at a kiosk."""
        with self.client(self.kiosk_tokens[0]) as client:
            while not self.stop.is_set():
                with self.lock:
                    wait = self.checkins[0][0] - self.sim_now() if self.checkins else 30.0
                    due = heapq.heappop(self.checkins) if wait <= 0 else None
                if due is None:
                    self.wait_sim(min(wait, 30.0))
                    continue
                try:
                    r = self.request(client, "POST", f"/api/tickets/{due[2]}/checkin", retry=True)
                except ServerDown:
                    return
                with self.lock:
                    self.outcome.counts[f"checkin_{r.status_code}"] += 1
                if r.status_code == 200:
                    with self.work:
                        self.work.notify(3)

    # windows
    def window(self, number: int, token: str) -> None:
        state, ticket = "idle", None
        with self.client(token) as client:
            while not self.stop.is_set():
                try:
                    if state == "idle":
                        state, ticket = self._call(client, number)
                    elif state == "called":
                        state, ticket = self._called(client, number, ticket)
                    elif state == "serving":
                        state, ticket = self._serve(client, number, ticket)
                except ServerDown:
                    if self.stop.is_set():
                        return
                    state, ticket = self._resync(client, number)

    def _act(self, client: httpx.Client, number: int, action: str, **kwargs: Any) -> httpx.Response:
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        return self.request(
            client, "POST", f"/api/windows/{number}/{action}", retry=False, headers=headers, **kwargs
        )

    def _resync(self, client: httpx.Client, number: int) -> tuple[str, dict | None]:
        """After a lost answer: what the window's console shows now."""
        r = self.request(client, "GET", f"/api/windows/{number}", retry=True)
        ticket = r.json().get("ticket")
        if not ticket:
            return "idle", None
        for step in ticket["steps"]:
            if step["window"] == number and step["state"] in ("called", "serving"):
                return step["state"], ticket
        return "idle", None

    def _call(self, client: httpx.Client, number: int) -> tuple[str, dict | None]:
        r = self._act(client, number, "call")
        if r.status_code == 200:
            return "called", r.json()["ticket"]
        code = r.json().get("error", {}).get("code") if r.status_code < 500 else None
        if code == "nothing_waiting":
            with self.work:
                self.work.wait(max(0.02, min(1.0, 30 / self.load.speed)))
            return "idle", None
        if code == "window_busy":
            return self._resync(client, number)
        with self.lock:
            self.outcome.unexpected.append(f"call w{number} -> {r.status_code} {r.text[:200]}")
        return self._resync(client, number)

    def _current_step(self, ticket: dict, number: int) -> dict | None:
        return next(
            (s for s in ticket["steps"] if s["window"] == number and s["state"] in ("called", "serving")),
            None,
        )

    def _called(self, client: httpx.Client, number: int, ticket: dict) -> tuple[str, dict | None]:
        rng = self.behaviour.setdefault(ticket["number"], random.Random(ticket["number"]))
        step = self._current_step(ticket, number)
        if step is None:
            return "idle", None
        r = rng.random()
        if r < self.load.no_show_rate:
            comes_after = self.max_recalls + 1
        elif r < self.load.no_show_rate + self.load.late_rate:
            comes_after = 1
        else:
            comes_after = 0
        recalls = step["call_count"] - 1
        while recalls < comes_after:
            self.wait_sim(rng.uniform(30, 60))
            if recalls >= self.max_recalls:
                res = self._act(client, number, "skip")
                if res.status_code != 200:
                    return self._resync(client, number)
                if rng.random() < self.load.come_back_rate:
                    with self.lock:
                        self._seq += 1
                        heapq.heappush(
                            self.checkins,
                            (self.sim_now() + rng.uniform(120, 900), self._seq, ticket["number"]),
                        )
                return "idle", None
            res = self._act(client, number, "recall")
            if res.status_code != 200:
                return self._resync(client, number)
            recalls += 1
        self.wait_sim(rng.uniform(10, 45))
        res = self._act(client, number, "start")
        if res.status_code != 200:
            return self._resync(client, number)
        return "serving", res.json()["ticket"]

    def _serve(self, client: httpx.Client, number: int, ticket: dict) -> tuple[str, dict | None]:
        rng = self.behaviour.setdefault(ticket["number"], random.Random(ticket["number"]))
        step = self._current_step(ticket, number)
        if step is None:
            return "idle", None
        minutes = self.config.matter(step["matter"]).minutes * self.load.service_scale
        self.wait_sim(max(rng.lognormvariate(0, 0.4) * minutes * 60, 30 * self.load.service_scale))
        if rng.random() < self.load.transfer_rate:
            codes = [m.code for m in self.config.matters if m.code != step["matter"]]
            body = {
                "matter": rng.choice(codes),
                "placement": rng.choice(["original", "front", "end"]),
                "reason": "转办",
                "note": f"材料已核 {ticket['number']}",
            }
            res = self._act(client, number, "transfer", json=body)
        else:
            res = self._act(client, number, "finish")
        if res.status_code != 200:
            return self._resync(client, number)
        with self.work:
            self.work.notify(2)
        return "idle", None

    # the day
    def run(self, visits: list[Visit], staff_tokens: dict[int, str]) -> Outcome:
        self.t0 = time.monotonic()
        started = time.monotonic()
        by_kiosk: list[list[Visit]] = [[] for _ in self.kiosk_tokens]
        for v in visits:
            by_kiosk[v.index % len(self.kiosk_tokens)].append(v)
        kiosks = [
            threading.Thread(target=self.kiosk, args=(k, vs), name=f"kiosk-{k + 1}", daemon=True)
            for k, vs in enumerate(by_kiosk)
        ]
        windows = [
            threading.Thread(target=self.window, args=(w, staff_tokens[w]), name=f"window-{w}", daemon=True)
            for w in self.windows
        ]
        desk = threading.Thread(target=self.checkin_desk, name="checkin-desk", daemon=True)
        for t in [*kiosks, *windows, desk]:
            t.start()
        deadline = started + self.load.deadline
        try:
            while not self.stop.is_set():
                if self.on_tick:
                    self.on_tick(self, self.sim_now())
                if all(not t.is_alive() for t in kiosks):
                    self.kiosks_done.set()
                    if not self._has_checkins() and self._hall_idle():
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"hall day did not end within {self.load.deadline:.0f} s")
                self.stop.wait(0.1)
        finally:
            self.stop.set()
            with self.work:
                self.work.notify_all()
            for t in [*kiosks, *windows, desk]:
                t.join(30)
            self._answers.close()
        self.outcome.real_seconds = time.monotonic() - started
        return self.outcome

    def _hall_idle(self) -> bool:
        """Nothing waiting and no window busy: the day is over (twice in a row, 100 ms apart)."""
        for attempt in range(2):
            if not self.up.is_set():
                return False
            try:
                s = httpx.get(f"{self.server.url}/api/status", timeout=10).json()
            except (httpx.TransportError, ValueError):
                return False
            if any(m["waiting"] for m in s["matters"]) or any(w["current_number"] for w in s["windows"]):
                return False
            if attempt == 0:
                self.stop.wait(0.1)
        return True

    # faults
    def kill_and_restart(self) -> None:
        """SIGKILL the server at this moment and bring it back on the same database and port."""
        self.up.clear()
        self.server.kill()
        with self.lock:
            self.outcome.restarts += 1
            self.outcome.kill_times.append(self.sim_now())
        self.server.start()
        self.up.set()


def login_staff(url: str, windows: list[int]) -> dict[int, str]:
    out = {}
    with httpx.Client(base_url=url, timeout=30) as c:
        for w in windows:
            r = c.post("/api/auth/login", json={"username": f"staff{w}", "password": STAFF_PASSWORD})
            r.raise_for_status()
            out[w] = r.json()["token"]
    return out


# -- checks ---------------------------------------------------------------------------------------


def check_day(config: Config, db_path: str | Path, outcome: Outcome) -> dict[str, Any]:
    """Every invariant the day must keep; returns figures, raises AssertionError listing problems."""
    from onevisit.queue import replay
    from onevisit.queue.store import QueueStore

    store = QueueStore.open(db_path, config.hall.code)
    problems: list[str] = []
    try:
        snap = replay.snapshot(store)
        with store.reading() as tx:
            rows = tx.all("SELECT * FROM events ORDER BY id")
        from onevisit.queue.models import Event, EventKind

        events = [
            Event(
                r["id"],
                r["at"],
                r["actor"],
                EventKind(r["kind"]),
                r["day"],
                r["number"],
                r["window"],
                r["matter"],
                json.loads(r["data"]),
            )
            for r in rows
        ]
        diffs = replay.differences(replay.rebuild(config, events), snap)
        problems += [f"replay: {d}" for d in diffs[:20]]
        tickets = snap["tickets"]
        by_number = {(t["day"], t["number"]): t for t in tickets.values()}
        # every acknowledged ticket is there, with what the kiosk was told
        for key, told in outcome.acked.items():
            t = by_number.get((told["day"], told["number"]))
            if t is None:
                problems.append(f"acknowledged ticket {told['number']} (key {key}) is missing")
            elif t["short_code"] != told["short_code"]:
                problems.append(f"ticket {told['number']} has another short code than the kiosk printed")
            if len(outcome.answers[key]) != 1:
                problems.append(f"key {key} got different tickets: {sorted(outcome.answers[key])}")
        # numbers unique per day and without gaps per prefix
        numbers = Counter((t["day"], t["number"]) for t in tickets.values())
        problems += [f"duplicate number {n}" for n, c in numbers.items() if c > 1]
        seqs: dict[tuple[str, str], list[int]] = defaultdict(list)
        for t in tickets.values():
            seqs[(t["day"], t["number"][0])].append(t["seq"])
        for (day, prefix), s in seqs.items():
            if sorted(s) != list(range(1, len(s) + 1)):
                problems.append(f"{day} {prefix}: numbers are not 1..{len(s)} without gaps")
            if snap["counters"].get((day, prefix)) != len(s):
                problems.append(
                    f"{day} {prefix}: counter {snap['counters'].get((day, prefix))} != {len(s)} tickets"
                )
        keys = Counter(t["idempotency_key"] for t in tickets.values() if t["idempotency_key"])
        problems += [f"idempotency key used twice: {k}" for k, c in keys.items() if c > 1]
        # steps in legal states
        steps_of: dict[int, list[dict]] = defaultdict(list)
        for s in snap["steps"].values():
            steps_of[s["ticket_id"]].append(s)
            if s["state"] not in STEP_STATES:
                problems.append(f"step {s['id']} in unknown state {s['state']}")
            if s["state"] in ("done", "transferred") and not s["finished_at"]:
                problems.append(f"step {s['id']} {s['state']} without a finish time")
            if (
                s["state"] in ("called", "serving")
                and snap["windows"].get(s["window"], {}).get("current_step_id") != s["id"]
            ):
                problems.append(
                    f"step {s['id']} is {s['state']} at window {s['window']} but that window has another"
                )
            if s["call_count"] > config.recall.max_recalls + 1:
                problems.append(f"step {s['id']} called {s['call_count']} times")
        from onevisit.queue.service import derive_ticket_state

        for tid, steps in steps_of.items():
            live = [s for s in steps if s["state"] in ("called", "serving")]
            if len(live) > 1:
                problems.append(f"ticket {tickets[tid]['number']} is at {len(live)} windows at once")
            if str(derive_ticket_state(steps)) != tickets[tid]["state"]:
                problems.append(
                    f"ticket {tickets[tid]['number']} state {tickets[tid]['state']} disagrees with its steps"
                )
            ordered = sorted(steps, key=lambda s: s["seq"])
            if [s["seq"] for s in ordered] != list(range(len(ordered))):
                problems.append(f"ticket {tickets[tid]['number']} step order has gaps")
            opened = [s for s in ordered if s["state"] in ("waiting", "called", "serving", "skipped")]
            if len(opened) > 1:
                problems.append(f"ticket {tickets[tid]['number']} has {len(opened)} open steps")
        for w in snap["windows"].values():
            if w["current_step_id"] is not None:
                s = snap["steps"].get(w["current_step_id"])
                if s is None or s["window"] != w["number"]:
                    problems.append(f"window {w['number']} points at a step not called there")
        # every step's history in the events is a legal move
        last: dict[int, str | None] = {}
        moves = Counter()
        for ev in events:
            for ch in ev.data.get("changes", []):
                if ch["t"] != "steps":
                    continue
                if "insert" in ch:
                    sid, new = ch["insert"]["id"], ch["insert"]["state"]
                    before = None
                elif "state" in ch["set"]:
                    sid, new = ch["key"], ch["set"]["state"]
                    before = last.get(sid)
                else:
                    continue
                moves[(before, new)] += 1
                if (before, new) not in LEGAL_STEP_MOVES:
                    problems.append(
                        f"step {sid}: illegal move {before} -> {new} in event {ev.id} ({ev.kind})"
                    )
                last[sid] = new
        figures = {
            "tickets": len(tickets),
            "steps": len(snap["steps"]),
            "events": len(events),
            "steps_done": sum(1 for s in snap["steps"].values() if s["state"] == "done"),
            "transfers": sum(1 for e in events if e.kind == "step.transferred"),
            "recalls": sum(1 for e in events if e.kind == "step.recalled"),
            "skips": sum(1 for e in events if e.kind == "step.skipped"),
            "checkins": sum(1 for e in events if e.kind == "ticket.checked_in"),
            "moves": {f"{a}->{b}": n for (a, b), n in sorted(moves.items(), key=str)},
        }
    finally:
        store.close()
    if outcome.server_errors:
        problems += [f"5xx: {e}" for e in outcome.server_errors[:10]]
    if problems:
        raise AssertionError(f"{len(problems)} problems after the hall day:\n" + "\n".join(problems[:60]))
    return figures


def expected_boards(config: Config, db_path: str | Path) -> dict[int, str]:
    """What every board must show: the whole day's events replayed through the board logic."""
    from onevisit.devices.boards.content import BoardContent
    from onevisit.devices.boards.setup import board_specs
    from onevisit.queue.store import QueueStore

    store = QueueStore.open(db_path, config.hall.code)
    try:
        with store.reading() as tx:
            rows = tx.all('SELECT id, kind, number, "window" FROM events ORDER BY id')
    finally:
        store.close()
    content = BoardContent(board_specs(config), recent=config.boards.main_recent)
    for r in rows:
        content.apply(dict(r))
    return {a: s.text for a, s in content.current().items()}


@dataclass
class DayRun:
    config: Config
    db: str
    server: HallProcess
    emulator: Any
    outcome: Outcome
    day: HallDay

    def close(self) -> None:
        self.server.stop()
        if self.emulator is not None:
            self.emulator.stop()


def run_day(
    root: Path,
    load: DayLoad,
    *,
    boards: bool = False,
    printer_url: str | None = None,
    people: list[str] | None = None,
    verbose: bool = False,
    on_tick: Any = None,
    database: str | None = None,
    hall_code: str | None = None,
) -> DayRun:
    """Set a hall up under `root`, start `onevisit hall`, run the day; the server is left running
    (call .close()) so the caller can check boards and pages after the day. `database` (default
    root/hall/hall.db) may be a postgresql:// URL, with the hall's `hall_code`."""
    from onevisit.sim.boards.emulator import BoardEmulator

    link = root / "board-link"
    emulator = (
        BoardEmulator(link, "default", seed=3, state_file=root / "boards.json").start() if boards else None
    )
    config = hallday_config(
        root / "hall",
        windows=load.windows,
        board_link=link if boards else None,
        database=database,
        hall_code=hall_code,
    )
    db = config.database_target
    kiosks = create_accounts(config, db, [w.number for w in config.windows], load.kiosks)
    server = HallProcess(root / "hall" / "config.toml", db, root / "logs", verbose=verbose)
    server.start()
    try:
        staff = login_staff(server.url, [w.number for w in config.windows])
        day = HallDay(
            load,
            config,
            server,
            kiosks,
            root / "artefacts",
            printer_url=printer_url,
            people=people,
            on_tick=on_tick,
        )
        day.emulator = emulator
        outcome = day.run(plan_visits(load, config, people or []), staff)
        return DayRun(config, db, server, emulator, outcome, day)
    except BaseException:
        server.kill()
        if emulator:
            emulator.stop()
        raise
