"""`[records] type` chooses the records system; http needs a URL, and mistakes name their key."""

from __future__ import annotations

import pytest

from onevisit.core.config import ConfigError, parse_config
from onevisit.core.errors import OneVisitError
from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.records.systems import open_records


def with_records(config, **records):
    raw = config.model_dump(mode="json", exclude={"base_dir"})
    raw["records"] = {k: v for k, v in {**raw["records"], **records}.items() if v is not None}
    return raw


def test_the_repository_config_uses_the_demo(config):
    assert config.records.type == "demo" and config.records.url is None


def test_http_without_url_is_refused_with_the_key_path(config):
    with pytest.raises(ConfigError) as info:
        parse_config(with_records(config, type="http"))
    assert "records.url" in str(info.value) and 'required when type = "http"' in str(info.value)


@pytest.mark.parametrize(
    ("records", "said"),
    [
        ({"type": "http", "url": "ftp://records.example"}, "records.url"),
        ({"type": "http", "url": "http://10.0.0.5:8610/?x=1"}, "records.url"),
        ({"type": "soap"}, "records.type"),
        ({"type": "http", "url": "http://10.0.0.5:8610", "timeout_seconds": 0}, "records.timeout_seconds"),
        ({"type": "http", "url": "http://10.0.0.5:8610", "adress": "x"}, "records.adress: unknown key"),
        ({"type": "http", "url": "http://10.0.0.5:8610", "token": "t" * 20, "token_file": "f"}, "records"),
    ],
)
def test_mistakes_name_their_key(config, records, said):
    with pytest.raises(ConfigError) as info:
        parse_config(with_records(config, **records))
    assert said in str(info.value)


def test_http_config_opens_the_http_backend(config, tmp_path):
    (tmp_path / "token").write_text("s3cret-token-value\n")
    cfg = parse_config(
        with_records(
            config, type="http", url="http://127.0.0.1:8610/", token_file="token", timeout_seconds=3
        ),
        base_dir=tmp_path,
    )
    assert cfg.records.url == "http://127.0.0.1:8610"
    backend = open_records(cfg)
    try:
        assert isinstance(backend, HttpRecordsBackend) and backend.timeout == 3
        assert backend._client.headers["Authorization"] == "Bearer s3cret-token-value"
    finally:
        backend.close()


def test_a_missing_token_file_and_a_demo_without_its_factory_are_refused(config, tmp_path):
    cfg = parse_config(
        with_records(config, type="http", url="http://h:1", token_file="nope"), base_dir=tmp_path
    )
    with pytest.raises(OneVisitError) as info:
        open_records(cfg)
    assert info.value.code == "records_token_missing"
    with pytest.raises(OneVisitError) as info:
        open_records(config)
    assert info.value.code == "records_not_configured"


def test_the_kiosk_opens_what_config_names(config, tmp_path):
    from onevisit.commands.kiosk import open_kiosk_records
    from onevisit.sim.records.demo_backend import DemoBackend

    http = parse_config(with_records(config, type="http", url="http://127.0.0.1:8610"), base_dir=tmp_path)
    backend = open_kiosk_records(http)
    assert isinstance(backend, HttpRecordsBackend)
    backend.close()
    demo = parse_config(with_records(config), base_dir=tmp_path)
    assert open_kiosk_records(demo) is None  # no demo database here: the screens offer a window
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "records.db").touch()
    assert isinstance(open_kiosk_records(demo), DemoBackend)
