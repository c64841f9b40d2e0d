"""`onevisit doctor`: is this machine fit to serve citizens? One check per line, each with its fix.

Runs on a kiosk or on the hall server. Each check answers ok, warn (works, needs attention), fail
(broken) or skip (not on this machine), and says whether citizens depend on it: the exit status
is non-zero when any check a citizen depends on fails, so a service manager or a technician's
script can act on it.

Checks: config, database, disk space, fonts, printer, boards, camera, card reader, hall server.
Device URLs come from config.toml unless given on the command line.
"""

from __future__ import annotations

import concurrent.futures
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from onevisit.core.config import Config, ConfigError, load_config
from onevisit.db import Database, describe, is_postgres, migrate

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass
class Check:
    name: str
    status: Status
    summary: str
    fix: str = ""
    #: A citizen depends on it: a failure makes `doctor` exit non-zero.
    critical: bool = True
    seconds: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)

    def line(self, width: int = 12) -> str:
        mark = {"ok": "[ OK ]", "warn": "[WARN]", "fail": "[FAIL]", "skip": "[SKIP]"}[self.status]
        text = f"{mark} {self.name:<{width}} {self.summary}"
        if self.fix and self.status in ("warn", "fail"):
            text += f"\n{'':>{7 + width}} fix: {self.fix}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Options:
    config_path: str | None = None
    db: str | None = None
    printer: str | None = None
    boards: str | None = None
    camera: str | None = None
    card_reader: str | None = None
    hall: str | None = None
    token_file: str | None = None
    timeout: float = 5.0


