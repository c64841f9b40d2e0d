"""A private, throw-away CUPS scheduler for tests and the demo (`onevisit demo` prints its A4
certificates through it into var/demo/documents/).

``PrivateCups`` starts a real ``cupsd`` in the foreground with *all* of its
configuration, spool, cache, state and log directories inside one temporary
directory, listening only on ``127.0.0.1:<free port>``.  It never touches the
system's ``/etc/cups/cupsd.conf``, ``/run/cups`` or ``/var/spool/cups`` and does
not need systemd, so several instances can run at the same time, next to (or
without) a system cupsd.

It can create two kinds of queues:

* a *PDF queue* backed by Debian's ``printer-driver-cups-pdf`` (device URI
  ``cups-pdf:/<instance>``, the "noopt" CUPS-PDF PPD, default media A4) that
  writes the printed PDF into an output directory of ours
  (``job_<id>-<title>.pdf``), and
* a *fault queue* backed by a tiny generated shell backend
  (``onevisit-fault:/<queue>``) whose behaviour a test sets at run time:
  ``STATE:`` lines (printer-state-reasons such as ``media-empty-error``),
  a message, the exit code (fail / stop / cancel / hold …) and an optional
  "hold while this file exists" gate, so the job can be observed while it is
  *processing*.

Requirements (Debian 12): packages ``cups-daemon`` (via ``cups``),
``cups-client`` (lpadmin, cupsenable, …), ``printer-driver-cups-pdf`` (pulls in
ghostscript), ``poppler-utils`` for ``pdfinfo`` in tests, and for the state
helpers the PyPI package ``pycups`` (builds from source: needs ``gcc``,
``libcups2-dev`` and the Python headers).  Must run as **root**: cups-pdf only
works when cupsd runs it as root, and cupsd only does that for backends whose
file mode is 0700 *and* when cupsd itself is root.

Gotchas handled here (see NOTES.md for the long version):

* cupsd refuses ``User root``; filters run as ``lp``.  Every directory above
  the spool directory must therefore be traversable by ``lp`` (o+x), which is
  *not* the case for ``tempfile.mkdtemp()`` (0700) or pytest's ``tmp_path``
  (``/tmp/pytest-of-root`` is 0700).  We create / chmod our base directory 0755
  and check the ancestors.
* cups-pdf reads its configuration from the compiled-in ``/etc/cups`` only,
  *not* from cupsd's ServerRoot.  Per queue it reads
  ``/etc/cups/cups-pdf-<instance>.conf`` when the device URI is
  ``cups-pdf:/<instance>``.  So we write one such file per queue (with a
  random instance name) and delete it on ``stop()``; stale ones from crashed
  runs are removed on the next start.
* cupsd's default ``Printcap`` is ``/run/cups/printcap``; we point it into the
  private directory so nothing outside is written.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterable

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

SYSTEM_SERVERBIN = "/usr/lib/cups"  # Debian's ServerBin (backend/, filter/, daemon/ …)
CUPS_PDF_BACKEND = "/usr/lib/cups/backend/cups-pdf"
CUPS_PDF_PPD = (
    "/usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd"  # = lpinfo -m "lsb/usr/cups-pdf/CUPS-PDF_noopt.ppd"
)
CUPS_PDF_CONF_DIR = "/etc/cups"  # compiled into the cups-pdf binary (CP_CONFIG_PATH)
CUPS_PDF_CONF_PREFIX = "onevisit-"  # our per-queue files: /etc/cups/cups-pdf-onevisit-*.conf
FAULT_SCHEME = "onevisit-fault"  # name of our generated test backend

# IPP job-state values (RFC 8011 §5.3.7) and printer-state values (§5.4.11).
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
JOB_FINAL_STATES = frozenset({JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED})
JOB_STATE_NAMES = {
    3: "pending",
    4: "pending-held",
    5: "processing",
    6: "processing-stopped",
    7: "canceled",
    8: "aborted",
    9: "completed",
}
PRINTER_IDLE, PRINTER_PROCESSING, PRINTER_STOPPED = 3, 4, 5

# CUPS backend exit codes (backend(7)); what the fault backend can be told to return.
BACKEND_OK, BACKEND_FAILED, BACKEND_AUTH_REQUIRED, BACKEND_HOLD = 0, 1, 2, 3
BACKEND_STOP, BACKEND_CANCEL, BACKEND_RETRY, BACKEND_RETRY_CURRENT = 4, 5, 6, 7

_LP_REQUEST_ID = re.compile(r"request id is (?P<queue>\S+)-(?P<id>\d+)")


class PrivateCupsError(RuntimeError):
    """Raised when the private scheduler cannot be set up or used."""


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def find_free_port(host: str = "127.0.0.1") -> int:
    """Ask the kernel for a free TCP port (tiny race until cupsd binds it;
    start() retries with a new port if cupsd fails to come up)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _check_traversable_by_others(path: str) -> None:
    """Filters run as user lp and open the spool file by path: every ancestor
    of our base dir must have the o+x bit (or be group lp, which we don't
    rely on)."""
    p = os.path.abspath(path)
    while True:
        parent = os.path.dirname(p)
        if parent == p:
            break
        mode = os.stat(parent).st_mode
        if not mode & stat.S_IXOTH:
            raise PrivateCupsError(
                f"{parent} is not traversable by other users (mode {oct(mode & 0o7777)}); "
                "cupsd runs filters as 'lp', so the private CUPS directory must live under "
                "world-traversable directories (e.g. leave base_dir=None to use /tmp)"
            )
        p = parent


