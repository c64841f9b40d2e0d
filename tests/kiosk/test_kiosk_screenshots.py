"""`onevisit kiosk --screenshots` as a separate process: every screen rendered, none blank."""

from __future__ import annotations

import os
import subprocess
import sys

from PIL import Image

from tests.conftest import REPO


def test_screenshot_mode_renders_every_screen(tmp_path):
    env = dict(os.environ, KIVY_HOME=str(tmp_path / "kivy"))
    env.pop("KIVY_GL_BACKEND", None)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "kiosk",
            "--screenshots",
            str(tmp_path / "shots"),
            "--size",
            "1920x1080",
            "--lang",
            "en",
            "--elderly",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # 29 states; minutes on a machine shared by several test runs
    )
    assert res.returncode == 0, res.stderr[-2000:]
    shots = sorted((tmp_path / "shots").glob("*.png"))
    names = {p.name.split("-1920x1080")[0] for p in shots}
    assert {
        "home",
        "identify-wrong-digit",
        "identify-foreign-card",
        "take",
        "ticket",
        "ticket-paper-out",
        "notify",
        "notify-bad-number",
        "ticket-notify-on",
        "certificate-preview",
        "records",
        "guide",
        "recheck",
        "idle-warning",
        "maintenance",
        "appointment-too-early",
        "appointment-ticket",
    } <= names
    for path in shots:
        image = Image.open(path)
        assert image.size == (1920, 1080)
        assert len(image.convert("L").getcolors(1 << 16) or []) > 2, path.name  # not a blank frame
