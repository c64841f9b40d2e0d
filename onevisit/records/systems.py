"""Which records system answers: `[records] type` in config.toml chooses (docs/records.md).

`records/` cannot import the simulators, so the demo backend is built by whoever composes the
program (the commands: `onevisit.commands._records.records_from_config`) and handed in as
`demo`, a function of the config. A province adds nothing here: it runs a service that speaks
the HTTP contract and sets `type = "http"`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from onevisit.core.errors import OneVisitError
from onevisit.records.backend import RecordsBackend

log = logging.getLogger(__name__)


def open_records(config: Any, *, demo: Callable[[Any], RecordsBackend] | None = None) -> RecordsBackend:
    """The backend `config.records.type` names: "http" → HttpRecordsBackend on `records.url`;
    "demo" → `demo(config)`. Raises OneVisitError `records_not_configured` for "demo" without a
    `demo` factory, and `records_token_missing` when the http token file cannot be read."""
    kind = config.records.type
    if kind == "http":
        from onevisit.records.http_backend import HttpRecordsBackend

        log.info("records: HTTP service at %s", config.records.url)
        return HttpRecordsBackend.from_config(config)
    if demo is None:
        raise OneVisitError(
            "records_not_configured",
            "未配置社保业务系统",
            f'records.type = "{kind}" needs the demo backend, which this program does not include',
        )
    return demo(config)
