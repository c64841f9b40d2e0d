"""The demo's own config: the repository's config.toml with every file and device pointed into
var/demo/, written out as var/demo/config.toml so every other command (the kiosk window,
`onevisit doctor`, `onevisit printer status`...) can be pointed at the running demo with --config.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from onevisit.core.config import Config, parse_config

#: The demo wires a 呼叫器 and a 评价器 to window 3 (enrollment and cards); its 转移 key sends the
#: citizen on to contributions (window 4).
DEMO_KEYPADS = [
    {"address": 21, "kind": "caller", "window": 3, "transfer_matter": "contrib"},
    {"address": 31, "kind": "rater", "window": 3},
]


def demo_keypads(config: Config) -> list[dict[str, Any]]:
    """DEMO_KEYPADS where this config can take them (window 3, free addresses, the default codec)."""
    taken = {b.address for b in config.boards.boards}
    matters = {m.code for m in config.matters}
    if config.boards.codec != "default" or 3 not in {w.number for w in config.windows}:
        return []
    out = []
    for keypad in DEMO_KEYPADS:
        if keypad["address"] in taken:
            continue
        if keypad.get("transfer_matter") not in (None, *matters):
            keypad = {k: v for k, v in keypad.items() if k != "transfer_matter"}
        out.append(keypad)
    return out


def demo_config(config: Config, root: Path, *, host: str, port: int) -> Config:
    """`config` with the demo's paths (absolute, under `root`) and the demo hall's address."""
    root = root.resolve()
    hall_url = f"http://{host}:{port}"
    boards: dict[str, Any] = {"port": str(root / "board-link")}
    if config.boards.enabled and not config.boards.keypads:
        boards["keypads"] = demo_keypads(config)
    updates: dict[str, dict[str, Any]] = {
        "hall": {
            "database": str(root / "hall.db"),
            "host": host,
            "port": port,
            "public_url": demo_public_url(port),
        },
        "security": {"secrets_dir": str(root / "secrets")},
        "boards": boards,
        "voice": {"out_dir": str(root / "voice"), "clips_dir": str(root / "voice-clips")},
        "records": {"database": str(root / "records.db"), "certificates_db": str(root / "certificates.db")},
        "verification": {"audit_dir": str(root / "audit")},
        "card_reader": {"url": f"serial://{root / 'card-link'}"},
        "kiosk": {"name": "demo-kiosk", "hall_url": hall_url, "token_file": str(root / "kiosk-token")},
        "maintenance": {"log_dir": str(root / "logs")},
    }
    return with_updates(config, updates)


def demo_public_url(port: int) -> str:
    """The address the demo prints on certificates and ticket QRs: this machine's host name (what
    another machine on the LAN would type; the hall listens there with --host 0.0.0.0), or
    onevisit-demo.local when the host name is a loopback one. Never 127.0.0.1: that is unreachable
    from a phone, and `onevisit doctor` and the kiosk refuse certificates carrying it."""
    import socket

    from onevisit.core.config import public_url_problem

    url = f"http://{socket.gethostname().lower()}:{port}"
    return f"http://onevisit-demo.local:{port}" if public_url_problem(url) else url


def with_updates(config: Config, updates: dict[str, dict[str, Any]]) -> Config:
    """A copy with some keys of some sections changed, validated again like a loaded file."""
    raw = config.model_dump(mode="json", exclude={"base_dir"})
    for section, values in updates.items():
        raw[section] = {**raw[section], **values}
    return parse_config(raw, base_dir=config.base_dir, source="demo config")


def to_toml(config: Config) -> str:
    """config.toml text for a config (no null in TOML: a None value is left out, its default applies)."""
    raw = config.model_dump(mode="json", exclude={"base_dir"})
    lines = ["# Written by `onevisit demo`: the demo's config, every path inside var/demo.", ""]
    for key, value in raw.items():
        if isinstance(value, dict):
            _table(lines, key, value)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                lines.append(f"[[{key}]]")
                _pairs(lines, key, item)
                lines.append("")
    return "\n".join(lines)


def _table(lines: list[str], name: str, table: dict[str, Any]) -> None:
    lines.append(f"[{name}]")
    _pairs(lines, name, table)
    lines.append("")


def _pairs(lines: list[str], name: str, table: dict[str, Any]) -> None:
    nested = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, dict):
            nested.append((key, value))
        else:
            lines.append(f"{key} = {_value(value)}")
    for key, value in nested:
        lines.append("")
        _table(lines, f"{name}.{key}", value)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items() if v is not None) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def write_config(config: Config, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(to_toml(config), encoding="utf-8")
    tmp.replace(path)
    return path
