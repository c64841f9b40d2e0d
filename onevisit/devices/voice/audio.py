"""16-bit mono PCM helpers: the chime, silence, joining clips, reading and writing WAV files."""

from __future__ import annotations

import functools
import io
import math
import struct
import wave
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pcm:
    rate: int
    frames: bytes  # signed 16-bit little-endian mono

    @property
    def seconds(self) -> float:
        return len(self.frames) / 2 / self.rate

    def __add__(self, other: Pcm) -> Pcm:
        if other.rate != self.rate:
            other = resample(other, self.rate)
        return Pcm(self.rate, self.frames + other.frames)


def silence(rate: int, seconds: float) -> Pcm:
    return Pcm(rate, b"\x00\x00" * int(rate * seconds))


@functools.lru_cache(maxsize=4)
def chime(rate: int = 22050) -> Pcm:
    """A two-note 'ding-dong' (E6 then C6) with a soft decay, ~0.9 s: the hall's attention tone."""
    out = bytearray()
    for freq, seconds in ((1318.5, 0.4), (1046.5, 0.5)):
        n = int(rate * seconds)
        for i in range(n):
            t = i / rate
            envelope = min(1.0, i / (0.01 * rate)) * math.exp(-4.0 * t)
            value = (
                0.45 * envelope * (math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t))
            )
            out += struct.pack("<h", max(-32767, min(32767, int(value * 32767))))
    return Pcm(rate, bytes(out))


def resample(pcm: Pcm, rate: int) -> Pcm:
    """Nearest-sample resampling; enough for joining clips recorded at another rate."""
    if pcm.rate == rate:
        return pcm
    samples = struct.unpack(f"<{len(pcm.frames) // 2}h", pcm.frames)
    n = int(len(samples) * rate / pcm.rate)
    picked = [samples[min(len(samples) - 1, int(i * pcm.rate / rate))] for i in range(n)]
    return Pcm(rate, struct.pack(f"<{n}h", *picked))


def read_wav(source: Path | bytes) -> Pcm:
    with wave.open(io.BytesIO(source) if isinstance(source, bytes) else str(source), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("expected 16-bit samples")
        frames = w.readframes(w.getnframes())
        if w.getnchannels() == 2:  # keep the left channel
            frames = b"".join(frames[i : i + 2] for i in range(0, len(frames), 4))
        elif w.getnchannels() != 1:
            raise ValueError("expected mono or stereo")
        return Pcm(w.getframerate(), frames)


def write_wav(path: Path, pcm: Pcm) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(pcm.rate)
        w.writeframes(pcm.frames)
    tmp.replace(path)  # a reader never sees half an announcement


def wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()
