"""Running the hall server: in the foreground (`onevisit hall`) or on a thread (demo, tests, bench)."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; SO_REUSEADDR lets a restarted server take the same port at once."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _uvicorn_config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        # Displays hold their WebSocket open all day; pings find dead TVs and keep NAT/proxies awake.
        ws_ping_interval=20,
        ws_ping_timeout=20,
        timeout_graceful_shutdown=3,
        backlog=2048,
    )


class PortTaken(OneVisitError):
    def __init__(self, host: str, port: int, why: str) -> None:
        super().__init__(
            "port_taken",
            f"端口 {port} 已被占用（另一个服务正在运行？），请停止它或用 --port 换一个",
            f"Port {port} on {host} is taken ({why}): another server is running there; stop it or "
            "give --port N",
            host=host,
            port=port,
        )


def serve_forever(app: FastAPI, host: str, port: int, log_level: str = "info") -> None:
    """Run in the foreground until Ctrl-C or SIGTERM (uvicorn's own signal handling). Raises
    PortTaken before serving when the port cannot be bound (uvicorn's own answer is an English log
    line and exit 3)."""
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise PortTaken(host, port, exc.strerror or type(exc).__name__) from None
    # uvicorn prints no address when given a socket: say where we listen (Ctrl-C stops)
    log.info("listening on http://%s:%s (Ctrl-C to stop)", host, port)
    try:
        uvicorn.Server(_uvicorn_config(app, host, port, log_level)).run(sockets=[sock])
    finally:
        sock.close()


class ServerThread:
    """The hall server on a background thread, on a socket bound before it starts (port 0 = any)."""

    def __init__(
        self, app: FastAPI, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
    ) -> None:
        self.app = app
        self.sock = bind(host, port)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(_uvicorn_config(app, host, self.port, log_level))
        self._thread = threading.Thread(target=self._run, name=f"hall-server-{self.port}", daemon=True)
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        try:
            self.server.run(sockets=[self.sock])
        except BaseException as exc:  # reported to whoever waits in start()
            self._error = exc
            raise

    def start(self, timeout: float = 15.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        # uvicorn offers no start event; `started` flips once the lifespan has run and it accepts.
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"hall server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                raise TimeoutError("hall server did not start in time")
            self._thread.join(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        self.sock.close()
        if self._thread.is_alive():
            log.warning("hall server thread did not stop within %.0f s", timeout)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
