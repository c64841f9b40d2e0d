"""What every route needs: the hall's shared parts, and who is calling with which rights."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.db import Database
from onevisit.hall.live.device_watch import Maintenance
from onevisit.hall.live.gate import ServiceGate
from onevisit.hall.live.hub import EventHub
from onevisit.hall.stores.accounts import AccountStore, Forbidden, Principal, not_authenticated
from onevisit.hall.stores.appointments import AppointmentStore
from onevisit.hall.stores.notices import NoticeStore
from onevisit.hall.stores.ratings import RatingStore


@dataclass
class Hall:
    config: Config
    clock: Clock
    db: Database
    gate: ServiceGate
    accounts: AccountStore
    ratings: RatingStore
    hub: EventHub
    appointments: AppointmentStore | None = None
    notices: NoticeStore | None = None
    #: 到号提醒's watcher (onevisit/hall/live/notices.py); None when notices are off.
    notice_watch: Any = None

    @property
    def service(self):
        return self.gate.service

    @property
    def notify_on(self) -> bool:
        """到号提醒 is offered: the kiosk and the phone page show the opt-in only then."""
        return self.notices is not None and self.config.notify.url != "none"


# The dependencies are `async def` on purpose: each sync dependency costs a hop to the threadpool,
# and on a busy 2-core hall PC those hops, not the work, dominated a request. The token check is an
# indexed SQLite read of microseconds, so it runs on the event loop.


async def get_hall(request: Request) -> Hall:
    return request.app.state.hall


HallDep = Annotated[Hall, Depends(get_hall)]


async def get_maintenance(request: Request) -> Maintenance:
    return request.app.state.maintenance


MaintenanceDep = Annotated[Maintenance, Depends(get_maintenance)]

_bearer = HTTPBearer(
    auto_error=False, description="A login token (staff, supervisor, technician) or a kiosk token"
)


async def current_principal(
    request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The caller behind the bearer token; 401 when there is none or it is invalid or expired."""
    if creds is None or not creds.credentials:
        raise not_authenticated()
    return request.app.state.hall.accounts.authenticate(creds.credentials)


def require(*roles: str) -> Callable[..., Any]:
    """A dependency admitting only the given roles (403 for everyone else who is logged in)."""

    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(
                "forbidden_role",
                "当前账号无权进行此操作",
                f"A {principal.role} account may not do this",
                role=principal.role,
            )
        return principal

    return check


def check_window(principal: Principal, window: int) -> None:
    """Staff act only for their own window; supervisors for any."""
    if principal.role == "supervisor":
        return
    if principal.role == "staff" and principal.window == window:
        return
    if principal.role == "staff":
        raise Forbidden(
            "wrong_window",
            f"您的账号只能操作 {principal.window} 号窗口",
            f"Your account acts for window {principal.window} only",
            window=window,
            own_window=principal.window,
        )
    raise Forbidden(
        "forbidden_role",
        "当前账号无权进行此操作",
        f"A {principal.role} account may not do this",
        role=principal.role,
    )


# Who may call a route, one name per meaning; routes import these and never call require() themselves.

#: Anyone logged in, whatever the role (their own session: who am I, log out).
Authenticated = Annotated[Principal, Depends(current_principal)]
#: A kiosk token only: its own reports (self-service, heartbeats).
KioskOnly = Annotated[Principal, Depends(require("kiosk"))]
#: A kiosk, or a supervisor acting for one (issuing tickets, appointment check-in).
KioskOrSupervisor = Annotated[Principal, Depends(require("kiosk", "supervisor"))]
#: Reading a ticket and re-checking it in: a kiosk, any staff member, a supervisor.
Lookup = Annotated[Principal, Depends(require("kiosk", "staff", "supervisor"))]
#: Window work: staff (for their own window, see check_window) and supervisors.
Staffish = Annotated[Principal, Depends(require("staff", "supervisor"))]
Supervisor = Annotated[Principal, Depends(require("supervisor"))]
Technician = Annotated[Principal, Depends(require("technician"))]
