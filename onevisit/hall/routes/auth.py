"""/api/auth: a staff, supervisor or technician login becomes an expiring bearer token.

Kiosks carry a device token made by `onevisit kiosks add`; they never log in, but may ask who
they are and end their own session like everyone else.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from onevisit.hall.deps import Authenticated, HallDep
from onevisit.hall.schemas import ERRORS, LoginIn, LoginOut

router = APIRouter(prefix="/api/auth", responses=ERRORS, tags=["auth"])


@router.post("/login")
def login(body: LoginIn, request: Request, hall: HallDep) -> LoginOut:
    """Exchange a user name and password for an expiring bearer token."""
    address = request.client.host if request.client else "unknown"
    session = hall.accounts.login(body.username, body.password, address)
    p = session.principal
    return LoginOut(
        token=session.token,
        role=p.role,
        name=p.name,
        window=p.window,
        expires_at=session.expires_at.isoformat(timespec="seconds"),
    )


@router.post("/logout")
def logout(request: Request, hall: HallDep, principal: Authenticated) -> dict:
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    hall.accounts.logout(token)
    return {"ok": True}


@router.get("/me")
async def me(principal: Authenticated) -> dict:
    return {"role": principal.role, "name": principal.name, "window": principal.window}
