"""The supervisor's alerts on a real queue: thresholds, and which comprehensive window to switch."""

from __future__ import annotations

from onevisit.queue import QueueService
from onevisit.stats.live import comprehensive_windows, supervisor_view


def open_hall(config, clock, tmp_path) -> QueueService:
    return QueueService.open(config.model_copy(update={"base_dir": tmp_path}), tmp_path / "h.db", clock)


def test_demo_hall_comprehensive_windows_are_1_and_2(config):
    assert comprehensive_windows(config) == [1, 2]


def test_no_alert_under_the_threshold(config, clock, tmp_path):
    svc = open_hall(config, clock, tmp_path)
    svc.issue(["benefit"])
    view = supervisor_view(config, svc.availability(), svc.windows(), 30)
    assert view["alerts"] == []
    assert view["window_counts"] == {"busy": 0, "idle": 6, "unstaffed": 0, "paused": 0, "closed": 0}
    benefit = next(m for m in view["matters"] if m["code"] == "benefit")
    assert benefit["waiting"] == 1 and not benefit["alert"]


def test_long_benefit_queue_suggests_opening_the_closed_comprehensive_window(config, clock, tmp_path):
    svc = open_hall(config, clock, tmp_path)
    svc.close_window(2, "supervisor:li")
    for _ in range(12):  # 12 × 15 min over windows 1, 5, 6 → 13 × 15 / 3 = 65 min for a newcomer
        svc.issue(["benefit"])
    svc.issue(["card"])
    svc.call_next(1, "staff:w1")  # window 1 now busy (benefit is first by arrival)
    view = supervisor_view(config, svc.availability(), svc.windows(), 30)
    assert [a["matter"] for a in view["alerts"]] == ["benefit"]
    alert = view["alerts"][0]
    assert alert["wait_minutes"] > 30
    suggestion = alert["suggestion"]
    assert suggestion["window"] == 2 and suggestion["action"] == "open"
    assert "2 号综合窗口" in suggestion["text_zh"]
    assert suggestion["wait_after_minutes"] < alert["wait_minutes"]
    activity = {w["number"]: w["activity"] for w in view["windows"]}
    assert activity[1] == "busy" and activity[2] == "closed" and activity[3] == "idle"


def test_all_comprehensive_windows_open_suggests_the_idle_one_to_focus(config, clock, tmp_path):
    svc = open_hall(config, clock, tmp_path)
    for _ in range(15):
        svc.issue(["benefit"])
    svc.call_next(1, "staff:w1")
    view = supervisor_view(config, svc.availability(), svc.windows(), 30)
    suggestion = view["alerts"][0]["suggestion"]
    assert suggestion["window"] == 2 and suggestion["action"] == "focus"


def test_two_alerts_get_different_windows(config, clock, tmp_path):
    svc = open_hall(config, clock, tmp_path)
    for _ in range(15):
        svc.issue(["benefit"])
    for _ in range(25):
        svc.issue(["contrib"])
    view = supervisor_view(config, svc.availability(), svc.windows(), 20)
    windows = [a["suggestion"]["window"] for a in view["alerts"]]
    assert len(view["alerts"]) == 2 and sorted(windows) == [1, 2]


def test_an_open_window_with_nobody_logged_in_is_unstaffed_not_idle(config, clock, tmp_path):
    svc = open_hall(config, clock, tmp_path)
    svc.issue(["card"])
    svc.call_next(3, "supervisor:zhao")  # busy although nobody is logged in there: the supervisor called
    view = supervisor_view(config, svc.availability(), svc.windows(), 30, logged_in={1: ["wang"]})
    activity = {w["number"]: (w["activity"], w["logged_in"]) for w in view["windows"]}
    assert activity[1] == ("idle", ["wang"])
    assert activity[2] == ("unstaffed", [])
    assert activity[3] == ("busy", [])
    assert view["window_counts"] == {"busy": 1, "idle": 1, "unstaffed": 4, "paused": 0, "closed": 0}