class Doctor:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.config: Config | None = None

    def run(self) -> list[Check]:
        checks = [self._timed(self.check_config)]
        for check in (
            self.check_database,
            self.check_disk,
            self.check_fonts,
            self.check_public_url,
            self.check_printer,
            self.check_documents,
            self.check_boards,
            self.check_camera,
            self.check_card_reader,
            self.check_hall,
        ):
            checks.append(self._timed(check))
        return checks

    def _timed(self, fn: Callable[[], Check]) -> Check:
        started = time.monotonic()
        name = fn.__name__.removeprefix("check_").replace("_", " ").replace("hall", "hall server")
        if fn.__name__ != "check_config" and self.config is None:
            return Check(name, "skip", "needs a valid config", critical=False)
        try:
            check = fn()
        except Exception as exc:  # a check that crashes is itself a finding, not the end of doctor
            log.exception("check %s crashed", name)
            check = Check(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}")
        check.seconds = round(time.monotonic() - started, 3)
        return check

    # -- config, database, disk, fonts ------------------------------------------------------------
    def check_config(self) -> Check:
        from onevisit.core.config import DEFAULT_CONFIG

        path = Path(self.options.config_path) if self.options.config_path else DEFAULT_CONFIG
        try:
            self.config = load_config(path)
        except ConfigError as exc:
            head, *problems = str(exc).splitlines()
            return Check(
                "config",
                "fail",
                head + " " + "; ".join(line.strip() for line in problems),
                fix=f"edit {path}: each problem names its key path (compare with the repository's config.toml)",
                detail={"error": str(exc)},
            )
        c = self.config
        return Check(
            "config",
            "ok",
            f"{path} valid: {len(c.windows)} windows, {len(c.matters)} matters, {len(c.boards.boards)} boards",
            detail={"path": str(path)},
        )

    def _db_target(self) -> str:
        assert self.config is not None
        return str(self.options.db) if self.options.db else self.config.database_target

    def _data_folder(self) -> Path:
        """Where the hall's files live: the SQLite file's folder (for PostgreSQL, the install's)."""
        assert self.config is not None
        target = self._db_target()
        return self.config.path(".") if is_postgres(target) else Path(target).parent

    def check_database(self) -> Check:
        """The hall database opens, is at this code's schema, takes and gives back the hall's write
        lock (BEGIN IMMEDIATE / the advisory lock), and on SQLite passes quick_check in WAL mode."""
        assert self.config is not None
        target = self._db_target()
        where = describe(target)
        if not is_postgres(target) and not Path(target).exists():
            return Check(
                "database",
                "skip",
                f"no hall database at {where} (normal on a kiosk; the hall server makes it at first start)",
                critical=False,
            )
        fix_open = (
            "check the server, the URL and the password"
            if is_postgres(target)
            else "check the file's owner and rights"
        )
        try:
            db = Database(target, hall_code=self.config.hall.code)
        except (SQLAlchemyError, ValueError) as exc:
            return Check("database", "fail", f"{where}: cannot open: {exc}", fix=fix_open)
        try:
            if not migrate.exists(db):
                return Check(
                    "database",
                    "skip",
                    f"no hall {self.config.hall.code} in {where} ({db.schema}; normal on a kiosk; "
                    "the hall server makes it at first start)",
                    critical=False,
                )
            current, head = migrate.status(db)
            with db.reading() as tx:
                tables = len(inspect(tx.conn).get_table_names())
                quick = "ok" if db.postgres else str(tx.scalar("PRAGMA quick_check"))
                mode = "postgresql" if db.postgres else str(tx.scalar("PRAGMA journal_mode"))
            # The write lock taken and given back: writable, and not stuck behind another writer.
            with db.transaction() as tx:
                tx.scalar("SELECT 1")
        except SQLAlchemyError as exc:
            return Check(
                "database",
                "fail",
                f"{where}: {str(exc).splitlines()[0]}",
                fix="if it is locked, find the process holding it; if damaged, restore the last backup",
            )
        finally:
            db.dispose()
        if quick != "ok":
            return Check(
                "database",
                "fail",
                f"{where}: integrity check says {quick}",
                fix="stop the hall server and restore the last backup (`onevisit queue verify` shows what differs)",
            )
        if current != head:
            return Check(
                "database",
                "fail",
                f"{where}: schema {current or 'from before migrations'}, this OneVisit needs {head}",
                fix=f"back it up, then run `onevisit db upgrade --db {where}`",
                detail={"target": where, "schema": current, "head": head},
            )
        status: Status = "ok" if mode.lower() in ("wal", "postgresql") else "warn"
        return Check(
            "database",
            status,
            f"{where}: {tables} tables, schema {head}, integrity ok, journal {mode}, writable",
            fix="" if status == "ok" else "start the hall server once: it switches the database to WAL",
            detail={"path": where, "journal_mode": mode, "schema": current},
        )

    def check_disk(self) -> Check:
        assert self.config is not None
        folder = self._data_folder()
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        usage = shutil.disk_usage(folder)
        free_mb = usage.free // (1024 * 1024)
        warn_mb = self.config.maintenance.disk_warn_mb
        summary = f"{free_mb:,} MB free of {usage.total // (1024 * 1024):,} MB on {folder}"
        detail = {"free_mb": free_mb, "path": str(folder)}
        if free_mb < warn_mb // 10:
            return Check(
                "disk",
                "fail",
                summary,
                fix="free space now: old logs in var/logs, old printer jobs, the audit folder",
                detail=detail,
            )
        if free_mb < warn_mb:
            return Check(
                "disk", "warn", summary, fix=f"free space soon (warns under {warn_mb} MB)", detail=detail
            )
        return Check("disk", "ok", summary, detail=detail)

    def check_fonts(self) -> Check:
        from PIL import ImageFont

        from onevisit.core.fonts import FontMissing, cjk_font_path

        assert self.config is not None
        try:
            path = cjk_font_path(self.config.printer.font)
        except FontMissing as exc:
            return Check("fonts", "fail", str(exc), fix="bash scripts/setup.sh (installs fonts-wqy-microhei)")
        font = ImageFont.truetype(str(path), 32)
        # A font without the glyph draws its "missing" box: the same mask as a private-use character.
        missing = font.getmask("\ue000").getbbox()
        lacking = [ch for ch in "一号到底社保证明" if font.getmask(ch).getbbox() in (None, missing)]
        if lacking:
            return Check(
                "fonts",
                "fail",
                f"{path} has no glyph for {''.join(lacking)}",
                fix="install fonts-wqy-microhei or set [printer] font to a Simplified-Chinese font",
            )
        from onevisit.core.fonts import font_chain, missing_glyphs

        chain = [str(p) for p in font_chain(self.config.printer.font)]
        # One character of CJK Extension A and one of B: names such as 孙䶮 need the fallbacks.
        lacking = missing_glyphs("\u4dae\U0002003e", self.config.printer.font)
        if lacking:
            return Check(
                "fonts",
                "warn",
                f"{path} draws Chinese, but no font draws CJK Extension A/B: certificates for rare names are refused",
                fix="install fonts-hanazono (scripts/setup.sh does)",
                detail={"path": str(path), "chain": chain},
            )
        return Check(
            "fonts",
            "ok",
            f"{path} draws Chinese; {len(chain) - 1} fallback(s) for rare characters",
            detail={"path": str(path), "chain": chain},
        )

    def check_public_url(self) -> Check:
        assert self.config is not None
        problem = self.config.hall.public_url_problem
        if problem:
            return Check(
                "public url",
                "fail",
                f"{problem}: certificates' QR and text would carry it, so kiosks refuse certificates",
                fix='set [hall] public_url to the address phones and banks reach, e.g. "https://hall.example.gov.cn"',
            )
        return Check("public url", "ok", f"{self.config.hall.public_url} on tickets and certificates")

    # -- devices ----------------------------------------------------------------------------------
    def check_documents(self) -> Check:
        """The A4 printer's IPP state and reasons (printer-state, printer-state-reasons)."""
        from onevisit.devices.documents import open_document_printer

        assert self.config is not None
        url = self.config.documents.printer
        printer = open_document_printer(url)
        if printer is None:
            return Check(
                "documents", "skip", "no A4 printer: certificates on the receipt roll", critical=False
            )
        health = printer.printer_status()
        detail = health.to_dict()
        fix = "see the A4 printer's panel; CUPS: lpstat -l -p, cupsenable/cupsaccept QUEUE"
        if health.errors:
            return Check("documents", "fail", f"{url}: {health.summary()}", fix=fix, detail=detail)
        if health.warnings:
            return Check("documents", "warn", f"{url}: {health.summary()}", fix=fix, detail=detail)
        return Check("documents", "ok", f"{url}: {health.summary()}", detail=detail)

    def check_printer(self) -> Check:
        from onevisit.devices.printer import Printer, PrinterError

        assert self.config is not None
        url = self.options.printer or self.config.printer.url
        if not url or url == "none":
            return Check("printer", "skip", "no printer configured", critical=False)
        try:
            printer = Printer(self.config.printer, url=url)
        except PrinterError as exc:
            return Check(
                "printer", "fail", f"{url}: {exc.en}", fix="fix [printer] url (see docs/printing.md)"
            )
        status = printer.status()
        detail = status.to_dict()
        if not status.queried:
            return Check(
                "printer",
                "ok",
                f"{url}: jobs are written without a status check ({status.detail})",
                detail=detail,
            )
        messages = status.messages()
        if status.fault:
            assert messages is not None
            return Check(
                "printer",
                "fail",
                f"{url}: {status.fault} ({status.detail or messages[1]})",
                fix=messages[2],
                detail=detail,
            )
        if status.warning:
            assert messages is not None
            return Check("printer", "warn", f"{url}: ready, {status.warning}", fix=messages[2], detail=detail)
        return Check("printer", "ok", f"{url}: ready, paper {status.paper}", detail=detail)

    def check_boards(self) -> Check:
        assert self.config is not None
        if not self.config.boards.enabled and not self.options.boards:
            return Check("boards", "skip", "boards disabled in config", critical=False)
        if not self.config.boards.boards:
            return Check("boards", "skip", "no boards configured", critical=False)
        if not self.options.boards:
            # The hall server owns the serial port: a second opener would steal its replies.
            # Ask the hall server when it runs; open the port only when nobody holds it.
            answer = self._hall_get("/api/maintenance/status")
            if answer is not None and answer.get("boards", {}).get("connected") is not None:
                return self._boards_from_hall(answer["boards"])
        return self._ping_boards()

    def _boards_from_hall(self, boards: dict[str, Any]) -> Check:
        offline = [b["address"] for b in boards.get("boards", []) if b.get("state") in ("offline", "error")]
        unknown = [b["address"] for b in boards.get("boards", []) if b.get("state") == "unknown"]
        total = len(boards.get("boards", []))
        detail = {"source": "hall server", **boards}
        if not boards.get("connected"):
            return Check(
                "boards",
                "fail",
                "the hall server's board link is down",
                fix="check the USB-RS485 adapter and [boards] port; the boards get their texts back by themselves",
                detail=detail,
            )
        if offline:
            return Check(
                "boards",
                "fail",
                f"link up; board(s) {', '.join(map(str, offline))} offline (of {total}) — as the hall server sees it",
                fix="check those boards' power, RS-485 wiring and address; then /maintenance → Resend all boards",
                detail=detail,
            )
        extra = f", {len(unknown)} not yet sent anything" if unknown else ""
        return Check(
            "boards",
            "ok",
            f"link up; {total - len(unknown)} of {total} boards answer{extra} (hall server)",
            detail=detail,
        )

    def _ping_boards(self) -> Check:
        import concurrent.futures as cf

        from onevisit.devices.boards.setup import board_specs, bus_from_config

        assert self.config is not None
        bus = bus_from_config(self.config, port=self.options.boards)
        port = bus.port_url
        bus.reconnect_max = 0.5
        bus.start()
        try:
            if (
                not bus.wait_for(lambda b: b.connected or b.last_port_error is not None, timeout=3.0)
                or not bus.connected
            ):
                return Check(
                    "boards",
                    "fail",
                    f"{port}: cannot open ({bus.last_port_error or 'no answer'})",
                    fix="plug in the USB-RS485 adapter or fix [boards] port (`onevisit board-emulator` for a simulator)",
                )
            futures = {spec.address: bus.ping(spec.address) for spec in board_specs(self.config)}
            budget = (bus.retries + 1) * bus.timeout * len(futures) + 2.0
            answered = {}
            for address, future in futures.items():
                try:
                    answered[address] = future.result(timeout=budget)
                except cf.TimeoutError:
                    answered[address] = False
        finally:
            bus.stop()
        dead = [a for a, ok in answered.items() if not ok]
        detail = {"port": port, "answered": {str(a): ok for a, ok in answered.items()}}
        if dead:
            return Check(
                "boards",
                "fail",
                f"{port}: board(s) {', '.join(map(str, dead))} do not answer (of {len(answered)})",
                fix="check those boards' power, RS-485 wiring and address switches",
                detail=detail,
            )
        return Check("boards", "ok", f"{port}: all {len(answered)} boards answer", detail=detail)

    def check_camera(self) -> Check:
        from onevisit.devices.camera import CameraError, open_camera

        assert self.config is not None
        url = self.options.camera or self.config.camera.url
        if not url or url == "none":
            return Check("camera", "skip", "no camera configured (face certification off)", critical=False)

        def grab() -> tuple[int, int] | None:
            camera = open_camera(url, self.config.camera.width, self.config.camera.height)
            try:
                frame = camera.read()
                return frame.size if frame is not None else None
            finally:
                camera.close()

        fix = "check the camera's USB plug and [camera] url (camera://0, file:///clip.mp4, frames:///dir)"
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            future = pool.submit(grab)
            try:
                size = future.result(timeout=self.options.timeout + 5)
            except CameraError as exc:
                return Check("camera", "fail", f"{url}: {exc.en}", fix=fix, detail={"code": exc.code})
            except concurrent.futures.TimeoutError:
                return Check(
                    "camera", "fail", f"{url}: no frame within {self.options.timeout + 5:.0f} s", fix=fix
                )
        if size is None:
            return Check("camera", "fail", f"{url}: opened but delivered no frame", fix=fix)
        return Check("camera", "ok", f"{url}: {size[0]}x{size[1]} frame read")

    def check_card_reader(self) -> Check:
        from onevisit.devices.cardreader import CardReadError, open_card_reader

        assert self.config is not None
        url = self.options.card_reader or self.config.card_reader.url
        if not url or url == "none":
            return Check(
                "card reader", "skip", "no card reader configured (citizens type the ID)", critical=False
            )
        fix = "check the reader's cable and [card_reader] url; citizens can still type the ID meanwhile"
        try:
            reader = open_card_reader(url)
        except CardReadError as exc:
            return Check("card reader", "fail", f"{url}: {exc.en}", fix=fix, critical=False)
        try:
            probe = getattr(reader, "probe", None)
            if probe is None:
                return Check(
                    "card reader",
                    "ok",
                    f"{url}: keyboard wedge, checked when a card is swiped",
                    critical=False,
                )
            answer = probe(timeout=min(self.options.timeout, 2.0))
        except CardReadError as exc:
            return Check("card reader", "fail", f"{url}: {exc.en}", fix=fix, critical=False)
        finally:
            reader.close()
        return Check("card reader", "ok", f"{url}: answers ({answer})", critical=False)

    # -- the hall server ---------------------------------------------------------------------------
    def _hall_url(self) -> str:
        assert self.config is not None
        return (self.options.hall or self.config.kiosk.hall_url).rstrip("/")

    def _hall_get(self, path: str, token: str | None = None) -> dict[str, Any] | None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            response = httpx.get(self._hall_url() + path, headers=headers, timeout=self.options.timeout)
            return response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    def check_hall(self) -> Check:
        import httpx

        assert self.config is not None
        url = self._hall_url()
        started = time.monotonic()
        try:
            response = httpx.get(url + "/healthz", timeout=self.options.timeout)
        except httpx.HTTPError as exc:
            return Check(
                "hall server",
                "fail",
                f"{url}: no answer ({type(exc).__name__})",
                fix="start `onevisit hall` on the hall server, check the network and [kiosk] hall_url",
            )
        ms = (time.monotonic() - started) * 1000
        if response.status_code != 200:
            return Check(
                "hall server", "fail", f"{url}: HTTP {response.status_code}", fix="see the hall server's log"
            )
        token_path = (
            Path(self.options.token_file)
            if self.options.token_file
            else self.config.path(self.config.kiosk.token_file)
        )
        summary = f"{url}: answers in {ms:.0f} ms"
        if not token_path.is_file():
            return Check(
                "hall server", "ok", summary + f" (no kiosk token at {token_path}: fine on the hall server)"
            )
        token = token_path.read_text(encoding="utf-8").strip()
        try:
            me = httpx.get(
                url + "/api/auth/me",
                headers={"Authorization": f"Bearer {token}"},
                timeout=self.options.timeout,
            )
        except httpx.HTTPError as exc:
            return Check(
                "hall server",
                "fail",
                f"{url}: token check failed ({type(exc).__name__})",
                fix="check the network",
            )
        if me.status_code != 200:
            code = (
                (me.json().get("error") or {}).get("code", f"http_{me.status_code}")
                if me.content
                else me.status_code
            )
            return Check(
                "hall server",
                "fail",
                summary + f", but the kiosk token in {token_path} is refused ({code})",
                fix="on the hall server: `onevisit kiosks add NAME`, put the token in the kiosk's token_file",
            )
        return Check("hall server", "ok", summary + f"; kiosk token valid ({me.json().get('name')})")


def exit_code(checks: list[Check]) -> int:
    """1 when anything a citizen depends on fails, else 0."""
    return 1 if any(c.status == "fail" and c.critical for c in checks) else 0
