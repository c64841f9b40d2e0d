"""`onevisit report`: a day's HTML report with charts, a CSV of every step and an XLSX for the province.

No citizen's personal data goes into any of the files: tickets appear by number only; staff appear
by their login (the event actor), as the province's per-staff figures need.
"""

from __future__ import annotations

import csv
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from onevisit.core.config import Config
from onevisit.stats.figures import DayFigures, GroupFigures, compute, event_kinds, step_rows
from onevisit.stats.rows import DayRows, load_day
from onevisit.stats.selfservice import KINDS

log = logging.getLogger(__name__)

#: Columns of the per-group tables: (key in GroupFigures.to_dict(), 中文, English).
GROUP_COLUMNS = [
    ("visits", "人次", "visits"),
    ("steps", "件次", "steps"),
    ("served", "办结", "served"),
    ("transferred_out", "转出", "transferred out"),
    ("transferred_in", "转入", "transferred in"),
    ("no_shows", "过号", "no-shows"),
    ("recalls", "重呼", "recalls"),
    ("unserved", "未办结", "unserved"),
    ("wait_p50_min", "等候中位(分)", "wait p50 (min)"),
    ("wait_p90_min", "等候P90(分)", "wait p90 (min)"),
    ("wait_max_min", "最长等候(分)", "wait max (min)"),
    ("service_p50_min", "办理中位(分)", "service p50 (min)"),
    ("service_mean_min", "平均办理(分)", "service mean (min)"),
    ("busy_min", "办理总时长(分)", "busy (min)"),
    ("ratings", "评价数", "ratings"),
    ("rating_mean", "好差评均分", "rating mean"),
    ("ratings_bad", "差评", "bad ratings"),
]
HOUR_COLUMNS = [
    ("hour", "时段", "hour"),
    ("arrivals", "取号", "tickets"),
    ("selfservice", "自助办结", "self-service"),
    ("calls", "叫号", "first calls"),
    ("served", "窗口办结", "served"),
    ("wait_p50_min", "等候中位(分)", "wait p50 (min)"),
    ("wait_p90_min", "等候P90(分)", "wait p90 (min)"),
    ("peak_waiting", "最多排队", "peak waiting"),
]
STEP_COLUMNS = [
    "day", "number", "step_id", "seq", "matter", "state", "outcome", "priority", "window", "staff",
    "entered_at", "first_called_at", "started_at", "finished_at", "wait_min", "service_min", "calls",
    "recalls", "no_shows", "from_window", "transfer_reason",
]  # fmt: skip


@dataclass
class ReportFiles:
    html: Path
    csv: Path
    xlsx: Path
    json: Path
    charts: dict[str, Path]
    figures: DayFigures


def day_figures(config: Config, rows: DayRows) -> DayFigures:
    labels = {m.code: m.name_zh for m in config.matters}
    return compute(rows, labels, [w.number for w in config.windows])


