"""The hall API fed what people type and what offices save (issue "Inputs from the hall floor",
kinds 1, 2 and 4): full-width ID and ticket numbers, CR-only CSV, uploaded files. Never a 500."""

from __future__ import annotations

import io
from urllib.parse import quote

import openpyxl
import pytest

ELDER_FULL_WIDTH = "１１０１０５１９４９１２３１００２X"  # 17 full-width digits, ASCII X: valid
ELDER_ALL_WIDE = "１１０１０５１９４９１２３１００２Ｘ"
LIU = "510107195808083156"
ZHANG = "330106197503142310"


@pytest.mark.parametrize("typed", [ELDER_FULL_WIDTH, ELDER_ALL_WIDE, " 110105 19491231 002x\u3000"])
def test_a_ticket_is_issued_for_an_id_typed_full_width(client, tokens, typed):
    body = {"matters": ["enroll"], "idempotency_key": "k1", "id_number": typed}
    r = client.post("/api/tickets", json=body, headers=tokens.kiosk)
    assert r.status_code == 201, r.text
    assert r.json()["ticket"]["person_masked"] == "110105********002X"
    # the same person typed the ASCII way has the same open ticket: one ticket per visit
    again = {"matters": ["enroll"], "idempotency_key": "k2", "id_number": "11010519491231002X"}
    assert client.post("/api/tickets", json=again, headers=tokens.kiosk).json()["ticket"]["number"] == "A001"


def test_a_foreign_residence_card_is_refused_as_unsupported_not_invalid(client, tokens):
    body = {"matters": ["enroll"], "idempotency_key": "k1", "id_number": "911000156060101019"}
    r = client.post("/api/tickets", json=body, headers=tokens.kiosk)
    assert r.status_code == 400 and r.json()["error"]["code"] == "id_card_type_unsupported"


@pytest.mark.parametrize("slot", ["2026-11-24T09:30", "2026/11/24 9:30", "２０２６年１１月２４日　９：３０"])
def test_a_booking_takes_the_full_width_id_and_a_typed_slot(client, tokens, slot):
    body = {"id_number": ELDER_FULL_WIDTH, "matters": ["benefit"], "slot": slot}
    r = client.post("/api/appointments", json=body, headers=tokens.supervisor)
    assert r.status_code == 201, r.text
    assert r.json()["person_masked"] == "110105********002X"
    assert r.json()["slot"] == "2026-11-24T09:30+08:00"


def test_a_booking_slot_that_is_no_time_names_the_field(client, tokens):
    body = {"id_number": ELDER_FULL_WIDTH, "matters": ["benefit"], "slot": "明天上午"}
    r = client.post("/api/appointments", json=body, headers=tokens.supervisor)
    assert r.status_code == 422
    assert [f["field"] for f in r.json()["error"]["details"]["fields"]] == ["slot"]


@pytest.mark.parametrize("typed", ["a1", "A01", "A001", "ａ００１", "Ａ１"])
def test_ticket_routes_find_the_number_however_it_is_typed(client, tokens, typed):
    issued = client.post(
        "/api/tickets", json={"matters": ["enroll"], "idempotency_key": "k"}, headers=tokens.kiosk
    ).json()["ticket"]
    r = client.get(f"/api/tickets/{quote(typed)}", headers=tokens.staff1)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"
    code = issued["short_code"].lower()
    r = client.get(f"/api/public/tickets/{quote(typed)}", params={"c": code})
    assert r.status_code == 200 and r.json()["number"] == "A001"


@pytest.mark.parametrize("typed", ["一号", "AA1", "A0", "A123456"])
def test_a_typed_non_number_is_a_422_in_words(client, tokens, typed):
    r = client.get(f"/api/tickets/{quote(typed)}", headers=tokens.staff1)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "bad_ticket_number" and "A012" in error["message_zh"]


