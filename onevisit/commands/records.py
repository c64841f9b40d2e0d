"""`onevisit records …`, `onevisit cert print`, `onevisit verify-cert`, `onevisit keys show`."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import sys
import threading
from pathlib import Path

from onevisit.commands._records import records_from_config
from onevisit.core.clock import SystemClock
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import mask_id
from onevisit.records.certificate import RANGES
from onevisit.records.keys import (
    hall_public_key,
    key_id,
    parse_public_key,
    public_key_pem,
    public_key_text,
    signing_key,
)
from onevisit.records.payload import Verdict, verify
from onevisit.records.register import CertificateRegister
from onevisit.sim.records.demo_backend import DemoBackend, default_faces_dir, open_backend, seed_demo

log = logging.getLogger(__name__)

EXIT_INVALID = 1
#: `onevisit records serve`'s port when neither --port nor records.url gives one.
SERVE_PORT = 8610


def _config(args: argparse.Namespace):
    from onevisit.commands.main import load

    return load(args)


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def register(subparsers, common: argparse.ArgumentParser) -> None:
    records = subparsers.add_parser("records", parents=[common], help="the records backend (demo data)")
    sub = records.add_subparsers(dest="records_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", parents=[common], help="list the fixed demo citizens")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument(
        "--show-ids", action="store_true", help="show the full (synthetic) demo ID numbers to type at a kiosk"
    )
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser(
        "seed", parents=[common], help="create the demo database: the demo citizens plus N random"
    )
    p.add_argument("--people", type=int, default=0, metavar="N", help="random citizens to add (default 0)")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (same seed, same people)")
    p.add_argument("--reset", action="store_true", help="delete the demo database first")
    p.add_argument(
        "--faces", metavar="DIR", help="folder with the demo reference photos (default ../shared/faces)"
    )
    p.set_defaults(handler=cmd_seed)

    p = sub.add_parser("fault", parents=[common], help="make the records backend fail, for tests and drills")
    p.add_argument(
        "mode",
        choices=["offline", "online", "lock"],
        help="offline: take the database away; "
        "online: bring it back; lock: hold its lock so every query times out",
    )
    p.add_argument("--seconds", type=float, default=60, help="how long `lock` holds (default 60)")
    p.set_defaults(handler=cmd_fault)

    p = sub.add_parser(
        "serve",
        parents=[common],
        help="run the demo records as the HTTP records service of docs/records.md",
    )
    p.add_argument("--host", help="address to listen on (default: records.url's host, else 127.0.0.1)")
    p.add_argument(
        "--port", type=int, help=f"port (default: records.url's port, else {SERVE_PORT}; 0 = any free port)"
    )
    p.set_defaults(handler=cmd_serve)

    cert = subparsers.add_parser("cert", parents=[common], help="参保证明 certificates")
    csub = cert.add_subparsers(dest="cert_command", metavar="ACTION", required=True)
    p = csub.add_parser(
        "print",
        parents=[common],
        help="issue a certificate and print it: A4 through CUPS (cups://, ipp://) or on the receipt roll",
    )
    p.add_argument("--id", required=True, metavar="ID", help="the citizen's 18-character ID number")
    p.add_argument("--months", choices=RANGES, default="12", help="period: last 12 or 36 months, or all")
    p.add_argument(
        "--printer",
        metavar="URL",
        help="cups://QUEUE or ipp://HOST:631/printers/QUEUE: the A4 PDF through CUPS, waiting for the job's"
        " final state; a receipt printer URL (virtual://, tcp://…): the roll (default: documents.printer,"
        " else printer.url)",
    )
    p.add_argument(
        "--out",
        metavar="FILE.pdf|DIR",
        help="FILE.pdf: write the A4 PDF without printing; DIR: the roll's PNG pages and PDF",
    )
    p.add_argument(
        "--width", type=int, choices=[576, 384], help="paper width in dots (default: printer.width)"
    )
    p.set_defaults(handler=cmd_cert_print)

    p = subparsers.add_parser(
        "verify-cert", parents=[common], help="check a certificate's QR payload or code"
    )
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--payload", metavar="TEXT", help="the QR text (payload or verify URL)")
    group.add_argument("--image", metavar="PNG", help="an image of the certificate; its QR is decoded")
    group.add_argument("--serial", metavar="SERIAL", help="with --code: check against this hall's register")
    p.add_argument("--code", metavar="CODE", help="the short verification code printed with --serial")
    p.add_argument("--public-key", metavar="KEY", help="the hall's public key (default: this hall's own)")
    p.set_defaults(handler=cmd_verify)

    keys = subparsers.add_parser("keys", parents=[common], help="the certificate signing key")
    ksub = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    p = ksub.add_parser("show", parents=[common], help="print the public key (made on first use)")
    p.set_defaults(handler=cmd_keys_show)


def cmd_list(args: argparse.Namespace) -> int:
    config = _config(args)
    people = open_backend(config).demo_people()
    for person in people:
        if not args.show_ids:
            person["id_number"] = mask_id(person["id_number"])
    if args.json:
        _print_json(people)
        return 0
    for p in people:
        pension = ""
        if p["is_pensioner"]:
            pension = f"  认证至 {p['certified_until'] or '—'}{'  有照片' if p['has_photo'] else '  无照片'}"
        print(f"{p['id_number']}  {p['name']}({p['gender']})  [{p['demo_key']}]  {p['about_zh']}{pension}")
    if not args.show_ids:
        print(
            "(ID numbers masked; --show-ids shows the synthetic demo numbers to type at a kiosk)",
            file=sys.stderr,
        )
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.people < 0:
        raise OneVisitError("bad_people", "人数不能为负", "--people must be 0 or more")
    faces = Path(args.faces) if args.faces else default_faces_dir(config)
    today = SystemClock(config.hall.timezone).now().date()
    result = seed_demo(
        config.path(config.records.database), today, args.people, args.seed, faces_dir=faces, reset=args.reset
    )
    if not result["photos"]:
        print(
            f"note: no reference photos found under {faces}; face checks will say 'record incomplete'",
            file=sys.stderr,
        )
    _print_json(result)
    return 0


def cmd_fault(args: argparse.Namespace) -> int:
    config = _config(args)
    backend: DemoBackend = open_backend(config)
    parked = backend.path.with_name(backend.path.name + ".offline")
    if args.mode == "offline":
        if not backend.path.exists():
            print("records backend already offline", file=sys.stderr)
            return 0
        for suffix in ("-wal", "-shm"):
            side = backend.path.with_name(backend.path.name + suffix)
            if side.exists():
                side.unlink(missing_ok=True)
        shutil.move(backend.path, parked)
        print(f"records backend offline (database parked at {parked})")
    elif args.mode == "online":
        if parked.exists():
            shutil.move(parked, backend.path)
        print("records backend online")
    else:
        conn = backend.hold_lock()
        print(
            f"records database locked for {args.seconds:g} s (queries time out after {backend.timeout:g} s)"
        )
        sys.stdout.flush()
        try:
            threading.Event().wait(args.seconds)
        finally:
            conn.rollback()
            conn.close()
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the demo database over HTTP until Ctrl-C or SIGTERM. Prints
    `records service: http://HOST:PORT` once the socket listens (the demo waits for that line)."""
    from urllib.parse import urlsplit

    import uvicorn

    from onevisit.core import logs
    from onevisit.hall.server import bind
    from onevisit.records.http_backend import read_token
    from onevisit.sim.records.service import create_records_app

    config = _config(args)
    configured = urlsplit(config.records.url or "")
    host = args.host or configured.hostname or "127.0.0.1"
    port = args.port if args.port is not None else (configured.port or SERVE_PORT)
    if not 0 <= port <= 65535:
        raise OneVisitError("bad_port", "端口号无效", f"--port must be 0-65535, got {port}")
    backend = open_backend(config)
    if not backend.path.exists():
        print(
            f"note: no records database at {backend.path}: every call answers 503 records_unavailable"
            " (onevisit records seed)",
            file=sys.stderr,
        )
    token = read_token(config)  # the same token the hall's side sends, when config names one
    logs.install(config, "records")
    app = create_records_app(backend, token=token)
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise OneVisitError(
            "port_in_use", "端口无法使用", f"cannot listen on {host}:{port}: {exc.strerror}"
        ) from None
    shown = f"[{host}]" if ":" in host else host
    print(f"records service: http://{shown}:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=3, access_log=False)
    )
    # uvicorn stops gracefully on SIGINT/SIGTERM and then raises the signal again for the handler
    # it found; a no-op one there makes a requested stop a clean exit (status 0).
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _signum, _frame: None)
    server.run(sockets=[sock])
    print("records service stopped", flush=True)
    return 0


