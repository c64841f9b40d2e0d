"""The notice driver named by config.notify.url (its scheme picks the implementation)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from onevisit.core.config import Config
from onevisit.devices.notify.base import Notifier
from onevisit.devices.notify.logfile import FileNotifier, LogNotifier
from onevisit.devices.notify.sms_http import HttpSmsNotifier
from onevisit.devices.notify.wechat import WeChatNotifier


def _read_secret(config: Config, value: str | None, file: str | None) -> str:
    if value:
        return value
    return config.path(file or "").read_text(encoding="utf-8").strip()


def notifier_from_config(config: Config) -> Notifier | None:
    """The configured driver, or None when notices are off (`url = "none"`)."""
    notify = config.notify
    url = notify.url
    if url == "none":
        return None
    if url.startswith("log"):
        return LogNotifier()
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileNotifier(
            config.path(parts.path) if not Path(parts.path).is_absolute() else Path(parts.path)
        )
    transport = parts.scheme.split("+", 1)[1]
    base = f"{transport}://{parts.netloc}{parts.path}"
    if parts.scheme.startswith("sms+"):
        secret = _read_secret(config, notify.secret, notify.secret_file)
        return HttpSmsNotifier(base, secret, notify.sign_name, notify.timeout_seconds)
    secret = _read_secret(config, None, notify.wechat_secret_file)
    return WeChatNotifier(base, notify.wechat_app_id or "", secret, notify.timeout_seconds)
