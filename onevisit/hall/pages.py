"""Server-rendered pages from files under assets/web/, with the data put in safely.

A page is an HTML file with `$name` placeholders (string.Template). Every value is html-escaped on
the way in unless it is `Safe` — markup this module rendered itself — so a matter name or a query
parameter can never become markup. Kept this small on purpose: no template engine is a dependency.
"""

from __future__ import annotations

import functools
import html
from string import Template

from onevisit.assets import WEB


class Safe(str):
    """Markup already rendered from escaped values: put in as it is."""


@functools.cache
def _template(name: str) -> Template:
    # Read once per process: the pages ship with the package and change only with an upgrade.
    return Template((WEB / name).read_text(encoding="utf-8"))


def escape(value: object) -> Safe:
    """The value as text in markup; quotes too, as values also go into attributes."""
    return value if isinstance(value, Safe) else Safe(html.escape(str(value), quote=True))


def fill(template: Template, /, **values: object) -> Safe:
    """The template with every value escaped (see escape)."""
    return Safe(template.substitute({k: escape(v) for k, v in values.items()}))


def render(name: str, /, **values: object) -> Safe:
    """The page or fragment `assets/web/<name>` filled with `values` (see fill)."""
    return fill(_template(name), **values)


def join(parts: list[Safe]) -> Safe:
    return Safe("".join(parts))
