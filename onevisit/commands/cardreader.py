"""`onevisit card-reader-sim` and `onevisit card-reader-read`."""

from __future__ import annotations

import argparse
import json

from onevisit.sim.cardreader.emulator import FAULTS
from onevisit.sim.cardreader.emulator import run as run_emulator


def _read(args: argparse.Namespace) -> int:
    from onevisit.devices.cardreader.readers import open_card_reader

    reader = open_card_reader(args.url)
    try:
        card = reader.read(timeout=args.timeout)
    finally:
        reader.close()
    if card is None:
        print(json.dumps({"card": None}, ensure_ascii=False))
        return 3
    from onevisit.core.identity import mask_name

    print(
        json.dumps(
            {
                "id_masked": card.id_number.masked,
                "name_masked": mask_name(card.name),
                "gender": card.gender,
                "birth_date": str(card.birth_date),
                "source": card.source,
            },
            ensure_ascii=False,
        )
    )
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    sim = subparsers.add_parser(
        "card-reader-sim", parents=[common], help="emulate a SAM ID-card reader on a pseudo-terminal"
    )
    sim.add_argument("--link", required=True, help="path to link the pty at (open it as serial://PATH)")
    sim.add_argument("--id", required=True, help="the card's ID number")
    sim.add_argument("--name", required=True, help="the card holder's name")
    sim.add_argument("--gender", choices=["1", "2"], help="1 male, 2 female (default: from the ID number)")
    sim.add_argument("--fault", choices=FAULTS, help="inject a fault")
    sim.add_argument(
        "--fault-count", type=int, default=0, help="only the first N answers are faulty (0: all)"
    )
    sim.add_argument("--delay", type=float, default=3.0, help="seconds of delay for --fault slow")
    sim.add_argument("--always", action="store_true", help="the card stays on the reader after a read")
    sim.set_defaults(handler=run_emulator)

    read = subparsers.add_parser(
        "card-reader-read", parents=[common], help="read one card and print masked fields"
    )
    read.add_argument("url", help="sim://?id=..., serial:///dev/ttyUSB0?baud=115200, ...")
    read.add_argument("--timeout", type=float, default=2.0)
    read.set_defaults(handler=_read)
