"""Start and stop a private, throw-away PostgreSQL server for tests and demos.

Standard library only. Needs the server binaries (Debian: ``apt-get install postgresql``, which puts
them in /usr/lib/postgresql/15/bin); the system cluster (port 5432) is never touched.

What `start_postgres()` does:

1. makes a temp dir (``/tmp/onevisit-pg-XXXX``) holding ``data/`` (the cluster), ``sock/`` (the unix
   socket dir), ``server.log`` and ``owner.pid``. When we run as root the dir is chowned to the
   ``postgres`` OS user and every server binary runs as that user (``runuser -u postgres --``):
   initdb and postgres refuse to run as root. Every parent of the dir must be traversable (o+x) by
   that user; /tmp is.
2. ``initdb --no-sync`` with trust auth on the unix socket (the socket dir is private, mode 0700) and
   scram-sha-256 on TCP, so the password in the returned URL is really checked.
3. writes ``postgresql.auto.conf``: ``listen_addresses=127.0.0.1``, a free port, the socket dir, a
   small footprint, and unless ``durable=True`` ``fsync=off``/``synchronous_commit=off``/
   ``full_page_writes=off`` (tests only: a machine crash may corrupt such a cluster; it is thrown away).
4. runs ``postgres -D data`` as a child process (its own session, so a Ctrl-C in the terminal does not
   kill it before teardown; stderr to server.log) and polls ``pg_isready`` over TCP until it accepts
   connections; a child that exits early (port taken: retried on another port) fails at once.
5. creates a LOGIN role (with CREATEDB, so tests may make per-test databases) and a database it owns,
   through ``psql`` on the unix socket as the superuser ``postgres``.

It returns a `PgServer` whose ``url`` is ``postgresql://user:pw@127.0.0.1:PORT/db`` (libpq form:
usable by psycopg.connect, psql, pg_dump) and ``sqlalchemy_url`` the same with ``+psycopg``.
``stop()`` runs ``pg_ctl stop -m fast`` and removes the temp dir; it is also registered with atexit,
and `PgServer` is a context manager. A process killed with SIGKILL cannot clean up: the next
`start_postgres()` reaps ``onevisit-pg-*`` dirs whose ``owner.pid`` is dead (`reap_stale()`).

Command line (benchmarks, trying a hall on PostgreSQL by hand)::

    python -m onevisit.sim.postgres            # start, print the URL, wait for Ctrl-C, stop
    python -m onevisit.sim.postgres --check    # start, run SELECT version() through psql, stop
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
SERVER_OS_USER = "postgres"  # the OS user the server runs as when we are root
SUPERUSER = "postgres"  # the database superuser initdb creates
DIR_PREFIX = "onevisit-pg-"

# For tests only: the server may lose or corrupt data on a machine crash; several times faster writes.
FAST_UNSAFE_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
# Keep a private test server small on a 2-core machine.
SMALL_SETTINGS = {
    "shared_buffers": "32MB",
    "max_connections": "40",
    "max_wal_size": "256MB",
    "log_line_prefix": "'%m [%p] %q%d '",
    "timezone": "'UTC'",
}


class PgServerError(RuntimeError):
    pass


def find_pg_bin() -> Path:
    """The directory with initdb/pg_ctl/postgres. $PG_BIN wins, then the Debian paths, then $PATH."""
    env = os.environ.get("PG_BIN")
    for c in ([env] if env else []) + list(PG_BIN_CANDIDATES):
        if c and (Path(c) / "initdb").exists():
            return Path(c)
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PgServerError("PostgreSQL server binaries not found: apt-get install postgresql (or set PG_BIN)")


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now. There is a small race until the server binds it: start retries."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _is_root() -> bool:
    return os.geteuid() == 0


def _as_server_user(args: list[str]) -> list[str]:
    """Prefix a command so it runs as the postgres OS user when we are root; unchanged otherwise."""
    if not _is_root():
        return args
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_OS_USER, "--", *args]
    return ["su", SERVER_OS_USER, "-s", "/bin/sh", "-c", shlex.join(args)]


def _run(
    args: list[str],
    *,
    input: str | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, input=input, capture_output=True, text=True, cwd=cwd, env=env)
    if check and proc.returncode != 0:
        raise PgServerError(f"{shlex.join(args)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


@dataclass
class PgServer:
    """A running private server. ``url`` is for libpq/psycopg, ``sqlalchemy_url`` for SQLAlchemy."""

    base_dir: Path
    port: int
    user: str
    password: str
    dbname: str
    host: str = "127.0.0.1"
    pg_bin: Path | None = None  # found on demand; may stay None for an external server
    timings: dict[str, float] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    _stopped: bool = False

    def __post_init__(self) -> None:
        if self.pg_bin is None:
            with contextlib.suppress(PgServerError):
                self.pg_bin = find_pg_bin()

    @classmethod
    def external(cls, url: str) -> PgServer:
        """Wrap an existing server (e.g. a CI service) given by a postgresql:// URL; stop() is a no-op."""
        from urllib.parse import unquote, urlsplit

        u = urlsplit(url)
        srv = cls(
            base_dir=Path("/nonexistent"),
            port=u.port or 5432,
            user=unquote(u.username or ""),
            password=unquote(u.password or ""),
            dbname=u.path.lstrip("/") or "postgres",
            host=u.hostname or "127.0.0.1",
        )
        srv._stopped = True
        return srv

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir / "sock"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url_for(self, dbname: str | None = None, *, driver: str = "", with_password: bool = True) -> str:
        """URL of a database on this server. with_password=False for command lines (use PGPASSWORD)."""
        scheme = "postgresql+" + driver if driver else "postgresql"
        cred = f"{self.user}:{self.password}" if with_password else self.user
        return f"{scheme}://{cred}@{self.host}:{self.port}/{dbname or self.dbname}"

    @property
    def url(self) -> str:
        return self.url_for()

    @property
    def sqlalchemy_url(self) -> str:
        # Name the driver: a bare postgresql:// means psycopg2 in SQLAlchemy 2.0 but psycopg in 2.1.
        return self.url_for(driver="psycopg")

    def libpq_env(self, dbname: str | None = None) -> dict[str, str]:
        """PG* variables for psql/pg_dump/pg_restore over TCP as the app role (no password on argv)."""
        return {
            **os.environ,
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": dbname or self.dbname,
        }

    # -- admin helpers -------------------------------------------------------------------------
    def run_as_server_user(self, args: list[str], **kw) -> subprocess.CompletedProcess:
        return _run(_as_server_user(args), cwd=self.base_dir, **kw)

    def psql_admin(self, sql: str, dbname: str = "postgres", **variables: str) -> str:
        """Run SQL as the superuser over the private unix socket. ``:"var"`` / ``:'var'`` interpolate
        ``variables`` with psql's own quoting (that only works for SQL read from stdin, not -c)."""
        args = [
            str(self.pg_bin / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            dbname,
        ]
        for k, v in variables.items():
            args += ["-v", f"{k}={v}"]
        return self.run_as_server_user(args, input=sql).stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database owned by the app role (e.g. one per test); returns its libpq URL."""
        sql = 'CREATE DATABASE :"db" OWNER :"owner"' + (' TEMPLATE :"tpl"' if template else "") + ";\n"
        kw = {"db": name, "owner": self.user, **({"tpl": template} if template else {})}
        self.psql_admin(sql, **kw)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self.psql_admin('DROP DATABASE IF EXISTS :"db" WITH (FORCE);\n', db=name)

    def stop(self) -> None:
        """Fast shutdown (disconnects clients, rolls back open transactions) and remove the temp dir."""
        if self._stopped:
            return
        self._stopped = True
        t0 = time.perf_counter()
        _stop_cluster(self.pg_bin, self.data_dir, self.base_dir, "fast")
        if self.process is not None:
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.timings["stop"] = time.perf_counter() - t0
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"


def _stop_cluster(pg_bin: Path, data_dir: Path, cwd: Path, mode: str) -> None:
    if not (data_dir / "postmaster.pid").exists():
        return
    r = _run(
        _as_server_user([str(pg_bin / "pg_ctl"), "-D", str(data_dir), "-m", mode, "-w", "-t", "30", "stop"]),
        cwd=cwd,
        check=False,
    )
    if r.returncode != 0 and (data_dir / "postmaster.pid").exists():
        with contextlib.suppress(Exception):  # last resort: SIGQUIT = immediate shutdown
            os.kill(int((data_dir / "postmaster.pid").read_text().split()[0]), 3)
            time.sleep(0.5)


def _pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a killed owner may linger as one)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError, IndexError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    return True


def reap_stale(parent: Path | None = None) -> list[Path]:
    """Stop and remove private servers left by processes that died without cleanup (e.g. SIGKILL)."""
    parent = parent or Path(tempfile.gettempdir())
    reaped = []
    for d in parent.glob(DIR_PREFIX + "*"):
        try:
            owner = int((d / "owner.pid").read_text())
        except (OSError, ValueError):
            continue
        if _pid_alive(owner):
            continue
        with contextlib.suppress(Exception):
            _stop_cluster(find_pg_bin(), d / "data", d, "immediate")
        shutil.rmtree(d, ignore_errors=True)
        reaped.append(d)
    return reaped


INITDB_ARGS = [
    "-U",
    SUPERUSER,
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--auth-local=trust",
    "--auth-host=scram-sha-256",
    "--no-sync",
    "--no-instructions",
]


def _initdb(srv: PgServer, cache: Path | None) -> str:
    """initdb into srv.data_dir, or copy a cached pristine cluster. Returns which one it did."""
    initdb = [str(srv.pg_bin / "initdb"), "-D", str(srv.data_dir), *INITDB_ARGS]
    if cache is None:
        srv.run_as_server_user(initdb)
        return "initdb"
    version = _run([str(srv.pg_bin / "postgres"), "--version"]).stdout.strip()
    key = hashlib.sha256((version + "\0" + "\0".join(INITDB_ARGS)).encode()).hexdigest()[:16]
    entry = cache / key
    srv.run_as_server_user(["mkdir", "-p", "-m", "0700", str(cache)])
    if srv.run_as_server_user(["test", "-f", str(entry / "PG_VERSION")], check=False).returncode == 0:
        srv.run_as_server_user(["cp", "-a", str(entry), str(srv.data_dir)])
        return "initdb_from_cache"
    srv.run_as_server_user(initdb)
    tmp = f"{entry}.tmp{os.getpid()}"
    # Publish atomically: concurrent starters (xdist workers) either see a whole entry or none.
    srv.run_as_server_user(
        [
            "sh",
            "-c",
            'cp -a "$1" "$2" && { mv -T "$2" "$3" 2>/dev/null || rm -rf "$2"; }',
            "sh",
            str(srv.data_dir),
            tmp,
            str(entry),
        ],
        check=False,
    )
    return "initdb"


def _check_traversable(path: Path, uid: int) -> None:
    """Every parent must be o+x (or owned by uid with u+x) for the server user to reach the data dir."""
    for parent in path.parents:
        st = parent.stat()
        if (st.st_uid == uid and st.st_mode & 0o100) or st.st_mode & 0o001:
            continue
        raise PgServerError(
            f"{parent} is not traversable by the {SERVER_OS_USER!r} user (mode {oct(st.st_mode & 0o777)}): "
            f"use another base_dir or chmod o+x it"
        )


def _wait_ready(srv: PgServer, timeout: float) -> int:
    """Poll pg_isready over TCP, the way the app connects. Returns the number of polls."""
    assert srv.process is not None
    deadline = time.monotonic() + timeout
    delay, polls = 0.01, 0
    isready = [
        str(srv.pg_bin / "pg_isready"),
        "-q",
        "-h",
        srv.host,
        "-p",
        str(srv.port),
        "-d",
        "postgres",
        "-t",
        "1",
    ]
    while True:
        polls += 1
        rc = subprocess.run(
            isready, capture_output=True
        ).returncode  # 0 ok, 1 starting, 2 no answer, 3 bad args
        if rc == 0:
            return polls
        if rc == 3:
            raise PgServerError("pg_isready: bad parameters")
        if srv.process.poll() is not None:
            raise PgServerError(f"postgres exited with {srv.process.returncode}:\n{srv.log_tail()}")
        if time.monotonic() > deadline:
            raise PgServerError(f"server not ready after {timeout}s:\n{srv.log_tail()}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)


def start_postgres(
    *,
    user: str = "onevisit",
    password: str | None = None,
    dbname: str = "onevisit",
    base_dir: str | Path | None = None,
    port: int | None = None,
    durable: bool = False,
    settings: dict[str, str] | None = None,
    ready_timeout: float = 30.0,
    port_attempts: int = 3,
    initdb_cache: str | Path | None = None,
) -> PgServer:
    """Start a private PostgreSQL server and return it (call ``.stop()``, or use it in ``with``).

    base_dir: where the temp dir goes (default: the system temp dir). port: default a free one.
    durable: keep fsync/synchronous_commit/full_page_writes on (default off: tests only).
    settings: extra server settings (GUC name -> value as written in postgresql.conf).
    initdb_cache: a directory to keep a pristine initdb result in (per server version and initdb
    options); later starts copy it instead of running initdb (~0.1 s instead of 1-4 s). Created and
    owned by the server user; every parent must be traversable. Default: no cache.
    """
    pg_bin = find_pg_bin()
    password = password or secrets.token_urlsafe(16)
    timings: dict[str, float] = {}
    t_all = time.perf_counter()

    parent = Path(base_dir) if base_dir else Path(tempfile.gettempdir())
    parent.mkdir(parents=True, exist_ok=True)
    reap_stale(parent)
    base = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=parent))
    (base / "owner.pid").write_text(str(os.getpid()))
    srv = PgServer(
        base_dir=base, port=0, user=user, password=password, dbname=dbname, pg_bin=pg_bin, timings=timings
    )
    try:
        if _is_root():
            pw = pwd.getpwnam(SERVER_OS_USER)
            _check_traversable(base, pw.pw_uid)
            for p in (base, base / "owner.pid"):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        os.chmod(base, 0o700)
        srv.run_as_server_user(["mkdir", "-m", "0700", str(srv.socket_dir)])
        t0 = time.perf_counter()
        how = _initdb(srv, Path(initdb_cache) if initdb_cache else None)
        timings[how] = time.perf_counter() - t0
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise

    conf = {**SMALL_SETTINGS, **({} if durable else FAST_UNSAFE_SETTINGS), **(settings or {})}
    conf["listen_addresses"] = f"'{srv.host}'"
    conf["unix_socket_directories"] = f"'{srv.socket_dir}'"
    try:
        for attempt in range(1, port_attempts + 1):
            srv.port = port or free_port(srv.host)
            conf["port"] = str(srv.port)
            # postgresql.auto.conf is read after postgresql.conf, so these win.
            srv.run_as_server_user(
                ["sh", "-c", 'cat > "$1"', "sh", str(srv.data_dir / "postgresql.auto.conf")],
                input="".join(f"{k} = {v}\n" for k, v in conf.items()),
            )
            t0 = time.perf_counter()
            with open(srv.log_file, "ab") as log:
                srv.process = subprocess.Popen(
                    _as_server_user([str(pg_bin / "postgres"), "-D", str(srv.data_dir)]),
                    cwd=base,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            try:
                timings["isready_polls"] = _wait_ready(srv, ready_timeout)
                timings["start_until_ready"] = time.perf_counter() - t0
                break
            except PgServerError:
                if srv.process.poll() is None:
                    _stop_cluster(pg_bin, srv.data_dir, base, "immediate")
                    srv.process.wait(timeout=30)
                if port or attempt == port_attempts or "could not bind" not in srv.log_tail(10):
                    raise
        t0 = time.perf_counter()
        srv.psql_admin(
            'CREATE ROLE :"user" LOGIN CREATEDB PASSWORD :\'pw\';\nCREATE DATABASE :"db" OWNER :"user";\n',
            user=user,
            pw=password,
            db=dbname,
        )
        timings["create_role_db"] = time.perf_counter() - t0
    except BaseException:
        srv.stop()
        raise
    timings["total_start"] = time.perf_counter() - t_all
    atexit.register(srv.stop)
    return srv


def main(argv: list[str] | None = None) -> int:
    import argparse
    import signal

    ap = argparse.ArgumentParser(description="Start a private PostgreSQL server (see module docstring).")
    ap.add_argument("--check", action="store_true", help="start, query, stop, print timings")
    ap.add_argument("--port", type=int)
    ap.add_argument("--durable", action="store_true", help="keep fsync on")
    ap.add_argument("--initdb-cache", help="directory for a cached initdb result")
    a = ap.parse_args(argv)

    def _interrupt(signum, _frame):
        raise KeyboardInterrupt(signum)

    # Stop cleanly on Ctrl-C and on `kill` (SIGTERM); SIGINT is re-armed because a shell starts
    # background jobs with it ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    srv = start_postgres(port=a.port, durable=a.durable, initdb_cache=a.initdb_cache)
    try:
        print(f"URL:            {srv.url}")
        print(f"SQLAlchemy URL: {srv.sqlalchemy_url}")
        print(f"data: {srv.data_dir}  socket: {srv.socket_dir}  log: {srv.log_file}")
        out = _run(
            [str(srv.pg_bin / "psql"), "-X", "-A", "-t", "-c", "select version()"], env=srv.libpq_env()
        )
        print("server (psql over TCP with PGPASSWORD):", out.stdout.strip())
        if not a.check:
            print("Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    finally:
        srv.stop()
    print("timings (s):", {k: round(v, 3) for k, v in srv.timings.items()})
    print("temp dir removed:", not srv.base_dir.exists())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
