"""Voice: digit-by-digit numbers, whole announcements one after the other, WAV output, CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from onevisit.core.config import ConfigError, parse_config
from onevisit.devices.voice.announcer import Announcer
from onevisit.devices.voice.audio import chime, read_wav, wav_seconds
from onevisit.devices.voice.engines import EspeakEngine, FileSink, pick_voice
from onevisit.devices.voice.phrases import VoiceError, announcement_text, spoken_number


def test_numbers_are_spoken_digit_by_digit() -> None:
    assert spoken_number("A012") == "A 零 一 二"
    assert spoken_number("B100") == "B 一 零 零"
    assert announcement_text("请 {number} 号 到 {window} 号窗口", "A012", 3) == "请 A 零 一 二 号 到 3 号窗口"
    with pytest.raises(VoiceError) as info:
        spoken_number("A01; rm -rf")
    assert info.value.code == "voice_bad_number"


def test_template_placeholders_are_checked(config) -> None:
    raw = config.model_dump(exclude={"base_dir"})
    raw["voice"]["template"] = "请 {numbr} 号"
    with pytest.raises(ConfigError, match="template"):
        parse_config(raw)


def test_espeak_voice_is_available() -> None:
    assert pick_voice("cmn-latn-pinyin") in ("cmn-latn-pinyin", "cmn")


def test_two_calls_100_ms_apart_are_two_whole_announcements_in_turn(tmp_path: Path) -> None:
    engine = EspeakEngine("cmn-latn-pinyin", speed=170)
    announcer = Announcer(engine, FileSink(tmp_path, realtime=True), repeat=1, with_chime=True).start()
    try:
        announcer.announce("A012", 3)
        second = threading.Timer(0.1, announcer.announce, args=("B007", 4))
        second.start()
        assert announcer.wait_done(2, timeout=60)
        second.join()
    finally:
        announcer.stop()
    first, later = list(announcer.history)
    assert (first.number, later.number) == ("A012", "B007")
    assert later.queued < first.ended  # the second call arrived while the first was playing...
    assert later.started >= first.ended  # ...and waited for it to finish
    for item in (first, later):
        assert item.error is None
        path = Path(item.path)
        seconds = wav_seconds(path)
        # whole: chime + the full phrase, exactly what was rendered, and long enough to be speech
        assert seconds == pytest.approx(item.seconds, abs=0.01)
        assert seconds > chime().seconds + 1.5
        assert item.ended - item.started >= seconds - 0.05  # played at a loudspeaker's pace
    assert first.path != later.path


def test_repeat_makes_the_phrase_twice_as_long(tmp_path: Path) -> None:
    engine = EspeakEngine("cmn-latn-pinyin", speed=170)
    once = Announcer(engine, FileSink(tmp_path), repeat=1, with_chime=False).render(
        "请 A 零 一 二 号 到 3 号窗口"
    )
    twice = Announcer(engine, FileSink(tmp_path), repeat=2, with_chime=False).render(
        "请 A 零 一 二 号 到 3 号窗口"
    )
    assert twice.seconds == pytest.approx(2 * once.seconds + 0.6, abs=0.01)


def test_voice_say_cli_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "call.wav"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "onevisit.commands.main",
            "voice",
            "say",
            "--number",
            "A012",
            "--window",
            "3",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["text"] == "请 A 零 一 二 号 到 3 号窗口"
    pcm = read_wav(out)
    assert pcm.seconds == pytest.approx(info["seconds"], abs=0.01)
    # not silence: the speech has real amplitude
    peak = max(
        abs(int.from_bytes(pcm.frames[i : i + 2], "little", signed=True))
        for i in range(0, len(pcm.frames), 200)
    )
    assert peak > 3000


def test_voice_say_refuses_a_bad_number(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "onevisit.commands.main", "voice", "say", "--number", "A-1", "--window", "3",
         "--out", str(tmp_path / "x.wav")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "voice_bad_number" in result.stderr
    assert not (tmp_path / "x.wav").exists()