# The fault-injecting backend.  CUPS runs it as root (mode 0700), with the
# device URI in $DEVICE_URI and the job's file as $6 (or on stdin).  Without
# arguments it must print a discovery line for `lpinfo -v`.  Everything it
# writes to stderr as "STATE: +reason" / "STATE: -reason" / "INFO: text" /
# "ERROR: text" is applied by cupsd to printer-state-reasons /
# printer-state-message.
_FAULT_BACKEND = r"""#!/bin/sh
# Generated by private_cups.py: fault-injecting CUPS backend for tests.
CONTROL_DIR='@CONTROL_DIR@'
if [ $# -eq 0 ]; then
    echo 'direct @SCHEME@ "Unknown" "OneVisit fault-injecting test backend"'
    exit 0
fi
name=${DEVICE_URI#*:}; name=${name#/}; name=${name%%\?*}
case "$name" in ''|*/*|.*) echo "ERROR: bad device URI $DEVICE_URI" >&2; exit 1 ;; esac
FAULT_STATE=''; FAULT_MESSAGE=''; FAULT_EXIT=0; FAULT_WAIT_FILE=''; FAULT_WAIT_MAX=60
[ -r "$CONTROL_DIR/$name.env" ] && . "$CONTROL_DIR/$name.env"
# Consume the document like a real printer would (else filters get SIGPIPE).
if [ -n "$6" ]; then cat "$6" >/dev/null; else cat >/dev/null; fi
for s in $FAULT_STATE; do echo "STATE: $s" >&2; done
[ -n "$FAULT_MESSAGE" ] && echo "INFO: $FAULT_MESSAGE" >&2
if [ -n "$FAULT_WAIT_FILE" ]; then
    i=0
    while [ -e "$FAULT_WAIT_FILE" ] && [ $i -lt $((FAULT_WAIT_MAX * 10)) ]; do
        sleep 0.1; i=$((i + 1))
    done
fi
exit "$FAULT_EXIT"
"""


# --------------------------------------------------------------------------
# The scheduler
# --------------------------------------------------------------------------


