"""Home: the big tiles and the live waiting count per matter."""

from __future__ import annotations

from kivy.metrics import dp
from kivy.uix.gridlayout import GridLayout

from onevisit.kiosk.screens.common import Card, KioskScreen, Tile

TILES = ("take", "certificate", "face", "records", "card", "pension", "guide", "appointment", "recheck")


class HomeScreen(KioskScreen):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.show_bottom = False

    def on_kv_post(self, base_widget):
        self.waits_card = None
        self.app.bind(availability=lambda *_: self._refresh_waits())
        self.app.bind(hall_online=lambda *_: self._refresh_waits())

    def _refresh_waits(self) -> None:
        """Only the waiting counts change: the tiles stay put under a citizen's finger."""
        if self.waits_card is not None and self.waits_card in self.body.children:
            self._fill_waits(self.waits_card)
        else:
            self.dirty = True

    def tiles(self) -> list[str]:
        # certification needs a camera, paying a payment platform; without them the tile is
        # hidden, not a dead end
        shown = {"face": bool(self.app.devices.camera_url), "pension": bool(self.app.config_.payment.url)}
        return [t for t in TILES if shown.get(t, True)]

    def refresh(self) -> None:
        self.title_text = self.app.t("home.welcome")
        self.body.clear_widgets()
        app = self.app
        tiles = self.tiles()
        cols = 4 if app.landscape else 2
        grid = GridLayout(cols=cols, spacing=dp(24), size_hint_y=None)
        rows = -(-len(tiles) // cols)
        tile_h = dp(230 if app.landscape else 250) * app.scale
        grid.height = rows * tile_h + (rows - 1) * dp(24)
        for name in tiles:
            tile = Tile(title=app.t(f"home.{name}"), subtitle=app.t(f"home.{name}.sub"))
            tile.bind(on_release=lambda _w, n=name: app.start(n))
            tile.tile_name = name
            grid.add_widget(tile)
        self.body.add_widget(grid)

        card = Card()
        self.waits_card = card
        self._fill_waits(card)
        self.body.add_widget(card)
        self.arrange()

    def _fill_waits(self, card: Card) -> None:
        app = self.app
        card.clear_widgets()
        card.add_widget(self.label(app.t("home.waiting"), role="title", bold=True))
        if not app.hall_online:
            card.add_widget(self.label(app.t("home.offline"), tone="danger", bold=True))
        lines = []
        for item in app.availability:
            name = app.matter_name(item["code"])
            if item.get("open", True):
                lines.append(
                    app.t(
                        "home.waiting.item",
                        name=name,
                        waiting=item.get("waiting", 0),
                        wait=app.wait_text(item),
                    )
                )
            else:
                lines.append(app.t("home.waiting.full", name=name))
        cols_w = 2 if app.landscape else 1
        waits = GridLayout(cols=cols_w, spacing=dp(8), size_hint_y=None)
        waits.bind(minimum_height=waits.setter("height"))
        for line in lines:
            waits.add_widget(self.label(line, tone="danger" if "已满" in line or "full" in line else "text"))
        card.add_widget(waits)
