"""A staffing plan as a terminal table, and as an HTML page with its chart and a JSON file.

The chart is `stats.charts.staffing_chart` (matplotlib with the hall's CJK font, imported only when
a plan is written); the text table is the simulator's `table`, which counts CJK characters double.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from onevisit.sim.hallday.plan import StaffingPlan
from onevisit.sim.hallday.simulate import table

ROW_TEXT = [
    ("hour", "hour"),
    ("windows", "windows"),
    ("entered", "queued"),
    ("wait_p50_min", "wait p50"),
    ("wait_p90_min", "p90"),
    ("all_open_p90_min", "p90 all open"),
]


def _shown(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "never"
    return value


def _rows(plan: StaffingPlan) -> list[dict[str, Any]]:
    return [{k: _shown(v) for k, v in {**r.to_dict(), "hour": f"{r.hour:02d}:00"}.items()} for r in plan.rows]


def text(plan: StaffingPlan) -> str:
    """The plan as printed by `onevisit plan`: a summary line, the hour-by-hour table, notes."""
    lines = [
        f"staffing plan for {plan.demand.visits} visits ({plan.demand.source}), p90 wait ≤ "
        f"{plan.limit_minutes:g} min in every hour, seed {plan.seed}, service times × {plan.service_scale:g}: "
        f"{plan.window_hours} window-hours (all {plan.max_windows} open: {plan.all_open_window_hours}); "
        f"{plan.simulations} days simulated in {plan.seconds:.1f} s",
        "",
        table(_rows(plan), ROW_TEXT),
    ]
    lines += [f"note: {n}" for n in plan.notes]
    return "\n".join(lines)


@dataclass
class PlanFiles:
    html: Path
    chart: Path
    json: Path


def write(plan: StaffingPlan, folder: Path, hall_name: str = "") -> PlanFiles:
    """plan.html, plan.png and plan.json in `folder` (created)."""
    from onevisit.stats.charts import staffing_chart  # matplotlib: only when a plan is written

    folder.mkdir(parents=True, exist_ok=True)
    hours = [r.hour for r in plan.rows]
    p90 = [
        None if r.wait_p90_min is None or math.isinf(r.wait_p90_min) else r.wait_p90_min for r in plan.rows
    ]
    chart = staffing_chart(
        hours,
        [r.windows for r in plan.rows],
        p90,
        plan.limit_minutes,
        folder / "plan.png",
        f"排班建议：{plan.demand.visits} 人次，等候 P90 ≤ {plan.limit_minutes:g} 分钟",
    )
    data = plan.to_dict()
    json_path = folder / "plan.json"
    json_path.write_text(json.dumps(finite(data), ensure_ascii=False, indent=2), encoding="utf-8")
    page = folder / "plan.html"
    page.write_text(render_html(plan, chart.name, hall_name), encoding="utf-8")
    return PlanFiles(page, chart, json_path)


def finite(value: Any) -> Any:
    """JSON has no infinity: a never-called wait is written as null with the hour still listed."""
    if isinstance(value, float) and math.isinf(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


HTML_COLUMNS = [
    ("hour", "时段", "hour"),
    ("windows", "开放窗口", "open windows"),
    ("entered", "排队人次", "queued"),
    ("wait_p50_min", "等候 P50", "wait p50 (min)"),
    ("wait_p90_min", "等候 P90", "wait p90 (min)"),
    ("all_open_p90_min", "全部开放时 P90", "p90, all open"),
]


def table_html(plan: StaffingPlan) -> str:
    head = "".join(
        f"<th>{html.escape(zh)}<br><small>{html.escape(en)}</small></th>" for _, zh, en in HTML_COLUMNS
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(_none(row[k])))}</td>" for k, _, _ in HTML_COLUMNS) + "</tr>"
        for row in _rows(plan)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _none(value: Any) -> Any:
    return "–" if value is None else value


def render_html(plan: StaffingPlan, chart: str, hall_name: str = "") -> str:
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in plan.notes)
    title = f"{hall_name} 排班建议" if hall_name else "排班建议"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body{{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222;max-width:1000px}}
h1{{font-size:24px;margin-bottom:4px}} .sub{{color:#666}}
table{{border-collapse:collapse;font-size:14px;margin:12px 0}} th,td{{border:1px solid #d0d7e2;padding:4px 10px;text-align:right}}
thead th{{background:#1f5fa8;color:#fff;font-weight:normal}} small{{opacity:.75}} img{{max-width:100%;border:1px solid #eee}}
</style></head><body>
<h1>{html.escape(title)} <small>Staffing plan</small></h1>
<div class="sub">{plan.demand.visits} 人次（{html.escape(plan.demand.source)}）· 每个时段等候 P90 ≤ {plan.limit_minutes:g} 分钟 ·
共 {plan.window_hours} 窗口·小时（全部开放 {plan.all_open_window_hours}）· 随机种子 {plan.seed} ·
服务时长 × {plan.service_scale:g} · 模拟 {plan.simulations} 天</div>
<figure><img src="{html.escape(chart)}" alt="排班建议图"></figure>
{table_html(plan)}
<ul>{notes}
<li>等候：从进入该业务队列到首次叫号，按进入队列的时段统计；至当日结束仍未叫到的按无限长计。
Wait: queue entry to first call, by the hour of entry; never called counts as endless.</li>
<li>N 个窗口指前 N 个配置的窗口；算法为逐时段贪心（启发式），见 docs/statistics.md。
N windows are the first N configured; the search is greedy hour by hour (a heuristic).</li>
</ul></body></html>
"""


def plan_for_hall(
    config: Any, db: Path | str, day: str, visits: int | None, limit_minutes: float, seed: int, out: Path
) -> dict[str, Any]:
    """The supervisor page's plan: `day`'s profile from the hall database, real service times, the
    configured windows; plan.html/png/json written to `out`. Returns the plan as JSON-safe data.
    Runs in a worker process the hall server starts (onevisit/hall/routes/staffing.py), so it takes
    and returns plain picklable values; raises PlanError / Infeasible with the reason."""
    from onevisit.sim.hallday.plan import Planner, demand_from_day, plan_staffing

    demand = demand_from_day(db, day, visits, hall_code=config.hall.code)
    planner = Planner(config, demand, seed=seed, day=dt.date.fromisoformat(day))
    try:
        plan = plan_staffing(planner, limit_minutes)
    finally:
        planner.close()
    write(plan, out, config.hall.name)
    return finite(plan.to_dict())
