"""Kivy leaves the command line's logging alone (kivy_setup.prepare): without -v a technician's
terminal shows warnings, not every library's debug lines, and a plain message on stderr stays plain."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import logging, sys
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
from onevisit.kiosk.kivy_setup import prepare
prepare((200, 300), offscreen=True)
import kivy.logger
logging.getLogger("PIL.TiffImagePlugin").debug("library debug line")
logging.getLogger("onevisit.kiosk").warning("our warning")
print("48 screenshots in DIR", file=sys.stderr)
"""


def test_kivy_does_not_turn_on_debug_logging_or_capture_stderr(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIVY_LOG")}
    env["KIVY_HOME"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert "library debug line" not in done.stderr
    assert "WARNING onevisit.kiosk: our warning" in done.stderr
    assert "48 screenshots in DIR" in done.stderr.splitlines()
