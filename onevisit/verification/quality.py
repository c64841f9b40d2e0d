"""The quality gate: is this frame good enough to judge? If not, what should the citizen do?"""

from __future__ import annotations

from dataclasses import dataclass

from onevisit.core.config import VerificationConfig
from onevisit.verification.analysis import FaceObservation, FrameAnalysis

#: code -> (Chinese prompt, English prompt), shown and spoken at the kiosk.
PROMPTS: dict[str, tuple[str, str]] = {
    "ok": ("请保持", "Hold still"),
    "no_face": ("未检测到人脸", "No face detected: please look at the camera"),
    "several_faces": ("检测到多张人脸", "Several faces detected: only the pensioner should be in view"),
    "too_far": ("请靠近一点", "Please come closer"),
    "too_dark": ("光线太暗", "It is too dark: please face the light"),
    "too_bright": ("光线太亮，请避开强光", "Too much light: please step out of the glare"),
    "blurry": ("请保持不动", "The picture is blurred: please hold still"),
    "not_frontal": ("请正对屏幕", "Please face the screen"),
}


@dataclass(frozen=True)
class QualityVerdict:
    code: str
    face: FaceObservation | None = None

    @property
    def ok(self) -> bool:
        return self.code == "ok"

    @property
    def usable_for_liveness(self) -> bool:
        """Liveness needs one face, near and lit; turning away and motion blur are expected."""
        return self.code in ("ok", "not_frontal", "blurry")

    @property
    def prompt(self) -> tuple[str, str]:
        return PROMPTS[self.code]


def assess(analysis: FrameAnalysis, config: VerificationConfig) -> QualityVerdict:
    """The first problem in the order a citizen can fix them: who is in view, distance, light,
    steadiness, pose."""
    if not analysis.faces:
        return QualityVerdict("no_face")
    if len(analysis.faces) > 1:
        return QualityVerdict("several_faces")
    face = analysis.faces[0]
    width = analysis.image_size[0]
    if face.width < max(config.min_face_px, config.min_face_fraction * width):
        return QualityVerdict("too_far", face)
    if face.brightness < config.min_brightness:
        return QualityVerdict("too_dark", face)
    if face.brightness > config.max_brightness:
        return QualityVerdict("too_bright", face)
    if face.sharpness < config.min_sharpness:
        return QualityVerdict("blurry", face)
    if abs(face.yaw) > config.max_frontal_degrees or abs(face.pitch) > config.max_frontal_degrees:
        return QualityVerdict("not_frontal", face)
    return QualityVerdict("ok", face)
