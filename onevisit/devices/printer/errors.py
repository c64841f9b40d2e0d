"""Printer refusals: bilingual for the citizen at the kiosk, with a hint for the technician."""

from __future__ import annotations

from onevisit.core.errors import OneVisitError

#: code -> (citizen message zh, citizen message en, technician hint). The citizen text always says
#: the number is kept, because printing is separate from issuing and a failed print loses nothing.
FAULTS: dict[str, tuple[str, str, str]] = {
    "paper_out": (
        "打印机缺纸，暂时无法打印。您的号码已保留，请查看屏幕上的号码和二维码，或联系工作人员补打。",
        "The printer is out of paper. Your number is kept: see it and its QR code on screen, "
        "or ask staff to reprint it.",
        "Load a new thermal roll and close the cover (DLE EOT 4 reports paper end, bits 5-6).",
    ),
    "cover_open": (
        "打印机盖未关好，暂时无法打印。您的号码已保留，请联系工作人员。",
        "The printer cover is open. Your number is kept; please ask staff.",
        "Close the printer cover firmly until it clicks (DLE EOT 2 bit 2).",
    ),
    "cutter_error": (
        "打印机切纸故障，暂时无法打印。您的号码已保留，请联系工作人员。",
        "The printer's paper cutter is jammed. Your number is kept; please ask staff.",
        "Clear the paper jam at the auto-cutter, then power-cycle the printer (DLE EOT 3 bit 3).",
    ),
    "printer_error": (
        "打印机故障，暂时无法打印。您的号码已保留，请联系工作人员。",
        "The printer has a fault. Your number is kept; please ask staff.",
        "Unrecoverable or overheating error reported (DLE EOT 3 bits 5-6): power-cycle; "
        "if it persists, replace the printer.",
    ),
    "printer_offline": (
        "打印机暂时无法连接。您的号码已保留，请查看屏幕上的号码和二维码，或联系工作人员。",
        "The printer is not responding. Your number is kept: see it and its QR code on screen, or ask staff.",
        "No status reply or the printer reports offline: check power, cable/network and the "
        "printer URL in config.toml ([printer] url).",
    ),
    "print_interrupted": (
        "打印中断。您的号码已保留，请点击“重新打印”或联系工作人员。",
        "Printing was interrupted. Your number is kept; tap Reprint or ask staff.",
        "The connection dropped while sending the job; check the cable/network and retry.",
    ),
}


class PrinterError(OneVisitError):
    """The printer cannot print now; `hint` tells a technician what to do."""

    status = 503

    def __init__(self, code: str, detail: str = "", **details: object) -> None:
        zh, en, hint = FAULTS[code]
        super().__init__(code, zh, en, **({"detail": detail} if detail else {}), **details)
        self.hint = hint
        self.detail = detail


class PrinterUrlError(OneVisitError):
    """A printer URL that names no connection we know, or misses a part."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(
            "bad_printer_url",
            f"打印机地址无效：{url}（{problem}）",
            f"invalid printer URL {url!r}: {problem}",
            url=url,
        )
