"""What every notice driver takes and how it fails."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from onevisit.core.errors import OneVisitError
from onevisit.core.phone import mask_phone

Channel = Literal["sms", "wechat"]
NoticeKind = Literal["near", "called", "skipped"]


class NotifyError(OneVisitError):
    """The gateway did not accept a notice (down, refused, garbled answer); it is retried later."""

    status = 502

    def __init__(self, why: str) -> None:
        super().__init__(
            "notify_failed",
            "提醒发送失败，稍后重试",
            "The notice was not accepted; it will be retried",
            why=why,
        )


@dataclass(frozen=True)
class Notice:
    """One message to one citizen. `to` is the full address (mobile number or WeChat openid): it
    leaves the hall only in the request to the gateway; `masked` is what logs and files show."""

    channel: Channel
    to: str
    kind: NoticeKind
    template: str
    params: dict[str, str] = field(default_factory=dict)
    #: The citizen's ticket page, for drivers that can link (WeChat template messages).
    link: str | None = None

    @property
    def masked(self) -> str:
        return mask_phone(self.to) if self.channel == "sms" else f"{self.to[:4]}…"


class Notifier(Protocol):
    """A gateway driver. `send` returns when the gateway accepted the notice and raises NotifyError
    otherwise; it may block up to the configured timeout (callers run it off the event loop).
    `request_id` is the same on every retry of one notice, so a gateway can drop duplicates."""

    def send(self, notice: Notice, request_id: str | None = None) -> None: ...

    def close(self) -> None: ...
