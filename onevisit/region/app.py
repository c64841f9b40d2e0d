"""`onevisit region`: the city's server (FastAPI, one process) over the region database.

Routes, one module per resource under routes/: ingest (the halls' shippers), city (figures and the
/city page), bookings (central appointments), ticket (the city-wide ticket page). Errors are the
hall server's JSON shape (hall/http_errors.py): a code and a Chinese and an English message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI

from onevisit.hall import http_errors
from onevisit.region.bookings import RegionBookings
from onevisit.region.figures import FiguresCache
from onevisit.region.routes import bookings, city, ingest, ticket
from onevisit.region.store import RegionStore


@dataclass(frozen=True)
class RegionSettings:
    #: |skew| above this raises the hall's alarm on /city (seconds)
    skew_alarm_seconds: float = 120.0
    #: a hall not heard from for this long shows as stale (seconds)
    stale_seconds: float = 300.0
    #: the city's standard matters, code → (Chinese name, English name): one standard in every hall,
    #: so the region's config.toml names what the halls' events carry by code
    matters: dict[str, tuple[str, str]] = field(default_factory=dict)


def create_region_app(store: RegionStore, id_key: bytes, settings: RegionSettings | None = None) -> FastAPI:
    """The region server over `store`; `id_key` is the city's ID-hash key (central bookings hash
    citizens with it, as every hall does)."""
    app = FastAPI(title="OneVisit region", docs_url=None, redoc_url=None)
    app.state.store = store
    settings = settings or RegionSettings()
    app.state.bookings = RegionBookings(store, id_key, settings.matters)
    app.state.figures_cache = FiguresCache()
    app.state.settings = settings
    http_errors.install(app)
    for module in (ingest, city, bookings, ticket):
        app.include_router(module.router)
    return app
