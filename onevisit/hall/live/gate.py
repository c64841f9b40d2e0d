"""One thread in front of the queue service.

The queue service does synchronous SQLite work. Running every call on one dedicated thread keeps the
event loop free, gives the service the single connection it was written for, and serialises
writes, so the idempotency check and the call it guards can't interleave with a twin request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

#: How long a window action's idempotency key is remembered: far longer than any double tap or retry.
IDEMPOTENCY_SECONDS = 120
IDEMPOTENCY_MAX = 4096


class ServiceGate:
    def __init__(self, factory: Callable[[], Any]) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="queue-service")
        self.service = self._executor.submit(factory).result()
        self._replies: OrderedDict[tuple[str, str], tuple[float, Any]] = OrderedDict()
        #: Called (from the service thread) after each write, so the event hub wakes at once.
        self.on_write: Callable[[], None] | None = None

    async def read(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: self._write(fn, args, kwargs))

    async def write_once(
        self, scope: str, key: str | None, fn: Callable[..., T], *args: Any, **kwargs: Any
    ) -> T:
        """Run a write unless the same (scope, key) ran recently; then return that run's result.

        A staff console sends one key per button press, so a double tap, or a retry after a timeout,
        repeats the first answer instead of calling a second citizen.
        """
        if not key:
            return await self.write(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, lambda: self._write_once((scope, key), fn, args, kwargs)
        )

    def _write(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        try:
            return fn(*args, **kwargs)
        finally:
            if self.on_write is not None:
                self.on_write()

    def _write_once(self, ident: tuple[str, str], fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        now = time.monotonic()
        while self._replies:
            oldest_key, (at, _) = next(iter(self._replies.items()))
            if now - at < IDEMPOTENCY_SECONDS and len(self._replies) <= IDEMPOTENCY_MAX:
                break
            self._replies.pop(oldest_key)
        if ident in self._replies:
            log.info("repeated request %s answered from its first run", ident)
            _, outcome = self._replies[ident]
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        try:
            result = self._write(fn, args, kwargs)
        except Exception as exc:
            self._replies[ident] = (now, exc)
            raise
        self._replies[ident] = (now, result)
        return result

    def close(self) -> None:
        def _close() -> None:
            close = getattr(self.service, "close", None)
            if close is not None:
                close()

        try:
            self._executor.submit(_close).result(timeout=5)
        finally:
            self._executor.shutdown(wait=True)
