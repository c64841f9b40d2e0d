"""No one gets in: every operation of the hall's OpenAPI document, whoever calls it, and the keys.

tests/hall/test_hall_roles.py holds the hand-written role table for the queue's operations; this
file sweeps the *whole* OpenAPI document, so an endpoint added later (maintenance, statistics, …)
is covered the day it lands: anonymous callers get 401, a kiosk token only reaches the kiosk's
operations, a technician never changes the queue, and no refused request leaves a trace in the
queue's events. It also checks what the public ticket page answers, forged certificate payloads,
and that no signing key was ever committed.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import sqlite3
import subprocess
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config
from onevisit.hall.app import create_app
from onevisit.hall.stores import accounts
from tests.conftest import REPO

pytestmark = pytest.mark.timeout(120)

#: Operations anyone may call (pages, the TV, the citizen's phone, the rating tablet, verification).
PUBLIC = {
    ("POST", "/api/auth/login"),
    ("GET", "/api/availability"),
    ("GET", "/api/status"),
    ("GET", "/api/public/tickets/{number}"),
    ("GET", "/api/ratings/pending"),
    ("POST", "/api/ratings"),
    ("POST", "/api/verify-cert"),
    ("POST", "/api/verify-cert/image"),
    ("GET", "/verify"),
    ("GET", "/healthz"),
    # Board link and per-address states for `onevisit doctor` on the hall machine: no personal data.
    ("GET", "/api/maintenance/status"),
    # The payment platform's notification: no token, its HMAC signature is checked instead (a bad
    # one is 401 and logged: tests/hall/routes/test_hall_payments.py).
    ("POST", "/api/payments/notify"),
}
#: What a kiosk token may do; everything else answers it 403.
KIOSK = {
    ("POST", "/api/tickets"),
    ("GET", "/api/tickets/{number}"),
    ("POST", "/api/tickets/{number}/checkin"),
    ("POST", "/api/selfservice"),
    ("POST", "/api/kiosks/heartbeat"),
    ("POST", "/api/appointments/checkin"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/tickets/{number}/notify"),
    ("POST", "/api/payments/orders"),
    ("GET", "/api/payments/orders/{order_id}"),
    ("POST", "/api/payments/orders/{order_id}/cancel"),
}
#: Path parameters filled in for the sweep: a real ticket and window, so only the role can refuse.
PARAMS = {"number": "A001", "window": "1", "name": "waits", "appointment_id": "1"}
#: A body that would be accepted, so a refusal can only come from the role check.
BODIES = {
    "/api/tickets": {"matters": ["enroll"], "idempotency_key": "sweep"},
    "/api/tickets/{number}/matters": {"matter": "card"},
    "/api/windows/{window}/transfer": {"matter": "card", "placement": "original", "reason": "x"},
    "/api/selfservice": {"kind": "selfservice.records_queried"},
    "/api/kiosks/heartbeat": {},
    "/api/appointments": {
        "id_number": "510107195808083156",
        "matters": ["benefit"],
        "slot": "2026-11-23T10:00",
    },
    "/api/appointments/import": {"csv": "id_number,matters,slot\n"},
    "/api/appointments/checkin": {"id_number": "510107195808083156", "idempotency_key": "sweep-c"},
}
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def hall(tmp_path_factory):
    cost = accounts._SCRYPT_N
    accounts._SCRYPT_N = 2**10  # cheap hashes in tests; each hash records its own cost
    base = tmp_path_factory.mktemp("security")
    config = load_config(REPO / "config.toml").model_copy(update={"base_dir": base})
    clock = FixedClock(dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ))
    app = create_app(config, db_path=base / "hall.db", clock=clock, callout=None)
    store = app.state.hall.accounts
    store.add_user("wang", "staff", "pw-wang-1", window=1)
    store.add_user("zhao", "supervisor", "pw-zhao-3")
    store.add_user("chen", "technician", "pw-chen-4")
    try:
        with TestClient(app) as client:
            headers = {None: {}, "kiosk": {"Authorization": f"Bearer {store.add_kiosk('kiosk-1')}"}}
            for role, (name, pw) in {
                "staff": ("wang", "pw-wang-1"),
                "supervisor": ("zhao", "pw-zhao-3"),
                "technician": ("chen", "pw-chen-4"),
            }.items():
                token = client.post("/api/auth/login", json={"username": name, "password": pw}).json()[
                    "token"
                ]
                headers[role] = {"Authorization": f"Bearer {token}"}
            r = client.post(
                "/api/tickets",
                json={"matters": ["enroll"], "idempotency_key": "a1", "id_number": _an_id()},
                headers=headers["kiosk"],
            )
            assert r.status_code == 201
            yield app, client, headers, base / "hall.db"
    finally:
        accounts._SCRYPT_N = cost


def _an_id() -> str:
    from onevisit.sim.records.idgen import make_id

    return make_id("330106", dt.date(1950, 1, 2), 17, female=False).value


def _operations(app) -> list[tuple[str, str]]:
    return [(m.upper(), p) for p, ops in app.openapi()["paths"].items() for m in ops]


def _declared_public(app) -> set[tuple[str, str]]:
    """Operations the document itself tags "public" (e.g. the doctor's board status): they are
    open by design; what they answer is covered by the personal-data scan of the hall day."""
    return {
        (m.upper(), p)
        for p, ops in app.openapi()["paths"].items()
        for m, op in ops.items()
        if "public" in op.get("tags", [])
    }


def _events(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def _send(client, method, template, headers):
    path = template
    for key, value in PARAMS.items():
        path = path.replace("{" + key + "}", value)
    if template == "/api/supervisor/charts/{name}.png":
        path = "/api/supervisor/charts/waits.png"
    body = BODIES.get(template)
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize("role", [None, "kiosk", "technician"])
def test_every_operation_refuses_whoever_it_should(hall, role):
    app, client, headers, db = hall
    ops = _operations(app)
    assert len(ops) >= 30
    public = PUBLIC | _declared_public(app)
    wrong = []
    for method, template in ops:
        if (method, template) in public or (role == "kiosk" and (method, template) in KIOSK):
            continue
        # A technician maintains devices: never a citizen's ticket, a window, or the supervisor's view.
        if role == "technician" and not re.match(
            r"^/api/(tickets|windows|queues|supervisor|selfservice|appointments)", template
        ):
            continue
        before = _events(db)
        r = _send(client, method, template, headers[role])
        expected = 401 if role is None else 403
        if r.status_code != expected:
            wrong.append(f"{method} {template} as {role}: {r.status_code} {r.text[:120]}")
        elif r.headers["content-type"].startswith("application/json"):
            error = r.json().get("error", {})
            if not (error.get("message_zh") and error.get("message_en")):
                wrong.append(f"{method} {template} as {role}: refusal without a bilingual message")
        if _events(db) != before:
            wrong.append(f"{method} {template} as {role}: refused, yet the queue changed")
    assert not wrong, "\n".join(wrong)


def test_public_operations_classified_are_really_in_the_document(hall):
    app, *_ = hall
    assert set(_operations(app)) | {("GET", "/verify")} >= PUBLIC


def test_public_ticket_status_carries_no_personal_data(hall):
    _app, client, headers, _ = hall
    ticket = client.get("/api/tickets/A001", headers=headers["supervisor"]).json()["ticket"]
    assert ticket["person_masked"] and "*" in ticket["person_masked"]
    r = client.get("/api/public/tickets/A001", params={"c": ticket["short_code"]})
    assert r.status_code == 200
    assert "person_masked" not in r.text and "priority_reason" not in r.text and _an_id()[:10] not in r.text
    # Without the printed code the number alone does not open it, and the answer is the same
    # as for a number that does not exist (no way to probe which numbers are in use).
    wrong = client.get("/api/public/tickets/A001", params={"c": "WRONG2"})
    missing = client.get("/api/public/tickets/A999", params={"c": "WRONG2"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.json()["error"]["code"] == missing.json()["error"]["code"]


def test_no_full_id_in_any_answer_to_any_role(hall):
    _app, client, headers, db = hall
    full = _an_id()
    for role in ("kiosk", "staff", "supervisor"):
        for path in ("/api/tickets/A001", "/api/windows/1", "/api/queues", "/api/status"):
            r = client.get(path, headers=headers[role])
            assert full not in r.text and full[6:14] not in r.text, (role, path)
    with sqlite3.connect(db) as conn:
        dump = "\n".join(str(row) for row in conn.iterdump())
    assert full not in dump  # stored only as a keyed hash and a masked form


# -- certificates and keys -----------------------------------------------------------------------


def _claims(key) -> object:
    from onevisit.records.keys import key_id
    from onevisit.records.payload import Claims

    return Claims(
        serial="SFQ-20261123-0001",
        id_masked="330106********0173",
        name="张*国",
        since="2024-11",
        until="2026-10",
        digest="ab" * 32,
        issued_at="2026-11-23T09:12",
        key=key_id(key.public_key()),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    text=st.text(max_size=300)
    | st.from_regex(r"\AOV1\.[A-Za-z0-9_\-]{10,200}\.[A-Za-z0-9_\-]{10,100}\Z")
    | st.tuples(st.integers(0, 400), st.sampled_from("A_-.x0")).map(lambda t: (t[0], t[1]))
)
def test_any_text_as_a_certificate_payload_is_a_verdict_never_a_crash(text):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from onevisit.records.payload import sign, verify

    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    if isinstance(text, tuple):  # one character of a real payload changed
        good, _ = sign(_claims(key), key)
        at, ch = text[0] % len(good), text[1]
        text = good[:at] + ch + good[at + 1 :]
        if text == good:
            return
    verdict = verify(text, key.public_key())
    assert not verdict.valid and verdict.code and verdict.reason_zh and verdict.reason_en


def test_a_forger_who_signs_the_halls_claims_with_his_own_key_fails():
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from onevisit.records.payload import sign, verify

    hall_key, forger = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    claims = _claims(hall_key)  # the forger copies the hall's key id into his claims
    good, _ = sign(claims, hall_key)
    assert verify(good, hall_key.public_key()).valid
    forged, _ = sign(claims, forger)
    assert not verify(forged, hall_key.public_key()).valid
    # The hall's signature glued onto altered claims (a longer period) fails too.
    from dataclasses import replace

    altered, _ = sign(replace(claims, since="2000-01"), forger)
    spliced = altered.rsplit(".", 1)[0] + "." + good.rsplit(".", 1)[1]
    verdict = verify(spliced, hall_key.public_key())
    assert not verdict.valid and verdict.reason_en


def _tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
    return [f for f in out.stdout.decode().split("\0") if f]


def test_no_private_key_is_or_ever_was_in_the_repository():
    files = _tracked_files()
    assert files
    assert not [
        f for f in files if f.startswith("var/") or re.search(r"(\.key$|\.pem$|\.ed25519$|secrets/)", f)
    ]
    leaks = []
    for f in files:
        path = REPO / f
        if path.is_file() and path.stat().st_size < 5_000_000:
            data = path.read_bytes()
            if b"PRIVATE KEY-----" in data and not f.startswith("tests/reliability/"):
                leaks.append(f)
    assert not leaks, leaks
    history = subprocess.run(
        ["git", "log", "--all", "--name-only", "--format="],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [f for f in history if re.search(r"(\.key$|\.pem$|\.ed25519$|secrets/|^var/)", f)]
    # The keys this machine generated are ignored by git, and their bytes appear in no tracked file.
    check = subprocess.run(["git", "check-ignore", "-q", "var/secrets/certificate-signing.ed25519"], cwd=REPO)
    assert check.returncode == 0, "var/secrets is not ignored by git"
    for key in (REPO / "var" / "secrets").glob("*") if (REPO / "var" / "secrets").is_dir() else []:
        raw = key.read_bytes()
        forms = {raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw).rstrip(b"=")}
        for f in files:
            path = REPO / f
            if path.is_file() and path.stat().st_size < 5_000_000:
                data = path.read_bytes()
                assert not any(form in data for form in forms), f"{key.name} appears in {f}"
