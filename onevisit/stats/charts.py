"""The report's and dashboard's charts as PNG files (matplotlib, Agg, with the hall's CJK font)."""

from __future__ import annotations

import bisect
import datetime as dt
import logging
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a hall server; must precede pyplot

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib import font_manager

from onevisit.core.fonts import cjk_font_path
from onevisit.stats.figures import DayFigures

log = logging.getLogger(__name__)

COLOURS = ["#1f5fa8", "#e07b39", "#3a9b5c", "#c23b3b", "#7b5ea7", "#8c6d3f", "#d264a8", "#5a6b7a"]
DPI = 110
SAMPLE_MINUTES = 5


@cache
def _use_cjk_font() -> str:
    """Register the CJK font with matplotlib once and make it the default family."""
    path = str(cjk_font_path())
    font_manager.fontManager.addfont(path)
    name = font_manager.FontProperties(fname=path).get_name()
    matplotlib.rcParams["font.family"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212
    return name


def _figure(width: float = 8.0, height: float = 4.2):
    _use_cjk_font()
    fig, ax = plt.subplots(figsize=(width, height), dpi=DPI)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def hourly_chart(figures: DayFigures, path: Path) -> Path:
    """Arrivals and kiosk completions per hour as bars, served per hour and the p90 wait as lines."""
    fig, ax = _figure()
    hours = figures.hours
    x = [h.hour for h in hours]
    labels = [f"{h.hour:02d}时" for h in hours]
    ax.bar([v - 0.2 for v in x], [h.arrivals for h in hours], width=0.4, color=COLOURS[0], label="取号")
    ax.bar(
        [v + 0.2 for v in x], [h.selfservice for h in hours], width=0.4, color=COLOURS[2], label="自助办结"
    )
    ax.plot(x, [h.served for h in hours], color=COLOURS[1], marker="o", label="窗口办结")
    ax.set_xticks(x, labels)
    ax.set_ylabel("人次")
    ax2 = ax.twinx()
    p90 = [h.to_dict()["wait_p90_min"] for h in hours]
    ax2.plot(
        x,
        [v if v is not None else float("nan") for v in p90],
        color=COLOURS[3],
        ls="--",
        marker="s",
        label="等候 P90（分钟）",
    )
    ax2.set_ylabel("等候 P90（分钟）")
    ax2.spines[["top"]].set_visible(False)
    ax2.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()
    handles2 = ax2.get_legend_handles_labels()
    ax.legend(
        handles[0] + handles2[0],
        handles[1] + handles2[1],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=4,
        frameon=False,
        fontsize=9,
    )
    ax.set_title(f"{figures.day} 分时段取号、办结与等候")
    return _save(fig, path)


def queue_chart(figures: DayFigures, path: Path, labels: dict[str, str]) -> Path:
    """Citizens waiting per matter over the day, stacked."""
    fig, ax = _figure()
    series = figures.queue_series
    matters = list(figures.matters)
    if series:
        times, samples = _sampled(series, SAMPLE_MINUTES)
        stacks = [[counts.get(m, 0) for counts in samples] for m in matters]
        ax.stackplot(
            times,
            stacks,
            labels=[labels.get(m, m) for m in matters],
            colors=COLOURS[: len(matters)],
            alpha=0.85,
        )
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=times[0].tzinfo))
        ax.legend(loc="upper right", frameon=False, fontsize=9)
    else:
        ax.text(0.5, 0.5, "当日无排队记录", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylabel("排队人数")
    ax.set_title(f"{figures.day} 各业务排队人数")
    return _save(fig, path)


def _sampled(series, minutes: int):
    """The queue as it stood every few minutes: readable where raw changes come seconds apart."""
    times = [when for when, _ in series]
    first = times[0].replace(second=0, microsecond=0)
    step = dt.timedelta(minutes=minutes)
    grid, values = [], []
    moment = first
    while moment <= times[-1] + step:
        i = bisect.bisect_right(times, moment) - 1
        grid.append(moment)
        values.append(series[i][1] if i >= 0 else {})
        moment += step
    return grid, values


def matters_chart(figures: DayFigures, path: Path) -> Path:
    """Wait p50 and p90 and mean service time per matter, side by side."""
    fig, ax = _figure()
    groups = list(figures.matters.values())
    y = range(len(groups))
    p50 = [g.wait_p50 or 0 for g in groups]
    p90 = [g.wait_p90 or 0 for g in groups]
    service = [g.service_mean or 0 for g in groups]
    ax.barh([v - 0.27 for v in y], p50, height=0.27, color=COLOURS[0], label="等候中位数")
    ax.barh(list(y), p90, height=0.27, color=COLOURS[3], label="等候 P90")
    ax.barh([v + 0.27 for v in y], service, height=0.27, color=COLOURS[2], label="平均办理时长")
    ax.set_yticks(list(y), [g.label or g.key for g in groups])
    ax.invert_yaxis()
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("分钟")
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.set_title(f"{figures.day} 各业务等候与办理时长")
    return _save(fig, path)


def windows_chart(figures: DayFigures, path: Path) -> Path:
    """Steps served per window as bars, with the share of the day each window spent serving."""
    fig, ax = _figure()
    groups = list(figures.windows.values())
    x = range(len(groups))
    ax.bar(list(x), [g.served for g in groups], color=COLOURS[0], label="办结件数")
    ax.bar(
        list(x),
        [g.transferred_out for g in groups],
        bottom=[g.served for g in groups],
        color=COLOURS[1],
        label="转办",
    )
    ax.set_xticks(list(x), [g.label or g.key for g in groups])
    ax.set_ylabel("件")
    for i, g in enumerate(groups):
        if g.rating_mean is not None:
            ax.annotate(
                f"★{g.rating_mean:.1f}",
                (i, g.served + g.transferred_out),
                ha="center",
                va="bottom",
                fontsize=9,
                color=COLOURS[4],
            )
    ax.legend(loc="upper right", frameon=False, fontsize=9)
    ax.set_title(f"{figures.day} 各窗口办件量（★ 好差评均分）")
    return _save(fig, path)


def ratings_chart(figures: DayFigures, path: Path) -> Path:
    fig, ax = _figure(6.0, 3.4)
    scores = [1, 2, 3, 4, 5]
    names = ["非常不满意", "不满意", "基本满意", "满意", "非常满意"]
    counts = [figures.rating_counts.get(s, 0) for s in scores]
    ax.bar(names, counts, color=[COLOURS[3], COLOURS[1], "#999999", COLOURS[2], COLOURS[0]])
    ax.set_ylabel("评价数")
    total = sum(counts)
    mean = figures.hall.rating_mean
    ax.set_title(f"好差评：共 {total} 条" + (f"，均分 {mean:.2f}" if mean is not None else ""))
    return _save(fig, path)


def all_charts(figures: DayFigures, folder: Path, labels: dict[str, str]) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "hourly": hourly_chart(figures, folder / "hourly.png"),
        "queue": queue_chart(figures, folder / "queue.png", labels),
        "matters": matters_chart(figures, folder / "matters.png"),
        "windows": windows_chart(figures, folder / "windows.png"),
        "ratings": ratings_chart(figures, folder / "ratings.png"),
    }


