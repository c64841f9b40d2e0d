"""Every error the hall server answers is JSON with a stable code and a Chinese and English message.

{"error": {"code": "...", "message_zh": "...", "message_en": "...", "details": {...}}}
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)

_HTTP_WORDS = {
    404: ("not_found", "页面或接口不存在", "No such page or endpoint"),
    405: ("method_not_allowed", "不支持该请求方法", "This method is not allowed here"),
}


class NotFound(OneVisitError):
    """A named thing the route acts on does not exist (a board address, a kiosk)."""

    status = 404


class Conflict(OneVisitError):
    """The hall's state does not allow the action now (boards disabled, a device refused)."""

    status = 409


class BadDay(OneVisitError):
    """A `date` query that matched the pattern but is no calendar day (2026-02-30)."""

    status = 422


def error_body(code: str, zh: str, en: str, **details: object) -> dict[str, object]:
    return {"error": OneVisitError(code, zh, en, **details).to_dict()}


def _field_name(loc: tuple | list) -> str:
    # ("body", "matters", 0) -> "matters[0]"; the "body"/"query" prefix goes into `in`.
    parts = [str(p) for p in loc[1:]] if len(loc) > 1 else [str(p) for p in loc]
    name = ""
    for p in parts:
        name += f"[{p}]" if p.isdigit() else (f".{p}" if name else p)
    return name or "body"


def validation_body(exc: RequestValidationError) -> dict[str, object]:
    fields = []
    for item in exc.errors():
        loc = item.get("loc", ())
        fields.append(
            {
                "field": _field_name(loc),
                "in": str(loc[0]) if loc else "body",
                "type": item.get("type"),
                "message": item.get("msg"),
            }
        )
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    return error_body(
        "invalid_request",
        f"请求内容有误：{names}",
        f"Invalid request: {names}",
        fields=fields,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(OneVisitError)
    async def _refused(request: Request, exc: OneVisitError) -> JSONResponse:
        headers = {}
        retry = exc.details.get("retry_after") or exc.details.get("seconds_left")
        if exc.status == 429 and retry:
            headers["Retry-After"] = str(retry)
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if isinstance(detail, dict) and {"code", "message_zh", "message_en"} <= detail.keys():
            # A route that raised HTTPException with our error shape (e.g. /api/verify-cert).
            return JSONResponse({"error": detail}, status_code=exc.status_code, headers=exc.headers)
        code, zh, en = _HTTP_WORDS.get(
            exc.status_code, (f"http_{exc.status_code}", "请求无法处理", str(exc.detail or "Request refused"))
        )
        return JSONResponse(error_body(code, zh, en), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(
                "internal_error",
                "系统内部错误，请稍后重试或联系工作人员",
                "Internal error; please retry or ask staff",
            ),
            status_code=500,
        )
