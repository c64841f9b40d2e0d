"""`onevisit ship`: send this hall's rows to the region, outbound only, when the link is up.

One round (`Shipper.ship_once`):
1. GET /api/ingest/mark?epoch=E: the region's live incarnation for this hall database and, per
   stream, the highest id it holds without a gap and the digest of that row.
2. Restore check: the hall's own row at each mark must exist and have the same digest; otherwise
   the database was restored (by a file copy that kept the epoch) and the region is asked to
   supersede that incarnation; the next mark names a fresh one and shipping restarts from id 1.
   A live incarnation of an older epoch whose first event equals ours is the database this one was
   restored from (`onevisit backup` copies take a new epoch): it is superseded as well.
3. Rows above the marks, `batch_size` per POST /api/ingest/batch (one transaction at the region,
   ON CONFLICT DO NOTHING), until none is left.
4. Central bookings: pulled and kept in the hall (bookings.py), check-ins sent back.

No cursor is kept here: the region's mark is the only progress, so a shipper killed at any point,
or two of them, or a repeated batch, change no count. While the region cannot be reached the
loop waits with exponential backoff and jitter (on an injected waiter: tests never sleep). Every
request carries the hall's wall clock; the region measures the difference, and above
`[region] skew_alarm_seconds` this logs a warning. Order never comes from clocks: only ids.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from onevisit.core.clock import Clock
from onevisit.core.config import Config, ConfigError
from onevisit.core.errors import OneVisitError
from onevisit.region.source import HallSource
from onevisit.region.wire import (
    HALL_CODE_HEADER,
    HALL_TIME_HEADER,
    RTT_HEADER,
    STREAMS,
    personal_data_in,
    row_digest,
)

log = logging.getLogger(__name__)

#: A waiter pauses the loop: wait(seconds) -> True when the shipper should stop.
Waiter = Callable[[float], bool]


class RegionUnreachable(OneVisitError):
    status = 503

    def __init__(self, url: str, why: str) -> None:
        super().__init__(
            "region_unreachable",
            f"无法连接市级平台 {url}，数据仍保存在本大厅，稍后自动重发",
            f"Cannot reach the region at {url} ({why}); everything stays in the hall and is sent later",
            url=url,
        )


class RegionRefused(OneVisitError):
    """The region answered with an error the shipper cannot fix by retrying (a bad token)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        self.status = status
        super().__init__(
            str(error.get("code", f"http_{status}")),
            str(error.get("message_zh", "市级平台拒绝了请求")),
            str(error.get("message_en", f"The region refused the request (HTTP {status})")),
        )


class NotARegion(RegionRefused):
    """The URL answers, but has no ingest API: a hall server's address, a path too many, another
    service. Retrying cannot help; the technician must correct the URL."""

    def __init__(self, url: str, path: str) -> None:
        OneVisitError.__init__(
            self,
            "not_a_region",
            f"{url} 不是市级平台的地址（没有 {path}），请核对 --region 或 [region] url",
            f"{url} is not a OneVisit region (no {path} there): check --region or [region] url",
            url=url,
        )
        self.status = 404


class HallNotReady(OneVisitError):
    """The hall database has no epoch yet: new, or restored from a backup and not yet opened by
    the hall server (which gives it its new epoch, onevisit/db/epoch.py)."""

    def __init__(self) -> None:
        super().__init__(
            "hall_not_ready",
            "本大厅数据库尚未启用（新建或刚从备份恢复），请先启动大厅服务 onevisit hall，再发送",
            "The hall database has no epoch yet (new, or just restored from a backup): start "
            "`onevisit hall` once, then ship",
        )


class PersonalDataRefused(OneVisitError):
    def __init__(self, stream: str, row_id: int, column: str) -> None:
        super().__init__(
            "personal_data_in_row",
            "待发送的数据中含有完整身份证号或手机号，已停止发送，请联系技术人员",
            f"{stream} row {row_id} holds what looks like a full ID or phone number in {column}: not sent",
            stream=stream,
            id=row_id,
            column=column,
        )


def hall_token(config: Config) -> str | None:
    """This hall's region token: `[region] token`, or what `token_file` holds, or None. Raises
    ConfigError naming the file when it cannot be read."""
    if config.region.token:
        return config.region.token
    if not config.region.token_file:
        return None
    path = config.path(config.region.token_file)
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"region.token_file: cannot read {path} ({type(exc).__name__})") from None