def write_report(config: Config, db_path: str | Path, day: str, out: str | Path) -> ReportFiles:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = load_day(db_path, day, hall_code=config.hall.code)
    figures = day_figures(config, rows)
    labels = {m.code: m.name_zh for m in config.matters}
    # matplotlib loads only for a rendered report, not for the figures alone (`onevisit simulate`).
    from onevisit.stats.charts import all_charts

    charts = all_charts(figures, out / "charts", labels)
    steps = step_rows(rows)
    csv_path = write_steps_csv(steps, out / f"steps-{day}.csv")
    xlsx_path = write_xlsx(config, figures, steps, out / f"province-{day}.xlsx")
    json_path = out / f"figures-{day}.json"
    json_path.write_text(json.dumps(figures.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    html_path = out / f"report-{day}.html"
    html_path.write_text(render_html(config, figures, rows, charts, out), encoding="utf-8")
    log.info("report for %s written to %s", day, out)
    return ReportFiles(html_path, csv_path, xlsx_path, json_path, charts, figures)


def write_steps_csv(steps: list[dict[str, Any]], path: Path) -> Path:
    # utf-8-sig: Excel on a hall PC opens the Chinese columns correctly only with a BOM.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=STEP_COLUMNS)
        writer.writeheader()
        for row in steps:
            writer.writerow({k: row.get(k) for k in STEP_COLUMNS})
    return path


# -- XLSX ----------------------------------------------------------------------------------------
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_HEAD_FILL = PatternFill("solid", fgColor="1F5FA8")


def _sheet(wb: Workbook, title: str, header: list[str], body: list[list[Any]], first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = title
    ws.append(header)
    for cell in ws[1]:
        cell.font = _HEAD_FONT
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in body:
        ws.append(row)
    for i, name in enumerate(header, start=1):
        width = max(
            [len(str(name)) * 2, *(len(str(r[i - 1])) + 2 for r in body if i - 1 < len(r))], default=8
        )
        ws.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 40)
    ws.freeze_panes = "A2"
    return ws


def _group_table(groups: list[GroupFigures], key_title: str) -> tuple[list[str], list[list[Any]]]:
    header = [key_title, "名称", *[zh for _, zh, _ in GROUP_COLUMNS]]
    body = []
    for g in groups:
        d = g.to_dict()
        body.append([g.key, g.label, *[d[k] for k, _, _ in GROUP_COLUMNS]])
    return header, body


def write_xlsx(config: Config, figures: DayFigures, steps: list[dict[str, Any]], path: Path) -> Path:
    wb = Workbook()
    hall = figures.hall.to_dict()
    summary = [
        ["大厅", config.hall.name],
        ["经办机构", config.hall.agency],
        ["日期", figures.day],
        *[[zh, hall[k]] for k, zh, _ in GROUP_COLUMNS],
        ["自助办结（免排队）", figures.selfservice_completions],
        *[[f"自助：{KINDS[k][0]}", n] for k, n in figures.selfservice.items() if k in KINDS],
        *[[f"好差评 {s} 分", n] for s, n in sorted(figures.rating_counts.items())],
    ]
    _sheet(wb, "汇总", ["项目", "数值"], summary, first=True)
    _sheet(wb, "按业务", *_group_table(list(figures.matters.values()), "业务代码"))
    _sheet(wb, "按窗口", *_group_table(list(figures.windows.values()), "窗口"))
    _sheet(wb, "按人员", *_group_table(list(figures.staff.values()), "工作人员"))
    hours = [h.to_dict() for h in figures.hours]
    _sheet(
        wb, "按时段", [zh for _, zh, _ in HOUR_COLUMNS], [[h[k] for k, _, _ in HOUR_COLUMNS] for h in hours]
    )
    _sheet(wb, "办件明细", STEP_COLUMNS, [[row.get(k) for k in STEP_COLUMNS] for row in steps])
    wb.save(path)
    return path


# -- HTML ----------------------------------------------------------------------------------------
def _cell(value: Any) -> str:
    if value is None:
        return '<td class="none">–</td>'
    if isinstance(value, int | float):
        return (
            f'<td class="num">{value:g}</td>' if isinstance(value, float) else f'<td class="num">{value}</td>'
        )
    return f"<td>{html.escape(str(value))}</td>"


def _html_group_table(groups: list[GroupFigures], key_title: str) -> str:
    head = "".join(
        f"<th>{html.escape(zh)}<br><small>{html.escape(en)}</small></th>" for _, zh, en in GROUP_COLUMNS
    )
    body = []
    for g in groups:
        d = g.to_dict()
        cells = "".join(_cell(d[k]) for k, _, _ in GROUP_COLUMNS)
        body.append(f"<tr><th class='row'>{html.escape(g.label or g.key)}</th>{cells}</tr>")
    return f"<table><thead><tr><th>{key_title}</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_html(
    config: Config, figures: DayFigures, rows: DayRows, charts: dict[str, Path], out: Path
) -> str:
    hall = figures.hall
    cards = [
        ("取号人次", "visits", hall.visits),
        ("窗口办结", "served", hall.served),
        ("自助办结", "self-service", figures.selfservice_completions),
        ("等候中位(分)", "wait p50", hall.wait_p50),
        ("等候P90(分)", "wait p90", hall.wait_p90),
        ("过号", "no-shows", hall.no_shows),
        ("转办", "transfers", hall.transferred_out),
        ("好差评均分", "rating", hall.rating_mean),
    ]
    card_html = "".join(
        f"<div class='card'><div class='v'>{'–' if v is None else v}</div>"
        f"<div class='k'>{html.escape(zh)}<br><small>{en}</small></div></div>"
        for zh, en, v in cards
    )
    imgs = "".join(
        f"<figure><img src='{html.escape(str(p.relative_to(out)))}' alt='{name}'></figure>"
        for name, p in charts.items()
    )
    hours_head = "".join(f"<th>{zh}<br><small>{en}</small></th>" for _, zh, en in HOUR_COLUMNS)
    hours_body = "".join(
        "<tr>" + "".join(_cell(h.to_dict()[k]) for k, _, _ in HOUR_COLUMNS) + "</tr>" for h in figures.hours
    )
    selfservice = (
        "".join(
            f"<tr><th class='row'>{html.escape(KINDS.get(k, (k, k))[0])}<br><small>{html.escape(k)}</small></th>"
            f"<td class='num'>{n}</td></tr>"
            for k, n in figures.selfservice.items()
        )
        or "<tr><td colspan=2 class='none'>当日无自助服务记录 / none</td></tr>"
    )
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(event_kinds(rows).items()))
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>{html.escape(config.hall.name)} 服务统计 {figures.day}</title>
<style>
body{{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1200px}}
h1{{font-size:24px;margin-bottom:4px}} h2{{font-size:18px;margin-top:28px;border-bottom:2px solid #1f5fa8;padding-bottom:4px}}
.sub{{color:#666}} .cards{{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}}
.card{{border:1px solid #d0d7e2;border-radius:8px;padding:10px 16px;min-width:110px;background:#f6f9fd}}
.card .v{{font-size:26px;font-weight:bold;color:#1f5fa8}} .card .k{{font-size:13px;color:#444}}
table{{border-collapse:collapse;font-size:13px;margin:8px 0}} th,td{{border:1px solid #d0d7e2;padding:4px 8px}}
thead th{{background:#1f5fa8;color:#fff;font-weight:normal}} th.row{{text-align:left;background:#f0f4fa;font-weight:normal}}
td.num{{text-align:right;font-variant-numeric:tabular-nums}} td.none{{color:#aaa;text-align:center}}
small{{color:inherit;opacity:.75}} figure{{margin:8px 0}} img{{max-width:100%;border:1px solid #eee}}
.defs{{font-size:13px;color:#444}} .charts{{display:grid;grid-template-columns:1fr 1fr;gap:8px}}
</style></head><body>
<h1>{html.escape(config.hall.name)} 服务统计日报</h1>
<div class="sub">{html.escape(config.hall.name_en)} — daily service report · {figures.day} ·
{html.escape(config.hall.agency)}</div>
<div class="cards">{card_html}</div>
<h2>图表 Charts</h2><div class="charts">{imgs}</div>
<h2>按业务 By matter</h2>{_html_group_table(list(figures.matters.values()), "业务")}
<h2>按窗口 By window</h2>{_html_group_table(list(figures.windows.values()), "窗口")}
<h2>按工作人员 By staff member</h2>{_html_group_table(list(figures.staff.values()), "工作人员")}
<h2>按时段 By hour</h2><table><thead><tr>{hours_head}</tr></thead><tbody>{hours_body}</tbody></table>
<h2>自助服务 Kiosk self-service</h2><table><tbody>{selfservice}</tbody></table>
<h2>口径 Definitions</h2>
<ul class="defs">
<li>等候：从进入该业务队列（取号、上一业务办结或转入）到首次叫号；重呼和过号后重新签到不重新计时。
Wait: from joining the matter's queue to the first call.</li>
<li>办理时长：开始办理到办结（或转办）。Service: start to finish at the window.</li>
<li>百分位取最近秩（第 ⌈p·n⌉ 小的值）。Percentiles are nearest-rank.</li>
<li>过号：工作人员标记或超时自动过号的次数。No-shows count every 过号 mark.</li>
</ul>
<p class="sub">事件 events: {html.escape(kinds)}</p>
</body></html>
"""
