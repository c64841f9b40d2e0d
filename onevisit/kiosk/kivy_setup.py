"""Kivy reads its environment at import time, so this runs before the first `import kivy`.

Tests and screenshot mode render offscreen (SDL_VIDEODRIVER=offscreen, Mesa's llvmpipe); a kiosk
with a display uses the normal SDL window. KIVY_HOME points at a private folder so a kiosk (or a
test) never reads or writes a user's ~/.kivy.
"""

from __future__ import annotations

import os
import tempfile


def prepare(size: tuple[int, int], offscreen: bool = False, fullscreen: bool = False) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # Kivy's default mode sets the root logger to NOTSET (every library's DEBUG line reached the
    # terminal without -v) and turns stderr into warnings; the command line owns logging.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    if "KIVY_HOME" not in os.environ:
        os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="onevisit-kivy-")
    if offscreen:
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "resizable", "1")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    configure_input(Config)
    Config.set("kivy", "exit_on_escape", "0")
    register_font()


#: The kiosk's only input provider. On Linux, SDL turns a touchscreen's touches into pointer events
#: and Kivy's SDL window reads those through `mouse` (it drops SDL's own finger events there:
#: kivy/core/window/window_sdl2.py). Kivy's default config adds `probesysfs`, which attaches a
#: second, kernel-level provider (hidinput or mtdev) to every USB touchscreen: each touch then
#: arrives twice and every button is pressed twice. disable_multitouch: a right or middle click
#: (a technician's mouse) is not an emulated second finger; disable_on_activity: should a kernel
#: provider ever be configured again, the pointer copy of its touches is dropped (Kivy's mouse
#: provider docs).
MOUSE_PROVIDER = "mouse,disable_multitouch,disable_on_activity"


def configure_input(config) -> None:
    """One touch is one event: `[input]` holds the mouse provider only (MOUSE_PROVIDER). Removes
    every other provider, whether Kivy's defaults or a config.ini in KIVY_HOME put it there
    (probesysfs, hidinput, mtdev, tuio…). Call before the app runs: Kivy creates its providers
    from this section when the event loop starts (kivy.base._runTouchApp_prepare)."""
    if not config.has_section("input"):
        config.add_section("input")
    for key in list(config.options("input")):
        if key != "mouse":
            config.remove_option("input", key)
    config.set("input", "mouse", MOUSE_PROVIDER)


def register_font() -> None:
    from kivy.core.text import DEFAULT_FONT, LabelBase

    from onevisit.core.fonts import cjk_font_path

    path = str(cjk_font_path())
    # a .ttc opens its first face only; wqy-microhei's first face has all the glyphs we use
    LabelBase.register(DEFAULT_FONT, path)
    LabelBase.register("Roboto", path)


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1080x1920, not {text!r}") from None
    if not (320 <= width <= 7680 and 320 <= height <= 7680):
        raise ValueError(f"size {text} is out of range")
    return width, height
