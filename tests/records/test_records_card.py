"""The 社保卡 in the demo records: status and progress, 挂失 (idempotent), 解除挂失 at a window, and
the `onevisit card` commands that act through the records contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from onevisit.commands.main import main
from onevisit.records.backend import CARD_IN_PRODUCTION, CardNotIssued, PersonNotFound
from onevisit.sim.records.demo_backend import demo_id
from onevisit.sim.records.idgen import make_id
from tests.records.conftest import NOW


def test_demo_cards_one_in_production_one_lost_the_rest_in_use(backend):
    making = backend.card_status(demo_id("new_worker", NOW.date()))
    assert making.state == "made" and making.state in CARD_IN_PRODUCTION
    assert [s.state for s in making.progress] == ["applied", "made"]
    assert making.progress[0].on < making.progress[1].on <= NOW.date()
    assert making.branch.endswith("支行") and making.words[0] == "卡已制成，正在送往银行网点"

    lost = backend.card_status(demo_id("pensioner_certified", NOW.date()))
    assert lost.state == "lost" and lost.lost_at is not None and lost.lost_at.date() < NOW.date()

    in_use = backend.card_status(demo_id("long_history", NOW.date()))
    assert in_use.state == "active" and in_use.lost_at is None and len(in_use.card_tail) == 4
    assert [s.state for s in in_use.progress][-1] == "active"


def test_a_loss_report_is_idempotent(backend):
    who = demo_id("gap", NOW.date())
    first = backend.report_card_loss(who, NOW, "kiosk-1")
    assert first.state == "lost" and first.lost_at == NOW
    again = backend.report_card_loss(who, NOW + dt.timedelta(seconds=5), "kiosk-1")
    assert again == first
    assert backend.card_status(who) == first
    assert [e["what"] for e in backend.card_events(who)] == ["loss_reported"]


def test_reversal_at_a_window_then_a_new_report(backend):
    who = demo_id("gap", NOW.date())
    backend.report_card_loss(who, NOW, "kiosk-1")
    back = backend.cancel_card_loss(who, NOW + dt.timedelta(hours=1), "3号窗口")
    assert back.state == "active" and back.lost_at is None
    assert backend.cancel_card_loss(who, NOW + dt.timedelta(hours=2), "3号窗口") == back  # unchanged
    later = NOW + dt.timedelta(days=1)
    assert backend.report_card_loss(who, later, "kiosk-2").lost_at == later
    assert [e["what"] for e in backend.card_events(who)] == [
        "loss_reported",
        "loss_cancelled",
        "loss_reported",
    ]


def test_a_card_in_production_cannot_be_reported_lost(backend):
    who = demo_id("new_worker", NOW.date())
    with pytest.raises(CardNotIssued) as info:
        backend.report_card_loss(who, NOW, "kiosk-1")
    assert "尚未领取" in info.value.zh and info.value.status == 409
    assert backend.card_status(who).state == "made" and backend.card_events(who) == []


def test_unknown_person_and_naive_time(backend):
    with pytest.raises(PersonNotFound):
        backend.card_status(make_id("110105", dt.date(1980, 1, 1), 999, female=False))
    with pytest.raises(ValueError):
        backend.report_card_loss(demo_id("gap", NOW.date()), NOW.replace(tzinfo=None), "kiosk-1")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_card_commands(records_config, capsys):
    cfg = ["--config", str(records_config.base_dir / "config.toml")]
    who = demo_id("long_history", NOW.date()).value
    code, out, _ = run(capsys, "card", "status", "--id", who, *cfg)
    shown = json.loads(out)
    assert code == 0 and shown["state"] == "active" and shown["state_zh"] == "正常使用"
    assert who not in out and shown["id"].startswith("330106****")

    code, out, _ = run(capsys, "card", "report-loss", "--id", who, *cfg)
    first = json.loads(out)
    assert code == 0 and first["state"] == "lost" and first["lost_at"]
    code, out, _ = run(capsys, "card", "report-loss", "--id", who, *cfg)
    assert code == 0 and json.loads(out) == first  # idempotent

    code, out, _ = run(capsys, "card", "cancel-loss", "--id", who, "--window", "3号窗口", *cfg)
    assert code == 0 and json.loads(out)["state"] == "active"

    making = demo_id("new_worker", NOW.date()).value
    code, out, err = run(capsys, "card", "report-loss", "--id", making, *cfg)
    assert code == 2 and out == "" and "card_not_issued" in err and making not in err

    code, _, err = run(capsys, "card", "status", "--id", "12345", *cfg)
    assert code == 2 and "id_length" in err and "Traceback" not in err
