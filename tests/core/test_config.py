"""config.toml is validated at start; an error names the key path and what was expected."""

from __future__ import annotations

import tomllib

import pytest

from onevisit.core.config import ConfigError, load_config, parse_config
from tests.conftest import REPO


@pytest.fixture
def raw():
    return tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))


def test_demo_config_describes_the_hall(config):
    assert [m.code for m in config.matters] == ["enroll", "contrib", "benefit", "card", "medical"]
    assert config.window(1).matters == config.window(2).matters == [m.code for m in config.matters]
    assert config.window(3).matters == ["enroll", "card"]
    assert config.window(4).matters == ["contrib"]
    assert config.window(5).matters == ["benefit", "medical"]
    assert config.window(6).matters == ["benefit"]
    assert config.priority.age_at_least == 70
    assert config.verification.threshold < 0.6


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda r: r["hall"].update(colour="red"), "hall.colour: unknown key"),
        (lambda r: r["recall"].update(max_recals=3), "recall.max_recals: unknown key"),
        (lambda r: r["matters"][0].update(prefix="ab"), "matters.0.prefix"),
        (lambda r: r["matters"][2].update(daily_cap=0), "matters.2.daily_cap"),
        (lambda r: r["windows"][3].update(matters=["contrib", "passport"]), "unknown matter 'passport'"),
        (lambda r: r["hall"]["hours"].update(open="18:00"), "open must be before close"),
        (lambda r: r["hall"].update(port="eighty"), "hall.port"),
        (lambda r: r["verification"].update(threshold=0.7), "verification.threshold"),
        (lambda r: r["matters"].append(dict(r["matters"][0])), "duplicate code"),
        (lambda r: r["hall"].update(timezone="Mars/Olympus"), "unknown time zone"),
        (lambda r: r["boards"]["boards"].append({"address": 9, "kind": "window"}), "needs `window`"),
    ],
)
def test_invalid_config_names_the_key_path(raw, mutate, expected):
    mutate(raw)
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert expected in str(error.value)


def test_unreadable_config_files_say_so(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[hall\nname = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_relative_paths_resolve_against_the_config_folder(tmp_path, raw):
    config = parse_config(raw, base_dir=tmp_path)
    assert config.path(config.hall.database) == tmp_path / "var" / "onevisit.db"
