"""The certificate's pages full screen: every page one under the other, the width of the screen
and zoomable, so an elderly reader can check every line before it is printed."""

from __future__ import annotations

from kivy.app import App
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView

from onevisit.kiosk.screens.common import KButton

ZOOMS = (1.0, 1.5, 2.0, 3.0)  # × the screen's width; 1.0 already doubles an 80 mm page on a kiosk


class PageViewer(ModalView):
    """pages: PIL images; textures: a function turning one into a Kivy texture."""

    def __init__(self, pages, textures, **kwargs) -> None:
        super().__init__(size_hint=(1, 1), auto_dismiss=False, **kwargs)
        app = App.get_running_app()
        self.zoom_index = 0
        self.textures = [textures(p) for p in pages]
        box = BoxLayout(orientation="vertical", spacing=dp(10), padding=dp(12))
        self.scroll = ScrollView(do_scroll_x=True, do_scroll_y=True, bar_width=dp(14))
        self.grid = GridLayout(cols=1, spacing=dp(16), size_hint=(None, None))
        self.scroll.add_widget(self.grid)
        box.add_widget(self.scroll)
        bar = BoxLayout(size_hint_y=None, height=app.bh(), spacing=dp(14))
        self.smaller = KButton(text=app.t("cert.zoom_out"), kind="secondary")
        self.smaller.bind(on_release=lambda *_: self.zoom(-1))
        self.larger = KButton(text=app.t("cert.zoom_in"), kind="secondary")
        self.larger.bind(on_release=lambda *_: self.zoom(+1))
        self.close = KButton(text=app.t("cert.close_view"))
        self.close.bind(on_release=lambda *_: self.dismiss())
        for b in (self.smaller, self.larger, self.close):
            bar.add_widget(b)
        box.add_widget(bar)
        self.add_widget(box)
        self.layout()

    def zoom(self, step: int) -> None:
        self.zoom_index = max(0, min(len(ZOOMS) - 1, self.zoom_index + step))
        self.layout()

    def layout(self) -> None:
        width = (Window.width - dp(40)) * ZOOMS[self.zoom_index]
        self.grid.clear_widgets()
        total = 0.0
        for texture in self.textures:
            height = width * texture.height / max(texture.width, 1)
            # "contain" scales up: the default scale-down would leave an 80 mm page at its 576 px
            page = Image(texture=texture, fit_mode="contain", size_hint=(None, None), size=(width, height))
            self.grid.add_widget(page)
            total += height + dp(16)
        self.grid.size = (width, total)
        self.smaller.disabled = self.zoom_index == 0
        self.larger.disabled = self.zoom_index == len(ZOOMS) - 1
