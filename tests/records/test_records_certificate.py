"""The 参保证明: rendered pages whose QR decodes and verifies; tampering and refusals."""

from __future__ import annotations

import datetime as dt
import re
import string

import pytest
from PIL import Image

from onevisit.core.fonts import cjk_font_path
from onevisit.core.identity import InvalidIdNumber
from onevisit.records.backend import BackendUnavailable, PersonNotFound, RecordIncomplete
from onevisit.records.certificate import BadRange, build_certificate
from onevisit.records.issue import decode_qr, issue_certificate, write_files
from onevisit.records.keys import hall_public_key, public_key_text
from onevisit.records.payload import extract_payload, verify
from onevisit.records.register import CertificateRegister
from onevisit.records.render import DOTS_PER_MM, Layout, raster_bytes
from onevisit.sim.records.demo_backend import DemoBackend, demo_id

TODAY = dt.date(2026, 11, 23)
B64 = string.ascii_letters + string.digits + "-_"


def register_rows(config) -> list[dict]:
    import sqlite3

    path = config.path(config.records.certificates_db)
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute("SELECT * FROM certificates")]


def test_rendered_pages_carry_a_qr_that_verifies(records_config, backend, now):
    issued = issue_certificate(records_config, backend, demo_id("gap", TODAY).value, "36", now)
    cert = issued.certificate
    assert cert.serial == "SFQ202611230001"
    assert (cert.since, cert.until) == ("2023-11", "2026-10")
    page = issued.pages[-1]
    assert page.mode == "1" and page.width == 576
    texts = decode_qr(page)
    assert texts == [cert.verify_url]
    assert texts[0].startswith("http://127.0.0.1:8600/verify#p=OV1.")
    verdict = verify(texts[0], hall_public_key(records_config))
    assert verdict.valid, verdict
    assert verdict.claims.serial == cert.serial
    assert verdict.claims.id_masked == "420106********1428"
    assert verdict.claims.name == "李秀英"
    assert verdict.claims.digest == cert.digest
    assert verdict.verification_code == cert.verification_code
    # No full ID anywhere in the signed content.
    assert demo_id("gap", TODAY).value not in texts[0]


def test_png_and_pdf_files_round_trip(records_config, backend, now, tmp_path):
    issued = issue_certificate(records_config, backend, demo_id("long_history", TODAY), "all", now)
    files = write_files(issued, tmp_path / "out")
    pngs = [f for f in files if f.suffix == ".png"]
    pdf = next(f for f in files if f.suffix == ".pdf")
    assert len(pngs) == len(issued.pages) >= 3
    assert decode_qr(pngs[-1]) == [issued.certificate.verify_url]
    assert decode_qr(pngs[0]) == []  # the QR is on the last page only
    pdf_pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))
    assert pdf_pages == len(issued.pages)
    assert demo_id("long_history", TODAY).value not in " ".join(f.name for f in files)


def test_every_changed_character_fails_verification(records_config, backend, now):
    cert = build_certificate(records_config, backend, demo_id("pensioner_due", TODAY), "12", now)
    key = hall_public_key(records_config)
    payload = extract_payload(cert.verify_url)
    assert verify(payload, key).valid
    for i, ch in enumerate(payload):
        for replacement in {
            B64[(B64.index(ch) + 1) % len(B64)] if ch in B64 else "A",
            "." if ch != "." else "x",
        }:
            tampered = payload[:i] + replacement + payload[i + 1 :]
            verdict = verify(tampered, key)
            assert not verdict.valid, f"position {i}: {ch}->{replacement} still verified"
            assert verdict.reason_zh and verdict.reason_en
    assert not verify(payload[:-1], key).valid
    assert not verify(payload + "A", key).valid


