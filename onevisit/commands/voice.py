"""`onevisit voice say --number A012 --window 3 [--out call.wav]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from onevisit.devices.voice.announcer import Announcer
from onevisit.devices.voice.audio import write_wav
from onevisit.devices.voice.engines import (
    ClipsEngine,
    EspeakEngine,
    NullSink,
    SilentEngine,
    SpeakerSink,
    SpeechEngine,
)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    voice = subparsers.add_parser("voice", help="the call announcement voice", parents=[common])
    sub = voice.add_subparsers(dest="voice_command", metavar="ACTION", required=True)
    say = sub.add_parser("say", help="announce a call (to the speaker, or to a WAV file)", parents=[common])
    say.add_argument("--number", required=True, help="ticket number, e.g. A012")
    say.add_argument("--window", required=True, type=int, help="window number")
    say.add_argument("--out", metavar="WAV", help="write the announcement here instead of playing it")
    say.add_argument("--engine", choices=["espeak", "clips", "silent"], help="default: voice.engine")
    say.add_argument("--repeat", type=int, help="default: voice.repeat")
    say.add_argument("--no-chime", action="store_true", help="leave out the attention chime")
    say.set_defaults(handler=_say)


def _say(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load, print_json

    config = load(args)
    v = config.voice
    name = args.engine or v.engine
    engine: SpeechEngine
    if name == "espeak":
        engine = EspeakEngine(v.voice, v.speed)
    elif name == "clips":
        engine = ClipsEngine(config.path(v.clips_dir), v.voice, v.speed)
    else:
        engine = SilentEngine()
    announcer = Announcer(
        engine,
        NullSink() if args.out or name == "silent" else SpeakerSink(),
        template=v.template,
        repeat=args.repeat or v.repeat,
        with_chime=v.chime and not args.no_chime,
    )
    item = announcer.announce(args.number, args.window)
    pcm = announcer.render(item.text)
    if args.out:
        write_wav(Path(args.out), pcm)
    else:
        announcer.start()
        announcer.wait_done(1, timeout=pcm.seconds + 30)
        announcer.stop()
    print_json({"text": item.text, "seconds": round(pcm.seconds, 2), "out": args.out, "engine": engine.name})
    return 0
