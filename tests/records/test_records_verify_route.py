"""The hall's /verify page and /api/verify-cert, through FastAPI's TestClient."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from onevisit.hall.routes.verify import verify_router
from onevisit.records.issue import issue_certificate
from onevisit.sim.records.demo_backend import demo_id

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def client(records_config) -> TestClient:
    app = FastAPI()
    app.include_router(verify_router(records_config))
    return TestClient(app)


@pytest.fixture
def issued(records_config, backend, now, client):
    # The client first: the hall server makes the key on start, the certificate is signed with it.
    return issue_certificate(records_config, backend, demo_id("long_history", TODAY), "12", now)


def test_page_is_chinese_first_with_an_english_switch(client):
    zh = client.get("/verify")
    assert zh.status_code == 200 and "参保证明真伪核验" in zh.text and 'href="?lang=en"' in zh.text
    en = client.get("/verify", params={"lang": "en"})
    assert "Check a 参保证明 certificate" in en.text and 'href="?lang=zh"' in en.text
    assert client.get("/verify", params={"lang": "fr"}).status_code == 422


def test_payload_and_url_verify(client, issued):
    cert = issued.certificate
    for text in (cert.payload, cert.verify_url):
        body = client.post("/api/verify-cert", json={"payload": text}).json()
        assert body["valid"] is True and body["registered"] is True
        assert body["certificate"]["serial"] == cert.serial
        assert body["certificate"]["id_masked"] == "330106********2310"


def test_tampered_payload_is_invalid_with_reason(client, issued):
    payload = issued.certificate.payload
    tampered = payload[:10] + ("B" if payload[10] != "B" else "C") + payload[11:]
    body = client.post("/api/verify-cert", json={"payload": tampered}).json()
    assert body["valid"] is False and body["reason_zh"] and body["reason_en"]
    assert "certificate" not in body


def test_serial_and_code(client, issued):
    cert = issued.certificate
    ok = client.post("/api/verify-cert", json={"serial": cert.serial, "code": cert.verification_code}).json()
    assert ok["valid"] is True and ok["certificate"]["name_masked"] == "张*国"
    bad = client.post("/api/verify-cert", json={"serial": cert.serial, "code": "AAAA-AAAA"}).json()
    assert bad["valid"] is False and bad["code"] == "not_registered"


def test_bad_requests(client):
    assert client.post("/api/verify-cert", json={}).status_code == 422
    assert client.post("/api/verify-cert", json={"payload": "x", "extra": 1}).status_code == 422
    body = client.post("/api/verify-cert", json={"payload": "hello"}).json()
    assert body["valid"] is False and body["code"] == "malformed"


def test_uploaded_photo_of_the_qr(client, issued):
    buf = io.BytesIO()
    issued.pages[-1].convert("L").save(buf, "PNG")
    body = client.post(
        "/api/verify-cert/image", files={"file": ("page.png", buf.getvalue(), "image/png")}
    ).json()
    assert body["valid"] is True and body["certificate"]["serial"] == issued.certificate.serial
    junk = client.post("/api/verify-cert/image", files={"file": ("x.png", b"not an image", "image/png")})
    assert junk.status_code == 400 and junk.json()["detail"]["code"] == "not_an_image"
    blank = io.BytesIO()
    issued.pages[0].crop((0, 0, 200, 100)).save(blank, "PNG")
    body = client.post(
        "/api/verify-cert/image", files={"file": ("b.png", blank.getvalue(), "image/png")}
    ).json()
    assert body["valid"] is False and body["code"] == "no_qr"