def test_another_halls_key_is_named_as_such(records_config, backend, now, tmp_path):
    cert = build_certificate(records_config, backend, demo_id("gap", TODAY), "12", now)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    other = Ed25519PrivateKey.generate().public_key()
    verdict = verify(cert.payload, other)
    assert not verdict.valid and verdict.code == "wrong_key"
    assert public_key_text(other) != public_key_text(hall_public_key(records_config))


def test_table_content_is_what_the_digest_covers(records_config, backend, now):
    a = build_certificate(records_config, backend, demo_id("gap", TODAY), "36", now)
    b = build_certificate(records_config, backend, demo_id("gap", TODAY), "36", now)
    c = build_certificate(records_config, backend, demo_id("gap", TODAY), "12", now)
    assert a.digest == b.digest != c.digest
    assert a.serial != b.serial  # each issue numbered anew
    kinds = {r.kind for r in a.rows}
    assert kinds == {"paid", "unpaid"}
    unpaid = [r for r in a.rows if r.kind == "unpaid"]
    assert [r.month for r in unpaid] == ["2026-01"]


def test_gap_is_one_row_and_totals_add_up(records_config, backend, now):
    cert = build_certificate(records_config, backend, demo_id("gap", TODAY), "all", now)
    gaps = [r for r in cert.rows if r.kind == "gap"]
    assert [(g.month, g.last_month) for g in gaps] == [("2021-01", "2021-09")]
    employer, personal, months = cert.totals
    assert months == 210 - 0  # paid months in the table (the unpaid month is not counted)
    assert employer > personal > 0


def test_pagination_of_a_long_history(records_config, backend, now):
    cert = build_certificate(records_config, backend, demo_id("long_history", TODAY), "all", now)
    max_h = records_config.records.page_max_mm * DOTS_PER_MM
    layout = Layout(cert, 576, cjk_font_path(), max_h)
    flows = layout.paginate()
    assert len(flows) >= 3
    header_height = layout.table_header()[0].height
    table_rows = 0
    for page in flows:
        assert sum(e.height for e in page) <= max_h
        rows_here = [e for e in page if e.in_table and e.height != header_height]
        table_rows += len(rows_here)
        if rows_here:  # every page holding rows repeats the column headers
            assert any(e.in_table and e.height == header_height for e in page)
    assert table_rows == len(cert.rows) == 352
    issued = issue_certificate(records_config, backend, demo_id("long_history", TODAY), "all", now)
    assert len(issued.pages) == len(flows)
    assert all(p.height <= max_h + 80 for p in issued.pages)


def test_narrow_paper(records_config, backend, now):
    issued = issue_certificate(records_config, backend, demo_id("pensioner_due", TODAY), "12", now, width=384)
    assert {p.width for p in issued.pages} == {384}
    assert decode_qr(issued.pages[-1]) == [issued.certificate.verify_url]
    assert raster_bytes(issued.pages) == sum(8 + 48 * p.height for p in issued.pages)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("370102199001011231", PersonNotFound),  # valid shape, nobody
        ("33010619750314231", InvalidIdNumber),  # 17 characters
        ("330106197503142311", InvalidIdNumber),  # wrong check digit
        ("440305196211305072", RecordIncomplete),  # the incomplete demo citizen
    ],
)
def test_refusals_reserve_no_serial_and_render_nothing(records_config, backend, now, who, error):
    with pytest.raises(error) as info:
        issue_certificate(records_config, backend, who, "12", now)
    assert info.value.zh and info.value.en
    assert register_rows(records_config) == []


def test_backend_down_refuses_cleanly(records_config, now):
    down = DemoBackend(records_config.path("var/not-there.db"))
    with pytest.raises(BackendUnavailable):
        issue_certificate(records_config, down, demo_id("gap", TODAY), "12", now)
    assert register_rows(records_config) == []


def test_bad_range(records_config, backend, now):
    with pytest.raises(BadRange):
        build_certificate(records_config, backend, demo_id("gap", TODAY), "24", now)