def _document_url(args: argparse.Namespace, config) -> str | None:
    """The A4 printer this command prints on, or None for the receipt roll."""
    url = args.printer or (None if config.documents.printer == "none" else config.documents.printer)
    return url if url and url.split(":", 1)[0] in ("cups", "ipp") else None


def cmd_cert_print(args: argparse.Namespace) -> int:
    config = _config(args)
    now = SystemClock(config.hall.timezone).now()
    if (args.out or "").lower().endswith(".pdf") or (not args.out and _document_url(args, config)):
        return _cert_print_a4(args, config, now)
    return _cert_print_roll(args, config, now)


def _cert_print_a4(args: argparse.Namespace, config, now) -> int:
    from onevisit.devices.documents import open_document_printer
    from onevisit.records.a4 import render_a4_pdf
    from onevisit.records.certificate import build_certificate
    from onevisit.records.documents import print_certificate_document

    printer = None if args.out else open_document_printer(_document_url(args, config))
    register_ = CertificateRegister(config.path(config.records.certificates_db))
    cert = build_certificate(
        config, records_from_config(config), args.id, args.months, now, register=register_
    )
    pdf = render_a4_pdf(cert, config.hall.timezone, config.printer.font)
    result = {"serial": cert.serial, "id": cert.id_masked, "months": args.months, "paper": "A4"}
    if printer is None:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
        register_.set_status(cert.serial, "issued")
        result["file"] = str(out)
    else:
        docs = config.documents
        job = print_certificate_document(
            printer, register_, cert.serial, pdf, timeout=docs.job_timeout_seconds, poll=docs.poll_seconds
        )
        result["printer"] = {"url": printer.url, "job": job.id, "state": job.state}
    _print_json(result)
    return 0