def staffing_chart(
    hours: list[int],
    windows: list[int],
    wait_p90: list[float | None],
    limit_minutes: float,
    path: Path,
    title: str,
) -> Path:
    """A staffing plan: open windows per clock hour as bars, the simulated p90 wait (minutes, by the
    hour citizens joined the queue) as a line, and the p90 limit as a dashed line."""
    fig, ax = _figure()
    labels = [f"{h:02d}时" for h in hours]
    ax.bar(hours, windows, width=0.6, color=COLOURS[0], label="开放窗口数")
    ax.set_xticks(hours, labels)
    ax.set_ylabel("窗口数")
    ax.set_ylim(0, max(windows, default=1) + 1)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax2 = ax.twinx()
    ax2.plot(
        hours,
        [v if v is not None else float("nan") for v in wait_p90],
        color=COLOURS[3],
        marker="s",
        label="等候 P90（分钟）",
    )
    ax2.axhline(limit_minutes, color=COLOURS[3], ls="--", lw=1, label=f"上限 {limit_minutes:g} 分钟")
    ax2.set_ylabel("等候 P90（分钟）")
    ax2.spines[["top"]].set_visible(False)
    ax2.set_ylim(bottom=0, top=max([limit_minutes, *[v for v in wait_p90 if v is not None]]) * 1.25)
    handles = ax.get_legend_handles_labels()
    handles2 = ax2.get_legend_handles_labels()
    ax.legend(
        handles[0] + handles2[0],
        handles[1] + handles2[1],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncol=3,
        frameon=False,
        fontsize=9,
    )
    ax.set_title(title)
    return _save(fig, path)
