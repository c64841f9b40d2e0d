from __future__ import annotations

import pytest

from onevisit.devices.printer.conn_file import FileConnection
from onevisit.devices.printer.conn_serial import SerialConnection
from onevisit.devices.printer.conn_tcp import TcpConnection
from onevisit.devices.printer.connection import connect
from onevisit.devices.printer.errors import PrinterUrlError
from onevisit.devices.printer.url import parse_printer_url


def test_each_scheme_parses_to_its_parts():
    usb = parse_printer_url("usb://04b8:0202")
    assert (usb.scheme, usb.vendor, usb.product) == ("usb", 0x04B8, 0x0202)
    ser = parse_printer_url("serial:///dev/ttyS0?baud=19200&parity=E")
    assert (ser.path, ser.baud, ser.params["parity"]) == ("/dev/ttyS0", 19200, "E")
    assert parse_printer_url("serial:///dev/ttyUSB0").baud == 9600
    tcp = parse_printer_url("tcp://10.0.0.9")
    assert (tcp.host, tcp.port) == ("10.0.0.9", 9100)
    virtual = parse_printer_url("virtual://127.0.0.1:9300")
    assert (virtual.scheme, virtual.port) == ("virtual", 9300)
    assert parse_printer_url("file:///tmp/out.bin").path == "/tmp/out.bin"


def test_scheme_picks_the_connection_type():
    assert isinstance(connect("tcp://printer.local:9100"), TcpConnection)
    assert isinstance(connect("virtual://127.0.0.1:1"), TcpConnection)
    assert isinstance(connect("serial:///dev/ttyS0"), SerialConnection)
    assert isinstance(connect("file:///tmp/x.bin"), FileConnection)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "expected usb://VID:PID"),
        ("lpt1", "expected usb://VID:PID"),
        ("ipp://printer/queue", "unknown scheme 'ipp'"),
        ("usb://04b8", "usb://VID:PID"),
        ("usb://zz:0202", "not a hexadecimal number"),
        ("usb://04b8:0202?speed=1", "unknown usb option"),
        ("serial://dev/ttyS0", "three slashes"),
        ("serial:///dev/ttyS0?baud=9601", "baud '9601' is not one of"),
        ("serial:///dev/ttyS0?parity=X", "parity must be N, E or O"),
        ("tcp://:9100", "tcp needs a host"),
        ("tcp://host:99999", "port must be a number"),
        ("virtual://127.0.0.1", "virtual needs a port"),
        ("tcp://host:9100/queue", "only HOST:PORT"),
        ("file://relative.bin", "absolute path"),
    ],
)
def test_bad_urls_say_what_was_expected(url, expected):
    with pytest.raises(PrinterUrlError) as caught:
        parse_printer_url(url)
    assert expected in caught.value.en
    assert caught.value.code == "bad_printer_url"
    assert "打印机地址无效" in caught.value.zh