class RegionClient:
    """The region's ingest API over httpx, with the hall's clock on every request."""

    def __init__(
        self,
        url: str,
        token: str,
        hall_clock: Clock,
        *,
        timeout: float = 10.0,
        transport: Any = None,
        hall_code: str | None = None,
    ) -> None:
        """hall_code: this hall's `[hall] code`, sent so the region refuses it when the token is
        another hall's (`token_of_another_hall`)."""
        self.url = url.rstrip("/")
        self.hall_clock = hall_clock
        self.last_rtt = 0.0
        headers = {"Authorization": f"Bearer {token}"}
        if hall_code:
            headers[HALL_CODE_HEADER] = hall_code
        self._http = httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=timeout,
            transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        headers = {
            HALL_TIME_HEADER: f"{self.hall_clock.now().timestamp():.3f}",
            RTT_HEADER: f"{self.last_rtt:.4f}",
        }
        started = time.monotonic()
        try:
            response = self._http.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise RegionUnreachable(self.url, type(exc).__name__) from None
        self.last_rtt = time.monotonic() - started
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500 or response.status_code in (502, 503, 504):
            raise RegionUnreachable(self.url, f"HTTP {response.status_code}")
        error = body.get("error") if isinstance(body, dict) else None
        if response.status_code == 404 and (not isinstance(error, dict) or error.get("code") == "not_found"):
            # no such route (not one of ours, such as an unknown booking): the URL is wrong
            raise NotARegion(self.url, path)
        if response.status_code >= 400:
            raise RegionRefused(response.status_code, body if isinstance(body, dict) else {})
        return body if isinstance(body, dict) else {"items": body}

    def mark(self, epoch: str) -> dict[str, Any]:
        return self.request("GET", "/api/ingest/mark", params={"epoch": epoch})

    def batch(self, incarnation: str, rows: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
        return self.request("POST", "/api/ingest/batch", json={"incarnation": incarnation, "rows": rows})

    def supersede(self, incarnation: str, reason: str) -> dict[str, Any]:
        return self.request(
            "POST", "/api/ingest/supersede", json={"incarnation": incarnation, "reason": reason}
        )


@dataclass
class ShipReport:
    """What one round did."""

    incarnation: str | None = None
    sent: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STREAMS})
    inserted: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STREAMS})
    batches: int = 0
    superseded: list[str] = field(default_factory=list)
    clock_skew_s: float | None = None
    bookings: dict[str, int] = field(default_factory=dict)
    ready: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "incarnation": self.incarnation,
            "sent": self.sent,
            "inserted": self.inserted,
            "batches": self.batches,
            "superseded": self.superseded,
            "clock_skew_s": self.clock_skew_s,
            "bookings": self.bookings,
            "ready": self.ready,
        }


