"""Call-display boards: codecs per vendor protocol, the serial bus, board texts, the emulator."""

from onevisit.devices.boards.bus import BoardBus, BoardBusError
from onevisit.devices.boards.codec import BoardCodec, BoardTextError, codec_for
from onevisit.devices.boards.content import BoardContent, BoardSpec, Shown

__all__ = [
    "BoardBus",
    "BoardBusError",
    "BoardCodec",
    "BoardContent",
    "BoardSpec",
    "BoardTextError",
    "Shown",
    "codec_for",
]