def _cert_print_roll(args: argparse.Namespace, config, now) -> int:
    from onevisit.records.issue import issue_certificate, write_files
    from onevisit.records.printing import print_pages

    issued = issue_certificate(
        config, records_from_config(config), args.id, args.months, now, width=args.width
    )
    cert = issued.certificate
    register_ = CertificateRegister(config.path(config.records.certificates_db))
    result = {"serial": cert.serial, "id": cert.id_masked, "pages": len(issued.pages), "months": args.months}
    if args.out:
        result["files"] = [str(p) for p in write_files(issued, Path(args.out))]
        register_.set_status(cert.serial, "issued")
    else:
        url = args.printer or config.printer.url
        try:
            result["printer"] = print_pages(config, url, issued.pages, cert.serial)
        except OneVisitError:
            register_.set_status(cert.serial, "print_failed")
            raise
        register_.set_status(cert.serial, "printed")
    _print_json(result)
    return 0


def _report(verdict: Verdict) -> int:
    _print_json(verdict.to_dict())
    print(
        ("VALID: " if verdict.valid else "INVALID: ") + f"{verdict.reason_zh} / {verdict.reason_en}",
        file=sys.stderr,
    )
    return 0 if verdict.valid else EXIT_INVALID


def cmd_verify(args: argparse.Namespace) -> int:
    from onevisit.records.issue import decode_qr

    config = _config(args)
    if args.serial is not None:
        if not args.code:
            raise OneVisitError("code_required", "请输入验证码", "--serial needs --code")
        row = CertificateRegister(config.path(config.records.certificates_db)).check_code(
            args.serial, args.code
        )
        if row is None:
            return _report(
                Verdict(
                    False,
                    "not_registered",
                    "证明编号与验证码不匹配，或本大厅未签发该证明",
                    "No certificate with this serial and code was issued by this hall",
                )
            )
        _print_json({"valid": True, "code": "registered", "certificate": row})
        return 0
    key = parse_public_key(args.public_key) if args.public_key else hall_public_key(config)
    if args.image:
        path = Path(args.image)
        if not path.is_file():
            raise OneVisitError("image_missing", "找不到图片文件", f"No image at {path}")
        texts = decode_qr(path)
        if not texts:
            return _report(
                Verdict(False, "no_qr", "图片中未识别到二维码", "No QR code could be read in the image")
            )
        verdicts = [verify(t, key) for t in texts]
        return _report(next((v for v in verdicts if v.valid), verdicts[0]))
    return _report(verify(args.payload, key))


def cmd_keys_show(args: argparse.Namespace) -> int:
    config = _config(args)
    public = signing_key(config).public_key()
    _print_json(
        {
            "algorithm": "Ed25519",
            "key_id": key_id(public),
            "public_key": public_key_text(public),
            "pem": public_key_pem(public),
        }
    )
    return 0
