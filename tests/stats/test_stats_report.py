"""`onevisit report` renders: HTML, PNG charts that open, an XLSX that opens, a CSV row per step."""

from __future__ import annotations

import csv
import sqlite3

from openpyxl import load_workbook
from PIL import Image

from onevisit.commands.main import main
from onevisit.stats.report import write_report


def test_report_files_render_and_hold_every_step(simulated_day, tmp_path):
    files = write_report(simulated_day.config, simulated_day.db, simulated_day.day, tmp_path / "out")
    steps = sqlite3.connect(simulated_day.db).execute("SELECT id FROM steps").fetchall()

    for name, path in files.charts.items():
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.size[0] > 400 and image.size[1] > 200, name
            # Not a blank canvas: a chart has many colours.
            assert len(image.convert("RGB").getcolors(1 << 20) or []) > 20, name

    with files.csv.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(steps)
    assert {int(r["step_id"]) for r in rows} == {s[0] for s in steps}
    assert all(r["number"] for r in rows)

    book = load_workbook(files.xlsx, read_only=True)
    assert book.sheetnames == ["汇总", "按业务", "按窗口", "按人员", "按时段", "办件明细"]
    assert book["办件明细"].max_row == len(steps) + 1
    summary = {r[0]: r[1] for r in book["汇总"].iter_rows(values_only=True)}
    assert summary["人次"] == files.figures.hall.visits
    assert summary["日期"] == simulated_day.day

    page = files.html.read_text(encoding="utf-8")
    for path in files.charts.values():
        assert f"src='{path.relative_to(tmp_path / 'out')}'" in page
    assert "参保登记/变更" in page and "等候" in page
    # No full ID number anywhere (the simulated citizens have none; the check guards the format).
    assert "idempotency" not in page


def test_report_command_refuses_a_day_without_events(simulated_day, tmp_path, capsys):
    code = main(["report", "--db", str(simulated_day.db), "--date", "2026-01-01", "--out", str(tmp_path)])
    assert code == 2
    assert "no events on 2026-01-01" in capsys.readouterr().err


def test_report_command_writes_the_files(simulated_day, tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["report", "--db", str(simulated_day.db), "--date", simulated_day.day, "--out", str(out)])
    assert code == 0
    assert (out / f"report-{simulated_day.day}.html").is_file()
    assert (out / f"province-{simulated_day.day}.xlsx").is_file()


def test_simulate_refuses_a_visit_count_below_one_by_its_name(capsys):
    for visits in ("-5", "0"):
        assert main(["simulate", "--visits", visits]) == 2
        assert f"--visits must be at least 1, got {visits}" in capsys.readouterr().err


def test_simulate_command_prints_figures_and_compares_policies(tmp_path, capsys):
    code = main(["simulate", "--visits", "120", "--windows", "8", "--seed", "3", "--compare", "placement"])
    assert code == 0
    out = capsys.readouterr().out
    assert "placement=original" in out and "placement=front" in out and "placement=end" in out
    code = main(["simulate", "--visits", "120", "--windows", "3", "--policy", "interleave=inf"])
    assert code == 0
    out = capsys.readouterr().out
    assert "interleave=∞" in out and "社保卡" in out and "3号窗口" in out and "4号窗口" not in out
    assert main(["simulate", "--visits", "10", "--policy", "interleave=0"]) == 2
    assert main(["simulate", "--visits", "10", "--windows", "0"]) == 2
