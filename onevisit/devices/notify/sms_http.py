"""A generic HTTP SMS gateway: the JSON most Chinese SMS platforms take.

POST {url} with a JSON body: `phone_numbers` (list of 11-digit numbers), `sign_name` (签名),
`template_id`, `template_params` (string values), `request_id` (idempotency: a retry sends the
same id), `timestamp` (Unix seconds). Signed with HMAC-SHA256 over `timestamp + "\\n" + body`
using the shared secret, hex in the `X-Signature` header, the timestamp in `X-Timestamp` (the
scheme of Aliyun/Tencent-style gateways, simplified to one shared secret). The gateway answers
200 with `{"code": "OK"}` when it accepted the message; anything else is a failure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import httpx

from onevisit.devices.notify.base import Notice, NotifyError

log = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "\\n" + body`: what the gateway recomputes to trust a request."""
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


class HttpSmsNotifier:
    def __init__(self, url: str, secret: str, sign_name: str, timeout: float = 5.0) -> None:
        self.url = url
        self.secret = secret
        self.sign_name = sign_name
        self.client = httpx.Client(timeout=timeout)

    def send(self, notice: Notice, request_id: str | None = None) -> None:
        timestamp = str(int(time.time()))
        body = json.dumps(
            {
                "phone_numbers": [notice.to],
                "sign_name": self.sign_name,
                "template_id": notice.template,
                "template_params": notice.params,
                "request_id": request_id or "",
                "timestamp": int(timestamp),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Timestamp": timestamp,
            "X-Signature": sign(self.secret, timestamp, body),
        }
        try:
            response = self.client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise NotifyError(f"gateway unreachable: {type(exc).__name__}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code != 200 or not isinstance(answer, dict) or answer.get("code") != "OK":
            code = answer.get("code") if isinstance(answer, dict) else None
            raise NotifyError(f"gateway answered {response.status_code} {code or ''}".strip())
        log.info("notice %s to %s accepted by the SMS gateway", notice.kind, notice.masked)

    def close(self) -> None:
        self.client.close()