def test_register_numbers_daily_and_checks_codes(records_config, backend, now):
    first = build_certificate(records_config, backend, demo_id("gap", TODAY), "12", now)
    second = build_certificate(records_config, backend, demo_id("new_worker", TODAY), "36", now)
    tomorrow = build_certificate(
        records_config, backend, demo_id("gap", TODAY), "12", now + dt.timedelta(days=1)
    )
    assert [first.serial, second.serial, tomorrow.serial] == [
        "SFQ202611230001",
        "SFQ202611230002",
        "SFQ202611240001",
    ]
    register = CertificateRegister(records_config.path(records_config.records.certificates_db))
    row = register.check_code(first.serial, first.verification_code.lower().replace("-", ""))
    assert row is not None and row["id_masked"] == "420106********1428" and row["name_masked"] == "李*英"
    assert register.check_code(first.serial, second.verification_code) is None
    assert register.check_code("SFQ209901010001", first.verification_code) is None
    # typed through a Chinese input method in full-width mode, with an ideographic space
    wide = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"})
    typed_serial = "\u3000" + first.serial.lower().translate(wide) + " "
    assert register.check_code(typed_serial, first.verification_code.translate(wide)) is not None


def test_new_worker_36_months_shows_only_worked_months(records_config, backend, now):
    cert = build_certificate(records_config, backend, demo_id("new_worker", TODAY), "36", now)
    assert [r.kind for r in cert.rows] == ["paid"] * 8


def test_pensioner_period_explains_no_contributions(records_config, backend, now):
    cert = build_certificate(records_config, backend, demo_id("pensioner_due", TODAY), "12", now)
    assert cert.rows == []
    assert "养老金" in cert.pension_note
    assert {i.status for i in cert.insurances} == {"享受待遇", "终止参保"}


def test_signing_key_is_private(records_config, backend, now):
    build_certificate(records_config, backend, demo_id("gap", TODAY), "12", now)
    key_file = records_config.path(records_config.security.secrets_dir) / "certificate-signing.ed25519"
    assert key_file.stat().st_mode & 0o077 == 0


def test_page_image_is_one_bit_black_on_white(records_config, backend, now):
    issued = issue_certificate(records_config, backend, demo_id("resident_pension", TODAY), "all", now)
    page: Image.Image = issued.pages[0]
    colours = {c for _n, c in page.convert("L").getcolors()}
    assert colours == {0, 255}
    assert page.getpixel((2, 2)) == 255  # white margin


def test_times_on_the_certificate_are_the_halls_whatever_the_callers_zone(records_config, backend):
    """A kiosk whose system clock runs in UTC printed 打印时间 07:55; the command line said 15:53."""
    utc = dt.datetime(2026, 11, 22, 23, 55, tzinfo=dt.UTC)  # 07:55 on the 23rd in the hall
    cert = build_certificate(records_config, backend, demo_id("gap", TODAY), "12", utc)
    assert cert.issued_at.utcoffset() == dt.timedelta(hours=8)
    assert f"{cert.issued_at:%Y-%m-%d %H:%M}" == "2026-11-23 07:55"
    assert cert.serial.startswith("SFQ20261123")  # the hall's day, not UTC's 22nd
    claims = verify(cert.verify_url, hall_public_key(records_config)).claims
    assert claims.issued_at == "2026-11-23T07:55"


def test_a_preview_reserves_and_signs_nothing(records_config, backend, now):
    from onevisit.records.certificate import PREVIEW_SERIAL

    preview = issue_certificate(records_config, backend, demo_id("gap", TODAY), "12", now, preview=True)
    assert preview.certificate.serial == PREVIEW_SERIAL and preview.certificate.payload == ""
    assert register_rows(records_config) == []
    assert decode_qr(preview.pages[-1]) == []
    printed = issue_certificate(records_config, backend, demo_id("gap", TODAY), "12", now)
    assert printed.certificate.serial == "SFQ202611230001"  # no gap left by the preview
    assert len(preview.pages) == len(printed.pages)  # the preview is laid out as it will print
