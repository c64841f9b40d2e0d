"""The /guide page the kiosk's guide QR opens: the same materials, windows and minutes as the
kiosk shows, on a phone, Chinese first; the QR's URL is exactly what the hall serves."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from onevisit.kiosk.screens.guide import guide_url


def test_guide_page_for_the_qr_url(hall_server, config):
    matter = config.matter("benefit")
    url = guide_url(config.hall.public_url, "benefit", "zh")
    path = urlsplit(url)
    r = httpx.get(f"{hall_server.url}{path.path}?{path.query}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert 'name="viewport"' in page and matter.name_zh in page and matter.name_en in page
    for item in matter.materials_zh:
        assert item in page
    windows = [str(w.number) for w in config.windows if "benefit" in w.matters]
    assert f"{'、'.join(windows)} 号窗口" in page
    assert f"每人约 {matter.minutes:g} 分钟" in page and matter.cutoff in page
    assert page.index(matter.name_zh) < page.index(matter.name_en)  # Chinese first


def test_guide_page_in_english_and_for_an_unknown_matter(hall_server, config):
    r = httpx.get(f"{hall_server.url}/guide", params={"matter": "benefit", "lang": "en"})
    matter = config.matter("benefit")
    assert r.status_code == 200 and r.text.index(matter.name_en) < r.text.index(matter.name_zh)
    r = httpx.get(f"{hall_server.url}/guide", params={"matter": "nope<script>"})
    assert r.status_code == 404 and "没有这个事项" in r.text and "<script>" not in r.text
    assert all(m.name_zh in r.text for m in config.matters)
    assert httpx.get(f"{hall_server.url}/guide", params={"lang": "fr"}).status_code == 422
