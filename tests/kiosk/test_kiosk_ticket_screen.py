"""The ticket screen says when the number is a priority one, in words, and which windows serve
each later matter of the visit. A ticket from the real queue service."""

from __future__ import annotations

from onevisit.queue import QueueService
from tests.kiosk.conftest import pump, texts

PENSIONER = "11010519491231002X"  # 76 on the test day: priority by age


def test_priority_in_words_and_the_windows_of_later_matters(kiosk, config, clock, tmp_path):
    queue = QueueService.open(config, db_path=tmp_path / "hall.db", clock=clock)
    result = queue.issue(["benefit", "medical"], id_number=PENSIONER, idempotency_key="k1", source="kiosk")
    ticket = result.ticket
    assert ticket.priority and ticket.priority_reason.startswith("age")
    kiosk.session.ticket = ticket.to_dict()
    kiosk.session.position = queue.position(ticket).to_dict()
    kiosk.session.created = True
    kiosk.screen("ticket").printed_for = ticket.number  # no printer here: nothing to print
    kiosk.go("ticket")
    pump(2)
    shown = texts(kiosk.screen("ticket"))
    assert f"优先号：年满{config.priority.age_at_least}周岁" in shown
    assert "age" not in shown
    medical = [w.number for w in config.windows if "medical" in w.matters]
    assert f"之后办理：医保报销/备案（{'、'.join(map(str, medical))} 号窗口）" in shown
    assert "之后办理：待遇申领" not in shown  # the current matter is not "later"
