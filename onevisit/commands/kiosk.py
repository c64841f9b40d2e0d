"""`onevisit kiosk`: the touchscreen app, or `--screenshots DIR` to render every screen and exit."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def build_devices(config, args, for_screenshots: bool = False):
    from onevisit.devices.cardreader import CardReadError, open_card_reader
    from onevisit.kiosk.app import KioskDevices
    from onevisit.kiosk.hall_client import HallClient, read_token
    from onevisit.kiosk.printing import KioskPrinter

    hall = None
    if not for_screenshots:
        token = read_token(config.path(args.token_file or config.kiosk.token_file))
        hall = HallClient(args.hall or config.kiosk.hall_url, token, kiosk=config.kiosk.name)
    printer = KioskPrinter(args.printer or config.printer.url, config)
    reader, reader_error = None, None
    url = args.card_reader or config.card_reader.url
    if for_screenshots:
        # Screenshots are made on a technician's machine or in CI: the kiosk's live reader
        # (a serial port, a wedge swallowing keystrokes) is never opened; an empty simulated
        # reader shows the identify screen as a kiosk with a reader looks.
        url = "sim://"
    if url and url != "none":
        try:
            reader = open_card_reader(url)
        except CardReadError as exc:
            reader_error = exc
            log.warning("card reader %s unavailable: %s", url, exc.en)
    records = open_kiosk_records(config)
    camera = args.camera or config.camera.url
    camera = None if camera == "none" else camera
    verification = None
    if camera and records is not None:
        from onevisit.kiosk.face import FaceCertifier

        verification = FaceCertifier(config, records, camera)
    from onevisit.kiosk.voice import KioskVoice

    voice = KioskVoice.from_config(config) if not for_screenshots else None
    documents = None
    if not for_screenshots and config.kiosk.name not in config.documents.thermal_only_kiosks:
        from onevisit.devices.documents import DocumentPrinterUrlError, open_document_printer

        try:
            documents = open_document_printer(config.documents.printer)
        except (DocumentPrinterUrlError, ImportError) as exc:
            log.warning("document printer %s unavailable: %s", config.documents.printer, exc)
    return KioskDevices(
        documents=documents,
        records=records,
        hall=hall,
        printer=printer,
        card_reader=reader,
        card_reader_error=reader_error,
        camera_url=camera,
        verification=verification,
        voice=voice,
    )


def open_kiosk_records(config):
    """The records system config.toml names, or None (the screens then offer a window ticket):
    a demo database that is not there, or an http token file that cannot be read."""
    from onevisit.commands._records import records_from_config
    from onevisit.core.errors import OneVisitError

    if config.records.type == "demo" and not config.path(config.records.database).exists():
        log.warning(
            "records database %s missing: certificate and records screens unavailable",
            config.records.database,
        )
        return None
    try:
        return records_from_config(config)
    except OneVisitError as exc:
        log.warning("records system unavailable: %s", exc.en)
        return None


def demo_records_config(config, out: Path):
    """Screenshot mode shows the records screens with the seeded synthetic demo citizens, in a
    folder of their own so a hall's real records database is never touched."""
    import datetime as dt

    from onevisit.sim.records.demo_backend import seed_demo

    folder = out.resolve() / ".demo-records"
    records = config.records.model_copy(
        update={
            "type": "demo",  # even when the hall's config points at an http service
            "database": str(folder / "records.db"),
            "certificates_db": str(folder / "certificates.db"),
        }
    )
    security = config.security.model_copy(update={"secrets_dir": str(folder / "secrets")})
    seed_demo(folder / "records.db", dt.date.today(), reset=True)
    # the 居民养老缴费 tile shows where a payment platform is configured; screenshots never call it
    payment = config.payment.model_copy(
        update={"url": config.payment.url or "http://127.0.0.1:8620", "secret": "x" * 16}
    )
    return config.model_copy(update={"records": records, "security": security, "payment": payment})


def _variants(args) -> tuple[list[tuple[int, int]], list[tuple[str, bool]]]:
    from onevisit.kiosk.kivy_setup import parse_size

    sizes = [parse_size(args.size)] if args.size else [(1080, 1920), (1920, 1080)]
    langs = [args.lang] if args.lang else ["zh", "en"]
    if args.elderly:
        variants = [(lang, True) for lang in langs]
    else:
        variants = [(lang, False) for lang in langs] + [(langs[0], True)]
    return sizes, variants


def run(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load
    from onevisit.kiosk.kivy_setup import parse_size, prepare

    config = load(args)
    if args.screenshots:
        config = demo_records_config(config, Path(args.screenshots))
        sizes, variants = _variants(args)
        prepare(sizes[0], offscreen=True)
    else:
        size = parse_size(args.size or "1080x1920")
        prepare(size, offscreen=False, fullscreen=args.fullscreen)

    from onevisit.kiosk.app import KioskApp

    devices = build_devices(config, args, for_screenshots=bool(args.screenshots))
    app = KioskApp(
        config, devices, lang=args.lang or "zh", elderly=args.elderly, background=not args.screenshots
    )
    if not args.screenshots:
        from onevisit.core import logs
        from onevisit.kiosk.heartbeat import start_for_app

        logs.install(config, "kiosk")
        heartbeat = start_for_app(app, config)
        try:
            app.run()
        finally:
            if heartbeat is not None:
                heartbeat.stop()
        return 0

    from kivy.base import EventLoop
    from kivy.core.window import Window

    from onevisit.sim.kiosk.screenshots import render_all

    EventLoop.ensure_window()
    Window.add_widget(app.build())
    out = Path(args.screenshots)
    written = []
    for size in sizes:
        Window.size = size
        for lang, elderly in variants:
            app.default_lang, app.default_elderly = lang, elderly
            app.lang = lang
            app.set_elderly(elderly)
            suffix = f"{size[0]}x{size[1]}-{lang}{'-elderly' if elderly else ''}"
            written += render_all(app, out, suffix)
    for path in written:
        print(path)
    print(f"{len(written)} screenshots in {out}", file=sys.stderr)
    return 0


def register(subparsers, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("kiosk", parents=[common], help="the citizen's touchscreen (Kivy)")
    p.add_argument("--hall", metavar="URL", help="hall server (default: kiosk.hall_url)")
    p.add_argument("--token-file", metavar="F", help="kiosk token file (default: kiosk.token_file)")
    p.add_argument("--printer", metavar="URL", help="ticket printer (default: printer.url)")
    p.add_argument("--camera", metavar="URL", help="camera for face certification, or 'none'")
    p.add_argument("--card-reader", metavar="URL", help="sim://, wedge://, serial:///dev/ttyUSB0, or 'none'")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1080x1920 (portrait) or 1920x1080")
    p.add_argument("--lang", choices=["zh", "en"], help="starting language (default zh)")
    p.add_argument("--elderly", action="store_true", help="elderly mode: larger text, high contrast")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--screenshots", metavar="DIR", help="render every screen with demo data to PNG and exit")
    p.set_defaults(handler=run)
