"""Service guide: for each matter what to bring, where, how long, and a QR to the same on a phone."""

from __future__ import annotations

from urllib.parse import quote

from kivy.metrics import dp
from kivy.uix.anchorlayout import AnchorLayout
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from onevisit.kiosk.screens.common import Card, KButton, KioskScreen, QrImage


def guide_url(public_url: str, code: str, lang: str) -> str:
    return f"{public_url.rstrip('/')}/guide?matter={quote(code)}&lang={lang}"


class GuideScreen(KioskScreen):
    title_key = "guide.title"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.selected: str | None = None

    def wipe(self) -> None:
        self.selected = None
        self.dirty = True

    def build_body(self, body):
        app = self.app
        matters = app.config_.matters
        code = self.selected or matters[0].code
        picker = GridLayout(cols=3 if app.landscape else 2, spacing=dp(12), size_hint_y=None)
        picker.bind(minimum_height=picker.setter("height"))
        for m in matters:
            b = KButton(
                text=m.name_zh if app.lang == "zh" else m.name_en,
                kind="selected" if m.code == code else "secondary",
                role="small",
            )
            b.bind(on_release=lambda _w, c=m.code: self.pick(c))
            picker.add_widget(b)
        body.add_widget(picker)

        matter = app.config_.matter(code)
        windows = [str(w.number) for w in app.config_.windows if code in w.matters]
        card = Card()
        card.add_widget(
            self.label(
                matter.name_zh if app.lang == "zh" else matter.name_en,
                role="title",
                bold=True,
                tone="primary",
            )
        )
        card.add_widget(self.label(app.t("guide.materials"), bold=True))
        for item in matter.materials_zh if app.lang == "zh" else matter.materials_en:
            card.add_widget(self.label(f"  ·  {item}"))
        card.add_widget(self.label(app.t("guide.where"), bold=True))
        card.add_widget(self.label("  " + app.t("guide.where.value", windows="、".join(windows))))
        card.add_widget(self.label(app.t("guide.time"), bold=True))
        card.add_widget(
            self.label("  " + app.t("guide.time.value", minutes=int(matter.minutes), cutoff=matter.cutoff))
        )
        qr_box = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(6))
        qr_box.add_widget(self.label(app.t("guide.qr"), tone="muted", align="center"))
        holder = AnchorLayout(size_hint_y=None, height=dp(260) * app.scale)
        holder.add_widget(QrImage(guide_url(app.config_.hall.public_url, code, app.lang), 240 * app.scale))
        qr_box.add_widget(holder)
        qr_box.bind(minimum_height=qr_box.setter("height"))
        body.add_widget(card)
        if self.landscape:
            qr_card = Card()
            qr_card.add_widget(qr_box)
            self.footer.add_widget(qr_card)
        else:
            card.add_widget(qr_box)

    def pick(self, code: str) -> None:
        self.selected = code
        self.refresh()
