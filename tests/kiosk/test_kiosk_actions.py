"""A tap counts once (kiosk/actions.py) and one touch is one event (kivy_setup.configure_input):
the rules on their own, without a window."""

from __future__ import annotations

import pytest
from kivy.config import ConfigParser

from onevisit.core.errors import OneVisitError
from onevisit.kiosk.actions import ActionLog, press
from onevisit.kiosk.hall_client import HallRefused, HallUnavailable
from onevisit.kiosk.kivy_setup import MOUSE_PROVIDER, configure_input
from onevisit.kiosk.session import Session


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Hall:
    """Work that answers when the test says, like a request in flight."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.pending: list[tuple] = []

    def start(self, key, ok, bad) -> None:
        self.calls.append(key)
        self.pending.append((ok, bad))

    def answer(self, result=None, error: OneVisitError | None = None) -> None:
        ok, bad = self.pending.pop(0)
        if error is None:
            ok(result)
        else:
            bad(error)


def presses(log, hall, clock, shown, name="recheck", inputs="A012", **options):
    return press(log, name, inputs, clock, hall.start, shown.append, shown.append, **options)


def test_a_second_press_while_the_first_runs_does_nothing_and_after_it_shows_the_first_answer():
    log, hall, clock, shown = ActionLog(), Hall(), Clock(), []
    assert presses(log, hall, clock, shown) == "run"
    assert presses(log, hall, clock, shown) == "wait"
    hall.answer({"ahead": 3})
    assert presses(log, hall, clock, shown) == "show"
    clock.now += 3600  # however late: re-queueing twice is never what a second press meant
    assert presses(log, hall, clock, shown) == "show"
    assert len(hall.calls) == 1 and shown == [{"ahead": 3}] * 3


def test_different_inputs_are_different_actions():
    log, hall, clock, shown = ActionLog(), Hall(), Clock(), []
    presses(log, hall, clock, shown, inputs="A012")
    presses(log, hall, clock, shown, inputs="A013")
    presses(log, hall, clock, shown, name="print-ticket", inputs="A012")
    assert len(hall.calls) == 3 and len(set(hall.calls)) == 3


@pytest.mark.parametrize(
    ("error", "same_key"),
    [
        (HallUnavailable("timeout"), True),  # may have reached the hall: the retry is the same press
        (HallRefused(503, {}), True),
        (HallRefused(409, {"error": {"code": "not_missed"}}), False),  # an answer: a new press is new
        (OneVisitError("printer_offline", "打印机离线", "printer offline"), False),
    ],
)
def test_after_a_failure_a_press_runs_again_keeping_the_key_only_when_the_hall_may_not_have_answered(
    error, same_key
):
    log, hall, clock, shown = ActionLog(), Hall(), Clock(), []
    presses(log, hall, clock, shown)
    hall.answer(error=error)
    assert presses(log, hall, clock, shown) == "run"
    assert (hall.calls[0] == hall.calls[1]) is same_key
    assert shown == [error]


def test_a_print_pressed_again_later_is_a_reprint_not_a_double_tap():
    log, hall, clock, shown = ActionLog(), Hall(), Clock(), []
    presses(log, hall, clock, shown, name="print-ticket", repeat_after=5.0)
    hall.answer("printed")
    clock.now += 1.0
    assert presses(log, hall, clock, shown, name="print-ticket", repeat_after=5.0) == "show"
    clock.now += 5.0
    assert presses(log, hall, clock, shown, name="print-ticket", repeat_after=5.0) == "run"
    assert len(hall.calls) == 2


def test_a_print_that_did_not_come_out_is_tried_again_at_once():
    log, hall, clock, shown = ActionLog(), Hall(), Clock(), []
    options = {"name": "print-ticket", "repeat_after": 5.0, "settled": lambda outcome: outcome == "printed"}
    presses(log, hall, clock, shown, **options)
    hall.answer("paper_out")
    assert presses(log, hall, clock, shown, **options) == "run"
    hall.answer("printed")
    assert presses(log, hall, clock, shown, **options) == "show"
    assert shown == ["paper_out", "printed", "printed"] and len(hall.calls) == 2


def test_a_forced_key_is_the_one_sent():
    log, hall, clock, shown = ActionLog(), Hall(), Clock(), []
    presses(log, hall, clock, shown, name="take", key="k-1")
    assert hall.calls == ["k-1"]


def test_going_home_forgets_the_actions():
    session = Session()
    hall, clock, shown = Hall(), Clock(), []
    presses(session.actions, hall, clock, shown)
    hall.answer("ok")
    assert not session.empty
    session.clear()
    assert session.empty and presses(session.actions, hall, clock, shown) == "run"


# -- one touch, one event ---------------------------------------------------------------------------


def test_kivy_default_input_providers_are_replaced_by_the_mouse_provider_alone():
    """Kivy's Linux defaults are `mouse` plus `probesysfs` (kivy/config.py): every USB touchscreen
    touch arrives twice. A config.ini may add hidinput or mtdev by hand too."""
    config = ConfigParser(name="onevisit-test-input")
    config.add_section("input")
    config.set("input", "mouse", "mouse")
    config.set("input", "%(name)s", "probesysfs")
    config.set("input", "touchscreen", "hidinput,/dev/input/event5")
    config.set("input", "acert230h", "mtdev,/dev/input/event2")
    configure_input(config)
    assert config.options("input") == ["mouse"]
    assert config.get("input", "mouse") == MOUSE_PROVIDER
    tokens = MOUSE_PROVIDER.split(",")
    assert tokens[0] == "mouse" and {"disable_multitouch", "disable_on_activity"} <= set(tokens)
    configure_input(config)  # idempotent
    assert config.options("input") == ["mouse"]


def test_the_kiosk_runs_with_one_input_provider():
    """What prepare() (tests/kiosk/conftest.py, `onevisit kiosk`) left in Kivy's own Config."""
    from kivy.config import Config

    assert {key: Config.get("input", key) for key in Config.options("input")} == {"mouse": MOUSE_PROVIDER}
