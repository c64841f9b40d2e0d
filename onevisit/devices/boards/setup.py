"""Building the hall's board bus and board list from config.toml."""

from __future__ import annotations

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.devices.boards.bus import BoardBus
from onevisit.devices.boards.codec import codec_for
from onevisit.devices.boards.content import DEFAULT_COLUMNS, BoardSpec


def board_specs(config: Config) -> list[BoardSpec]:
    return [
        BoardSpec(b.address, b.kind, b.window, b.idle_text, b.columns or DEFAULT_COLUMNS[b.kind])
        for b in config.boards.boards
    ]


def keypad_labels(config: Config) -> dict[int, str]:
    """Keypad address -> label, e.g. "caller window 3" (health and /maintenance read it back)."""
    return {k.address: f"{k.kind} window {k.window}" for k in config.boards.keypads}


def board_charsets(config: Config) -> dict[int, str]:
    """Each configured board's character set, by address (what the codecs take)."""
    return {b.address: b.charset for b in config.boards.boards}


def port_path(config: Config, port: str | None = None) -> str:
    """A device path from config resolves against the config's folder; URLs pass unchanged."""
    value = port or config.boards.port
    if "://" in value or value.startswith("/"):
        return value
    return str(config.path(value))


def bus_from_config(config: Config, port: str | None = None, clock: Clock | None = None) -> BoardBus:
    b = config.boards
    return BoardBus(
        port_path(config, port),
        codec_for(b.codec, board_charsets(config)),
        {spec.address: spec.label for spec in board_specs(config)},
        baud=b.baud,
        parity=b.parity,
        timeout=b.timeout,
        write_timeout=b.write_timeout,
        retries=b.retries,
        queue_size=b.queue_size,
        probe_seconds=b.probe_seconds,
        keepalive_seconds=b.keepalive_seconds,
        reconnect_max=b.reconnect_max_seconds,
        clock=clock,
        keypads=keypad_labels(config),
        poll_seconds=b.poll_seconds,
    )