class Shipper:
    """Ships one hall database to the region. `bookings` (a bookings.BookingSync, optional) pulls
    central bookings and sends check-ins at the end of each round."""

    def __init__(
        self,
        source: HallSource,
        client: RegionClient,
        *,
        batch_size: int = 500,
        skew_alarm_seconds: float = 120.0,
        bookings: Any = None,
    ) -> None:
        self.source = source
        self.client = client
        self.batch_size = batch_size
        self.skew_alarm_seconds = skew_alarm_seconds
        self.bookings = bookings

    # -- one round -------------------------------------------------------------------------------
    def ship_once(self) -> ShipReport:
        """Send everything pending, then sync bookings. Raises RegionUnreachable or RegionRefused."""
        report = ShipReport()
        epoch = self.source.epoch()
        if epoch is None:
            report.ready = False
            return report
        for _ in range(4):  # each supersede names a new incarnation; a fourth would be a loop
            mark = self.client.mark(epoch)
            report.clock_skew_s = mark.get("clock_skew_s")
            self._check_skew(report.clock_skew_s)
            stale = self._restored(mark)
            if stale is None:
                break
            self.client.supersede(mark["incarnation"], stale)
            report.superseded.append(mark["incarnation"])
        else:
            raise RegionRefused(409, {"error": {"code": "supersede_loop"}})
        incarnation = str(mark["incarnation"])
        report.incarnation = incarnation
        for previous in mark.get("previous", []):
            if self._descends_from(previous):
                reason = f"restored as incarnation {incarnation} (its first event is this one's)"
                self.client.supersede(previous["incarnation"], reason)
                report.superseded.append(previous["incarnation"])
        after = {s: int(mark["streams"][s]["id"]) for s in STREAMS}
        while True:
            rows = self._next_batch(after)
            if not any(rows.values()):
                break
            answer = self.client.batch(incarnation, rows)
            report.batches += 1
            for stream, batch in rows.items():
                report.sent[stream] += len(batch)
                report.inserted[stream] += int(answer.get("inserted", {}).get(stream, 0))
                if batch:
                    after[stream] = int(batch[-1]["id"])
            report.clock_skew_s = answer.get("clock_skew_s", report.clock_skew_s)
        if self.bookings is not None:
            report.bookings = self.bookings.sync(self.client)
        return report

    def _check_skew(self, skew: float | None) -> None:
        if skew is not None and abs(float(skew)) > self.skew_alarm_seconds:
            log.warning(
                "hall clock differs from the region's by %.0f s (limit %.0f s): check the hall's time sync",
                -float(skew),
                self.skew_alarm_seconds,
            )

    def _restored(self, mark: dict[str, Any]) -> str | None:
        """Why the region's incarnation is not this database (a restore), or None."""
        for stream in STREAMS:
            held = mark["streams"][stream]
            if not held["id"]:
                continue
            mine = self.source.row(stream, int(held["id"]))
            if mine is None:
                top = self.source.max_id(stream)
                return f"{stream}: the region holds id {held['id']}, the hall database ends at {top}"
            if row_digest(stream, mine) != held["digest"]:
                return f"{stream}: id {held['id']} differs between the hall and the region"
        return None

    def _descends_from(self, previous: dict[str, Any]) -> bool:
        first = self.source.row("events", 1)
        return bool(
            first and previous.get("first_digest") and row_digest("events", first) == previous["first_digest"]
        )

    def _next_batch(self, after: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
        budget = self.batch_size
        rows: dict[str, list[dict[str, Any]]] = {}
        for stream in STREAMS:
            rows[stream] = self.source.rows_above(stream, after[stream], budget)
            budget -= len(rows[stream])
            for row in rows[stream]:
                column = personal_data_in(row)
                if column is not None:
                    raise PersonalDataRefused(stream, int(row["id"]), column)
        return rows

    # -- the loop --------------------------------------------------------------------------------
    def run(
        self,
        wait: Waiter,
        *,
        poll_seconds: float = 5.0,
        backoff_max_seconds: float = 300.0,
        rng: random.Random | None = None,
        on_round: Callable[[ShipReport | None, OneVisitError | None], None] | None = None,
    ) -> None:
        """Ship until `wait` says stop: `poll_seconds` between rounds; while the region is
        unreachable, exponential backoff from `poll_seconds` up to `backoff_max_seconds` with ±25 %
        jitter (so halls coming back from one outage do not all knock at once)."""
        rng = rng or random.Random()
        failures = 0
        while True:
            try:
                report = self.ship_once()
            except RegionUnreachable as exc:
                failures += 1
                delay = min(backoff_max_seconds, poll_seconds * 2 ** min(failures - 1, 30))
                delay *= rng.uniform(0.75, 1.25)
                log.info("region unreachable (%s); next try in %.1f s", exc.en, delay)
                if on_round:
                    on_round(None, exc)
                if wait(delay):
                    return
                continue
            except RegionRefused as exc:
                if on_round:
                    on_round(None, exc)
                # superseded while sending (another shipper of this hall found a restore): the next
                # round asks for the new mark; anything else (a bad token) needs a person
                retry = exc.code == "incarnation_superseded"
                (log.info if retry else log.error)("the region refused: %s", exc)
                if wait(poll_seconds if retry else backoff_max_seconds):
                    return
                continue
            failures = 0
            if on_round:
                on_round(report, None)
            if wait(poll_seconds):
                return


def stop_waiter(stop: threading.Event) -> Waiter:
    """The real waiter: sleeps on an event, so a stop request ends the wait at once."""
    return stop.wait
