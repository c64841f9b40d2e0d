"""One wait estimate, the same words everywhere: kiosk home, take and ticket screens, the printed
ticket, the phone page's API and the supervisor's live view, for the same ticket and hall.

Reproduces the field report: "前面还有3人，预计等候约0分钟" after the morning's first services
were finished within seconds.
"""

from __future__ import annotations

from onevisit.devices.printer.ticket import wait_text
from onevisit.kiosk.printing import ticket_print
from tests.kiosk.conftest import pump, tap, texts, wait_until
from tests.kiosk.test_kiosk_hall import identify

LI = "420106198509021428"  # born 1985: no priority, so she queues behind the three


def test_the_same_honest_wait_on_every_surface(kiosk, hall_server, clock):
    service = hall_server.app.state.hall.service
    for _ in range(5):
        service.issue(["enroll"])
    for _ in range(2):  # two services done in seconds: too little learned to trust
        service.call_next(3, "staff")
        service.start(3, "staff")
        clock.advance(seconds=3)
        service.finish(3, "staff")
    kiosk.devices.hall = hall_server.client()
    boss = hall_server.login("boss", "secret-2")

    kiosk.refresh_availability()
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    newcomer = next(m for m in boss.get("/api/availability").json()["matters"] if m["code"] == "enroll")
    assert newcomer["waiting"] == 3 and newcomer["wait_minutes"] >= 1
    assert newcomer["wait_zh"] and newcomer["wait_zh"] != "约0分钟"
    assert f"{newcomer['name_zh']}：3人等候，{newcomer['wait_zh']}" in texts(kiosk.screen("home"))

    identify(kiosk, number=LI)
    wait_until(lambda: kiosk.busy == 0)
    take = kiosk.screen("take")
    assert f"等候3人，{newcomer['wait_zh']}" in texts(take.cards["enroll"])
    tap(take.cards["enroll"])
    tap(take.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")
    ticket = kiosk.session.ticket
    phone = boss.get(f"/api/public/tickets/{ticket['number']}", params={"c": ticket["short_code"]}).json()
    position = phone["position"]
    assert position["ahead"] == 3 and position["wait_zh"] == newcomer["wait_zh"]
    shown = texts(kiosk.screen("ticket"))
    assert "前面还有3人" in shown and f"预计等候{position['wait_zh']}" in shown
    assert "约0分钟" not in shown

    paper = ticket_print(kiosk.config_, ticket, kiosk.session.position, None)
    zh_lines, _en = wait_text(paper.ahead, paper.wait_low, paper.wait_high)
    assert f"预计等候{position['wait_zh']}" in zh_lines

    # the supervisor sees the wait the next newcomer faces, as the kiosk's home now says it
    live = boss.get("/api/supervisor/live").json()
    enroll = next(m for m in live["matters"] if m["code"] == "enroll")
    after = next(m for m in boss.get("/api/availability").json()["matters"] if m["code"] == "enroll")
    assert enroll["waiting"] == 4 and enroll["wait_zh"] == after["wait_zh"] and enroll["wait_minutes"] >= 1
