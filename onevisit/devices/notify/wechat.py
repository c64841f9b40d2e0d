"""WeChat official-account template messages (模板消息) to a citizen who subscribed by QR.

The access token comes from `GET {base}/cgi-bin/token?grant_type=client_credential&appid=&secret=`
and is cached until shortly before `expires_in`; a message is `POST
{base}/cgi-bin/message/template/send?access_token=…` with `touser` (the openid), `template_id`,
`url` (the ticket page) and `data` ({name: {"value": text}}); WeChat answers `{"errcode": 0}`.
Errors 40001/42001 (token invalid or expired) drop the cached token so the retry fetches a new one.
"""

from __future__ import annotations

import logging
import time

import httpx

from onevisit.devices.notify.base import Notice, NotifyError

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}


class WeChatNotifier:
    def __init__(self, base: str, app_id: str, app_secret: str, timeout: float = 5.0) -> None:
        self.base = base.rstrip("/")
        self.app_id = app_id
        self.app_secret = app_secret
        self.client = httpx.Client(timeout=timeout)
        self._token: str | None = None
        self._token_until = 0.0

    def _access_token(self) -> str:
        if self._token and time.monotonic() < self._token_until:
            return self._token
        try:
            answer = self.client.get(
                f"{self.base}/cgi-bin/token",
                params={"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret},
            ).json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NotifyError(f"token: {type(exc).__name__}") from None
        if not isinstance(answer, dict) or "access_token" not in answer:
            raise NotifyError(f"token refused: {answer.get('errcode') if isinstance(answer, dict) else '?'}")
        self._token = str(answer["access_token"])
        # Renew five minutes early: a token that expires mid-send costs a failed notice.
        self._token_until = time.monotonic() + max(60, int(answer.get("expires_in", 7200)) - 300)
        return self._token

    def send(self, notice: Notice, request_id: str | None = None) -> None:
        body = {
            "touser": notice.to,
            "template_id": notice.template,
            "url": notice.link or "",
            "data": {key: {"value": value} for key, value in notice.params.items()},
        }
        try:
            response = self.client.post(
                f"{self.base}/cgi-bin/message/template/send",
                params={"access_token": self._access_token()},
                json=body,
            )
            answer = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise NotifyError(f"send: {type(exc).__name__}") from None
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        if errcode in TOKEN_ERRORS:
            self._token = None
        if errcode != 0:
            raise NotifyError(f"WeChat errcode {errcode}")
        log.info("notice %s to WeChat user %s accepted", notice.kind, notice.masked)

    def close(self) -> None:
        self.client.close()
