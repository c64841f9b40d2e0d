"""The kiosk's spoken prompts ("请眨眨眼", "您的号码是 A012"): the hall's speech engines and sinks
(onevisit.devices.voice), but with the kiosk's own rule: only the newest prompt matters. A prompt is
spoken in the language the citizen is reading (Chinese, or English after the switch).

A prompt that was overtaken before it was spoken is dropped (the citizen has already done the
action it asked for), so the voice never lags behind the screen; the one being spoken finishes.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

from onevisit.core.config import Config
from onevisit.devices.voice.engines import EspeakEngine, FileSink, NullSink, SilentEngine, SpeakerSink

log = logging.getLogger(__name__)


class KioskVoice:
    def __init__(self, engine, sink, name: str = "kiosk", engine_en=None) -> None:
        self.engines = {"zh": engine, "en": engine_en or engine}
        self.sink = sink
        self.name = name
        #: (language, text) of what was said, newest last (tests, maintenance)
        self.spoken: deque[tuple[str, str]] = deque(maxlen=50)
        self.dropped = 0
        self._pending: tuple[str, str] | None = None
        self._seq = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-voice", daemon=True)
        self._thread.start()

    @classmethod
    def from_config(cls, config: Config) -> KioskVoice:
        """espeak-ng through the loudspeaker (or WAV files under voice.out_dir/kiosk-NAME when the
        hall writes its voice to files, as in the demo); silent when the hall's voice is silent or
        no engine or player is installed: prompts stay on the screen in big text either way."""
        v = config.voice
        name = config.kiosk.name
        try:
            if v.engine == "silent":
                return cls(SilentEngine(), NullSink(), name)
            engine = EspeakEngine(v.voice, v.speed)
            engine_en = EspeakEngine(v.voice_en, v.speed)
            if v.out_dir:
                folder = config.path(v.out_dir) / f"kiosk-{name}"
                folder.mkdir(parents=True, exist_ok=True)
                sink = FileSink(Path(folder), realtime=v.realtime)
            else:
                sink = SpeakerSink()
            return cls(engine, sink, name, engine_en)
        except Exception as exc:  # no espeak-ng / no player: the kiosk still works, silently
            log.warning("kiosk voice unavailable (%s); prompts are shown only", exc)
            return cls(SilentEngine(), NullSink(), name)

    def say(self, text: str, lang: str = "zh") -> None:
        """Queue `text` in `lang` ("zh" or "en"), replacing anything not yet spoken. Never raises,
        never blocks."""
        text = (text or "").strip()
        if not text:
            return
        with self._cond:
            if self._pending is not None:
                self.dropped += 1
            self._pending = (lang if lang in self.engines else "zh", text)
            self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._pending is None and not self._busy, timeout)

    _busy = False

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._stop.is_set())
                if self._stop.is_set():
                    return
                (lang, text), self._pending = self._pending, None
                self._busy = True
                self._seq += 1
                seq = self._seq
            try:
                pcm = self.engines[lang].synthesize(text)
                self.sink.play(pcm, f"{seq:04d}-prompt-{lang}", self._stop)
            except Exception:  # a voice fault must never reach the citizen's screen
                log.exception("kiosk prompt could not be spoken")
            with self._cond:
                self.spoken.append((lang, text))
                self._busy = False
                self._cond.notify_all()

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)
