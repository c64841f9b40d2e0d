"""Refusals the queue gives, each with a stable code, an HTTP status and words for staff and citizens."""

from __future__ import annotations

from onevisit.core.errors import OneVisitError


class QueueError(OneVisitError):
    status = 409


class UnknownMatter(QueueError):
    status = 422

    def __init__(self, code: str, known: list[str]) -> None:
        super().__init__(
            "unknown_matter",
            f"没有“{code}”这项业务",
            f"There is no matter called {code!r}",
            matter=code,
            known=known,
        )


class UnknownWindow(QueueError):
    status = 404

    def __init__(self, window: int) -> None:
        super().__init__(
            "unknown_window", f"没有{window}号窗口", f"There is no window {window}", window=window
        )


class WindowNotServing(QueueError):
    status = 422

    def __init__(self, window: int, matter: str) -> None:
        super().__init__(
            "window_not_serving",
            f"{window}号窗口不办理该业务",
            f"Window {window} does not serve {matter}",
            window=window,
            matter=matter,
        )


class NothingWaiting(QueueError):
    status = 404

    def __init__(self, window: int) -> None:
        super().__init__(
            "nothing_waiting",
            "当前没有等候的号码",
            f"Nobody is waiting for window {window}'s matters",
            window=window,
        )


class WindowBusy(QueueError):
    def __init__(self, window: int, number: str, state: str) -> None:
        super().__init__(
            "window_busy",
            f"请先处理当前号码 {number}（开始、完成、过号或转移）",
            f"Window {window} still has {number} ({state}): start, finish, skip or transfer it first",
            window=window,
            number=number,
        )


class WindowUnavailable(QueueError):
    def __init__(self, window: int, state: str) -> None:
        words = {"paused": ("已暂停", "is paused"), "closed": ("已关闭", "is closed")}[state]
        super().__init__(
            f"window_{state}",
            f"{window}号窗口{words[0]}",
            f"Window {window} {words[1]}",
            window=window,
        )


class NothingCalled(QueueError):
    def __init__(self, window: int) -> None:
        super().__init__(
            "nothing_called",
            "当前没有已叫号、等待到场的号码",
            f"Window {window} has no called ticket waiting for its citizen",
            window=window,
        )


class NothingServing(QueueError):
    def __init__(self, window: int) -> None:
        super().__init__(
            "nothing_serving",
            "当前没有正在办理的号码，请先点击“开始”",
            f"Window {window} is not serving anyone; press Start first",
            window=window,
        )


class NothingAtWindow(QueueError):
    def __init__(self, window: int) -> None:
        super().__init__(
            "nothing_at_window",
            "当前窗口没有号码",
            f"Window {window} has no ticket",
            window=window,
        )


class RecallTooSoon(QueueError):
    status = 429

    def __init__(self, seconds_left: int) -> None:
        super().__init__(
            "recall_too_soon",
            f"重呼过于频繁，请{seconds_left}秒后再试",
            f"Recalled too soon; try again in {seconds_left} s",
            seconds_left=seconds_left,
        )


class RecallLimit(QueueError):
    def __init__(self, max_recalls: int) -> None:
        super().__init__(
            "recall_limit",
            f"已重呼{max_recalls}次，请做过号处理",
            f"Already recalled {max_recalls} times; mark it as a no-show",
            max_recalls=max_recalls,
        )


class TicketNotFound(QueueError):
    status = 404

    def __init__(self, number: str) -> None:
        super().__init__(
            "ticket_not_found", f"今天没有 {number} 号", f"No ticket {number} today", number=number
        )


class TicketClosed(QueueError):
    def __init__(self, number: str, state: str) -> None:
        super().__init__(
            "ticket_closed",
            f"{number} 号已办结或已取消",
            f"Ticket {number} is already {state}",
            number=number,
            state=state,
        )


class TicketNotWaiting(QueueError):
    def __init__(self, number: str, state: str) -> None:
        super().__init__(
            "ticket_not_waiting",
            f"{number} 号当前不在等候中",
            f"Ticket {number} is not waiting ({state})",
            number=number,
            state=state,
        )


class NotMissed(QueueError):
    def __init__(self, number: str) -> None:
        super().__init__(
            "ticket_not_missed",
            f"{number} 号没有过号，无需重新签到",
            f"Ticket {number} was not missed; no need to check in again",
            number=number,
        )


class MatterFull(QueueError):
    def __init__(self, matter: str, name_zh: str) -> None:
        super().__init__(
            "matter_full",
            f"今日“{name_zh}”号已发完，请明天再来或预约",
            f"Today's tickets for {matter} are all taken; please come tomorrow or book",
            matter=matter,
        )


class MatterClosed(QueueError):
    def __init__(self, matter: str, name_zh: str, cutoff: str) -> None:
        super().__init__(
            "matter_closed",
            f"“{name_zh}”今日{cutoff}已停止取号",
            f"Tickets for {matter} stopped at {cutoff} today",
            matter=matter,
            cutoff=cutoff,
        )


class HallClosed(QueueError):
    def __init__(self, open_: str, close: str) -> None:
        super().__init__(
            "hall_closed",
            f"大厅办公时间为 {open_}–{close}",
            f"The hall is open {open_}–{close}",
            open=open_,
            close=close,
        )


class BadRequest(QueueError):
    status = 422

    def __init__(self, code: str, zh: str, en: str, **details: object) -> None:
        super().__init__(code, zh, en, **details)