def test_a_public_code_typed_in_chinese_is_not_found_not_a_500(client, tokens):
    client.post("/api/tickets", json={"matters": ["enroll"], "idempotency_key": "k"}, headers=tokens.kiosk)
    r = client.get("/api/public/tickets/A001", params={"c": "查询码"})
    assert r.status_code == 404


# -- the booking list -----------------------------------------------------------------------------


def _listed(client, tokens):
    return client.get("/api/appointments?day=2026-11-24", headers=tokens.supervisor).json()["appointments"]


def test_json_csv_with_carriage_return_line_ends_imports(client, tokens):
    text = f"id_number,matters,slot\r{LIU},benefit,2026-11-24T09:30\r{ELDER_FULL_WIDTH},enroll,2026/11/24 10:00\r"
    r = client.post("/api/appointments/import", json={"csv": text}, headers=tokens.supervisor)
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == 2


def test_an_uploaded_gb18030_csv_imports(client, tokens):
    data = (
        "身份证号,业务,预约时间,,\r\n"
        f"{LIU},benefit,2026年11月24日 9:30,,\r\n"
        f"{ZHANG},enroll、card,2026/11/24 14:00,,\r\n"
    ).encode("gb18030")
    r = client.post(
        "/api/appointments/import",
        files={"file": ("预约名单.csv", data, "text/csv")},
        headers=tokens.supervisor,
    )
    assert r.status_code == 201, r.text
    assert [a["matters"] for a in r.json()["appointments"]] == [["benefit"], ["enroll", "card"]]


def test_an_uploaded_xlsx_imports(client, tokens):
    book = openpyxl.Workbook()
    book.active.append(["id_number", "matters", "slot"])
    book.active.append([LIU, "benefit", 46350.395833333336])  # 2026-11-24 09:30 as a serial number
    out = io.BytesIO()
    book.save(out)
    r = client.post(
        "/api/appointments/import",
        files={"file": ("list.xlsx", out.getvalue(), "application/octet-stream")},
        headers=tokens.supervisor,
    )
    assert r.status_code == 201, r.text
    assert r.json()["appointments"][0]["slot"] == "2026-11-24T09:30+08:00"


def test_an_uploaded_file_with_a_bad_row_names_line_and_field_and_imports_nothing(client, tokens):
    data = f"id_number,matters,slot\n{LIU},benefit,2026/11/24 9:30\n{ZHANG},enroll,明天上午\n".encode()
    r = client.post("/api/appointments/import", files={"file": ("a.csv", data)}, headers=tokens.supervisor)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_rows"
    assert [(p["line"], p["field"], p["code"]) for p in error["details"]["problems"]] == [
        (3, "slot", "bad_slot")
    ]
    assert _listed(client, tokens) == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"files": {"other": ("a.csv", b"x")}}, "no_file"),
        ({"data": {"file": "not a file"}}, "no_file"),
        ({"files": {"file": ("a.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)}}, "old_workbook"),
        ({"files": {"file": ("a.xlsx", b"PK\x03\x04broken")}}, "bad_xlsx"),
        ({"files": {"file": ("a.csv", b"")}}, "empty_file"),
        (
            {
                "content": b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
                "headers_extra": {"Content-Type": "multipart/form-data; boundary=b"},
            },
            None,
        ),
    ],
)
def test_a_bad_upload_is_a_400_in_words(client, tokens, kwargs, code):
    extra = kwargs.pop("headers_extra", {})
    r = client.post("/api/appointments/import", headers={**tokens.supervisor, **extra}, **kwargs)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["message_zh"] and error["message_en"]
    if code:
        assert error["code"] == code


def test_a_json_body_of_the_wrong_shape_is_a_422_naming_the_field(client, tokens):
    r = client.post("/api/appointments/import", json={"file": "x"}, headers=tokens.supervisor)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
    r = client.post(
        "/api/appointments/import",
        content=b"{not json",
        headers={**tokens.supervisor, "Content-Type": "application/json"},
    )
    assert r.status_code == 422
