"""The hall's device watch: kiosk heartbeats in, the boards' links read every few seconds, silent
kiosks noticed, alerts worked out, and the technician's actions (board test pattern, resend,
kiosk commands) carried out. /maintenance and its API (routes_maintenance.py) read from here.

Why a poll for the boards rather than events: the board bus already knows every board's link
state (bus.health()); reading it every `maintenance.check_seconds` (2 s) notices a dead link long
before the next kiosk heartbeat and costs nothing on the serial line.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.db import Database
from onevisit.hall.stores.devices import BAD_STATES, DeviceState, DeviceStore

log = logging.getLogger(__name__)

KIOSK_DEVICES = ("printer", "documents", "camera", "card_reader")
DEVICE_NAMES = {
    "kiosk": ("自助机", "Kiosk"),
    "printer": ("打印机", "Printer"),
    "documents": ("A4文档打印机", "A4 document printer"),
    "camera": ("摄像头", "Camera"),
    "card_reader": ("身份证读卡器", "ID card reader"),
    "board_link": ("显示屏线路", "Board link"),
    "board": ("显示屏", "Board"),
    "keypad": ("呼叫器/评价器", "Keypad"),
    "voice": ("语音播报", "Voice"),
}

#: Alert code -> (zh, en, what the technician does zh, en). Codes are the devices' own fault codes.
ALERTS: dict[str, tuple[str, str, str, str]] = {
    # The A4 printer's codes come from IPP printer-state-reasons (RFC 8011 §5.4.12) through CUPS.
    "media_empty": (
        "A4打印机缺纸",
        "A4 printer out of paper",
        "在纸盒中装入A4纸；CUPS 队列会自动继续。",
        "Load A4 paper in the tray; the CUPS queue carries on by itself.",
    ),
    "media_jam": (
        "A4打印机卡纸",
        "A4 printer paper jam",
        "打开机盖取出卡纸。",
        "Open the door and clear the jam.",
    ),
    "door_open": ("A4打印机机盖打开", "A4 printer door open", "关好机盖。", "Close the printer's door."),
    "toner_low": (
        "A4打印机墨粉不足",
        "A4 printer toner low",
        "准备更换墨粉盒。",
        "Have a toner cartridge ready.",
    ),
    "paused": (
        "A4打印队列已暂停",
        "A4 print queue paused",
        "排除故障后执行 cupsenable 队列名。",
        "Fix the fault, then run cupsenable QUEUE.",
    ),
    "not_accepting_jobs": (
        "A4打印队列拒收任务",
        "A4 print queue rejecting jobs",
        "执行 cupsaccept 队列名。",
        "Run cupsaccept QUEUE.",
    ),
    "unreachable": (
        "A4打印服务无法连接",
        "A4 print service unreachable",
        "检查 CUPS 服务与 [documents] printer 地址。",
        "Check the CUPS service and [documents] printer.",
    ),
    "paper_near_end": (
        "打印纸即将用完",
        "Paper near its end",
        "尽快更换纸卷，然后点“已更换纸卷”。",
        "Replace the roll soon, then press “Paper replaced”.",
    ),
    "paper_out": (
        "打印机缺纸",
        "Printer out of paper",
        "装入新纸卷并盖好机盖。",
        "Load a new thermal roll and close the cover.",
    ),
    "cover_open": (
        "打印机盖未关好",
        "Printer cover open",
        "把机盖压到听见“咔哒”声。",
        "Close the cover until it clicks.",
    ),
    "cutter_error": (
        "打印机切纸故障",
        "Printer cutter jammed",
        "清除切刀处卡纸，然后重启打印机。",
        "Clear the jam at the cutter, then power-cycle the printer.",
    ),
    "printer_error": (
        "打印机故障",
        "Printer fault",
        "重启打印机；仍不行则更换。",
        "Power-cycle it; replace the printer if the fault stays.",
    ),
    "printer_offline": (
        "打印机离线",
        "Printer offline",
        "检查打印机电源、线缆或网络，以及 [printer] url。",
        "Check the printer's power, cable or network, and [printer] url.",
    ),
    "print_interrupted": (
        "打印中断",
        "Printing interrupted",
        "检查连接后重试。",
        "Check the link; retry the job.",
    ),
    "board_offline": (
        "显示屏离线",
        "Board offline",
        "检查该屏电源、RS-485 接线和地址拨码，然后点“全部重发当前内容”。",
        "Check the board's power, RS-485 wiring and address; then “Resend all boards”.",
    ),
    "keypad_offline": (
        "呼叫器/评价器离线",
        "Keypad offline",
        "检查该键盘的电源、RS-485 接线和地址拨码；离线期间按键无效：用窗口电脑叫号、评价平板评价。",
        "Check the keypad's power, RS-485 wiring and address. Meanwhile its keys do nothing: call "
        "from the window console, rate on the rating tablet.",
    ),
    "board_link_down": (
        "显示屏线路断开",
        "Board link down",
        "串口转换器不见了：检查其 USB 插头和 [boards] port。恢复后各屏自动重发当前内容。",
        "The serial adapter is gone: check its USB plug and [boards] port. The boards get their "
        "texts back by themselves when it returns.",
    ),
    "kiosk_silent": (
        "自助机超过一分钟无心跳",
        "Kiosk silent for over a minute",
        "检查自助机电源和网络，必要时重启 onevisit kiosk。",
        "Check the kiosk's power and network; restart `onevisit kiosk`.",
    ),
    "camera_unavailable": (
        "摄像头不可用",
        "Camera gone",
        "检查摄像头 USB 插头和 [camera] url；刷脸认证暂不可用。",
        "Check the camera's USB plug and [camera] url; face certification is unavailable.",
    ),
    "camera_lost": (
        "摄像头中断",
        "Camera lost",
        "摄像头不再出画面：重新插拔。",
        "The camera stopped delivering frames: replug it.",
    ),
    "camera_url": (
        "摄像头配置有误",
        "Camera misconfigured",
        "修改 config.toml 的 [camera] url。",
        "Fix [camera] url in config.toml.",
    ),
    "card_reader_unavailable": (
        "身份证读卡器不可用",
        "ID card reader unavailable",
        "检查读卡器线缆和 [card_reader] url；群众仍可手工输入身份证号。",
        "Check the reader's cable and [card_reader] url; citizens can still type the ID.",
    ),
    "card_garbled": (
        "读卡器数据异常",
        "Card reader garbled",
        "检查读卡器线缆和波特率。",
        "Check the reader's cable and baud rate.",
    ),
}
_GENERIC = (
    "设备异常",
    "Device problem",
    "查看说明；在该机器上运行 onevisit doctor。",
    "See the detail; run `onevisit doctor` on that machine.",
)

TEST_PATTERN = "{address:03d} 测试 8888"


def device_label(kind: str, owner: str, extra: str = "") -> tuple[str, str]:
    zh, en = DEVICE_NAMES.get(kind, (kind, kind))
    where = f"{owner} " if owner and owner != "hall" else ""
    return f"{where}{zh}{extra}", f"{where}{en}{extra}"


class MaintenanceError(Exception):
    pass


class Maintenance:
    def __init__(
        self,
        config: Config,
        clock: Clock,
        db: Database,
        *,
        callout: Any = None,
        kiosk_names: Callable[[], list[str]] = list,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = DeviceStore(db, clock, keep_days=config.maintenance.event_keep_days)
        self.callout = callout
        self.kiosk_names = kiosk_names
        self.check_seconds = config.maintenance.check_seconds
        self.checks = 0
        self._checked = threading.Condition()
        self._task: asyncio.Task | None = None
        self._restore: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- life cycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._run(), name="maintenance-monitor")

    async def stop(self) -> None:
        if self._restore is not None:
            self._restore.cancel()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.check_once)
            except Exception:  # the watch must outlive any one bad reading
                log.exception("device check failed")
            await asyncio.sleep(self.check_seconds)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Block until `predicate()` holds after a check (tests wait here instead of sleeping)."""
        with self._checked:
            return self._checked.wait_for(predicate, timeout)

    # -- the periodic check ---------------------------------------------------------------------
    def check_once(self) -> None:
        self._check_boards()
        self._check_kiosks()
        with self._checked:
            self.checks += 1
            self._checked.notify_all()

    def _callout_health(self) -> dict[str, Any] | None:
        if self.callout is None or not hasattr(self.callout, "health"):
            return None
        try:
            return self.callout.health()
        except Exception:
            log.exception("call-out health failed")
            return None

    def _report_keypad(self, k: dict[str, Any], connected: bool) -> None:
        """A keypad (label "caller window 3") as a device: offline when it stopped answering polls."""
        address = int(k["address"])
        kind, _, window = str(k.get("label", "")).partition(" window ")
        name_zh = {"caller": "呼叫器", "rater": "评价器"}.get(kind, "键盘")
        status = k.get("status")
        if not connected:
            state, code, detail = "offline", "board_link_down", "link down"
        elif status == "online":
            state, code, detail = "ok", None, ""
        elif status == "offline":
            state, code, detail = "offline", "keypad_offline", str(k.get("last_error") or "no answer")
        else:
            state, code, detail = "unknown", None, "not polled yet"
        self.store.report(
            f"keypad:{address}",
            kind="keypad",
            owner="hall",
            label=f"{name_zh} {address}（{window}号窗口） / {kind or 'keypad'} {address} (window {window})",
            state=state,
            code=code,
            detail=detail,
            info={
                "address": address,
                "where": k.get("label"),
                "text": k.get("text"),
                "lamp": k.get("lamp"),
                "last_ack": k.get("last_ack"),
                "presses": k.get("presses"),
                "repeats": k.get("repeats"),
                "errors": k.get("errors"),
                "timeouts": k.get("timeouts"),
                "naks": k.get("naks"),
            },
        )

    def _check_boards(self) -> None:
        health = self._callout_health()
        if health is None:
            return
        boards = health.get("boards") or {}
        if boards.get("enabled") is False or "connected" not in boards:
            return
        connected = bool(boards["connected"])
        port = str(boards.get("port", ""))
        zh, en = device_label("board_link", "hall")
        self.store.report(
            "boards:link",
            kind="board_link",
            owner="hall",
            label=f"{zh} / {en}",
            state="ok" if connected else "offline",
            code=None if connected else "board_link_down",
            detail="" if connected else str(boards.get("last_port_error") or f"{port}: not connected"),
            info={
                "port": port,
                "codec": boards.get("codec"),
                "connected_since": boards.get("connected_since"),
                "reconnects": boards.get("reconnects"),
                "queued": boards.get("queued"),
                "frames_sent": boards.get("frames_sent"),
            },
        )
        for b in boards.get("boards", []):
            address = int(b["address"])
            where = str(b.get("label", ""))
            if where.startswith("window "):
                place_zh, place_en = f"{where.split()[1]}号窗口", f"window {where.split()[1]}"
            elif where == "main":
                place_zh, place_en = "大厅主屏", "main board"
            else:
                place_zh = place_en = where
            status = b.get("status")
            if not connected:
                state, code, detail = "offline", "board_link_down", "link down"
            elif status == "online":
                state, code, detail = "ok", None, ""
            elif status == "offline":
                state, code, detail = "offline", "board_offline", str(b.get("last_error") or "no answer")
            else:
                state, code, detail = "unknown", None, "nothing sent yet"
            self.store.report(
                f"board:{address}",
                kind="board",
                owner="hall",
                label=f"显示屏 {address}（{place_zh}） / Board {address} ({place_en})",
                state=state,
                code=code,
                detail=detail,
                info={
                    "address": address,
                    "where": where,
                    "text": b.get("text"),
                    "shown": b.get("shown"),
                    "last_ack": b.get("last_ack"),
                    "errors": b.get("errors"),
                    "timeouts": b.get("timeouts"),
                    "naks": b.get("naks"),
                },
            )
        for k in boards.get("keypads", []):
            self._report_keypad(k, connected)
        voice = health.get("voice") or {}
        if voice and voice.get("enabled") is not False:
            vzh, ven = device_label("voice", "hall")
            self.store.report(
                "voice",
                kind="voice",
                owner="hall",
                label=f"{vzh} / {ven}",
                state="ok",
                info={k: voice.get(k) for k in ("engine", "waiting", "dropped", "done", "last_error")},
            )

    def _check_kiosks(self) -> None:
        silent_after = self.config.maintenance.kiosk_silent_seconds
        seen = {k["kiosk"].lower(): k for k in self.store.kiosks()}
        for name in self._known_kiosks(seen):
            beat = seen.get(name.lower())
            zh, en = device_label("kiosk", name)
            if beat is None:
                self.store.report(
                    f"kiosk:{name}",
                    kind="kiosk",
                    owner=name,
                    label=f"{zh} / {en}",
                    state="unknown",
                    detail="no heartbeat received yet",
                )
            elif beat["seconds_ago"] > silent_after:
                self.store.report(
                    f"kiosk:{name}",
                    kind="kiosk",
                    owner=name,
                    label=f"{zh} / {en}",
                    state="silent",
                    code="kiosk_silent",
                    detail=f"last heartbeat {beat['last_seen'][11:19]}",
                    info={"version": beat["version"], "address": beat["address"]},
                )

    def _known_kiosks(self, seen: dict[str, dict]) -> list[str]:
        names = {n.lower(): n for n in self.kiosk_names()}
        for key, beat in seen.items():
            names.setdefault(key, beat["kiosk"])
        return sorted(names.values())

    # -- heartbeats -----------------------------------------------------------------------------
    def heartbeat(self, kiosk: str, beat: dict[str, Any], address: str | None) -> list[dict[str, Any]]:
        """Store one kiosk's heartbeat; return the commands waiting for it."""
        last_error = beat.get("last_error") or {}
        self.store.heartbeat(
            kiosk,
            address=address,
            version=beat.get("version"),
            started_at=beat.get("started_at"),
            last_error=last_error.get("message"),
            last_error_at=last_error.get("at"),
        )
        zh, en = device_label("kiosk", kiosk)
        self.store.report(
            f"kiosk:{kiosk}",
            kind="kiosk",
            owner=kiosk,
            label=f"{zh} / {en}",
            state="ok",
            info={"version": beat.get("version"), "address": address},
        )
        reported = set()
        for kind, report in (beat.get("devices") or {}).items():
            device = f"kiosk:{kiosk}/{kind}"
            reported.add(device)
            dzh, den = device_label(kind, kiosk)
            info = {
                k: report.get(k)
                for k in ("url", "paper", "frames", "bad_frames")
                if report.get(k) is not None
            }
            self.store.report(
                device,
                kind=kind,
                owner=kiosk,
                label=f"{dzh} / {den}",
                state=report["state"],
                code=report.get("code"),
                detail=report.get("detail") or "",
                info=info,
            )
        for result in beat.get("results") or []:
            self.store.finish_command(
                kiosk, int(result["id"]), bool(result["ok"]), result.get("detail") or ""
            )
        self.store.forget_owner_devices(kiosk, keep=reported | {f"kiosk:{kiosk}"})
        return self.store.take_commands(kiosk)

    # -- what /maintenance shows ----------------------------------------------------------------
    def alerts(self, states: list[DeviceState] | None = None) -> list[dict[str, Any]]:
        states = states if states is not None else self.store.states()
        link_down = any(s.device == "boards:link" and s.state in BAD_STATES for s in states)
        out = []
        for s in states:
            if s.state not in BAD_STATES:
                continue
            if link_down and s.kind in ("board", "keypad") and s.code == "board_link_down":
                continue  # one alert for the adapter, not one per board behind it
            zh, en, hint_zh, hint_en = ALERTS.get(s.code or "", _GENERIC)
            out.append(
                {
                    "severity": "warning" if s.state == "warning" else "error",
                    "device": s.device,
                    "kind": s.kind,
                    "owner": s.owner,
                    "label": s.label,
                    "code": s.code,
                    "message_zh": zh,
                    "message_en": en,
                    "hint": hint_en,
                    "hint_zh": hint_zh,
                    "hint_en": hint_en,
                    "detail": s.detail,
                    "since": s.since.isoformat(timespec="seconds"),
                }
            )
        # Errors first, then the oldest problem first: it has waited longest.
        out.sort(key=lambda a: (a["severity"] != "error", a["since"]))
        return out

    def overview(self) -> dict[str, Any]:
        states = self.store.states()
        beats = {k["kiosk"].lower(): k for k in self.store.kiosks()}
        kiosks = []
        for name in self._known_kiosks(beats):
            own = [s for s in states if s.owner.lower() == name.lower()]
            link = next((s for s in own if s.kind == "kiosk"), None)
            beat = beats.get(name.lower())
            devices = sorted(
                (s for s in own if s.kind != "kiosk"),
                key=lambda s: KIOSK_DEVICES.index(s.kind) if s.kind in KIOSK_DEVICES else 9,
            )
            kiosks.append(
                {
                    "kiosk": name,
                    "state": link.to_dict() if link else None,
                    "heartbeat": beat,
                    "devices": [self._with_errors(s) for s in devices],
                    "commands": self.store.commands(name, limit=5),
                }
            )
        boards = [self._with_errors(s) for s in states if s.kind == "board"]
        boards.sort(key=lambda b: b["info"].get("address", 0))
        keypads = [self._with_errors(s) for s in states if s.kind == "keypad"]
        keypads.sort(key=lambda b: b["info"].get("address", 0))
        link = next((s for s in states if s.device == "boards:link"), None)
        voice = next((s for s in states if s.device == "voice"), None)
        return {
            "now": self.clock.now().isoformat(timespec="seconds"),
            "alerts": self.alerts(states),
            "kiosks": kiosks,
            "boards": {
                "enabled": self.config.boards.enabled,
                "link": link.to_dict() if link else None,
                "boards": boards,
                "keypads": keypads,
            },
            "voice": voice.to_dict() if voice else None,
            "events": self.store.events(limit=40),
            "heartbeat_seconds": self.config.kiosk.heartbeat_seconds,
            "silent_after_seconds": self.config.maintenance.kiosk_silent_seconds,
            "check_seconds": self.check_seconds,
            # Fault codes in words, Chinese first: the page names every code from this one table.
            "codes": {code: [zh, en] for code, (zh, en, _, _) in ALERTS.items()},
        }

    def _with_errors(self, s: DeviceState) -> dict[str, Any]:
        out = s.to_dict()
        out["recent_errors"] = self.store.events(s.device, limit=5, errors_only=True)
        return out

    def public_status(self) -> dict[str, Any]:
        """Link-level health without names or texts, for `onevisit doctor` on the hall machine."""
        states = self.store.states()
        boards = [s for s in states if s.kind == "board"]
        link = next((s for s in states if s.device == "boards:link"), None)
        return {
            "boards": {
                "enabled": self.config.boards.enabled,
                "connected": link.state == "ok" if link else None,
                "boards": [
                    {"address": s.info.get("address"), "state": s.state, "code": s.code} for s in boards
                ],
            },
            "alerts": len([s for s in states if s.state in BAD_STATES]),
        }

    # -- a technician's actions -----------------------------------------------------------------
    def _bus(self):
        bus = getattr(self.callout, "bus", None)
        if bus is None:
            raise MaintenanceError("boards_disabled")
        return bus

    def board_test(self, address: int | None, actor: str) -> list[int]:
        """Show the test pattern (each board its own address) for `test_pattern_seconds`, then give
        every board its current text back. A call arriving meanwhile replaces the pattern at once."""
        bus = self._bus()
        known = sorted(bus.desired())
        targets = known if address is None else [address]
        if address is not None and address not in known:
            raise MaintenanceError("board_unknown")
        for a in targets:
            bus.show(a, TEST_PATTERN.format(address=a))
        self.store.note(
            "boards:link", f"test pattern on {'all boards' if address is None else f'board {address}'}", actor
        )
        seconds = self.config.maintenance.test_pattern_seconds
        if self._loop is not None:
            if self._restore is not None:
                self._restore.cancel()
            self._restore = self._loop.call_later(seconds, self.restore_boards)
        return targets

    def restore_boards(self) -> None:
        self._restore = None
        content = getattr(self.callout, "content", None)
        bus = getattr(self.callout, "bus", None)
        if content is None or bus is None:
            return
        for address, shown in content.current().items():
            try:
                bus.show(address, shown.text, shown.scroll)
            except Exception:
                log.exception("board %s: restoring its text failed", address)

    def resend_boards(self, actor: str) -> None:
        self._bus()
        self.callout.resend_all()
        self.store.note("boards:link", "resend all boards", actor)

    def kiosk_command(self, kiosk: str, action: str, actor: str) -> int:
        known = {
            n.lower(): n for n in self._known_kiosks({k["kiosk"].lower(): k for k in self.store.kiosks()})
        }
        if kiosk.lower() not in known:
            raise MaintenanceError("kiosk_unknown")
        name = known[kiosk.lower()]
        if action == "paper_replaced":
            self.store.note(f"kiosk:{name}/printer", "paper replaced", actor)
        return self.store.add_command(name, action, actor)

    def today(self) -> dt.date:
        return self.clock.now().date()
