"""[boards] keypads: each bound to one window, addresses shared with boards, refused when wrong."""

from __future__ import annotations

import tomllib

import pytest

from onevisit.core.config import ConfigError, parse_config
from tests.conftest import REPO


@pytest.fixture
def raw():
    return tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))


def test_keypads_are_read_with_their_defaults(raw):
    raw["boards"]["keypads"] = [
        {"address": 21, "kind": "caller", "window": 3, "transfer_matter": "contrib"},
        {"address": 31, "kind": "rater", "window": 3},
    ]
    boards = parse_config(raw).boards
    assert [(k.address, k.kind, k.window, k.transfer_matter) for k in boards.keypads] == [
        (21, "caller", 3, "contrib"),
        (31, "rater", 3, None),
    ]
    assert (boards.poll_seconds, boards.rating_seconds, boards.keypad_error_seconds) == (0.1, 30.0, 3.0)


@pytest.mark.parametrize(
    ("keypad", "boards", "expected"),
    [
        ({"address": 3, "kind": "caller", "window": 3}, {}, "duplicate address"),
        ({"address": 21, "kind": "caller", "window": 9}, {}, "boards.keypads[0].window: no window 9"),
        ({"address": 21, "kind": "caller", "window": 3, "transfer_matter": "passport"}, {}, "unknown matter"),
        (
            {"address": 21, "kind": "rater", "window": 3, "transfer_matter": "contrib"},
            {},
            "a rater has no 转移 key",
        ),
        ({"address": 21, "kind": "keyboard", "window": 3}, {}, "boards.keypads.0.kind"),
        ({"address": 21, "kind": "caller", "window": 3, "colour": "red"}, {}, "colour: unknown key"),
        ({"address": 21, "kind": "caller", "window": 3}, {"codec": "line"}, "no keypad commands"),
        ({"address": 21, "kind": "caller", "window": 3}, {"poll_seconds": 0}, "boards.poll_seconds"),
    ],
)
def test_bad_keypads_are_refused_with_the_key_path(raw, keypad, boards, expected):
    raw["boards"]["keypads"] = [keypad]
    raw["boards"].update(boards)
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert expected in str(error.value)
