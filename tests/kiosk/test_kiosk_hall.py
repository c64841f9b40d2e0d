"""The kiosk against the real hall server: the open ticket returned again, 过号重排, the hall going
away mid-session (said plainly, retried with the same key, one ticket), and the self-service
reports the supervisor's figures count."""

from __future__ import annotations

import datetime as dt

from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.hall_client import HallClient
from tests.kiosk.conftest import free_port, pump, tap, texts, wait_until

VALID = "11010519491231002X"


def identify(kiosk, tile: str = "take", number: str = VALID) -> None:
    """Tiles and Confirm by touch; the digits through the keypad's handler (typing by touch is
    covered in test_kiosk_touch and the journey test: each redraw costs ~0.5 s on llvmpipe)."""
    wait_until(lambda: kiosk.busy == 0)
    tap(next(w for w in kiosk.screen("home").walk() if getattr(w, "tile_name", None) == tile))
    for ch in number:
        kiosk.screen("identify").press(ch)
    tap(kiosk.screen("identify").confirm)


def take_number(kiosk, matter: str = "enroll") -> None:
    identify(kiosk)
    # entering the screen asks the hall for fresh availability and rebuilds the cards when it
    # differs: a finger lands on what is drawn then, so the test taps after the answer too
    wait_until(lambda: kiosk.busy == 0)
    take = kiosk.screen("take")
    tap(take.cards[matter])
    tap(take.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")


def test_taking_a_number_again_returns_the_open_ticket(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    take_number(kiosk)
    first = kiosk.session.ticket["number"]
    kiosk.go_home()
    take_number(kiosk, "contrib")  # another matter, same person, same day
    assert kiosk.session.created is False
    assert kiosk.session.ticket["number"] == first
    assert "您今天已有号码" in texts(kiosk.screen("ticket"))
    status = kiosk.devices.hall.status()
    assert sum(m["waiting"] for m in kiosk.devices.hall.availability()) == 1, status


def test_recheck_in_after_a_missed_call(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    take_number(kiosk)
    number = kiosk.session.ticket["number"]
    kiosk.go_home()
    staff = hall_server.login("staff1", "secret-1")
    assert staff.post("/api/windows/1/call").json()["ticket"]["number"] == number
    assert staff.post("/api/windows/1/skip").status_code == 200
    tap(next(w for w in kiosk.screen("home").walk() if getattr(w, "tile_name", None) == "recheck"))
    screen = kiosk.screen("recheck")
    for key in number[0] + str(int(number[1:])):  # typed as said: A1 for A001
        screen.press(key)
    tap(screen.confirm)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert f"已重新排队：{number}" in texts(screen.message)
    assert kiosk.devices.hall.ticket(number)["ticket"]["state"] == "waiting"
    # a number that does not exist gets the hall's own message, not a crash
    screen.press("DEL")
    screen.press("9")
    tap(screen.confirm)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert screen.error is not None and screen.error.code


def test_hall_stopping_mid_session_is_said_plainly_and_the_retry_makes_one_ticket(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    kiosk.refresh_availability()
    wait_until(lambda: kiosk.busy == 0)
    identify(kiosk)
    take = kiosk.screen("take")
    tap(take.cards["benefit"])
    hall_server.stop()  # the hall goes away between choosing and confirming
    tap(take.confirm)
    wait_until(lambda: kiosk.busy == 0 and not take.working)
    pump(2)
    assert "网络异常" in texts(take.status) and "No number was issued twice" not in texts(take.status)
    assert take.confirm.text.startswith("重试")
    key = kiosk.session.action.key
    hall_server.start()
    tap(take.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")
    assert kiosk.session.action.key == key and kiosk.session.action.attempts == 2
    number = kiosk.session.ticket["number"]
    # the same key again (a reply lost on the way back) is the same ticket, not a second one
    again = kiosk.devices.hall.take_ticket(["benefit"], key, id_number=VALID)
    assert again["created"] is False and again["ticket"]["number"] == number
    assert sum(m["waiting"] for m in kiosk.devices.hall.availability()) == 1


def test_network_down_before_the_hall_answers_at_all(kiosk):
    kiosk.devices.hall = HallClient(f"http://127.0.0.1:{free_port()}", "token", timeout=0.5)
    kiosk.refresh_availability()
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert not kiosk.hall_online
    assert "暂时无法连接大厅服务器" in texts(kiosk.screen("home"))


def test_self_service_reports_reach_the_supervisors_figures(kiosk, hall_server, config):
    kiosk.devices.hall = hall_server.client()
    kiosk.report(ss.RECORDS_QUERIED, contributions=12)
    kiosk.report(ss.CERTIFICATE_PRINTED, range="12", id="11010519491231002X")
    wait_until(lambda: kiosk.busy == 0)
    assert kiosk.outbox.sent == 2 and not kiosk.outbox.pending
    boss = hall_server.login("boss", "secret-2")
    figures = boss.get("/api/supervisor/figures").json()
    assert figures["selfservice"][ss.RECORDS_QUERIED] == 1
    assert figures["selfservice"][ss.CERTIFICATE_PRINTED] == 1
    assert figures["selfservice_completions"] == 2


def test_reports_wait_while_the_hall_is_down_and_go_when_it_is_back(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    hall_server.stop()
    kiosk.report(ss.CERTIFICATION_FAILED, attempt=1, reason="static_face")
    wait_until(lambda: kiosk.busy == 0)
    assert len(kiosk.outbox.pending) == 1
    hall_server.start()
    kiosk.refresh_availability()  # the next successful call flushes what waited
    wait_until(lambda: kiosk.busy == 0)
    assert not kiosk.outbox.pending
    boss = hall_server.login("boss", "secret-2")
    assert boss.get("/api/supervisor/figures").json()["selfservice"][ss.CERTIFICATION_FAILED] == 1


def test_a_window_ticket_after_self_service_is_tagged_and_counted(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    identify(kiosk, "certificate")
    kiosk.take_number_for_window("certificate:print_failed")
    take = kiosk.screen("take")
    wait_until(lambda: kiosk.busy == 0)  # the screen's fresh availability, as in take_number
    assert kiosk.session.matters == ["enroll"]  # kiosk.window_matters preselects the matter
    tap(take.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")
    wait_until(lambda: kiosk.busy == 0)
    number = kiosk.session.ticket["number"]
    assert kiosk.devices.hall.ticket(number)["ticket"]["tag"] == "certificate:print_failed"
    boss = hall_server.login("boss", "secret-2")
    day = hall_server.clock.now().date()
    figures = boss.get("/api/supervisor/figures", params={"date": day.isoformat()}).json()
    assert figures["selfservice"][ss.ROUTED_TO_WINDOW] == 1
    assert dt.date.fromisoformat(figures["day"]) == day


def test_spoken_prompts_follow_the_citizens_language(kiosk, hall_server, tmp_path):
    """Real espeak-ng into WAV files: Chinese prompts with the number read digit by digit, then
    English ones after the switch; a wrong ID digit is said once, not on every later key."""
    from onevisit.devices.voice.engines import espeak_binary
    from onevisit.kiosk.voice import KioskVoice

    if espeak_binary() is None:
        import pytest

        pytest.skip("espeak-ng is not installed (scripts/setup.sh installs it)")
    voice_config = kiosk.config_.voice.model_copy(
        update={"engine": "espeak", "out_dir": str(tmp_path / "voice"), "realtime": False}
    )
    voice = KioskVoice.from_config(kiosk.config_.model_copy(update={"voice": voice_config}))
    kiosk.devices.voice = voice
    kiosk.devices.hall = hall_server.client()
    try:
        wait_until(lambda: kiosk.busy == 0)
        tap(next(w for w in kiosk.screen("home").walk() if getattr(w, "tile_name", None) == "take"))
        assert voice.wait_idle(30)
        assert voice.spoken[-1] == ("zh", "请把身份证放在读卡区，或输入身份证号码")
        screen = kiosk.screen("identify")
        for ch in "110105194912310021":  # the check digit should be X
            screen.press(ch)
        assert voice.wait_idle(30)
        assert voice.spoken[-1] == ("zh", screen.problem.zh) and "校验位" in screen.problem.zh
        screen.press("5")  # a key more while the mistake stands: not said again
        assert voice.wait_idle(30)
        assert [text for _lang, text in voice.spoken].count(screen.problem.zh) == 1
        kiosk.go_home()

        take_number(kiosk)
        assert voice.wait_idle(30)
        number = kiosk.session.ticket["number"]
        assert voice.spoken[-1][0] == "zh"
        assert voice.spoken[-1][1].startswith(f"您的号码是 {number[0]} 零 零 一")

        kiosk.go_home()
        kiosk.toggle_lang()
        take_number(kiosk, "contrib")  # the same citizen: the open ticket again, said in English
        assert voice.wait_idle(30)
        assert voice.spoken[-1] == (
            "en",
            f"Your number is {' '.join(number)}. 0 people are ahead of you. Please listen for your call.",
        )
        wavs = sorted(
            p.name for p in (tmp_path / "voice" / f"kiosk-{kiosk.config_.kiosk.name}").glob("*.wav")
        )
        assert any(name.endswith("-prompt-en.wav") for name in wavs)
        assert any(name.endswith("-prompt-zh.wav") for name in wavs)
    finally:
        voice.stop()
