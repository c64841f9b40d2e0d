"""`onevisit verify-face` (1:1 photo comparisons) and `onevisit certify` (the whole headless flow)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from onevisit.core.errors import OneVisitError

if TYPE_CHECKING:  # imported lazily at run time: `onevisit --help` stays fast
    from onevisit.core.config import VerificationConfig

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    verify = subparsers.add_parser(
        "verify-face",
        parents=[common],
        help="compare face photos 1:1 (one pair, or a CSV of pairs)",
        description="Print one JSON line per pair: match, distance, threshold, margin - or an error "
        "(no_face, several_faces, image_unreadable, ...). A ref is encoded as the kiosk encodes the "
        "reference photo (verification.reference_jitters), a probe as a camera frame; each image once "
        "per role.",
    )
    verify.add_argument("ref", nargs="?", help="reference photo")
    verify.add_argument("probe", nargs="?", help="photo to compare with the reference")
    verify.add_argument(
        "--pairs", metavar="CSV", help="CSV with columns ref,probe (paths relative to the CSV)"
    )
    verify.add_argument("--threshold", type=float, help="override verification.threshold (must be < 0.6)")
    verify.add_argument(
        "--model", choices=("small", "large"), help="override verification.encoding_model (dlib alignment)"
    )
    verify.add_argument(
        "--ref-jitters", type=int, metavar="N", help="override verification.reference_jitters (1-100)"
    )
    verify.add_argument(
        "--combination",
        choices=("mean_encoding", "mean_distance"),
        help="override verification.probe_combination (matters only with several probes)",
    )
    verify.set_defaults(handler=_verify_face)

    certify = subparsers.add_parser(
        "certify",
        parents=[common],
        help="run the pension qualification certification headless against a camera source",
    )
    certify.add_argument("--id", required=True, dest="id_number", help="the pensioner's 18-digit ID number")
    certify.add_argument("--camera", help="camera URL (default: camera.url in config)")
    certify.add_argument("--challenges", help="comma-separated, e.g. blink,turn_left (default: random)")
    certify.add_argument(
        "--reference",
        metavar="PHOTO",
        help="compare with this photo instead of the records backend's (nothing is recorded)",
    )
    certify.add_argument("--kiosk", help="kiosk name recorded with the result")
    certify.add_argument("--json", action="store_true", help="print the result as JSON")
    certify.set_defaults(handler=_certify)

    clip = subparsers.add_parser(
        "face-clip",
        parents=[common],
        help="make a frames:// clip of a photo's face doing liveness actions (demo and tests)",
        description="Warps the photo along synthetic landmark motion: a stand-in for a live person for "
        "the demo's file camera. It is also the 2D-puppet attack action liveness cannot stop.",
    )
    clip.add_argument("photo", help="a photo with exactly one face")
    clip.add_argument("out", help="folder to write numbered JPEG frames into")
    clip.add_argument(
        "--actions",
        default="still,blink,open_mouth,turn_left,turn_right,nod",
        help="comma-separated from still, blink, open_mouth, turn_left, turn_right, nod",
    )
    clip.set_defaults(handler=_face_clip)


def _verify_face(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load
    from onevisit.verification.matcher import LocalMatcher
    from onevisit.verification.pairs import EncodingCache, compare_paths, read_pairs

    config = load(args)
    vconf = _overridden(config.verification, args)
    cache = EncodingCache(LocalMatcher(vconf))
    if args.pairs:
        if args.ref or args.probe:
            raise OneVisitError(
                "usage", "请只给出 --pairs 或一对照片", "Give either --pairs CSV or REF PROBE"
            )
        started = time.perf_counter()
        counts = {"pairs": 0, "match": 0, "errors": 0}
        for _line, ref, probe in read_pairs(Path(args.pairs)):
            row = compare_paths(cache, ref, probe)
            counts["pairs"] += 1
            counts["errors" if "error" in row else "match"] += 1 if ("error" in row or row["match"]) else 0
            print(json.dumps(row, ensure_ascii=False), flush=True)
        refs, probes = cache.encoded["ref"], cache.encoded["probe"]
        print(
            f"{counts['pairs']} pairs, {counts['match']} match, {counts['errors']} errors, "
            f"{refs} references and {probes} probes encoded in {time.perf_counter() - started:.1f}s "
            f"(model {vconf.encoding_model}, reference jitters {vconf.reference_jitters}, "
            f"threshold {vconf.threshold})",
            file=sys.stderr,
        )
        return 0
    if not args.ref or not args.probe:
        raise OneVisitError("usage", "请给出两张照片", "Usage: onevisit verify-face REF PROBE | --pairs CSV")
    row = compare_paths(cache, Path(args.ref), Path(args.probe))
    print(json.dumps(row, ensure_ascii=False))
    if "error" in row:
        return 2
    return 0 if row["match"] else 1


def _overridden(vconf: VerificationConfig, args: argparse.Namespace) -> VerificationConfig:
    """verification config with the command line's --threshold/--model/--ref-jitters/--combination,
    validated by the same strict model as config.toml (so the bounds are stated once)."""
    from pydantic import ValidationError

    changes = {
        key: value
        for key, value in (
            ("threshold", args.threshold),
            ("encoding_model", args.model),
            ("reference_jitters", args.ref_jitters),
            ("probe_combination", args.combination),
        )
        if value is not None
    }
    try:
        return type(vconf).model_validate({**vconf.model_dump(), **changes})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0])
        if field == "threshold":
            raise OneVisitError(
                "threshold", "阈值应在 0 与 0.6 之间", "--threshold must be above 0 and below 0.6"
            ) from None
        # --model and --combination are argparse choices; only the jitter count can be out of range.
        raise OneVisitError(
            "usage", "参考照片抖动次数应在 1 到 100 之间", f"--ref-jitters: {error['msg']} (1 to 100)"
        ) from None


def _face_clip(args: argparse.Namespace) -> int:
    from onevisit.devices.camera import load_image
    from onevisit.sim.camera.puppet import ACTIONS, kiosk_view, write_clip

    actions = [a.strip() for a in args.actions.split(",") if a.strip()]
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise OneVisitError(
            "actions", "动作名称有误", f"unknown action(s) {unknown}; choose from {', '.join(ACTIONS)}"
        )
    try:
        image = kiosk_view(load_image(args.photo))
    except ValueError as exc:
        raise OneVisitError("several_faces", "照片中应只有一张人脸", str(exc)) from None
    try:
        folder = write_clip(image, actions, Path(args.out))
    except ValueError as exc:
        raise OneVisitError("several_faces", "照片中应只有一张人脸", str(exc)) from None
    count = len(list(folder.glob("*.jpg")))
    print(
        json.dumps({"folder": str(folder), "frames": count, "camera": f"frames://{folder.resolve()}?fps=10"})
    )
    return 0


def _records(config, args: argparse.Namespace, id_number, today):
    """The records system config names (the demo one seeded on first use), or one photo file."""
    if args.reference:
        from onevisit.sim.records.photo_records import PhotoFileRecords

        return PhotoFileRecords(id_number, Path(args.reference), config.verification.certification_months)
    from onevisit.commands._records import records_from_config

    return records_from_config(config, seed_today=today)


def _certify(args: argparse.Namespace) -> int:
    from onevisit.commands.main import load
    from onevisit.core.clock import SystemClock
    from onevisit.core.identity import parse_id
    from onevisit.devices.camera import open_camera
    from onevisit.verification.flow import CertificationFlow
    from onevisit.verification.liveness import parse_challenges

    config = load(args)
    id_number = parse_id(args.id_number)
    challenges = None
    if args.challenges:
        try:
            challenges = parse_challenges(args.challenges)
        except ValueError as exc:
            raise OneVisitError("challenges", "动作名称有误", str(exc)) from None
    clock = SystemClock(config.hall.timezone)
    records = _records(config, args, id_number, clock.now().date())

    def emit(event: dict) -> None:
        print(json.dumps({"event": event}, ensure_ascii=False), file=sys.stderr, flush=True)

    def prompt(zh: str, en: str) -> None:
        log.info("kiosk says: %s / %s", zh, en)

    url = args.camera or config.camera.url
    camera = open_camera(url, config.camera.width, config.camera.height)
    try:
        flow = CertificationFlow(
            config,
            records,
            SystemClock(config.hall.timezone),
            kiosk=args.kiosk or "",
            emit=emit,
            on_prompt=prompt,
        )
        result = flow.run(id_number, camera, challenges)
    finally:
        camera.close()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        zh, en = result.message
        print(f"{result.outcome.upper()}  {result.id_masked}")
        print(f"  {zh}")
        print(f"  {en}")
        for a in result.attempts:
            line = f"  attempt {a.number} [{', '.join(a.challenges)}]: {'passed' if a.passed else a.reason}"
            print(f"{line} - {a.detail} ({a.frames} frames, {a.seconds}s)")
        if result.window_tag:
            print(f"  window ticket tag: {result.window_tag}")
    if args.reference:
        print(
            "note: reference photo from --reference; nothing was written to a records backend",
            file=sys.stderr,
        )
    return 0 if result.outcome in ("passed", "not_due") else 1
