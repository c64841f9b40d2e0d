"""Colours and sizes for the two modes. Elderly mode (适老化) enlarges text and buttons and uses
the highest-contrast palette; every text/background pair is checked ≥ 4.5:1 by the tests."""

from __future__ import annotations

from dataclasses import dataclass


def hex_rgba(value: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255, alpha)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgba: tuple[float, ...]) -> float:
    r, g, b = (_linear(c) for c in rgba[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG 2 contrast ratio."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass(frozen=True)
class Palette:
    bg: str
    surface: str
    text: str
    muted: str
    primary: str
    on_primary: str
    accent: str  # the big ticket number
    danger: str
    on_danger: str
    ok: str
    disabled_bg: str
    disabled_text: str
    bar: str
    on_bar: str

    def rgba(self, name: str) -> tuple[float, float, float, float]:
        return hex_rgba(getattr(self, name))

    #: (foreground, background) pairs the screens draw text with
    PAIRS = (
        ("text", "bg"),
        ("text", "surface"),
        ("muted", "bg"),
        ("muted", "surface"),
        ("on_primary", "primary"),
        ("accent", "surface"),
        ("danger", "surface"),
        ("danger", "bg"),
        ("on_danger", "danger"),
        ("ok", "surface"),
        ("ok", "bg"),
        ("disabled_text", "disabled_bg"),
        ("on_bar", "bar"),
        ("primary", "surface"),
    )


STANDARD = Palette(
    bg="#EEF2F7",
    surface="#FFFFFF",
    text="#17202A",
    muted="#44505E",
    primary="#0B4F9C",
    on_primary="#FFFFFF",
    accent="#0B4F9C",
    danger="#B3261E",
    on_danger="#FFFFFF",
    ok="#1B6E3A",
    disabled_bg="#D5DAE1",
    disabled_text="#3C4652",
    bar="#0A3D7A",
    on_bar="#FFFFFF",
)

HIGH_CONTRAST = Palette(
    bg="#FFFFFF",
    surface="#FFFFFF",
    text="#000000",
    muted="#1F1F1F",
    primary="#00307A",
    on_primary="#FFFFFF",
    accent="#00307A",
    danger="#9A0000",
    on_danger="#FFFFFF",
    ok="#0B5A2A",
    disabled_bg="#CCCCCC",
    disabled_text="#1F1F1F",
    bar="#000000",
    on_bar="#FFFFFF",
)

#: Text sizes in dp at scale 1. The smallest is ≥ 18 dp even before elderly scaling.
FONT = {"small": 24, "body": 30, "title": 44, "tile": 46, "huge": 220}
ELDERLY_SCALE = 1.3
#: Main buttons' minimum height (dp); MIIT 适老化 asks ≥ 60×60.
BUTTON_HEIGHT = 96
