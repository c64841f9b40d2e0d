"""Speech engines turn a phrase into PCM; sinks play or store a rendered announcement.

espeak-ng is what a hall PC has without network access; the `clips` engine joins per-phrase WAVs
(rendered once by espeak-ng, replaceable by recordings of a human voice); `silent` renders nothing.
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Protocol

from onevisit.devices.voice.audio import Pcm, read_wav, silence, write_wav
from onevisit.devices.voice.phrases import VoiceError

log = logging.getLogger(__name__)


class SpeechEngine(Protocol):
    name: str

    def synthesize(self, text: str) -> Pcm: ...


@functools.lru_cache(maxsize=1)
def espeak_binary() -> str | None:
    return shutil.which("espeak-ng")


@functools.lru_cache(maxsize=8)
def espeak_voices(language: str = "cmn") -> tuple[str, ...]:
    binary = espeak_binary()
    if not binary:
        return ()
    out = subprocess.run([binary, f"--voices={language}"], capture_output=True, text=True, timeout=10).stdout
    names = []
    for line in out.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            names.append(parts[1])
    return tuple(names)


def pick_voice(wanted: str) -> str:
    """The configured voice, or the plain voice of its language when this espeak-ng lacks it
    (older builds have `cmn` but not `cmn-latn-pinyin`)."""
    language = wanted.split("-")[0]
    voices = espeak_voices(language)
    if wanted in voices or not voices:
        return wanted
    fallback = language if language in voices else voices[0]
    log.warning("espeak-ng has no voice %r; using %r", wanted, fallback)
    return fallback


class EspeakEngine:
    name = "espeak"

    def __init__(self, voice: str = "cmn-latn-pinyin", speed: int = 140) -> None:
        if not espeak_binary():
            raise VoiceError(
                "voice_engine_missing",
                "未安装语音引擎espeak-ng",
                "espeak-ng is not installed (apt-get install espeak-ng), or set voice.engine = 'silent'",
            )
        self.voice = pick_voice(voice)
        self.speed = speed

    def synthesize(self, text: str) -> Pcm:
        with tempfile.TemporaryDirectory(prefix="onevisit-voice-") as tmp:
            out = Path(tmp) / "speech.wav"
            cmd = [
                espeak_binary() or "espeak-ng",
                "-v",
                self.voice,
                "-s",
                str(self.speed),
                "-w",
                str(out),
                text,
            ]
            result = subprocess.run(cmd, capture_output=True, timeout=30)
            if result.returncode != 0 or not out.exists():
                raise VoiceError(
                    "voice_synthesis_failed",
                    "语音合成失败",
                    f"espeak-ng failed: {result.stderr.decode(errors='replace').strip()}",
                )
            return read_wav(out)


class ClipsEngine:
    """Joins one clip per token; a missing clip is rendered with espeak-ng once and kept."""

    name = "clips"
    _TOKEN = re.compile(r"[A-Za-z]|\d|[^\sA-Za-z\d]+")

    def __init__(self, clips_dir: Path, voice: str = "cmn-latn-pinyin", speed: int = 140) -> None:
        self.dir = clips_dir
        self._espeak: EspeakEngine | None = None
        self._voice, self._speed = voice, speed
        self._lock = threading.Lock()

    def _clip(self, token: str) -> Pcm:
        path = self.dir / f"{token}.wav"
        with self._lock:
            if not path.exists():
                if self._espeak is None:
                    self._espeak = EspeakEngine(self._voice, self._speed)
                write_wav(path, self._espeak.synthesize(token))
        return read_wav(path)

    def synthesize(self, text: str) -> Pcm:
        pieces = [self._clip(tok) for tok in self._TOKEN.findall(text)]
        if not pieces:
            return silence(22050, 0.0)
        out = pieces[0]
        for piece in pieces[1:]:
            out = out + silence(out.rate, 0.03) + piece
        return out


class SilentEngine:
    name = "silent"

    def synthesize(self, text: str) -> Pcm:
        return silence(22050, 0.0)


class Sink(Protocol):
    def play(self, pcm: Pcm, name: str, stop: threading.Event) -> Path | None:
        """Blocks until the announcement is over (so two never overlap)."""
        ...


class FileSink:
    """Writes each announcement as a WAV file; with `realtime`, takes as long as playing would."""

    def __init__(self, out_dir: Path, realtime: bool = True) -> None:
        self.dir = out_dir
        self.realtime = realtime

    def play(self, pcm: Pcm, name: str, stop: threading.Event) -> Path | None:
        path = self.dir / f"{name}.wav"
        write_wav(path, pcm)
        if self.realtime:
            stop.wait(pcm.seconds)  # the loudspeaker's pace; an interrupted stop ends it early
        return path


class SpeakerSink:
    """Plays through the sound device with sox `play` or ALSA `aplay`."""

    def __init__(self) -> None:
        self.player = shutil.which("play") or shutil.which("aplay")
        if not self.player:
            raise VoiceError(
                "voice_player_missing",
                "未找到音频播放程序",
                "no audio player (sox `play` or `aplay`); install sox or set voice.out_dir",
            )

    def play(self, pcm: Pcm, name: str, stop: threading.Event) -> Path | None:
        if pcm.seconds == 0:
            return None
        with tempfile.TemporaryDirectory(prefix="onevisit-voice-") as tmp:
            path = Path(tmp) / f"{name}.wav"
            write_wav(path, pcm)
            proc = subprocess.Popen([self.player, "-q", str(path)], stderr=subprocess.PIPE)
            try:
                proc.wait(timeout=pcm.seconds + 10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.returncode:
                log.warning(
                    "audio player failed: %s",
                    proc.stderr.read().decode(errors="replace") if proc.stderr else "",
                )
        return None


class NullSink:
    def play(self, pcm: Pcm, name: str, stop: threading.Event) -> Path | None:
        return None
