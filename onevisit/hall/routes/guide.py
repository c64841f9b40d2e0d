"""/guide: the service guide on a citizen's phone, the page the kiosk's guide QR opens.

For each matter: what to bring (一次性告知), which windows, minutes per person and the day's
cut-off, all from config.toml. Chinese first with English under it (`lang=en` swaps the order).
Server-rendered HTML with inline CSS: it must open on any phone on the hall's Wi-Fi with no script.
"""

from __future__ import annotations

import html
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from onevisit.hall.deps import HallDep

router = APIRouter()

STYLE = """
body{margin:0;font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC",sans-serif;
background:#EEF2F7;color:#17202A;font-size:18px;line-height:1.5}
header{background:#0A3D7A;color:#fff;padding:14px 16px}
header h1{font-size:22px;margin:0}header p{margin:2px 0 0;font-size:15px;opacity:.9}
main{padding:12px;max-width:720px;margin:0 auto}
nav{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:12px}
nav a{flex:1 1 40%;text-align:center;padding:12px 8px;border-radius:10px;background:#fff;color:#0B4F9C;
text-decoration:none;border:2px solid #0B4F9C;font-size:17px;min-height:44px}
nav a.on{background:#0B4F9C;color:#fff}
section{background:#fff;border-radius:12px;padding:14px 16px;margin-bottom:12px}
h2{font-size:22px;color:#0B4F9C;margin:0 0 4px}h3{font-size:18px;margin:14px 0 4px}
.en{color:#44505E;font-size:15px}ul{margin:4px 0;padding-left:22px}li{margin:4px 0}
.lang{float:right;color:#fff;font-size:16px}
header .en{color:#E6EEF8}
.missing{color:#B3261E;font-weight:bold}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _pair(first: str, second: str) -> str:
    return f"{_e(first)}<br><span class=en>{_e(second)}</span>" if second else _e(first)


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

    def two(zh: str, en: str) -> str:
        return _pair(zh, en) if zh_first else _pair(en, zh)

    nav = "".join(
        f'<a class="{"on" if m.code == matter else ""}" href="/guide?matter={quote(m.code)}&amp;lang={lang}">'
        f"{_e(m.name_zh if zh_first else m.name_en)}</a>"
        for m in config.matters
    )
    sections = []
    for m in chosen:
        windows = [w for w in config.windows if m.code in w.matters]
        numbers = "、".join(str(w.number) for w in windows) or "—"
        materials_zh = m.materials_zh or ["本人有效身份证件"]
        materials_en = m.materials_en or ["Your own valid ID"]
        pairs = list(zip(materials_zh, materials_en + [""] * len(materials_zh), strict=False))
        items = "".join(f"<li>{two(zh, en)}</li>" for zh, en in pairs[: len(materials_zh)])
        sections.append(
            f"<section id={_e(m.code)}><h2>{two(m.name_zh, m.name_en)}</h2>"
            f"<h3>{two('需要携带的材料', 'What to bring')}</h3><ul>{items}</ul>"
            f"<h3>{two('办理地点', 'Where')}</h3>"
            f"<p>{two(f'{numbers} 号窗口', f'Window(s) {numbers}')}</p>"
            f"<h3>{two('办理时长', 'How long')}</h3>"
            f"<p>{two(f'每人约 {m.minutes:g} 分钟；当日 {m.cutoff} 停止取号', f'About {m.minutes:g} min each; numbers until {m.cutoff}')}</p>"
            "</section>"
        )
    note = ""
    if unknown:
        note = f"<p class=missing>{two('没有这个事项，以下是全部事项', 'No such matter; here are all of them')}</p>"
    other = "en" if zh_first else "zh"
    other_href = f"/guide?lang={other}" + (f"&amp;matter={quote(matter)}" if matter in codes else "")
    hours = config.hall.hours
    page = f"""<!doctype html>
<html lang="{"zh-CN" if zh_first else "en"}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>办事指南 Service guide · {_e(config.hall.name)}</title><style>{STYLE}</style></head>
<body><header><a class=lang href="{other_href}">{"English" if zh_first else "中文"}</a>
<h1>{two("办事指南", "Service guide")}</h1>
<p>{_e(config.hall.name if zh_first else config.hall.name_en)} · {_e(hours.open)}–{_e(hours.close)}</p></header>
<main><nav>{nav}</nav>{note}{"".join(sections)}</main></body></html>"""
    return HTMLResponse(page, status_code=404 if unknown else 200, headers={"Cache-Control": "no-cache"})
