"""Who may call the region: a hall (its ingest token) or a region user (supervisor, staff).

Tokens travel as `Authorization: Bearer …`; the region keeps only their sha256.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from onevisit.core.errors import OneVisitError
from onevisit.region.store import RegionStore
from onevisit.region.wire import HALL_CODE_HEADER, HALL_TIME_HEADER, RTT_HEADER


class NotAuthorised(OneVisitError):
    status = 401

    def __init__(self, who: str) -> None:
        super().__init__(
            "not_authorised",
            "缺少或无效的访问令牌",
            f"Missing or unknown token: this needs a {who} token (Authorization: Bearer …)",
        )


class Forbidden(OneVisitError):
    status = 403

    def __init__(self, role: str, need: tuple[str, ...]) -> None:
        super().__init__(
            "forbidden", "无此权限", f"A {role} may not do this (needs {' or '.join(need)})", role=role
        )


class WrongHall(OneVisitError):
    status = 409

    def __init__(self, token_hall: str, claimed: str) -> None:
        super().__init__(
            "token_of_another_hall",
            f"此令牌属于大厅 {token_hall}，而本大厅编号为 {claimed}：请核对 [region] token 与 [hall] code",
            f"This token is hall {token_hall}'s and this hall is {claimed}: check [region] token "
            "and [hall] code",
            token_hall=token_hall,
            hall=claimed,
        )


@dataclass(frozen=True)
class Contact:
    """The hall's clock when its request left, and the previous request's round trip."""

    hall_time: float | None
    rtt: float


def store(request: Request) -> RegionStore:
    return request.app.state.store


def _bearer(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def hall(request: Request) -> str:
    """The calling hall's code (its ingest token). Raises NotAuthorised, and WrongHall when the
    caller says it is another hall (HALL_CODE_HEADER; codes compare as the hall's schema name
    does, case-insensitively; a caller that does not say is taken at its token's word)."""
    token = _bearer(request)
    code = store(request).hall_of_token(token) if token else None
    if code is None:
        raise NotAuthorised("hall")
    claimed = request.headers.get(HALL_CODE_HEADER)
    if claimed is not None and claimed.lower() != code.lower():
        raise WrongHall(code, claimed[:40])
    return code


def user(request: Request, *roles: str) -> str:
    """The calling region user's name when their role is one of `roles`. Raises NotAuthorised,
    Forbidden."""
    token = _bearer(request)
    found = store(request).user_of_token(token) if token else None
    if found is None:
        raise NotAuthorised("region user")
    name, role = found
    if roles and role not in roles:
        raise Forbidden(role, roles)
    return name


def supervisor(request: Request) -> str:
    return user(request, "supervisor")


def staff(request: Request) -> str:
    return user(request, "supervisor", "staff")


def contact(request: Request) -> Contact:
    """The hall-clock headers; absent or garbled ones mean "not measured" (never an error)."""

    def number(name: str) -> float | None:
        try:
            value = float(request.headers.get(name, ""))
        except ValueError:
            return None
        return value if value == value and abs(value) < 1e11 else None  # NaN and nonsense out

    rtt = number(RTT_HEADER)
    return Contact(number(HALL_TIME_HEADER), min(max(rtt or 0.0, 0.0), 60.0))


StoreDep = Annotated[RegionStore, Depends(store)]
HallCaller = Annotated[str, Depends(hall)]
SupervisorCaller = Annotated[str, Depends(supervisor)]
StaffCaller = Annotated[str, Depends(staff)]
ContactDep = Annotated[Contact, Depends(contact)]