class PrivateCups:
    """A private cupsd with a cups-pdf queue (and optionally a fault queue).

    Typical use::

        with PrivateCups(output_dir=tmp_path / "out") as pc:
            job = pc.print_file(pc.pdf_queue, "invoice.pdf")
            pc.wait_for_job(job)                       # -> 9 (completed)
            pdf = pc.find_output(job)

    ``base_dir`` holds everything cupsd writes (config, spool, logs); when
    omitted a fresh ``/tmp/onevisit-cups-*`` directory is created and removed
    again on stop() (unless ``keep_files``).
    """

    host = "127.0.0.1"

    def __init__(
        self,
        base_dir: str | os.PathLike | None = None,
        output_dir: str | os.PathLike | None = None,
        *,
        port: int | None = None,
        pdf_queue: str | None = "onevisit-pdf",
        fault_queue: str | None = None,
        log_level: str = "info",
        keep_files: bool = False,
    ) -> None:
        self._own_base = base_dir is None
        self.base_dir = os.path.abspath(base_dir) if base_dir else None
        self.output_dir = os.path.abspath(output_dir) if output_dir else None
        self._requested_port = port
        self.port: int | None = None
        self.pdf_queue = pdf_queue
        self.fault_queue = fault_queue
        self.log_level = log_level
        self.keep_files = keep_files
        self.token = secrets.token_hex(4)  # makes our /etc/cups/cups-pdf-*.conf names unique
        self._proc: subprocess.Popen | None = None
        self._cups_pdf_confs: list[str] = []
        self.startup_seconds: float | None = None

    # ---- paths ------------------------------------------------------------
    def _p(self, *parts: str) -> str:
        assert self.base_dir
        return os.path.join(self.base_dir, *parts)

    @property
    def server(self) -> str:
        """``127.0.0.1:PORT`` — for ``lp -h``, ``lpstat -h`` or ``CUPS_SERVER``."""
        return f"{self.host}:{self.port}"

    def queue_url(self, queue: str) -> str:
        return f"ipp://{self.host}:{self.port}/printers/{urllib.parse.quote(queue)}"

    @property
    def pdf_queue_url(self) -> str:
        return self.queue_url(self.pdf_queue)

    @property
    def fault_queue_url(self) -> str:
        return self.queue_url(self.fault_queue)

    @property
    def error_log_path(self) -> str:
        return self._p("log", "error_log")

    def error_log(self, last_lines: int = 60) -> str:
        """Tail of cupsd's error_log (for assertion messages / debugging)."""
        try:
            with open(self.error_log_path, errors="replace") as f:
                return "".join(f.readlines()[-last_lines:])
        except OSError:
            return ""

    def env(self) -> dict:
        """Environment for child processes (lp, the app under test) so that
        libcups and pycups default to this server (CUPS_SERVER=host:port)."""
        e = dict(os.environ)
        e["CUPS_SERVER"] = self.server
        return e

    # ---- lifecycle --------------------------------------------------------
    def __enter__(self) -> PrivateCups:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 30.0) -> PrivateCups:
        if self._proc is not None:
            raise PrivateCupsError("already started")
        if os.geteuid() != 0:
            raise PrivateCupsError(
                "must run as root: cups-pdf (and a private cupsd that runs backends as root) need it"
            )
        cupsd = shutil.which("cupsd", path="/usr/sbin:/sbin:" + os.environ.get("PATH", ""))
        if not cupsd or not shutil.which("lpadmin"):
            raise PrivateCupsError(
                "cupsd/lpadmin not found: apt-get install cups cups-client printer-driver-cups-pdf"
            )
        if self.pdf_queue and not (os.path.exists(CUPS_PDF_BACKEND) and os.path.exists(CUPS_PDF_PPD)):
            raise PrivateCupsError("cups-pdf not installed: apt-get install printer-driver-cups-pdf")
        _remove_stale_cups_pdf_confs()
        if self.base_dir is None:
            self.base_dir = tempfile.mkdtemp(prefix="onevisit-cups-", dir="/tmp")
        if self.output_dir is None:
            self.output_dir = self._p("out")
        self._layout()
        atexit.register(self.stop)

        t0 = time.monotonic()
        last_error = ""
        for _attempt in range(3):  # retry only for the free-port race
            self.port = self._requested_port or find_free_port(self.host)
            self._write_cupsd_conf()
            log = open(self._p("log", "cupsd.stdout"), "ab")  # noqa: SIM115 (handed to Popen, closed after)
            self._proc = subprocess.Popen(
                [cupsd, "-f", "-c", self._p("etc", "cupsd.conf"), "-s", self._p("etc", "cups-files.conf")],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal doesn't hit it; we stop it
                env=self._cupsd_env(),
            )
            log.close()
            try:
                self._wait_ready(t0 + timeout)
                break
            except PrivateCupsError as e:
                last_error = str(e)
                self._terminate()
                if self._requested_port:
                    raise
        else:
            raise PrivateCupsError(f"cupsd did not start: {last_error}\n{self.error_log()}")
        self.startup_seconds = time.monotonic() - t0

        try:
            if self.pdf_queue:
                self.add_pdf_queue(self.pdf_queue, self.output_dir)
            if self.fault_queue:
                self.add_fault_queue(self.fault_queue)
        except BaseException:
            self.stop()  # __exit__ won't run when __enter__ raises
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM cupsd (it stops running jobs), remove our cups-pdf configs and,
        unless keep_files, a base dir we created ourselves. Idempotent."""
        self._terminate(timeout)
        for conf in self._cups_pdf_confs:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(conf)
        self._cups_pdf_confs.clear()
        if self._own_base and not self.keep_files and self.base_dir and os.path.isdir(self.base_dir):
            shutil.rmtree(self.base_dir, ignore_errors=True)
        with contextlib.suppress(Exception):
            atexit.unregister(self.stop)

    def _terminate(self, timeout: float = 10.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @staticmethod
    def _cupsd_env() -> dict:
        # cupsd passes a clean environment to filters anyway; keep ours minimal
        # and make sure no CUPS_* variable of the caller redirects it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUPS_")}
        env.setdefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        return env

    # ---- directory layout & config ---------------------------------------
    def _layout(self) -> None:
        os.makedirs(self.base_dir, exist_ok=True)
        os.chmod(self.base_dir, 0o755)  # lp must traverse it (filters read the spool file)
        _check_traversable_by_others(self.base_dir)
        for d in (
            "etc",
            "etc/ppd",
            "spool",
            "spool/tmp",
            "cache",
            "run",
            "log",
            "bin",
            "bin/backend",
            "fault",
            "cups-pdf-spool",
        ):
            os.makedirs(self._p(d), exist_ok=True)
        os.makedirs(self.output_dir, exist_ok=True)

        # Private ServerBin: symlink everything of the system's /usr/lib/cups
        # (filter/, daemon/cups-exec, cups-driverd, …) except backend/, which is a
        # real directory so we can add our test backend next to the system ones.
        for entry in os.listdir(SYSTEM_SERVERBIN):
            if entry == "backend":
                continue
            link = self._p("bin", entry)
            if not os.path.lexists(link):
                os.symlink(os.path.join(SYSTEM_SERVERBIN, entry), link)
        sysbackend = os.path.join(SYSTEM_SERVERBIN, "backend")
        for entry in os.listdir(sysbackend):
            link = self._p("bin", "backend", entry)
            if not os.path.lexists(link):
                # symlinks are fine: cupsd stat()s the target, so cups-pdf keeps
                # its 0700 mode and is run as root.
                os.symlink(os.path.join(sysbackend, entry), link)
        fault = self._p("bin", "backend", FAULT_SCHEME)
        with open(fault, "w") as f:
            f.write(
                _FAULT_BACKEND.replace("@CONTROL_DIR@", self._p("fault")).replace("@SCHEME@", FAULT_SCHEME)
            )
        # 0700 + owned by root => cupsd runs it as root.  cupsd also refuses
        # programs that are group/world writable.
        os.chmod(fault, 0o700)

        with open(self._p("etc", "cups-files.conf"), "w") as f:
            f.write(f"""# Generated by private_cups.py — private CUPS instance
