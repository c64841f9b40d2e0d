"""The announcement queue: one worker speaks calls one after the other, never two at once.

`announce()` returns at once (a staff click must not wait for a voice); the worker renders
chime + phrase × repeat and plays it to the end before taking the next call. If calls pile up
(far more than a hall makes) the oldest waiting ones are dropped: the boards still show them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from onevisit.core.clock import Clock, SystemClock
from onevisit.core.config import Config
from onevisit.devices.voice.audio import Pcm, chime, silence
from onevisit.devices.voice.engines import (
    ClipsEngine,
    EspeakEngine,
    FileSink,
    NullSink,
    SilentEngine,
    Sink,
    SpeakerSink,
    SpeechEngine,
)
from onevisit.devices.voice.phrases import announcement_text, check_number

log = logging.getLogger(__name__)


@dataclass
class Announcement:
    seq: int
    number: str
    window: int
    text: str
    queued: float  # monotonic
    queued_at: str
    started: float | None = None  # monotonic, when playing began
    ended: float | None = None
    seconds: float = 0.0  # audio length
    path: str | None = None
    error: str | None = None


class Announcer:
    def __init__(
        self,
        engine: SpeechEngine,
        sink: Sink,
        *,
        template: str = "请 {number} 号 到 {window} 号窗口",
        repeat: int = 2,
        with_chime: bool = True,
        max_waiting: int = 32,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.sink = sink
        self.template = template
        self.repeat = repeat
        self.with_chime = with_chime
        self.clock = clock or SystemClock()
        self.monotonic = monotonic
        self._waiting: deque[Announcement] = deque(maxlen=max_waiting)
        self.history: deque[Announcement] = deque(maxlen=200)
        self.dropped = 0
        self._seq = 0
        self._current: Announcement | None = None
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, config: Config, clock: Clock | None = None) -> Announcer:
        v = config.voice
        engine: SpeechEngine
        if v.engine == "espeak":
            engine = EspeakEngine(v.voice, v.speed)
        elif v.engine == "clips":
            engine = ClipsEngine(config.path(v.clips_dir), v.voice, v.speed)
        else:
            engine = SilentEngine()
        sink: Sink
        if v.engine == "silent":
            sink = NullSink()
        elif v.out_dir:
            sink = FileSink(config.path(v.out_dir), realtime=v.realtime)
        else:
            sink = SpeakerSink()
        return cls(engine, sink, template=v.template, repeat=v.repeat, with_chime=v.chime, clock=clock)

    # -- the hall's side ---------------------------------------------------------------------------
    def start(self) -> Announcer:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="voice", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=10)
            self._thread = None

    def announce(self, number: str, window: int) -> Announcement:
        check_number(number)
        with self._cond:
            self._seq += 1
            item = Announcement(
                self._seq,
                number,
                window,
                announcement_text(self.template, number, window),
                queued=self.monotonic(),
                queued_at=self.clock.now().isoformat(timespec="milliseconds"),
            )
            if len(self._waiting) == self._waiting.maxlen:
                self.dropped += 1
                log.warning("voice queue full; dropping the oldest waiting call %s", self._waiting[0].number)
            self._waiting.append(item)
            self._cond.notify_all()
        return item

    def wait_done(self, count: int, timeout: float = 30.0) -> bool:
        """Block until `count` announcements have finished (tests and `voice say`)."""
        with self._cond:
            return self._cond.wait_for(lambda: sum(1 for a in self.history if a.ended) >= count, timeout)

    def health(self) -> dict[str, Any]:
        with self._cond:
            return {
                "engine": self.engine.name,
                "waiting": len(self._waiting),
                "speaking": self._current.number if self._current else None,
                "dropped": self.dropped,
                "done": len(self.history),
                "last_error": next((a.error for a in reversed(self.history) if a.error), None),
            }

    # -- rendering -------------------------------------------------------------------------------
    def render(self, text: str) -> Pcm:
        speech = self.engine.synthesize(text)
        if self.engine.name == "silent":
            return speech  # nothing to hear: no chime, no repeats
        out = chime(speech.rate) + silence(speech.rate, 0.2) if self.with_chime else silence(speech.rate, 0.0)
        for i in range(self.repeat):
            out = out + speech
            if i + 1 < self.repeat:
                out = out + silence(speech.rate, 0.6)
        return out

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: self._waiting or self._stop.is_set())
                if self._stop.is_set():
                    return
                item = self._waiting.popleft()
                self._current = item
            try:
                pcm = self.render(item.text)
                item.seconds = pcm.seconds
                item.started = self.monotonic()
                path: Path | None = self.sink.play(
                    pcm, f"{item.seq:04d}-{item.number}-w{item.window}", self._stop
                )
                item.path = str(path) if path else None
            except Exception as exc:  # one failed announcement must not silence the hall
                log.exception("announcement of %s failed", item.number)
                item.error = str(exc)
            item.ended = self.monotonic()
            if item.started is None:
                item.started = item.ended
            with self._cond:
                self._current = None
                self.history.append(item)
                self._cond.notify_all()

    def recent(self) -> list[dict[str, Any]]:
        with self._cond:
            return [asdict(a) for a in self.history]
