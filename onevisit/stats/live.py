"""The supervisor's live view: queues and predicted waits, windows open/paused/idle, and alerts.

An alert fires when a matter's predicted wait for a newcomer passes `[supervisor] wait_alert_minutes`.
It names the comprehensive window (one that serves every matter) to help: a closed or paused one to
open first (that adds a window to the matter, so the wait drops by the formula), otherwise an idle
open one to call that matter's numbers first (叫指定号). Pure functions over the queue's answers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from onevisit.core.config import Config
from onevisit.queue.models import WindowState, WindowStatus
from onevisit.queue.service import MatterAvailability


def comprehensive_windows(config: Config) -> list[int]:
    every = {m.code for m in config.matters}
    return [w.number for w in config.windows if every <= set(w.matters)]


def _window_entry(
    config: Config, status: WindowStatus, comprehensive: set[int], logged_in: list[str] | None
) -> dict[str, Any]:
    spec = config.window(status.number)
    if status.state != WindowState.OPEN:
        activity = str(status.state)  # paused / closed
    elif status.current_number is not None:
        activity = "busy"
    elif logged_in is not None and not logged_in:
        activity = "unstaffed"  # open, but nobody is logged in there: not 空闲, nobody will call
    else:
        activity = "idle"
    return {
        "number": status.number,
        "label_zh": spec.label_zh,
        "label_en": spec.label_en,
        "state": str(status.state),
        "activity": activity,  # busy / idle / unstaffed / paused / closed
        "logged_in": list(logged_in or []),
        "current_number": status.current_number,
        "staff": status.staff,
        "matters": list(status.matters),
        "comprehensive": status.number in comprehensive,
    }


def _suggest(
    config: Config,
    matter: MatterAvailability,
    windows: Sequence[dict[str, Any]],
    taken: set[int],
) -> dict[str, Any] | None:
    spec = config.matter(matter.code)
    name, name_en = spec.name_zh, spec.name_en
    candidates = [w for w in windows if w["comprehensive"] and w["number"] not in taken]
    if not candidates:
        # No comprehensive window free: a closed or paused window that serves this matter.
        candidates = [
            w
            for w in windows
            if matter.code in w["matters"] and w["state"] != "open" and w["number"] not in taken
        ]
    order = {"closed": 0, "paused": 1, "idle": 2, "busy": 3, "unstaffed": 4}
    candidates.sort(key=lambda w: (order[w["activity"]], w["number"]))
    if not candidates:
        return None
    w = candidates[0]
    n = w["number"]
    open_now = len(matter.windows)
    if w["state"] != "open":
        action = "open" if w["state"] == "closed" else "resume"
        # one more window shares the same queue: the same estimate over open_now + 1 windows
        after = math.ceil(matter.wait.minutes * open_now / (open_now + 1)) if open_now else None
        verb_zh = "开放" if action == "open" else "恢复"
        zh = f"建议{verb_zh} {n} 号综合窗口并优先办理“{name}”"
        en = f"{'Open' if action == 'open' else 'Resume'} window {n} and give it to “{name_en}” first"
    else:
        action = "focus"
        after = None
        zh = f"建议 {n} 号综合窗口转办“{name}”（叫指定号优先呼叫该业务）"
        en = f"Switch window {n} to “{name_en}”: call its numbers first (call a specific number)"
    return {"window": n, "action": action, "text_zh": zh, "text_en": en, "wait_after_minutes": after}


def supervisor_view(
    config: Config,
    availability: Mapping[str, MatterAvailability],
    windows: Sequence[WindowStatus],
    threshold_minutes: float,
    logged_in: Mapping[int, list[str]] | None = None,
) -> dict[str, Any]:
    """Everything the /supervisor page shows live, JSON-ready and free of personal data.

    `logged_in`: staff names logged in per window (the hall's session tokens); when given, an open
    window with nobody logged in and nobody at it is `unstaffed`, not `idle`."""
    comprehensive = set(comprehensive_windows(config))
    window_list = [
        _window_entry(config, w, comprehensive, None if logged_in is None else logged_in.get(w.number, []))
        for w in windows
    ]
    matters = []
    alerts = []
    taken: set[int] = set()
    # Worst first, so the longest queue gets the first free comprehensive window.
    worst_first = sorted(availability.values(), key=lambda a: -a.wait_minutes)
    over = {a.code for a in worst_first if a.waiting > 0 and a.wait_minutes > threshold_minutes}
    for a in worst_first:
        if a.code not in over:
            continue
        suggestion = _suggest(config, a, window_list, taken)
        if suggestion:
            taken.add(suggestion["window"])
        m = config.matter(a.code)
        alerts.append(
            {
                "matter": a.code,
                "name_zh": m.name_zh,
                "name_en": m.name_en,
                "waiting": a.waiting,
                **a.wait.to_dict(),
                "threshold_minutes": threshold_minutes,
                "open_windows": list(a.windows),
                "suggestion": suggestion,
            }
        )
    for m in config.matters:
        a = availability[m.code]
        matters.append(
            {
                "code": m.code,
                "name_zh": m.name_zh,
                "name_en": m.name_en,
                "waiting": a.waiting,
                **a.wait.to_dict(),
                "open_windows": list(a.windows),
                "issuing": a.open,
                "reason_code": a.reason_code,
                "remaining": a.remaining,
                "alert": m.code in over,
            }
        )
    counts = {
        k: sum(1 for w in window_list if w["activity"] == k)
        for k in ("busy", "idle", "unstaffed", "paused", "closed")
    }
    return {
        "threshold_minutes": threshold_minutes,
        "matters": matters,
        "windows": window_list,
        "window_counts": counts,
        "comprehensive_windows": sorted(comprehensive),
        "alerts": alerts,
    }
