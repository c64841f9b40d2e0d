"""Files the product serves or draws with: web pages under `web/`, images and sounds."""

from pathlib import Path

#: The folder of the hall's web pages (HTML, CSS, JS), served under /static and as pages.
WEB = Path(__file__).resolve().parent / "web"
