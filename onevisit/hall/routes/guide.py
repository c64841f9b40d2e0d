"""/guide: the service guide on a citizen's phone, the page the kiosk's guide QR opens.

For each matter: what to bring (一次性告知), which windows, minutes per person and the day's
cut-off, all from config.toml. Chinese first with English under it (`lang=en` swaps the order).
Server-rendered from assets/web/guide.html with inline CSS: it must open on any phone on the hall's
Wi-Fi with no script.
"""

from __future__ import annotations

from string import Template
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from onevisit.hall.deps import HallDep
from onevisit.hall.pages import Safe, escape, fill, join, render

router = APIRouter()

# Inline pieces too small for a file of their own; every value is escaped by fill().
_PAIR = Template("$first<br><span class=en>$second</span>")
_NAV_LINK = Template('<a class="$on" href="$href">$name</a>')
_ITEM = Template("<li>$text</li>")
_MISSING = Template("<p class=missing>$text</p>")


def _pair(first: str, second: str) -> Safe:
    return fill(_PAIR, first=first, second=second) if second else escape(first)


@router.get("/guide", include_in_schema=False, response_class=HTMLResponse)
def guide(
    hall: HallDep,
    matter: Annotated[str | None, Query(max_length=32)] = None,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> HTMLResponse:
    """One matter's guide (or every matter when none or an unknown one is asked for)."""
    config = hall.config
    codes = [m.code for m in config.matters]
    unknown = matter is not None and matter not in codes
    chosen = [config.matter(matter)] if matter in codes else list(config.matters)
    zh_first = lang == "zh"

    def two(zh: str, en: str) -> Safe:
        return _pair(zh, en) if zh_first else _pair(en, zh)

    nav = join(
        [
            fill(
                _NAV_LINK,
                on="on" if m.code == matter else "",
                href=f"/guide?matter={quote(m.code)}&lang={lang}",
                name=m.name_zh if zh_first else m.name_en,
            )
            for m in config.matters
        ]
    )
    sections = []
    for m in chosen:
        windows = [w for w in config.windows if m.code in w.matters]
        numbers = "、".join(str(w.number) for w in windows) or "—"
        materials_zh = m.materials_zh or ["本人有效身份证件"]
        materials_en = m.materials_en or ["Your own valid ID"]
        pairs = list(zip(materials_zh, materials_en + [""] * len(materials_zh), strict=False))
        sections.append(
            render(
                "guide-matter.html",
                code=m.code,
                name=two(m.name_zh, m.name_en),
                bring=two("需要携带的材料", "What to bring"),
                materials=join([fill(_ITEM, text=two(zh, en)) for zh, en in pairs[: len(materials_zh)]]),
                where=two("办理地点", "Where"),
                windows=two(f"{numbers} 号窗口", f"Window(s) {numbers}"),
                how_long=two("办理时长", "How long"),
                minutes=two(
                    f"每人约 {m.minutes:g} 分钟；当日 {m.cutoff} 停止取号",
                    f"About {m.minutes:g} min each; numbers until {m.cutoff}",
                ),
            )
        )
    note = (
        fill(_MISSING, text=two("没有这个事项，以下是全部事项", "No such matter; here are all of them"))
        if unknown
        else Safe("")
    )
    other = "en" if zh_first else "zh"
    hours = config.hall.hours
    page = render(
        "guide.html",
        html_lang="zh-CN" if zh_first else "en",
        hall_name=config.hall.name,
        other_href=f"/guide?lang={other}" + (f"&matter={quote(matter)}" if matter in codes else ""),
        switch="English" if zh_first else "中文",
        heading=two("办事指南", "Service guide"),
        hall_line=config.hall.name if zh_first else config.hall.name_en,
        open=hours.open,
        close=hours.close,
        nav=nav,
        note=note,
        sections=join(sections),
    )
    return HTMLResponse(page, status_code=404 if unknown else 200, headers={"Cache-Control": "no-cache"})
