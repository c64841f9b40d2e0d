"""The kiosk application: one controller the screens talk to (language, scale, session, devices,
the hall), the idle watch, and navigation. Screens never build URLs or touch drivers themselves."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import math
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition, ScreenManager

from onevisit.core import waits
from onevisit.core.clock import SystemClock, hall_time
from onevisit.core.config import Config
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import redact_ids
from onevisit.devices.cardreader import CardReadError
from onevisit.devices.voice.phrases import spoken_number
from onevisit.kiosk import theme
from onevisit.kiosk.actions import press
from onevisit.kiosk.hall_client import HallClient
from onevisit.kiosk.i18n import other, tr
from onevisit.kiosk.printing import KioskPrinter
from onevisit.kiosk.selfservice_report import ROUTED_TO_WINDOW, SelfServiceOutbox
from onevisit.kiosk.session import IdleWatch, Session

log = logging.getLogger(__name__)
HERE = Path(__file__).parent


class RecentLog(logging.Handler):
    """The last lines of the kiosk's log for the maintenance screen, with ID numbers masked."""

    def __init__(self, size: int = 200) -> None:
        super().__init__(logging.INFO)
        self.lines: collections.deque[str] = collections.deque(maxlen=size)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a log line must never break the kiosk
            self.lines.append(redact_ids(self.format(record)))


@dataclass
class KioskDevices:
    hall: HallClient | None
    printer: KioskPrinter
    card_reader: Any = None
    card_reader_error: OneVisitError | None = None
    camera_url: str | None = None
    records: Any = None  # a records backend when onevisit.records provides one
    verification: Any = None  # a kiosk.face.FaceCertifier when there is a camera and a records backend
    voice: Any = None  # a kiosk.voice.KioskVoice for spoken prompts
    documents: Any = None  # the A4 document printer (devices.documents); None: certificates on the roll
    extras: dict[str, Any] = field(default_factory=dict)


SCREENS = (
    "home",
    "identify",
    "take",
    "ticket",
    "notify",
    "certificate",
    "records",
    "card",
    "pension",
    "guide",
    "face",
    "appointment",
    "recheck",
    "maintenance",
)


class KioskRoot(FloatLayout):
    def on_touch_down(self, touch):
        app = App.get_running_app()
        if app.overlay is not None:
            # while "need more time?" is asked, only its buttons answer; a touch must not both
            # dismiss the question and press whatever lies underneath
            return app.overlay.on_touch_down(touch)
        app.activity()
        return super().on_touch_down(touch)


