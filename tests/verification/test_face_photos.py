"""The 1:1 matcher and the image loader on the shared real photos."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from onevisit.commands.main import main
from onevisit.core.errors import OneVisitError
from onevisit.devices.camera import load_image
from onevisit.verification.matcher import FaceSample
from onevisit.verification.pairs import EncodingCache

EX = "face_recognition/examples"
PEOPLE = {
    "obama": [
        f"{EX}/obama.jpg",
        f"{EX}/obama2.jpg",
        f"{EX}/knn_examples/test/obama1.jpg",
        "face_recognition/tests/test_images/obama3.jpg",
        f"{EX}/obama_small.jpg",
    ],
    "biden": [f"{EX}/biden.jpg", f"{EX}/knn_examples/train/biden/biden2.jpg"],
    "kit": [
        f"{EX}/knn_examples/train/kit_harington/john1.jpeg",
        f"{EX}/knn_examples/train/kit_harington/john2.jpeg",
        f"{EX}/knn_examples/test/johnsnow_test1.jpg",
    ],
    "rose": [
        f"{EX}/knn_examples/train/rose_leslie/img1.jpg",
        f"{EX}/knn_examples/train/rose_leslie/img2.jpg",
    ],
    "alex": [
        f"{EX}/knn_examples/train/alex_lacamoire/img1.jpg",
        f"{EX}/knn_examples/test/alex_lacamoire1.jpg",
    ],
    "lin": [f"{EX}/lin-manuel-miranda.png"],
}


def _encode(encodings: EncodingCache, faces_dir: Path, rel: str, role: str = "probe") -> np.ndarray:
    """`role` "ref": encoded as the kiosk encodes the photo on file (10 jitters, cached)."""
    return encodings.get(faces_dir / rel, role)


def test_same_person_pairs_match_at_the_configured_threshold(faces_dir, encodings, config) -> None:
    assert config.verification.threshold < 0.6
    genuine = [(a, b) for photos in PEOPLE.values() for a, b in itertools.combinations(photos, 2)]
    assert len(genuine) >= 15
    for a, b in genuine:
        result = encodings.matcher.compare(
            _encode(encodings, faces_dir, a, "ref"), [_encode(encodings, faces_dir, b)]
        )
        assert result.threshold == config.verification.threshold
        assert result.match, f"{a} vs {b}: distance {result.distance:.3f}"
        assert result.margin > 0


def test_different_people_do_not_match(faces_dir, encodings) -> None:
    impostor = 0
    for (p, photos), (q, others) in itertools.combinations(PEOPLE.items(), 2):
        for a in photos:
            for b in others:
                result = encodings.matcher.compare(
                    _encode(encodings, faces_dir, a, "ref"), [_encode(encodings, faces_dir, b)]
                )
                assert not result.match, f"{p} {a} vs {q} {b}: distance {result.distance:.3f}"
                assert result.margin < 0
                impostor += 1
    assert impostor > 80


def test_two_faces_and_no_face_give_their_own_errors(faces_dir, encodings, tmp_path) -> None:
    for two in (f"{EX}/two_people.jpg", f"{EX}/knn_examples/test/obama_and_biden.jpg"):
        with pytest.raises(OneVisitError) as exc:
            encodings.get(faces_dir / two)
        assert exc.value.code == "several_faces"
        assert exc.value.zh == "检测到多张人脸"
    # A wall: texture, no face.
    rng = np.random.default_rng(0)
    wall = (np.linspace(60, 200, 400)[None, :, None] + rng.normal(0, 8, (300, 400, 3))).clip(0, 255)
    path = tmp_path / "wall.png"
    from PIL import Image

    Image.fromarray(wall.astype(np.uint8)).save(path)
    with pytest.raises(OneVisitError) as exc:
        encodings.get(path)
    assert exc.value.code == "no_face" and exc.value.zh == "未检测到人脸"


def test_rgba_32bit_png_loads_and_is_the_same_person(faces_dir, encodings) -> None:
    image = load_image(faces_dir / "face_recognition/tests/test_images/32bit.png")
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    rgba = encodings.get(faces_dir / "face_recognition/tests/test_images/32bit.png")
    result = encodings.matcher.compare(_encode(encodings, faces_dir, f"{EX}/obama.jpg"), [rgba])
    assert result.match


def test_matcher_verify_uses_the_known_box_and_reports_each_distance(faces_dir, matcher) -> None:
    ref = FaceSample(load_image(faces_dir / f"{EX}/obama.jpg"))
    probes = [
        FaceSample(load_image(faces_dir / f"{EX}/obama2.jpg")),
        FaceSample(load_image(faces_dir / f"{EX}/obama_small.jpg")),
    ]
    result = matcher.verify(ref, probes)
    assert result.match and len(result.distances) == 2
    # Decided on the distance to the mean probe encoding, which the triangle inequality keeps at or
    # below the mean of the per-frame distances (the rule before 2026-11).
    assert 0 < result.distance < np.mean(result.distances)
    assert result.to_dict()["margin"] == pytest.approx(result.threshold - result.distance, abs=1e-3)


def test_verify_face_cli_one_pair_and_exit_codes(faces_dir, capsys) -> None:
    same = main(["verify-face", str(faces_dir / f"{EX}/obama.jpg"), str(faces_dir / f"{EX}/obama2.jpg")])
    row = json.loads(capsys.readouterr().out)
    assert same == 0 and row["match"] is True and row["threshold"] == 0.5
    two = main(["verify-face", str(faces_dir / f"{EX}/obama.jpg"), str(faces_dir / f"{EX}/two_people.jpg")])
    row = json.loads(capsys.readouterr().out)
    assert two == 2 and row["error"] == "several_faces" and row["in"] == "probe"


def test_verify_face_cli_pairs_encodes_each_image_once(faces_dir, tmp_path, capsys) -> None:
    photos = [
        faces_dir / p
        for p in (f"{EX}/obama.jpg", f"{EX}/obama2.jpg", f"{EX}/biden.jpg", f"{EX}/obama_small.jpg")
    ]
    rows = ["ref,probe"]
    for a, b in itertools.permutations(photos, 2):
        rows.append(f"{a},{b}")
    rows.append(f"{photos[0]},{faces_dir / EX / 'two_people.jpg'}")
    rows.append(f"{photos[0]},missing.jpg")
    csv_path = tmp_path / "pairs.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    assert main(["verify-face", "--pairs", str(csv_path)]) == 0
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert len(out) == 14
    matches = {(Path(r["ref"]).name, Path(r["probe"]).name): r.get("match") for r in out if "match" in r}
    assert matches[("obama.jpg", "obama2.jpg")] is True
    assert matches[("obama.jpg", "biden.jpg")] is False
    assert matches[("biden.jpg", "obama_small.jpg")] is False
    assert out[-2]["error"] == "several_faces"
    assert out[-1]["error"] == "image_missing"
    # 12 good pairs, 4 distinct photos, each used as a reference and as a probe: a reference is
    # encoded as the kiosk encodes the photo on file (10 jitters), a probe as a camera frame, so each
    # photo is encoded once per role.
    assert "4 references and 4 probes encoded" in captured.err


def test_verify_face_cli_rejects_a_bad_pairs_file(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nx,y\n")
    assert main(["verify-face", "--pairs", str(bad)]) == 2
    assert "pairs_columns" in capsys.readouterr().err
