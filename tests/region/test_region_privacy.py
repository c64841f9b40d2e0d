"""Only keyed hashes and masked IDs leave a hall: the shipper refuses a row that holds a full ID
or phone number, and a hall's shipped day holds none; `[region]` config is strict."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from onevisit.core.config import ConfigError, parse_config
from onevisit.db import schema
from onevisit.region.ship import PersonalDataRefused
from onevisit.region.wire import STREAMS, personal_data_in

REPO = Path(__file__).resolve().parents[2]


def test_region_shipped_rows_hold_no_id_or_phone(region, make_hall):
    hall = make_hall(0, visits=60)
    hall.shipper().ship_once()
    (incarnation,) = [i for _, i in region.store.live_incarnations(hall.code)]
    rows = [r for s in STREAMS for r in region.store.rows(s, hall.code, incarnation)]
    assert rows and all(personal_data_in(r) is None for r in rows)
    issued = [
        json.loads(r["data"])
        for r in region.store.rows("events", hall.code, incarnation)
        if r["kind"] == "ticket.issued"
    ]
    with_person = [
        c["insert"]
        for d in issued
        for c in d["changes"]
        if c["t"] == "tickets" and c["insert"]["person_hash"]
    ]
    # the simulated day's citizens identified at the kiosk: a keyed hash and a masked ID only
    for ticket in with_person:
        assert len(ticket["person_hash"]) == 64 and "*" in ticket["person_masked"]


def test_region_shipper_refuses_a_row_with_a_full_id(region, make_hall):
    hall = make_hall(0, visits=10)
    shipper = hall.shipper()
    shipper.ship_once()
    with hall.db.transaction() as tx:
        row_id = tx.insert(
            schema.selfservice_events,
            {"at": "2026-11-23T17:00:00+08:00", "day": "2026-11-23", "actor": "kiosk:k1",
             "kind": "selfservice.records_queried", "data": json.dumps({"note": "110105194912310021 asked"})},
        )  # fmt: skip
    before = region.store.db.query("SELECT count(*) AS n FROM region_selfservice")[0]["n"]
    with pytest.raises(PersonalDataRefused) as refused:
        shipper.ship_once()
    assert refused.value.details == {"stream": "selfservice", "id": row_id, "column": "data"}
    assert "身份证号" in refused.value.zh
    assert region.store.db.query("SELECT count(*) AS n FROM region_selfservice")[0]["n"] == before
    assert personal_data_in({"data": "call 13912345678"}) == "data"
    assert personal_data_in({"data": "hash 9a13912345678b"}) is None  # digits inside a hex hash


def test_region_config_is_strict():
    raw = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    config = parse_config({**raw, "region": {"url": "http://region:8500", "token": "ovr_x"}})
    assert config.region.batch_size == 500 and config.region.skew_alarm_seconds == 120
    with pytest.raises(ConfigError, match=r"region\.bach_size"):
        parse_config({**raw, "region": {"bach_size": 10}})
    with pytest.raises(ConfigError, match="not both"):
        parse_config({**raw, "region": {"token": "a", "token_file": "b"}})
    with pytest.raises(ConfigError, match=r"region\.url"):
        parse_config({**raw, "region": {"url": "region:8500"}})