ServerRoot {self._p("etc")}
RequestRoot {self._p("spool")}
TempDir {self._p("spool", "tmp")}
CacheDir {self._p("cache")}
StateDir {self._p("run")}
ServerBin {self._p("bin")}
AccessLog {self._p("log", "access_log")}
ErrorLog {self._p("log", "error_log")}
PageLog {self._p("log", "page_log")}
Printcap {self._p("run", "printcap")}
LogFilePerm 0644
# cupsd refuses "User root"; filters run as lp, backends with mode 0700 as root.
User lp
Group lp
SystemGroup root
# allow file:///path device URIs (handy for failure tests)
FileDevice Yes
""")

    def _write_cupsd_conf(self) -> None:
        # No Browsing/DNS-SD, no web UI, no domain socket, no authentication for
        # anything: only 127.0.0.1 can connect at all.
        with open(self._p("etc", "cupsd.conf"), "w") as f:
            f.write(f"""# Generated by private_cups.py — private CUPS instance
LogLevel {self.log_level}
MaxLogSize 0
Listen {self.host}:{self.port}
Browsing No
BrowseLocalProtocols none
DefaultShared No
WebInterface No
DefaultAuthType None
PreserveJobHistory Yes
PreserveJobFiles No
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  JobPrivateAccess all
  JobPrivateValues none
  SubscriptionPrivateAccess all
  SubscriptionPrivateValues none
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
""")

    def _wait_ready(self, deadline: float) -> None:
        """Poll until cupsd answers an IPP request (CUPS-Get-Printers)."""
        while True:
            if self._proc.poll() is not None:
                raise PrivateCupsError(f"cupsd exited with {self._proc.returncode}")
            if self._ipp_ping():
                return
            if time.monotonic() > deadline:
                raise PrivateCupsError("timed out waiting for cupsd")
            time.sleep(0.05)

    def _ipp_ping(self) -> bool:
        # cheap TCP probe first: no socket yet => not ready
        try:
            socket.create_connection((self.host, self.port), timeout=0.5).close()
        except OSError:
            return False
        try:
            import cups  # pycups
        except ImportError:
            r = subprocess.run(
                ["lpstat", "-h", self.server, "-r"], capture_output=True, text=True, timeout=10
            )
            return r.returncode == 0 and "is running" in r.stdout and "not" not in r.stdout
        try:
            cups.Connection(host=self.host, port=self.port).getPrinters()
            return True
        except (RuntimeError, cups.IPPError):
            return False

    # ---- queue administration (CUPS command-line tools) --------------------
    def _run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=60, env=self.env())
        if check and r.returncode != 0:
            raise PrivateCupsError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
        return r

    def add_pdf_queue(
        self, queue: str, output_dir: str | os.PathLike | None = None, page_size: str = "A4"
    ) -> str:
        """Create a cups-pdf queue whose PDFs land in output_dir as job_<id>-<title>.pdf.

        page_size is the queue's default media.  NOTE: the output PDF gets the
        *queue's* media unless the job asks for one (media=/PageSize=): a Letter
        input on an A4 queue comes out scaled to A4.  So an A4 output alone does
        not prove the input was A4; a queue with page_size="Letter" does catch
        an application that forgets to request A4.

        cups-pdf ignores cupsd's ServerRoot: its config is always read from
        /etc/cups, per queue from /etc/cups/cups-pdf-<instance>.conf when the
        device URI is cups-pdf:/<instance>.  We write such a file (removed on stop).
        """
        output_dir = os.path.abspath(output_dir or self.output_dir)
        os.makedirs(output_dir, exist_ok=True)
        instance = f"{CUPS_PDF_CONF_PREFIX}{self.token}-{queue}"
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", instance):
            raise ValueError(f"queue name {queue!r} not usable in a file name")
        conf = os.path.join(CUPS_PDF_CONF_DIR, f"cups-pdf-{instance}.conf")
        # Keep this file free of long comment lines: cups-pdf 3.0.1 reuses a
        # line buffer without NUL-terminating it when it parses the %%Title of
        # the job, so the tail of a long config line can end up in the output
        # file name.  Settings (all honoured because we use the *noopt* PPD,
        # whose lack of options lets the config file win):
        #   Out          PDFs of known users (root); no ${USER} => one flat dir
        #   AnonDirName  PDFs of users without passwd entry (lp -U someone) ...
        #   AnonUser     ... written as root, so our dir needs no extra perms
        #   Label 1      file name job_<cups job id>-<title>.pdf
        #   TitlePref 1  title = job-name given by the client, not %%Title
        #   UserUMask    0022 so that non-root readers can open the PDFs
        #   Grp          must exist (cups-pdf segfaults on an unknown group)
        settings = {
            "Out": output_dir,
            "AnonDirName": output_dir,
            "AnonUser": "root",
            "Spool": self._p("cups-pdf-spool"),
            "Log": self._p("log"),
            "LogType": "3",
            "Label": "1",
            "TitlePref": "1",
            "UserUMask": "0022",
            "AnonUMask": "0022",
            "Grp": "lp",
            "PDFVer": "1.4",
        }
        with open(conf, "w") as f:
            f.write(f"# private-cups-base-dir: {self.base_dir}\n")
            f.write("".join(f"{k} {v}\n" for k, v in settings.items()))
        self._cups_pdf_confs.append(conf)
        self._run(
            "lpadmin",
            "-h",
            self.server,
            "-p",
            queue,
            "-E",
            "-v",
            f"cups-pdf:/{instance}",
            "-P",
            CUPS_PDF_PPD,
            "-o",
            f"PageSize={page_size}",
            "-o",
            "printer-error-policy=abort-job",
        )
        return self.queue_url(queue)

    def add_fault_queue(self, queue: str, error_policy: str = "abort-job", ppd: str | None = None) -> str:
        """Create a queue on our fault-injecting backend (raw queue unless a PPD
        is given).  error_policy applies when the backend exits 1 (FAILED):
        abort-job (job -> aborted), stop-printer (CUPS default: queue stopped,
        job back to pending), retry-job, retry-current-job."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", queue):
            raise ValueError(f"bad queue name {queue!r}")
        self.set_fault(queue)  # start with a well-behaved printer
        model = ["-P", ppd] if ppd else ["-m", "raw"]
        self._run(
            "lpadmin",
            "-h",
            self.server,
            "-p",
            queue,
            "-E",
            "-v",
            f"{FAULT_SCHEME}:/{queue}",
            *model,
            "-o",
            f"printer-error-policy={error_policy}",
        )
        return self.queue_url(queue)

    def set_fault(
        self,
        queue: str,
        *,
        states: Iterable[str] = (),
        message: str = "",
        exit_code: int = BACKEND_OK,
        wait_file: str | None = None,
        wait_max: int = 60,
    ) -> None:
        """Tell the fault backend of ``queue`` how to behave for the *next* jobs.

        states: printer-state-reasons to add, e.g. ["media-empty-error",
        "toner-low-warning"] (each sent as "STATE: +name"; "-name" removes one).
        exit_code: BACKEND_OK / BACKEND_FAILED / BACKEND_STOP / BACKEND_CANCEL / …
        wait_file: backend keeps the job "processing" while this file exists.
        """
        # one "STATE: ..." line per item; bare names are added ("+name")
        st = " ".join(s if s[:1] in "+-" else "+" + s for s in states)
        lines = [
            f"FAULT_STATE={_sh_quote(st)}",
            f"FAULT_MESSAGE={_sh_quote(message)}",
            f"FAULT_EXIT={int(exit_code)}",
            f"FAULT_WAIT_FILE={_sh_quote(wait_file or '')}",
            f"FAULT_WAIT_MAX={int(wait_max)}",
        ]
        path = self._p("fault", f"{queue}.env")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.replace(tmp, path)  # atomic: a running backend never sees half a file

    def disable(self, queue: str, reason: str = "") -> None:
        """cupsdisable: printer-state stopped (5), reasons ['paused']; jobs stay pending."""
        self._run("cupsdisable", "-h", self.server, *(["-r", reason] if reason else []), queue)

    def enable(self, queue: str) -> None:
        self._run("cupsenable", "-h", self.server, queue)

    def reject(self, queue: str, reason: str = "") -> None:
        """cupsreject: new submissions fail with IPP 'not-accepting-jobs'."""
        self._run("cupsreject", "-h", self.server, *(["-r", reason] if reason else []), queue)

    def accept(self, queue: str) -> None:
        self._run("cupsaccept", "-h", self.server, queue)

    # ---- submitting & reading state ---------------------------------------
    def lp(
        self, queue: str, path: str | os.PathLike, title: str | None = None, options: dict | None = None
    ) -> int:
        """Submit with the `lp` client; returns the job id (parsed from
        "request id is QUEUE-ID (1 file(s))").  Raises PrivateCupsError with lp's
        message on refusal (e.g. 'Destination "Q" is not accepting jobs.')."""
        cmd = ["lp", "-h", self.server, "-d", queue]
        if title:
            cmd += ["-t", title]
        for k, v in (options or {}).items():
            cmd += ["-o", f"{k}={v}"]
        r = self._run(*cmd, "--", os.fspath(path))
        m = _LP_REQUEST_ID.search(r.stdout)
        if not m:
            raise PrivateCupsError(f"cannot parse lp output: {r.stdout!r}")
        return int(m.group("id"))

    def connection(self):
        """A pycups connection to this server.

        GOTCHA: passing host/port to cups.Connection() is not enough.
        Connection.printFile() (libcups cupsPrintFile2 -> cupsCreateJob) looks
        the destination up through the *process-wide* default server, so with
        only Connection(host=, port=) it fails with IPPError(1030, 'The printer
        or class does not exist.') unless cups.setServer()/cups.setPort() point
        at the same server.  We therefore set both globals every time (fine
        for single-threaded tests, even with two PrivateCups in one process).
        """
        import cups

        cups.setServer(self.host)
        cups.setPort(self.port)
        return cups.Connection(host=self.host, port=self.port)

    def print_file(
        self, queue: str, path: str | os.PathLike, title: str | None = None, options: dict | None = None
    ) -> int:
        """Submit with pycups (printFile); returns the job id.  Raises
        cups.IPPError(status, message) on refusal."""
        path = os.fspath(path)
        return self.connection().printFile(
            queue, path, title or os.path.basename(path), {k: str(v) for k, v in (options or {}).items()}
        )

    def job_attributes(self, job_id: int) -> dict:
        return self.connection().getJobAttributes(job_id)

    def job_state(self, job_id: int) -> int:
        return self.job_attributes(job_id)["job-state"]

    def printer_attributes(self, queue: str) -> dict:
        return self.connection().getPrinterAttributes(
            queue,
            requested_attributes=[
                "printer-state",
                "printer-state-reasons",
                "printer-state-message",
                "printer-is-accepting-jobs",
                "device-uri",
                "printer-uri-supported",
            ],
        )

    def printer_state(self, queue: str) -> tuple[int, list[str]]:
        """(printer-state, printer-state-reasons), e.g. (5, ['paused'])."""
        a = self.printer_attributes(queue)
        reasons = a.get("printer-state-reasons", [])
        if isinstance(reasons, str):
            reasons = [reasons]
        return a["printer-state"], list(reasons)

    def wait_for_job(
        self, job_id: int, states: Iterable[int] = JOB_FINAL_STATES, timeout: float = 60.0, poll: float = 0.1
    ) -> int:
        """Poll Get-Job-Attributes until job-state is one of ``states``; returns it."""
        states = frozenset(states)
        deadline = time.monotonic() + timeout
        conn = self.connection()
        while True:
            state = conn.getJobAttributes(job_id, requested_attributes=["job-state"])["job-state"]
            if state in states:
                return state
            if time.monotonic() > deadline:
                raise PrivateCupsError(
                    f"job {job_id} still {JOB_STATE_NAMES.get(state, state)} after {timeout}s\n"
                    + self.error_log()
                )
            time.sleep(poll)

    def wait_for_printer(
        self, queue: str, predicate, timeout: float = 30.0, poll: float = 0.1
    ) -> tuple[int, list[str]]:
        """Poll printer state until predicate(state, reasons) is true."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.printer_state(queue)
            if predicate(*st):
                return st
            if time.monotonic() > deadline:
                raise PrivateCupsError(f"printer {queue} state {st} after {timeout}s")
            time.sleep(poll)

    def find_output(
        self, job_id: int, output_dir: str | os.PathLike | None = None, timeout: float = 5.0
    ) -> str:
        """Path of the PDF cups-pdf wrote for job_id (Label 1 => job_<id>-*.pdf)."""
        pattern = os.path.join(os.fspath(output_dir or self.output_dir), f"job_{job_id}-*.pdf")
        deadline = time.monotonic() + timeout
        while True:
            hits = glob.glob(pattern)
            if hits:
                return hits[0]
            if time.monotonic() > deadline:
                raise PrivateCupsError(f"no output {pattern}\n{self.error_log()}")
            time.sleep(0.05)


def _sh_quote(s: str) -> str:
    return "'" + s.replace("'", "'\"'\"'") + "'"


def _remove_stale_cups_pdf_confs() -> None:
    """Delete /etc/cups/cups-pdf-onevisit-*.conf left by runs that crashed
    (their private base dir no longer exists)."""
    for conf in glob.glob(os.path.join(CUPS_PDF_CONF_DIR, f"cups-pdf-{CUPS_PDF_CONF_PREFIX}*.conf")):
        try:
            with open(conf) as f:
                head = f.read(2048)
        except OSError:
            continue
        m = re.search(r"^# private-cups-base-dir: (.+)$", head, re.M)
        if m and not os.path.isdir(m.group(1).strip()):
            with contextlib.suppress(OSError):
                os.unlink(conf)
