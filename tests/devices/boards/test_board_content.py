"""What each board shows for the hall's events (no bus involved)."""

from __future__ import annotations

from onevisit.devices.boards.content import BoardContent, BoardSpec, Shown

SPECS = [
    BoardSpec(1, "window", 1, "欢迎光临", 16),
    BoardSpec(3, "window", 3, "欢迎光临", 16),
    BoardSpec(100, "main", None, "欢迎光临", 48),
]


def ev(i: int, kind: str, number: str | None = None, window: int | None = None) -> dict:
    return {"id": i, "kind": kind, "number": number, "window": window, "matter": "enroll", "data": {}}


def test_call_shows_on_window_and_main_board() -> None:
    c = BoardContent(SPECS)
    assert c.current()[3] == Shown("欢迎光临", False)
    changed = c.apply(ev(1, "step.called", "A012", 3))
    assert changed == {3: Shown("A012 请到3号窗口", False), 100: Shown("A012→3号", False)}


def test_main_board_keeps_latest_three_newest_first_and_scrolls_when_long() -> None:
    c = BoardContent(SPECS, recent=3)
    for i, (n, w) in enumerate([("A001", 1), ("B002", 3), ("A003", 1), ("C004", 3)], start=1):
        c.apply(ev(i, "step.called", n, w))
    main = c.current()[100]
    assert main.text == "C004→3号  A003→1号  B002→3号"
    assert main.scroll is False  # 28 cells fit a 48-cell board
    narrow = BoardContent([BoardSpec(100, "main", None, "欢迎光临", 16)])
    narrow.apply(ev(1, "step.called", "A001", 1))
    narrow.apply(ev(2, "step.called", "A002", 1))
    assert narrow.current()[100].scroll is True


def test_recall_moves_to_front_skip_clears() -> None:
    c = BoardContent(SPECS)
    c.apply(ev(1, "step.called", "A001", 1))
    c.apply(ev(2, "step.called", "A002", 3))
    c.apply(ev(3, "step.recalled", "A001", 1))
    assert c.current()[100].text.startswith("A001→1号")
    c.apply(ev(4, "step.skipped", "A001", 1))
    assert c.current()[1].text == "欢迎光临"
    assert "A001" not in c.current()[100].text


def test_serving_finished_paused_resumed_closed() -> None:
    c = BoardContent(SPECS)
    c.apply(ev(1, "step.called", "A012", 3))
    c.apply(ev(2, "step.started", "A012", 3))
    assert c.current()[3].text == "A012 正在办理"
    c.apply(ev(3, "window.paused", None, 3))
    assert c.current()[3].text == "暂停服务"
    c.apply(ev(4, "step.finished", "A012", 3))
    assert c.current()[3].text == "暂停服务"  # finishing while paused stays paused
    c.apply(ev(5, "window.resumed", None, 3))
    assert c.current()[3].text == "欢迎光临"
    c.apply(ev(6, "window.closed", None, 3))
    assert c.current()[3].text == "窗口已关闭"
    assert c.current()[1].text == "欢迎光临"  # other windows untouched


def test_replayed_events_change_nothing() -> None:
    c = BoardContent(SPECS)
    assert c.apply(ev(5, "step.called", "A012", 3))
    assert c.apply(ev(5, "step.called", "A012", 3)) is None
    assert c.apply(ev(4, "window.paused", None, 3)) is None
    assert c.current()[3].text == "A012 请到3号窗口"


def test_finish_of_another_number_does_not_clear_the_board() -> None:
    c = BoardContent(SPECS)
    c.apply(ev(1, "step.called", "A012", 3))
    c.apply(ev(2, "step.finished", "A011", 3))
    assert c.current()[3].text == "A012 请到3号窗口"


def test_a_missed_number_stays_off_the_main_board_after_a_restart() -> None:
    """过号 leaves the main board, also when the board process restarts and primes from the day's events."""
    events = [
        ev(1, "step.called", "A004", 3),
        ev(2, "step.called", "A005", 1),
        ev(3, "step.skipped", "A004", 3),
    ]
    c = BoardContent(SPECS)
    c.prime(events)
    assert c.current()[100].text == "A005→1号"
    assert c.current()[3].text == "欢迎光临"
