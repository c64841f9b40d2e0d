"""The ID card reader: SAM frames over serial, a keyboard wedge, a simulator, one interface."""

from onevisit.devices.cardreader.frames import CardRead, CardReadError
from onevisit.devices.cardreader.readers import (
    CardReader,
    SamReader,
    SimCardReader,
    WedgeDecoder,
    WedgeReader,
    open_card_reader,
)

__all__ = [
    "CardRead",
    "CardReadError",
    "CardReader",
    "SamReader",
    "SimCardReader",
    "WedgeDecoder",
    "WedgeReader",
    "open_card_reader",
]
