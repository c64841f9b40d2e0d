"""`onevisit sms-gateway-sim`: an SMS gateway (and WeChat's template-message API) that accepts what
our notice drivers send, checks it, and writes what it received.

- POST /sms: the generic HTTP SMS gateway of onevisit/devices/notify/sms_http.py. The HMAC-SHA256
  signature over `X-Timestamp + "\\n" + body` must match the shared secret, else 401
  {"code": "SIGNATURE_INVALID"} (logged); a body without phone_numbers/template_id is 400.
- GET /cgi-bin/token and POST /cgi-bin/message/template/send: WeChat's two calls, as the WeChat
  driver makes them (token checked, errcode 0 on success).
- POST /control {"mode": "ok" | "fail" | "delay", "delay_seconds": S}: fail answers 503
  {"code": "SERVICE_UNAVAILABLE"}; delay waits S seconds before answering.
- GET /messages[?wait_for=N&timeout=S]: what was accepted, as stored (waiting for N messages).

Each accepted message is one JSON line in DIR/messages.jsonl: `to` masked (138****1234),
`template`, `params`, `channel`, `request_id`, and `duplicate: true` when the request id was seen
before (our driver resends the same id on retry; a test can count duplicates).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import secrets
import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from onevisit.core.phone import mask_phone
from onevisit.devices.notify.sms_http import sign

log = logging.getLogger(__name__)


class GatewayState:
    def __init__(self, out_dir: Path, secret: str, app_id: str, app_secret: str) -> None:
        self.out = out_dir / "messages.jsonl"
        out_dir.mkdir(parents=True, exist_ok=True)
        self.secret = secret
        self.app_id = app_id
        self.app_secret = app_secret
        self.mode = "ok"
        self.delay_seconds = 0.0
        self.tokens: set[str] = set()
        self.seen: set[str] = set()
        self.messages: list[dict[str, Any]] = []
        self.refused = 0
        #: Requests the gateway is answering right now (a test sees a slow gateway holding one).
        self.in_flight = 0
        self.holding = threading.Event()
        self._lock = threading.Lock()
        #: Set after each accepted message (tests wait on it instead of sleeping).
        self.received = threading.Condition(self._lock)

    def record(self, line: dict[str, Any]) -> None:
        with self._lock:
            key = line.get("request_id") or ""
            if key and key in self.seen:
                line["duplicate"] = True
            self.seen.add(key)
            self.messages.append(line)
            with self.out.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.received.notify_all()

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until `count` messages were accepted (or timeout); True when they were."""
        with self._lock:
            return self.received.wait_for(lambda: len(self.messages) >= count, timeout)


def create_gateway_app(
    out_dir: Path, secret: str, *, app_id: str = "wx-demo", app_secret: str = "wechat-demo-secret"
) -> FastAPI:
    app = FastAPI(title="OneVisit SMS gateway simulator", docs_url=None, redoc_url=None)
    state = GatewayState(out_dir, secret, app_id, app_secret)
    app.state.gateway = state

    async def gate() -> JSONResponse | None:
        if state.mode == "delay" and state.delay_seconds > 0:
            state.in_flight += 1
            state.holding.set()
            try:
                await asyncio.sleep(state.delay_seconds)  # the simulated gateway is slow, on purpose
            finally:
                state.in_flight -= 1
        if state.mode == "fail":
            return JSONResponse({"code": "SERVICE_UNAVAILABLE"}, status_code=503)
        return None

    @app.post("/sms")
    async def sms(request: Request) -> JSONResponse:
        body = await request.body()
        timestamp = request.headers.get("x-timestamp", "")
        signature = request.headers.get("x-signature", "")
        if not hmac.compare_digest(sign(state.secret, timestamp, body), signature):
            state.refused += 1
            log.warning("refused a request with a bad signature")
            return JSONResponse({"code": "SIGNATURE_INVALID"}, status_code=401)
        try:
            data = json.loads(body)
            phones = [str(p) for p in data["phone_numbers"]]
            template = str(data["template_id"])
            params = {str(k): str(v) for k, v in dict(data.get("template_params") or {}).items()}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"code": "BAD_REQUEST"}, status_code=400)
        refused = await gate()
        if refused is not None:
            return refused
        for phone in phones:
            state.record(
                {
                    "channel": "sms",
                    "to": mask_phone(phone),
                    "template": template,
                    "params": params,
                    "sign_name": data.get("sign_name"),
                    "request_id": data.get("request_id"),
                }
            )
        return JSONResponse({"code": "OK", "biz_id": secrets.token_hex(8)})

    @app.get("/cgi-bin/token")
    async def token(appid: str = "", secret: str = "", grant_type: str = "") -> JSONResponse:
        if grant_type != "client_credential" or appid != state.app_id or secret != state.app_secret:
            return JSONResponse({"errcode": 40125, "errmsg": "invalid appsecret"})
        value = secrets.token_urlsafe(24)
        state.tokens.add(value)
        return JSONResponse({"access_token": value, "expires_in": 7200})

    @app.post("/cgi-bin/message/template/send")
    async def template_send(request: Request, access_token: str = "") -> JSONResponse:
        if access_token not in state.tokens:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        refused = await gate()
        if refused is not None:
            return refused
        try:
            data = await request.json()
            openid = str(data["touser"])
            params = {str(k): str(v["value"]) for k, v in dict(data.get("data") or {}).items()}
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
        state.record(
            {
                "channel": "wechat",
                "to": f"{openid[:4]}…",
                "template": str(data.get("template_id")),
                "params": params,
                "link": data.get("url"),
                "request_id": None,
            }
        )
        return JSONResponse({"errcode": 0, "errmsg": "ok", "msgid": secrets.randbelow(10**12)})

    @app.post("/control")
    async def control(request: Request) -> dict[str, Any]:
        data = await request.json()
        mode = data.get("mode", "ok")
        if mode not in ("ok", "fail", "delay"):
            return JSONResponse({"code": "BAD_MODE"}, status_code=400)  # type: ignore[return-value]
        state.mode = mode
        state.delay_seconds = float(data.get("delay_seconds", 0))
        return {"mode": state.mode, "delay_seconds": state.delay_seconds}

    @app.get("/messages")
    async def messages(wait_for: int = 0, timeout: float = 10.0) -> list[dict[str, Any]]:
        """What was accepted; with `wait_for=N` the answer waits (up to `timeout` s) for N messages."""
        if wait_for > 0:
            await asyncio.to_thread(state.wait_for, wait_for, min(timeout, 60.0))
        return list(state.messages)

    return app
