"""Face fixtures: camera-like frames cut from the shared photos, and one matcher per session so
each photo is encoded once across the whole folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from onevisit.core.config import VerificationConfig
from onevisit.devices.camera import load_image
from onevisit.sim.camera.puppet import kiosk_view
from onevisit.verification.analysis import FaceAnalyzer
from onevisit.verification.matcher import LocalMatcher
from onevisit.verification.pairs import EncodingCache


@pytest.fixture(scope="session")
def matcher() -> LocalMatcher:
    return LocalMatcher(VerificationConfig())


@pytest.fixture(scope="session")
def encodings(matcher: LocalMatcher) -> EncodingCache:
    return EncodingCache(matcher)


@pytest.fixture(scope="session")
def analyzer() -> FaceAnalyzer:
    return FaceAnalyzer(320)


def kiosk_frame(photo: Path) -> np.ndarray:
    """A 640×480 frame with the photo's face at a kiosk distance (face ≈ a third of the width)."""
    return kiosk_view(load_image(photo))


@pytest.fixture(scope="session")
def obama_frame(faces_dir_session: Path) -> np.ndarray:
    return kiosk_frame(faces_dir_session / "face_recognition/examples/obama.jpg")


@pytest.fixture(scope="session")
def biden_frame(faces_dir_session: Path) -> np.ndarray:
    return kiosk_frame(faces_dir_session / "face_recognition/examples/knn_examples/train/biden/biden2.jpg")


@pytest.fixture(scope="session")
def faces_dir_session() -> Path:
    from tests.conftest import SHARED_FACES

    if not SHARED_FACES.is_dir():
        pytest.skip(f"face photos not available: {SHARED_FACES} is absent (see shared/faces/README.md)")
    return SHARED_FACES