class KioskApp(App):
    lang = StringProperty("zh")
    scale = NumericProperty(1.0)
    elderly = BooleanProperty(False)
    landscape = BooleanProperty(False)
    pal = ObjectProperty(theme.STANDARD)
    idle_left = NumericProperty(0)
    idle_warning = BooleanProperty(False)
    availability = ListProperty([])
    hall_online = BooleanProperty(True)
    busy = NumericProperty(0)  # background calls in flight (tests wait for 0)

    def __init__(
        self,
        config: Config,
        devices: KioskDevices,
        lang: str = "zh",
        elderly: bool = False,
        today: Callable[[], dt.date] | None = None,
        clock: Any = None,
        monotonic: Callable[[], float] = time.monotonic,
        background: bool = True,
        realtime_idle: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config_ = config
        self.devices = devices
        self.lang = lang
        self.session = Session()
        self.idle = IdleWatch(config.kiosk.idle_seconds, config.kiosk.idle_warning_seconds)
        # the hall's time zone, not the kiosk's system zone (often UTC on an embedded image)
        self.clock = clock or SystemClock(config.hall.timezone)
        self.today = today or (lambda: self.clock.now().date())
        self.monotonic = monotonic
        self.background = background
        self.realtime_idle = realtime_idle
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="kiosk-io")
        self._history: list[str] = []
        self._card_polling = False
        self.outbox = SelfServiceOutbox(devices.hall)
        self.recent_log = RecentLog()
        logging.getLogger("onevisit").addHandler(self.recent_log)
        self.default_lang = lang
        self.default_elderly = elderly
        self.set_elderly(elderly)
        self.title = "OneVisit 一号到底"

    # ---- look ----------------------------------------------------------------------------------
    def t(self, key: str, _lang: str | None = None, **values: Any) -> str:
        return tr(key, self.lang, **values)

    def t_other(self, key: str, _lang: str | None = None, **values: Any) -> str:
        return tr(key, other(self.lang), **values)

    def c(self, name: str, _pal: Any = None, alpha: float = 1.0) -> tuple[float, float, float, float]:
        r, g, b, _ = self.pal.rgba(name)
        return (r, g, b, alpha)

    def fs(self, role: str, _scale: float | None = None) -> float:
        return dp(theme.FONT[role]) * self.scale

    def fit_font(self, text: str, width: float, height: float, largest: float) -> float:
        """The largest font size ≤ `largest` that shows all of `text` in the box, on one line or
        else two (the hall name in the top bar: never cut to "示…").

        A CJK character is about 1 em wide, a Latin one about half; two lines need the height
        of about 2.5 em.
        """
        ems = sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in text) or 1.0
        room = width * 0.92  # glyph spacing and the wrap never splitting a character
        one_line = room / ems
        two_lines = min(room / math.ceil(ems / 2), height / 2.5)
        return max(dp(12), min(largest, max(one_line, two_lines)))

    def bh(self, factor: float = 1.0, _scale: float | None = None) -> float:
        return dp(theme.BUTTON_HEIGHT) * factor * self.scale

    def set_elderly(self, on: bool) -> None:
        self.elderly = on
        self.scale = theme.ELDERLY_SCALE if on else 1.0
        self.pal = theme.HIGH_CONTRAST if on else theme.STANDARD
        Window.clearcolor = self.pal.rgba("bg")

    def toggle_elderly(self) -> None:
        self.set_elderly(not self.elderly)

    def say(self, zh: str, en: str) -> None:
        """Say a prompt aloud in the language on the screen; silent where the kiosk has no voice."""
        if self.devices.voice is not None:
            self.devices.voice.say(zh if self.lang == "zh" else en, self.lang)

    def speak(self, key: str, **values: Any) -> None:
        """Say one of the kiosk's strings (i18n key) aloud."""
        self.say(tr(key, "zh", **values), tr(key, "en", **values))

    def spoken_number(self, number: str) -> str:
        """A ticket number as a voice reads it, one character at a time ("A 零 一 二" / "A 0 1 2")."""
        return spoken_number(number) if self.lang == "zh" else " ".join(number)

    def toggle_lang(self) -> None:
        self.lang = other(self.lang)

    def now(self) -> dt.datetime:
        """Now in the hall's time zone: what every screen and printout of this kiosk shows."""
        return self.clock.now()

    def hall_time(self, when: dt.datetime | str) -> dt.datetime:
        """A time from the hall or a device, in the hall's zone (core.clock.hall_time)."""
        return hall_time(when, self.config_.hall.timezone)

    def wait_text(self, answer: dict[str, Any]) -> str:
        """The hall's wait estimate in this kiosk's language ("约10–15分钟"), worded by core.waits.

        answer: a position or availability dict from the hall (wait_low/wait_high whole minutes;
        an older hall sends only wait_minutes). Nobody to wait for: the "next" wording.
        """
        high = answer.get("wait_high")
        low, high = (
            (int(answer.get("wait_low") or 0), int(high))
            if high is not None
            else waits.bounds(float(answer.get("wait_minutes") or 0))
        )
        return waits.say(low, high, self.lang) or self.t("ticket.next")

    def matter_name(self, code: str) -> str:
        try:
            m = self.config_.matter(code)
        except KeyError:
            return code
        return m.name_zh if self.lang == "zh" else m.name_en

    # ---- build -------------------------------------------------------------------------------
    def load_kv(self, filename: str | None = None) -> bool:
        """build() loads kiosk.kv itself, because tests and --screenshots call build() without
        run(). App.run() would also load <appname>.kv — the same kiosk.kv — and every rule would
        then apply twice: each tile and header drawn double on a real display."""
        return False

    def build(self):
        from onevisit.kiosk.screens import common, load_screens  # noqa: F401  (kv rules name its classes)

        Builder.load_file(str(HERE / "kiosk.kv"))
        classes = load_screens()
        self.sm = ScreenManager(transition=NoTransition())
        for name in SCREENS:
            self.sm.add_widget(classes[name](name=name))
        self.root_widget = KioskRoot()
        self.root_widget.add_widget(self.sm)
        self.overlay = None
        Window.bind(size=self._on_size, on_key_down=self._on_key)
        self.bind(lang=lambda *_: self.refresh_current(), scale=lambda *_: self.refresh_current())
        self._on_size(Window, Window.size)
        Clock.schedule_interval(self._tick, 1.0)
        Clock.schedule_interval(self._poll_card, 0.5)
        Clock.schedule_interval(lambda _dt: self.refresh_availability(), 15.0)
        self.refresh_availability()
        self.sm.current = "home"
        return self.root_widget

    def _on_size(self, _window, size) -> None:
        self.landscape = size[0] > size[1]
        self.refresh_current()

    def _on_key(self, _window, key, scancode, codepoint, modifiers):
        reader = self.devices.card_reader
        if reader is not None and getattr(reader, "url", "").startswith("wedge"):
            try:
                card = reader.key("enter" if key == 13 else (codepoint or ""))
            except CardReadError as exc:
                self.screen("identify").show_error(exc)
                return True
            if card is not None and self.sm.current == "identify":
                self.screen("identify").on_card(card)
            return True
        return False

    def screen(self, name: str):
        return self.sm.get_screen(name)

    def refresh_current(self) -> None:
        if getattr(self, "sm", None) is None:
            return
        for s in self.sm.screens:
            s.dirty = True
        current = self.sm.current_screen
        if current is not None:
            current.refresh()
            current.dirty = False
        self._update_overlay()

    # ---- navigation ----------------------------------------------------------------------------
    def go(self, name: str, remember: bool = True) -> None:
        if remember and self.sm.current != name:
            self._history.append(self.sm.current)
        target = self.screen(name)
        target.dirty = True
        if self.sm.current == name:
            target.refresh()
            target.dirty = False
        self.sm.current = name
        self.idle.active = name != "home"
        self.idle.touch()
        self._update_idle()

    def back(self) -> None:
        while self._history:
            name = self._history.pop()
            if name != self.sm.current:
                if name == "home":
                    return self.go_home()
                self.go(name, remember=False)
                return
        self.go_home()

    def go_home(self) -> None:
        """Everything the citizen entered is wiped: session, typed numbers, choices."""
        self.session.clear()
        for s in self.sm.screens:
            s.wipe()
        self._history.clear()
        # the next citizen starts from the kiosk's own defaults, not the last person's choices
        self.lang = self.default_lang
        if self.elderly != self.default_elderly:
            self.set_elderly(self.default_elderly)
        self.go("home", remember=False)
        self.refresh_availability()

    def start(self, purpose: str) -> None:
        """A home tile: who you are first (except the guide and re-check-in), then the matter."""
        self.session.clear()
        self.session.purpose = purpose
        if purpose in ("guide", "recheck"):
            self.go(purpose)
        else:
            self.go("identify")

    def identified(self) -> None:
        purpose = self.session.purpose or "take"
        self.go(
            {
                "take": "take",
                "certificate": "certificate",
                "face": "face",
                "records": "records",
                "card": "card",
                "pension": "pension",
                "appointment": "appointment",
            }.get(purpose, "take")
        )

    def take_number_for_window(
        self, tag: str, purpose: str | None = None, why: tuple[str, str] | None = None
    ) -> None:
        """Self-service failed: a ticket for a window, tagged with what was tried, with the matter
        that handles it already chosen (kiosk.window_matters) so it is one more touch.

        tag: for the window's staff, sent with the ticket; why: (zh, en) for the citizen, shown on
        the take screen in their language (the tag itself is never shown to them).
        """
        purpose = purpose or tag.partition(":")[0].partition("_")[0]
        self.session.tag = tag
        self.session.tag_why = why
        self.session.purpose = "take"
        self.session.routed_from = purpose
        code = self.config_.kiosk.window_matters.get(purpose)
        if code and any(m.code == code for m in self.config_.matters) and not self.session.matters:
            self.session.matters = [code]
        self.go("take")

    # ---- reports to the hall -------------------------------------------------------------------
    def report(self, kind: str, **data: Any) -> None:
        """A self-service outcome for the hall's statistics; sent in the background, kept while the
        hall is unreachable, never shown to the citizen."""
        self.outbox.hall = self.devices.hall
        self.outbox.add(kind, kiosk=self.config_.kiosk.name, **data)
        if self.outbox.hall is not None:
            self.run_bg(self.outbox.flush, lambda _n: None, lambda _e: None)

    def ticket_issued(self, result: dict[str, Any]) -> None:
        """A tagged ticket means self-service ended at a window: the hall counts that too."""
        tag = self.session.tag
        if tag and result.get("created", True):
            self.report(
                ROUTED_TO_WINDOW,
                reason=tag[:200],
                source=self.session.routed_from or "",
                number=result.get("ticket", {}).get("number", ""),
            )

    # ---- idle ----------------------------------------------------------------------------------
    def activity(self) -> None:
        self.idle.touch()
        self._update_idle()

    def _tick(self, dt_: float) -> None:
        if self.realtime_idle:  # tests drive the idle watch with advance_idle instead
            self.advance_idle(dt_)

    def advance_idle(self, seconds: float) -> None:
        if self.idle.tick(seconds):
            log.info("idle timeout: back to home")
            self.go_home()
        self._update_idle()

    def _update_idle(self) -> None:
        self.idle_left = self.idle.remaining if self.idle.active else 0
        warning = self.idle.warning_shown
        if warning != self.idle_warning:
            self.idle_warning = warning
            self._update_overlay()

    def _update_overlay(self) -> None:
        from onevisit.kiosk.screens.common import IdleOverlay

        if getattr(self, "root_widget", None) is None:
            return
        if self.idle_warning and self.overlay is None:
            self.overlay = IdleOverlay()
            self.root_widget.add_widget(self.overlay)
        elif not self.idle_warning and self.overlay is not None:
            self.root_widget.remove_widget(self.overlay)
            self.overlay = None

    # ---- background work -----------------------------------------------------------------------
    def run_bg(
        self, work: Callable[[], Any], done: Callable[[Any], None], fail: Callable[[OneVisitError], None]
    ):
        """Network and device calls off the UI thread; results come back on the UI thread."""

        def finish(result: Any, error: OneVisitError | None) -> None:
            self.busy -= 1
            if error is not None:
                fail(error)
            else:
                done(result)

        self.busy += 1
        if not self.background:
            try:
                result = work()
            except OneVisitError as exc:
                finish(None, exc)
            else:
                finish(result, None)
            return

        def job() -> None:
            try:
                result = work()
            except OneVisitError as exc:
                Clock.schedule_once(lambda _dt, e=exc: finish(None, e))
                return
            except Exception as exc:  # a bug must not freeze the screen in "working…"
                log.exception("background call failed")
                err = OneVisitError(
                    "internal", "系统故障，请到咨询台", "Something went wrong; please ask at the help desk"
                )
                err.__cause__ = exc
                Clock.schedule_once(lambda _dt, e=err: finish(None, e))
                return
            Clock.schedule_once(lambda _dt: finish(result, None))

        self._pool.submit(job)

    def act(
        self,
        name: str,
        inputs: Hashable,
        work: Callable[[str], Any],
        done: Callable[[Any], None],
        fail: Callable[[OneVisitError], None],
        *,
        repeat_after: float | None = None,
        key: str | None = None,
        settled: Callable[[Any], bool] | None = None,
    ) -> str:
        """One press of an action button: `work(idempotency_key)` runs in the background unless the
        same action (name, inputs) is running or already done this session, in which case the
        first press's answer is what shows (kiosk/actions.py: a tap counts once; `repeat_after`,
        `key`, `settled` as there)."""

        def start(k: str, ok: Callable[[Any], None], bad: Callable[[OneVisitError], None]) -> None:
            self.run_bg(lambda: work(k), ok, bad)

        return press(
            self.session.actions, name, inputs, self.monotonic, start, done, fail,
            repeat_after=repeat_after, key=key, settled=settled,
        )  # fmt: skip

    def refresh_availability(self) -> None:
        hall = self.devices.hall
        if hall is None:
            return

        def done(matters):
            if matters != self.availability:  # unchanged: no rebuild under the citizen's finger
                self.availability = matters
            self.hall_online = True
            if self.outbox.pending:  # the hall is back: what waited goes now
                self.outbox.hall = hall
                self.run_bg(self.outbox.flush, lambda _n: None, lambda _e: None)

        def fail(_error):
            self.hall_online = False

        self.run_bg(hall.availability, done, fail)

    def availability_of(self, code: str) -> dict[str, Any] | None:
        for item in self.availability:
            if item.get("code") == code:
                return item
        return None

    # ---- card reader ---------------------------------------------------------------------------
    def _poll_card(self, _dt: float) -> None:
        reader = self.devices.card_reader
        if reader is None or self._card_polling or self.sm.current != "identify":
            return
        if getattr(reader, "url", "").startswith("wedge"):
            return
        self.poll_card()

    def poll_card(self) -> None:
        reader = self.devices.card_reader
        self._card_polling = True

        def done(card):
            self._card_polling = False
            if card is not None and self.sm.current == "identify":
                self.screen("identify").on_card(card)

        def fail(error):
            self._card_polling = False
            if self.sm.current == "identify":
                self.screen("identify").show_error(error)

        self.run_bg(lambda: reader.read(timeout=0.4), done, fail)

    def on_stop(self) -> None:
        with contextlib.suppress(Exception):
            self.screen("face").stop_all()
        if self.devices.voice is not None:
            self.devices.voice.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        if self.devices.hall:
            self.devices.hall.close()
