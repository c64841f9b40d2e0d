"""The SAM reader over a real pseudo-terminal against the emulator; wedge and simulator readers."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from onevisit.devices.cardreader import CardReadError, SimCardReader, WedgeReader, open_card_reader
from onevisit.sim.cardreader.emulator import PtyLink, SamEmulator, serve

TODAY = dt.date(2026, 11, 23)
ID = "11010519491231002X"


@pytest.fixture
def emulated(tmp_path):
    started = []

    def start(**kwargs):
        emulator = SamEmulator(ID, "张三丰", **kwargs)
        link = PtyLink(tmp_path / "card-link")
        stop = threading.Event()
        thread = threading.Thread(target=serve, args=(emulator, link, stop, 0.0), daemon=True)
        thread.start()
        started.append((link, stop, thread))
        return emulator, f"serial://{link.link}?baud=115200"

    yield start
    for link, stop, thread in started:
        stop.set()
        thread.join(2)
        link.close()


def test_sam_reader_reads_the_card_once_per_placing(emulated):
    emulator, url = emulated()
    reader = open_card_reader(url, today=lambda: TODAY)
    try:
        card = reader.read(timeout=2)
        assert card is not None and card.id_number.value == ID and card.name == "张三丰"
        assert reader.read(timeout=2) is None  # taken away until placed again
        emulator.place()
        assert reader.read(timeout=2).name == "张三丰"
    finally:
        reader.close()


@pytest.mark.parametrize("fault, code", [("checksum", "card_garbled"), ("garbled", None)])
def test_sam_reader_faults_are_errors_and_the_next_read_works(emulated, fault, code):
    _emulator, url = emulated(fault=fault, fault_count=1, always=True)
    reader = open_card_reader(url, today=lambda: TODAY)
    try:
        with pytest.raises(CardReadError) as err:
            reader.read(timeout=2)
        if code:
            assert err.value.code == code
        assert reader.read(timeout=2).id_number.value == ID
    finally:
        reader.close()


def test_sam_reader_no_card_fault_reads_nothing(emulated):
    _, url = emulated(fault="nocard")
    reader = open_card_reader(url)
    try:
        assert reader.read(timeout=2) is None
    finally:
        reader.close()


def test_silent_reader_times_out_with_a_plain_message(emulated):
    _, url = emulated(fault="silent")
    reader = open_card_reader(url)
    try:
        with pytest.raises(CardReadError) as err:
            reader.read(timeout=0.3)
        assert err.value.code == "card_reader_unavailable"
    finally:
        reader.close()


def test_missing_serial_port_is_unavailable_not_a_crash(tmp_path):
    with pytest.raises(CardReadError) as err:
        open_card_reader(f"serial://{tmp_path}/nothing")
    assert err.value.code == "card_reader_unavailable"


def test_wedge_reader_collects_digits_until_enter():
    reader = WedgeReader(today=lambda: TODAY)
    for key in "12" + "q" + ID.lower():  # a stray key resets the line
        assert reader.key(key) is None
    card = reader.key("enter")
    assert card.id_number.value == ID and card.source == "wedge"
    assert reader.read() is card and reader.read() is None


def test_wedge_reader_behind_a_full_width_input_method_reads_the_same_number():
    reader = WedgeReader(today=lambda: TODAY)
    for key in ID[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "Ｘ":
        reader.key(key)
    assert reader.key("enter").id_number.value == ID


def test_wedge_reader_says_a_foreign_residence_card_is_not_supported():
    reader = WedgeReader(today=lambda: TODAY)
    for key in "911000156060101019":
        reader.key(key)
    with pytest.raises(CardReadError) as err:
        reader.key("enter")
    assert err.value.code == "id_card_type_unsupported"


def test_wedge_reader_refuses_a_wrong_check_digit():
    reader = WedgeReader(today=lambda: TODAY)
    for key in "110105194912310021":
        reader.key(key)
    with pytest.raises(CardReadError) as err:
        reader.key("enter")
    assert err.value.code == "card_id_invalid" and "校验位" in err.value.zh


def test_sim_reader_url_and_faults():
    reader = open_card_reader(f"sim://?id={ID}&name=王五", today=lambda: TODAY)
    assert isinstance(reader, SimCardReader)
    assert reader.read().name == "王五"
    assert reader.read() is None
    reader.place(ID, "王五")
    reader.fail_next("garbled")
    with pytest.raises(CardReadError):
        reader.read()


def test_unknown_scheme_is_refused():
    with pytest.raises(CardReadError, match="unknown card reader scheme"):
        open_card_reader("ftp://x")
