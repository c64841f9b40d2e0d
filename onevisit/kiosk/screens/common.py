"""Widgets every screen uses, and the base screen (top bar, scrolling body, back/home bar)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from kivy.app import App
from kivy.clock import Clock
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from onevisit.core.errors import OneVisitError
from onevisit.core.fonts import font_chain, font_for
from onevisit.kiosk.actions import REPRINT_AFTER_SECONDS
from onevisit.kiosk.i18n import tr


class KLabel(Label):
    role = StringProperty("body")
    tone = StringProperty("text")
    align = StringProperty("left")


class KButton(ButtonBehavior, Label):
    role = StringProperty("body")
    kind = StringProperty("primary")  # primary | secondary | danger | selected | bar_button
    hfactor = NumericProperty(1.0)

    _BG: ClassVar[dict[str, str]] = {
        "primary": "primary",
        "secondary": "surface",
        "danger": "danger",
        "selected": "primary",
        "bar_button": "surface",
    }
    _FG: ClassVar[dict[str, str]] = {
        "primary": "on_primary",
        "secondary": "primary",
        "danger": "on_danger",
        "selected": "on_primary",
        "bar_button": "primary",
    }

    # kind/disabled are arguments so the kv rule re-evaluates when they change
    def bg_name(self, kind: str, disabled: bool) -> str:
        return "disabled_bg" if disabled else self._BG[kind]

    def fg_name(self, kind: str) -> str:
        return self._FG[kind]


class BarButton(KButton):
    """Language and text-size switches: fixed width so the hall name keeps its room."""


class Card(BoxLayout):
    selected = BooleanProperty(False)


class Tile(ButtonBehavior, BoxLayout):
    title = StringProperty("")
    subtitle = StringProperty("")


class TopBar(BoxLayout):
    pass


class BottomBar(BoxLayout):
    pass


class IdleOverlay(FloatLayout):
    def on_touch_down(self, touch):
        super().on_touch_down(touch)
        return True  # the screen underneath is not touchable while the question is asked


class HiddenCorner(FloatLayout):
    """The technician's way in: hold the top-left corner for `hold` seconds, then the PIN pad."""

    hold = NumericProperty(3.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._started: float | None = None
        self._event = None

    def on_touch_down(self, touch):
        if not self.collide_point(*touch.pos):
            return False
        app = App.get_running_app()
        self._started = app.monotonic()
        self._event = Clock.schedule_once(lambda _dt: self._open(), self.hold)
        touch.grab(self)
        return True

    def on_touch_up(self, touch):
        if touch.grab_current is not self:
            return False
        touch.ungrab(self)
        if self._event is not None:
            self._event.cancel()
        app = App.get_running_app()
        if self._started is not None and app.monotonic() - self._started >= self.hold:
            self._open()
        self._started = None
        return True

    def _open(self) -> None:
        self._started = None
        app = App.get_running_app()
        if app.sm.current != "maintenance":
            app.go("maintenance")


class QrImage(Image):
    def __init__(self, data: str, size_dp: float, **kwargs):
        from onevisit.kiosk.qr import qr_texture

        super().__init__(**kwargs)
        self.texture = qr_texture(data)
        self.size_hint = (None, None)
        self.size = (dp(size_dp), dp(size_dp))
        self.fit_mode = "contain"


class Spacer(Widget):
    def __init__(self, height: float = 10, **kwargs):
        super().__init__(size_hint_y=None, height=dp(height), **kwargs)


class KioskScreen(Screen):
    title_text = StringProperty("")
    show_bottom = BooleanProperty(True)
    dirty = BooleanProperty(True)
    side_mode = BooleanProperty(False)  # landscape with a footer: actions in a right-hand column
    title_key = ""
    #: share of the window width the landscape action column takes
    SIDE_SHARE = 0.38

    @property
    def app(self):
        return App.get_running_app()

    def print_slip(self, action: str, key: str, make_image: Callable[[], Any], ref: str) -> None:
        """Print one receipt slip (an image from onevisit.kiosk.receipt, made by `make_image` off the
        UI thread) on the kiosk's printer. `self.receipt` goes "printing", then "printed" or
        "failed:<why in the citizen's language>". Through the once-per-tap log under (action, key):
        a double tap prints one slip; a press REPRINT_AFTER_SECONDS later is a deliberate reprint,
        and a print that failed (paper out) runs again at once."""
        app = self.app
        self.receipt = "printing"
        self.refresh()

        def work(_key: str):
            return app.devices.printer.print_pages([make_image()], ref=ref)

        def done(outcome):
            why = outcome.zh if app.lang == "zh" else outcome.en
            self.receipt = "printed" if outcome.ok else f"failed:{why}"
            self.refresh()

        def fail(error):
            self.receipt = "failed:" + (error.zh if app.lang == "zh" else error.en)
            self.refresh()

        app.act(
            action, key, work, done, fail,
            repeat_after=REPRINT_AFTER_SECONDS, settled=lambda outcome: outcome.ok,
        )  # fmt: skip

    @property
    def body(self) -> BoxLayout:
        return self.ids.body

    @property
    def footer(self) -> BoxLayout:
        """Fixed above the back/home bar: the screen's main action never scrolls out of reach."""
        return self.ids.footer

    def on_pre_enter(self, *args):
        if self.dirty:
            self.refresh()
            self.dirty = False
        self.ids.scroll.scroll_y = 1

    def refresh(self) -> None:
        """Rebuild the body for the current language, scale, orientation and session."""
        self.title_text = self.app.t(self.title_key) if self.title_key else ""
        self.body.clear_widgets()
        self.footer.clear_widgets()
        self.build_body(self.body)
        self.arrange()

    @property
    def landscape(self) -> bool:
        return bool(self.app.landscape)

    def arrange(self) -> None:
        """Portrait: everything in one column. Landscape with footer content: the footer and the
        back/home bar move into a fixed column on the right and the body keeps the left."""
        ids = self.ids
        side_mode = self.landscape and bool(self.footer.children)
        self.side_mode = side_mode
        main, side, bottom, frame = ids.main, ids.side, ids.bottom, ids.frame
        main.orientation = "horizontal" if side_mode else "vertical"
        if side_mode:
            side.size_hint = (None, 1)
            side.width = max(dp(420), main.width * self.SIDE_SHARE)
            main.bind(width=self._side_width)
        else:
            main.unbind(width=self._side_width)
            side.size_hint = (1, None)
        target = side if side_mode else frame
        if bottom not in target.children:
            bottom.parent.remove_widget(bottom)
            target.add_widget(bottom)

    def _side_width(self, _main, width: float) -> None:
        self.ids.side.width = max(dp(420), width * self.SIDE_SHARE)

    def build_body(self, body: BoxLayout) -> None:
        pass

    def wipe(self) -> None:
        """Forget whatever the last citizen entered here."""
        self.dirty = True

    # helpers the screens share
    def label(
        self, text: str, role: str = "body", tone: str = "text", align: str = "left", bold: bool = False
    ):
        lbl = KLabel(text=text, role=role, tone=tone, align=align, bold=bold)
        path = font_for(text)
        if path != font_chain()[0]:  # a rare name (孙䶮): the whole label from the fallback that has it
            lbl.font_name = str(path)
        return lbl

    def button(self, text: str, on_release, kind: str = "primary", **kwargs):
        b = KButton(text=text, kind=kind, **kwargs)
        b.bind(on_release=lambda *_: on_release())
        return b

    def error_labels(self, error: OneVisitError) -> list[KLabel]:
        """The refusal in the citizen's language. In English mode the Chinese follows (the staff
        who help a visitor read it); in Chinese mode nothing but Chinese: an elderly reader must
        not meet an English sentence (the zh-mode walk test holds every screen to this)."""
        if self.app.lang == "zh":
            return [self.label(error.zh, role="title", tone="danger", bold=True)]
        return [
            self.label(error.en, role="title", tone="danger", bold=True),
            self.label(error.zh, role="small", tone="danger"),
        ]

    def unavailable(self, body: BoxLayout, key: str, offer_ticket: str | None = None) -> None:
        card = Card()
        card.add_widget(
            self.label(self.app.t("unavailable"), role="title", tone="danger", align="center", bold=True)
        )
        card.add_widget(self.label(self.app.t(key), role="title", align="center"))
        if self.app.lang != "zh":  # a Chinese reader gets one language (error_labels)
            card.add_widget(self.label(self.app.t_other(key), role="small", tone="muted", align="center"))
        body.add_widget(Spacer(40))
        body.add_widget(card)
        if offer_ticket:
            body.add_widget(
                self.button(
                    self.app.t("unavailable.take_instead"),
                    lambda: self.app.take_number_for_window(offer_ticket, why=(tr(key, "zh"), tr(key, "en"))),
                )
            )
