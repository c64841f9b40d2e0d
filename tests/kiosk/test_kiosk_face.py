"""刷脸认证 on the kiosk with the real verification flow: a frames:// camera made by face-clip from a
shared photo (skipped without ../shared/faces), the demo records backend, the real hall server for
the tagged ticket and the self-service figures, the virtual printer for the receipt."""

from __future__ import annotations

import datetime as dt

import cv2
import pytest

from onevisit.devices.voice.engines import NullSink, SilentEngine
from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.face import FaceCertifier
from onevisit.kiosk.printing import KioskPrinter
from onevisit.kiosk.voice import KioskVoice
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.kiosk.conftest import pump, tap, texts, wait_until

OBAMA = "face_recognition/examples/obama.jpg"


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    from onevisit.devices.camera import load_image
    from onevisit.sim.camera.puppet import kiosk_view, write_clip
    from tests.conftest import SHARED_FACES

    if not SHARED_FACES.is_dir():
        pytest.skip(f"face photos not available: {SHARED_FACES} is absent")
    root = tmp_path_factory.mktemp("face-clips")
    frame = kiosk_view(load_image(SHARED_FACES / OBAMA))
    live = write_clip(
        frame, ["still", "blink", "open_mouth", "turn_left", "turn_right", "nod"], root / "live"
    )
    still = root / "still.jpg"
    cv2.imwrite(str(still), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return {"live": f"frames://{live}?fps=10&loop=1", "still": f"frames://{still}?fps=10&loop=1"}


@pytest.fixture
def records_config(config, tmp_path, faces_dir):
    from onevisit.sim.records.demo_backend import open_backend, seed_demo

    folder = tmp_path / "records"
    seed_demo(folder / "records.db", dt.date.today(), faces_dir=faces_dir, reset=True)
    records = config.records.model_copy(
        update={"database": str(folder / "records.db"), "certificates_db": str(folder / "certs.db")}
    )
    cfg = config.model_copy(update={"records": records})
    return cfg, open_backend(cfg)


def setup_face(kiosk, cfg, backend, url, challenges=None, hall=None):
    kiosk.devices.camera_url = url
    kiosk.devices.verification = FaceCertifier(cfg, backend, url, challenges=challenges)
    kiosk.devices.voice = KioskVoice(SilentEngine(), NullSink())
    kiosk.devices.hall = hall
    from onevisit.sim.records.demo_backend import demo_id

    kiosk.session.identified(demo_id("pensioner_due"))
    kiosk.session.purpose = "face"
    kiosk.go("face")
    screen = kiosk.screen("face")
    # the records are asked first whether a check is due (on a worker thread): wait for the answer
    wait_until(lambda: not screen.asking and screen.settled_for is not None, timeout=60)
    pump(2)
    return screen


def start(kiosk, screen):
    wait_until(lambda: screen.view is not None and screen.view.frames_shown > 0, timeout=60)
    tap(screen.start_button)
    assert screen.run is not None


def test_a_live_face_passes_shows_certified_until_and_prints_a_receipt(
    kiosk, clips, records_config, hall_server, tmp_path
):
    cfg, backend = records_config
    screen = setup_face(kiosk, cfg, backend, clips["live"], ["blink", "turn_left"], hall_server.client())
    assert "摘下帽子" in texts(screen)  # the instructions, beside the live picture
    start(kiosk, screen)
    run = screen.run
    view = screen.view
    shown_before = view.frames_shown
    wait_until(lambda: screen.result is not None or screen.error is not None, timeout=240)
    # the flow works on its own thread: the screen kept drawing camera frames meanwhile (how many
    # depends on how fast this machine runs the flow, so only that it drew)
    assert view.frames_shown > shown_before
    assert screen.error is None, screen.error
    assert screen.result.passed, screen.result.to_dict()
    prompts = [zh for zh, _en in run.progress.prompts]
    assert "请眨眨眼" in prompts and any("左" in p for p in prompts)
    assert kiosk.devices.voice.wait_idle(5) and kiosk.devices.voice.spoken
    pump(2)
    shown = texts(screen)
    until = screen.result.certified_until
    assert "认证成功" in shown and f"有效期至 {until}" in shown
    assert dt.date.fromisoformat(until) > dt.date.today()
    from onevisit.sim.records.demo_backend import demo_id

    assert str(backend.pension_status(demo_id("pensioner_due")).certified_until) == until
    with VirtualPrinter(tmp_path / "paper") as vp:
        kiosk.devices.printer = KioskPrinter(vp.url, kiosk.config_)
        screen.refresh()
        receipt = next(w for w in screen.footer.walk() if getattr(w, "text", "") == "打印认证回执")
        tap(receipt)
        wait_until(
            lambda: screen.receipt in ("printed",) or str(screen.receipt).startswith("failed"), timeout=60
        )
        assert screen.receipt == "printed"
        assert vp.wait_for_jobs(1, timeout=10)
    wait_until(lambda: kiosk.busy == 0)
    boss = hall_server.login("boss", "secret-2")
    assert boss.get("/api/supervisor/figures").json()["selfservice"][ss.CERTIFICATION_PASSED] == 1


def test_three_failures_lead_to_a_tagged_ticket_through_the_hall(kiosk, clips, records_config, hall_server):
    cfg, backend = records_config
    fast = cfg.model_copy(
        update={"verification": cfg.verification.model_copy(update={"challenge_seconds": 1.5})}
    )
    screen = setup_face(kiosk, fast, backend, clips["still"], ["blink", "turn_left"], hall_server.client())
    start(kiosk, screen)
    wait_until(lambda: screen.result is not None or screen.error is not None, timeout=240)
    result = screen.result
    assert result is not None and result.outcome == "failed" and len(result.attempts) == 3
    pump(2)
    assert "认证未通过" in texts(screen)
    tap(screen.window_button)
    assert kiosk.sm.current == "take"
    assert kiosk.session.matters == ["benefit"]  # kiosk.window_matters["face"]
    tap(kiosk.screen("take").confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")
    wait_until(lambda: kiosk.busy == 0)
    ticket = kiosk.devices.hall.ticket(kiosk.session.ticket["number"])["ticket"]
    assert ticket["tag"].startswith("pension certification failed: ")
    boss = hall_server.login("boss", "secret-2")
    figures = boss.get("/api/supervisor/figures").json()["selfservice"]
    assert figures[ss.CERTIFICATION_FAILED] == 3 and figures[ss.ROUTED_TO_WINDOW] == 1


def test_leaving_mid_check_stops_the_flow_and_records_nothing(kiosk, clips, records_config):
    cfg, backend = records_config
    screen = setup_face(kiosk, cfg, backend, clips["live"], ["blink", "turn_left"])
    start(kiosk, screen)
    run = screen.run
    wait_until(lambda: run.progress.state == "running", timeout=60)
    kiosk.go_home()
    assert run.finished.wait(30)
    wait_until(lambda: kiosk.busy == 0)
    assert screen.run is None and screen.result is None
    from onevisit.sim.records.demo_backend import demo_id

    assert backend.certification_attempts(demo_id("pensioner_due")) == []


def test_no_camera_hides_the_tile_and_the_screen_offers_a_window(kiosk):
    assert "face" not in [getattr(w, "tile_name", None) for w in kiosk.screen("home").walk()]
    kiosk.go("face")
    pump(2)
    assert "摄像头不可用" in texts(kiosk.screen("face"))
