"""到号提醒: notices to a citizen's phone, one interface, drivers chosen by URL (docs/notify.md)."""

from onevisit.devices.notify.base import Notice, Notifier, NotifyError
from onevisit.devices.notify.url import notifier_from_config

__all__ = ["Notice", "Notifier", "NotifyError", "notifier_from_config"]
