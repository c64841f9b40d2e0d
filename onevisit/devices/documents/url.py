"""Document (A4) printer URLs: which CUPS queue the 参保证明 goes to.

cups://QUEUE                         a queue of the local CUPS scheduler (localhost:631, or the
                                     server named by CUPS_SERVER / client.conf, as `lp` does)
ipp://HOST[:PORT]/printers/QUEUE     a queue on a named CUPS server (port 631 by default: IANA's IPP)
none                                 no A4 printer at this kiosk: certificates go on the receipt roll

Printing always goes through CUPS (pycups): never a home-made IPP client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from onevisit.core.errors import OneVisitError

EXPECTED = 'expected "cups://QUEUE", "ipp://HOST:631/printers/QUEUE" or "none"'
# CUPS queue names: up to 127 printable characters, no space, "/", "#" or quote (lpadmin(8)).
_QUEUE = re.compile(r"^[A-Za-z0-9_.@+-]{1,127}$")
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?$|^\[[0-9A-Fa-f:.]+\]$")


class DocumentPrinterUrlError(OneVisitError):
    def __init__(self, url: str, why: str) -> None:
        super().__init__(
            "document_printer_url",
            f"文档打印机地址无效：{url!r}（{why}）",
            f"bad document printer URL {url!r}: {why}",
        )


@dataclass(frozen=True)
class DocumentPrinterUrl:
    """`scheme` cups | ipp | none; `host`/`port` empty/0 for cups:// (the scheduler libcups finds)."""

    scheme: str
    url: str
    queue: str = ""
    host: str = ""
    port: int = 0

    @property
    def enabled(self) -> bool:
        return self.scheme != "none"

    @property
    def server(self) -> str:
        """HOST:PORT for CUPS_SERVER / `lp -h`, or "" for the default scheduler."""
        return f"{self.host}:{self.port}" if self.host else ""


def parse_document_printer_url(url: str) -> DocumentPrinterUrl:
    """Split and check a document printer URL; each problem says what was expected."""
    if url == "none":
        return DocumentPrinterUrl("none", url)
    if not isinstance(url, str) or "://" not in url:
        raise DocumentPrinterUrlError(str(url), EXPECTED)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment:
        raise DocumentPrinterUrlError(url, "no ?options or #fragment: print options are the queue's")
    if scheme == "cups":
        queue = unquote(parts.netloc + parts.path).strip("/")
        if not _QUEUE.match(queue):
            raise DocumentPrinterUrlError(url, "cups://QUEUE needs a queue name (letters, digits, _ . - @ +)")
        return DocumentPrinterUrl("cups", url, queue=queue)
    if scheme == "ipp":
        try:
            host, port = parts.hostname or "", parts.port or 631
        except ValueError:
            raise DocumentPrinterUrlError(url, "the port must be a number 1-65535") from None
        if not host or not _HOST.match(parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[0] or "?"):
            raise DocumentPrinterUrlError(url, "ipp:// needs a host: ipp://HOST:631/printers/QUEUE")
        if parts.username or parts.password:
            raise DocumentPrinterUrlError(url, "no user or password in the URL")
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) != 2 or segments[0] not in ("printers", "classes"):
            raise DocumentPrinterUrlError(url, "the path must be /printers/QUEUE (or /classes/CLASS)")
        queue = unquote(segments[1])
        if not _QUEUE.match(queue):
            raise DocumentPrinterUrlError(url, f"bad queue name {queue!r}")
        return DocumentPrinterUrl("ipp", url, queue=queue, host=host, port=port)
    raise DocumentPrinterUrlError(url, EXPECTED)
