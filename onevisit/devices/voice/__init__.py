"""The voice: an announcement queue that never overlaps, over espeak-ng, clips or silence."""

from onevisit.devices.voice.announcer import Announcement, Announcer
from onevisit.devices.voice.phrases import VoiceError, announcement_text, spoken_number

__all__ = ["Announcement", "Announcer", "VoiceError", "announcement_text", "spoken_number"]
