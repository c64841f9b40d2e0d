"""The A4 参保证明: printed through a real CUPS (cups-pdf), what comes out is A4, reads back, and its
QR verifies; long histories continue over pages with repeated headers; rare characters in names
are drawn from the fallback fonts, and a character no font has refuses the certificate."""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest
from PIL import Image

from onevisit.commands.main import main
from onevisit.core.fonts import GlyphsMissing
from onevisit.records.a4 import render_a4_pdf
from onevisit.records.certificate import build_certificate
from onevisit.records.issue import decode_qr
from onevisit.records.register import CertificateRegister
from onevisit.sim.records.demo_backend import demo_id


def _cfg(records_config) -> list[str]:
    return ["--config", str(records_config.base_dir / "config.toml")]


def _text(pdf_path) -> list[str]:
    """Each page's text (pdftotext, form feeds between pages)."""
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    )
    return out.stdout.split("\f")[:-1]


def test_printed_through_cups_it_is_a4_and_its_qr_verifies(records_config, private_cups, capsys, tmp_path):
    who = demo_id("gap").value
    code = main(
        [
            "cert",
            "print",
            "--id",
            who,
            "--months",
            "36",
            "--printer",
            private_cups.pdf_queue_url,
            *_cfg(records_config),
        ]
    )
    out, _ = capsys.readouterr()
    assert code == 0, out
    result = json.loads(out)
    assert result["printer"]["state"] == "completed" and result["paper"] == "A4"
    printed = private_cups.find_output(int(result["printer"]["job"]))
    info = subprocess.run(["pdfinfo", printed], capture_output=True, text=True, check=True).stdout
    assert "595 x 842 pts (A4)" in info or "595.28 x 841.89 pts (A4)" in info
    subprocess.run(["pdftoppm", "-r", "200", "-png", printed, str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 2
    qrs = [q for page in pages for q in decode_qr(Image.open(page))]
    assert len(qrs) == 1 and "/verify#p=" in qrs[0]
    assert main(["verify-cert", "--payload", qrs[0], *_cfg(records_config)]) == 0
    verdict = json.loads(capsys.readouterr()[0])
    assert verdict["valid"] and result["serial"] in json.dumps(verdict)
    row = CertificateRegister(records_config.path(records_config.records.certificates_db)).get(
        result["serial"]
    )
    assert row["status"] == "printed" and row["print_job"] == result["printer"]["job"]
    # (cups-pdf rewrites the PDF through PostScript: its text is glyphs only, so the wording is
    # checked on our own PDF below; here what counts is the paper, the pages and the QR.)


def test_a_rejecting_queue_answers_the_citizen_and_keeps_the_serial(records_config, private_cups, capsys):
    private_cups.reject(private_cups.pdf_queue, "maintenance")
    code = main(
        [
            "cert",
            "print",
            "--id",
            demo_id("gap").value,
            "--printer",
            private_cups.pdf_queue_url,
            *_cfg(records_config),
        ]
    )
    out, err = capsys.readouterr()
    assert code != 0 and out == "" and "窗口" in err
    register = CertificateRegister(records_config.path(records_config.records.certificates_db))
    rows = [(r["status"],) for r in register.db.query("SELECT status FROM certificates")]
    assert rows == [("print_failed",)]


def test_the_full_history_continues_with_repeated_headers(records_config, backend, now, tmp_path):
    cert = build_certificate(records_config, backend, demo_id("long_history", now.date()), "all", now)
    path = tmp_path / "all.pdf"
    path.write_bytes(render_a4_pdf(cert, records_config.hall.timezone))
    texts = _text(path)
    assert len(texts) >= 5
    for n, page in enumerate(texts, start=1):
        assert f"第{n}页/共{len(texts)}页" in page
        if 1 < n < len(texts):
            assert (
                "参保证明（续）" in page and cert.serial in page and "所属期" in page and "缴费基数" in page
            )
    assert "出具机构" in texts[-1] and "09:12" in texts[-1]  # print time in the hall's zone (Asia/Shanghai)


def test_a_rare_name_is_drawn_from_the_fallback_font(records_config, backend, now, tmp_path):
    cert = build_certificate(records_config, backend, demo_id("rare_name", now.date()), "12", now)
    assert cert.name == "孙\u4dae"
    path = tmp_path / "rare.pdf"
    path.write_bytes(render_a4_pdf(cert, records_config.hall.timezone))
    assert "孙\u4dae" in _text(path)[0]
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "HanaMinA" in fonts  # the Extension A glyph came from Hanazono, embedded


def test_a_character_no_font_has_refuses_before_a_serial_is_taken(records_config, backend, now):
    who = demo_id("rare_name", now.date())
    with sqlite3.connect(records_config.path(records_config.records.database)) as db:
        db.execute("UPDATE people SET name = ? WHERE id_number = ?", ("孙\U00030000", who.value))
    register = CertificateRegister(records_config.path(records_config.records.certificates_db))
    with pytest.raises(GlyphsMissing) as err:
        build_certificate(records_config, backend, who, "12", now, register=register)
    assert "生僻字" in err.value.zh and "U+30000" in err.value.en and "window" in err.value.en
    assert register.db.query("SELECT count(*) AS n FROM certificates")[0]["n"] == 0


def test_out_pdf_writes_the_a4_file_without_printing(records_config, capsys, tmp_path):
    target = tmp_path / "docs" / "cert.pdf"
    assert (
        main(
            [
                "cert",
                "print",
                "--id",
                demo_id("new_worker").value,
                "--out",
                str(target),
                *_cfg(records_config),
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr()[0])
    assert result["file"] == str(target) and target.read_bytes().startswith(b"%PDF")
