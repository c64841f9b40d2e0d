"""The hall server: one FastAPI app owning the hall database, its API, event stream and pages."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, WebSocket
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from onevisit.assets import WEB
from onevisit.core.clock import Clock, SystemClock
from onevisit.core.config import Config
from onevisit.core.secrets import load_or_create_key
from onevisit.db import describe, open_database
from onevisit.devices.notify import notifier_from_config
from onevisit.hall import http_errors
from onevisit.hall.deps import Hall
from onevisit.hall.live.callout import CallOut
from onevisit.hall.live.device_watch import Maintenance
from onevisit.hall.live.gate import ServiceGate
from onevisit.hall.live.hub import EventHub
from onevisit.hall.live.keypads import KeypadDesk
from onevisit.hall.live.notices import NoticeWatch
from onevisit.hall.live.payments import PaymentDesk
from onevisit.hall.routes import (
    appointments,
    auth,
    guide,
    notify,
    payments,
    public,
    queues,
    ratings,
    selfservice,
    staffing,
    tickets,
    windows,
)
from onevisit.hall.routes import maintenance as maintenance_routes
from onevisit.hall.routes import supervisor as supervisor_routes
from onevisit.hall.routes.verify import verify_router
from onevisit.hall.stores.accounts import AccountStore
from onevisit.hall.stores.appointments import AppointmentStore, Claimer
from onevisit.hall.stores.notices import NoticeStore
from onevisit.hall.stores.ratings import RatingStore
from onevisit.queue import QueueService
from onevisit.records.register import CertificateRegister

log = logging.getLogger(__name__)

#: One router per resource, in the order of /openapi.json's paths; the certificate check's
#: router is built from the config (its key) and goes between the two groups.
API_ROUTERS = tuple(m.router for m in (auth, public, tickets, notify, windows, queues, ratings, appointments))
PAGE_ROUTERS = tuple(
    m.router for m in (supervisor_routes, staffing, selfservice, payments, guide, maintenance_routes)
)

PAGES = {"/staff": "staff.html", "/display": "display.html", "/rate": "rate.html"}


def create_app(
    config: Config,
    *,
    db_path: str | Path | None = None,
    clock: Clock | None = None,
    poll_seconds: float = 0.5,
    expire_seconds: float = 5.0,
    callout: Any = "config",
    planner: staffing.StaffingPlanner | None = None,
    notifier: Any = "config",
    records: Any = None,
    payment: Any = "config",
    claimer: Claimer | None = None,
) -> FastAPI:
    """The hall server app. `db_path` overrides config.hall.database; `clock` is injected in tests.

    `planner` makes the supervisor's 排班建议 (staffing plan); the simulator that runs it sits above
    the hall in the import layers, so `onevisit hall` passes `plan_report.plan_for_hall` in.

    `callout` drives the boards and the voice: "config" builds them from config.toml, None runs
    without them (API tests), or pass an object with handle(event_dict), start() and stop().
    `notifier` sends 到号提醒 notices: "config" builds the driver config.notify.url names, None
    sends none, or pass a Notifier.

    `records` (a RecordsBackend, supplied by the command: hall/ never imports the simulators) and
    `payment` ("config": `[payment] url`; None: none; or a PaymentPlatform) enable 城乡居民养老缴费:
    without both, /api/payments answers 404 payment_not_configured.

    `claimer` (hall/stores/appointments.py `Claimer`, built by `onevisit hall` from `[region]`)
    lets a kiosk check-in take over the citizen's booking of today at another hall; None: only
    the hall's own bookings (and those the shipper pulled) are checked in.
    """
    clock = clock or SystemClock(config.hall.timezone)
    target = str(db_path) if db_path else config.database_target
    # One database for the queue and every store; refused here (SchemaOutOfDate) when it was made
    # by an older or newer OneVisit, before anything is served.
    db = open_database(target, hall_code=config.hall.code)
    gate = ServiceGate(lambda: QueueService.open(config, db_path=db, clock=clock))
    # The certificates register /verify reads: its own database, closed with the server.
    register = CertificateRegister(config.path(config.records.certificates_db))
    hub = EventHub(gate, db, poll_seconds=poll_seconds, expire_seconds=expire_seconds)
    hall = Hall(
        config=config,
        clock=clock,
        db=db,
        gate=gate,
        accounts=AccountStore(db, config, clock),
        ratings=RatingStore(db, clock),
        hub=hub,
        # The queue's ID-hash key: a booking and a ticket of one person hash alike.
        appointments=AppointmentStore(
            db,
            config,
            clock,
            load_or_create_key(config.path(config.security.secrets_dir), "id-hash.key"),
            claimer=claimer,
        ),
        notices=NoticeStore(
            db, clock, load_or_create_key(config.path(config.security.secrets_dir), "notify.key")
        ),
    )
    hub.listeners.append(_rating_prompter(hall))
    if notifier == "config":
        notifier = notifier_from_config(config)
    notice_watch = NoticeWatch(config, gate, hall.notices, notifier, clock)
    hub.listeners.append(notice_watch.on_event)
    hall.notice_watch = notice_watch
    if isinstance(callout, str):
        callout = CallOut.from_config(config, clock=clock)
    if callout is not None:
        # The call-out takes Event.to_dict(), the same message every /ws client gets.
        hub.listeners.append(lambda event: callout.handle(event.to_dict()))
        if hasattr(callout, "restore"):
            # After a restart (even a kill -9) the boards show the calls in progress again.
            hub.primers.append(
                lambda windows, events: callout.restore(windows, [e.to_dict() for e in events])
            )
    # Keypads hang on the boards' bus: without a bus (boards disabled, API tests) there are none.
    bus = getattr(callout, "bus", None)
    keypads = None
    if bus is not None and config.boards.keypads:
        keypads = KeypadDesk(config, clock, gate, hall.ratings, hall.accounts, bus)
        hub.listeners.append(keypads.on_event)  # after the rating prompter: the prompt exists first
    elif config.boards.keypads:
        log.warning("[boards] keypads configured but the board bus is off: the keypads are not polled")
    maintenance = Maintenance(
        config, clock, db, callout=callout, kiosk_names=lambda: [k["name"] for k in hall.accounts.kiosks()]
    )

    jobs = staffing.PlanJobs(planner)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Devices first: the hub's start feeds listeners what happened while the server was down.
        if keypads is not None:
            await keypads.start()  # before the bus starts: key presses need the loop to land on
        if callout is not None and hasattr(callout, "start"):
            await _maybe_await(callout.start())
        await hub.start()
        await maintenance.start()
        await notice_watch.start()
        log.info("hall server up: database %s, hall %s", describe(target), config.hall.code)
        try:
            yield
        finally:
            await notice_watch.stop()
            await maintenance.stop()
            jobs.close()
            await hub.stop()
            if keypads is not None:
                await keypads.stop()
            if callout is not None and hasattr(callout, "stop"):
                await _maybe_await(callout.stop())
            gate.close()
            db.dispose()
            register.close()

    app = FastAPI(
        title="OneVisit hall server",
        description="一号到底 — the hall's queue API, event stream and pages.",
        version="1",
        lifespan=lifespan,
        # FastAPI's /docs pages load from a CDN; the hall runs offline, so only /openapi.json is served.
        docs_url=None,
        redoc_url=None,
    )
    app.state.hall = hall
    app.state.callout = callout
    app.state.keypads = keypads
    app.state.maintenance = maintenance
    app.state.staffing = jobs
    app.state.notices = notice_watch
    if isinstance(payment, str):
        from onevisit.devices.payment import from_config

        payment = from_config(config)
    app.state.payments = (
        PaymentDesk(
            records, payment, clock, secret=config.payment.secret, notify_url=config.payment.notify_url
        )
        if records is not None and payment is not None
        else None
    )
    http_errors.install(app)
    for router in (*API_ROUTERS, verify_router(config, register), *PAGE_ROUTERS):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/healthz", tags=["public"])
    def healthz() -> dict:
        return {"ok": True}

    @app.websocket("/ws")
    async def events(
        ws: WebSocket,
        since: Annotated[int | None, Query(ge=0)] = None,
        epoch: Annotated[str | None, Query(max_length=64)] = None,
    ) -> None:
        """A `stream.hello` ({epoch, last_id, resync}) first, then one JSON message per queue event
        (Event.to_dict() plus `epoch`: no personal data). `since` and `epoch` are the last event a
        reconnecting client saw: its missed events follow, unless the database is another one
        (a new epoch, or ids behind `since`), and then `resync` tells it to fetch everything."""
        await hub.serve(ws, since, epoch)

    for route, filename in PAGES.items():
        app.add_api_route(route, _page(filename), methods=["GET"], include_in_schema=False)

    @app.get("/t/{number}", include_in_schema=False)
    def ticket_page(number: str) -> FileResponse:
        return FileResponse(WEB / "ticket.html", media_type="text/html")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg")

    return app


def _page(filename: str):
    def page() -> FileResponse:
        # no-cache: after an upgrade every TV and tablet loads the new page on its next reconnect.
        return FileResponse(WEB / filename, media_type="text/html", headers={"Cache-Control": "no-cache"})

    return page


def _rating_prompter(hall: Hall):
    """Each finished step becomes its window's pending rating prompt."""

    async def on_event(event: Any) -> None:
        if str(event.kind) != "step.finished" or event.window is None:
            return
        step_id = event.data.get("step_id")
        if step_id is None:
            return
        hall.ratings.prompt_finished(event.window, int(step_id), event.day, event.number or "", event.matter)

    return on_event


async def _maybe_await(value: Any) -> None:
    if hasattr(value, "__await__"):
        await value
