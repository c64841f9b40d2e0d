"""A TCP proxy that can cut the link and restore it: a hall's uplink to the region, in tests.

`TcpProxy(target_host, target_port).start()` listens on a free local port and forwards every
connection to the target, a thread per direction. `cut()` drops every open connection and makes new
ones fail at once (accepted, then closed: the client sees the peer hang up, as through a dead
router); `restore()` forwards again. Standard library only.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class TcpProxy:
    def __init__(
        self,
        target_host: str,
        target_port: int,
        host: str = "127.0.0.1",
        on_client_data: Callable[[bytes], None] | None = None,
    ) -> None:
        self.target = (target_host, target_port)
        #: called with every chunk a client sends, before it is forwarded (a test can act the
        #: moment a request is on its way: kill its sender mid-request)
        self.on_client_data = on_client_data
        self._listener = socket.create_server((host, 0))
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._up = threading.Event()
        self._up.set()
        self._closing = False
        self._thread = threading.Thread(target=self._accept, name=f"tcp-proxy-{self.port}", daemon=True)
        #: connections refused while cut (a test can see its shipper kept trying)
        self.refused = 0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._up.is_set()

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def cut(self) -> None:
        """Drop every connection now; new ones are closed as soon as accepted."""
        self._up.clear()
        with self._lock:
            sockets, self._open = list(self._open), set()
        for s in sockets:
            _close(s)

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._closing = True
        self.cut()
        _close(self._listener)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- forwarding -------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._closing:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                self.refused += 1
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._open.update((client, upstream))
            for a, b, watch in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pipe, args=(a, b, watch), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, from_client: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data or not self._up.is_set():
                    break
                if from_client and self.on_client_data is not None:
                    self.on_client_data(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        s.close()
