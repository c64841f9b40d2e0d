"""Sample tickets for the printer tests and for regenerating the recorded .bin fixtures.

Run `uv run python tests/devices/printer/printer_samples.py` to rewrite tests/devices/printer/fixtures/*.bin
after a deliberate layout change (then look at the PNGs `onevisit printer render` makes).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from onevisit.core.config import PrinterConfig
from onevisit.devices.printer.ticket import TicketPrint, build_selftest, build_ticket

FIXTURES = Path(__file__).resolve().parent / "fixtures"
STATUS_URL = "http://127.0.0.1:8600/t/A012?c=X7K2QP"


def sample_ticket(**changes: object) -> TicketPrint:
    base = dict(
        hall_name="示范区社会保险服务大厅",
        hall_name_en="Demo District Social Insurance Service Hall",
        number="A012",
        matters_zh=["参保登记/变更", "社保卡 挂失/补换/进度"],
        position=4,
        ahead=3,
        wait_minutes=15.2,
        issued_at=dt.datetime(2026, 11, 23, 9, 5, tzinfo=ZoneInfo("Asia/Shanghai")),
        windows=[1, 2, 3],
        status_url=STATUS_URL,
        short_code="X7K2QP",
    )
    base.update(changes)
    return TicketPrint(**base)  # type: ignore[arg-type]


def write_fixtures() -> None:
    FIXTURES.mkdir(exist_ok=True)
    (FIXTURES / "ticket-gbk-576.bin").write_bytes(build_ticket(sample_ticket(), PrinterConfig(chinese="gbk")))
    (FIXTURES / "ticket-raster-384.bin").write_bytes(
        build_ticket(
            sample_ticket(priority=True), PrinterConfig(chinese="raster", width=384, native_qr=False)
        )
    )
    now = dt.datetime(2026, 11, 23, 9, 0)
    (FIXTURES / "selftest-gbk-576.bin").write_bytes(
        build_selftest(PrinterConfig(chinese="gbk"), "virtual://127.0.0.1:9100", {"paper": "ok"}, now)
    )


if __name__ == "__main__":
    write_fixtures()
