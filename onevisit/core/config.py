"""config.toml: the hall's description, strictly validated at start.

Unknown keys are rejected and every error names the key path, so a typo in a hall's config stops
the server with a clear message instead of silently running with a default.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from onevisit.core import charsets

DEFAULT_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM, 24-hour")]


def parse_hhmm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


class Hours(Strict):
    open: HHMM = "08:30"
    close: HHMM = "17:00"
    #: Refuse tickets outside opening hours. The demo runs on a clock that starts at 09:00.
    enforce: bool = True

    @model_validator(mode="after")
    def _ordered(self) -> Hours:
        if parse_hhmm(self.open) >= parse_hhmm(self.close):
            raise ValueError("open must be before close")
        return self


class DisplayConfig(Strict):
    """The hall TV (/display)."""

    #: A 中文/English button on the TV. Off by default: nobody touches a wall screen, and a button
    #: there only invites a passer-by to switch it. `?lang=en` still works for an English screen.
    language_button: bool = False


class HallConfig(Strict):
    name: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    agency: str = Field(min_length=1, description="issuing agency printed on certificates")
    #: The hall's code in the city (letters, digits, _): names its PostgreSQL schema when halls share
    #: a database, and marks everything the hall ships to the region.
    code: str = Field("HALL", pattern=r"^[A-Za-z0-9_]{1,40}$")
    timezone: str = "Asia/Shanghai"
    #: A file path (SQLite, the default) or a `postgresql://user:password@host:port/database` URL.
    database: str = "var/onevisit.db"
    host: str = "127.0.0.1"
    port: int = Field(8600, ge=1, le=65535)
    #: The address phones reach the hall server at; ticket QR codes and the 参保证明's verification
    #: QR and text point here. A loopback address (the default) is unreachable from a phone or a
    #: bank's office: `onevisit doctor` fails and kiosks refuse certificates until it is set.
    public_url: str = "http://127.0.0.1:8600"
    hours: Hours = Hours()
    display: DisplayConfig = DisplayConfig()

    @property
    def public_url_problem(self) -> str | None:
        """Why `public_url` cannot go on an official document (unset, not http(s), loopback), or None."""
        return public_url_problem(self.public_url)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class Matter(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    group_zh: str = ""
    prefix: str = Field(pattern=r"^[A-Z]$", description="one capital letter")
    minutes: float = Field(gt=0, le=240, description="default minutes per service")
    daily_cap: int = Field(gt=0)
    cutoff: HHMM = "16:30"
    materials_zh: list[str] = []
    materials_en: list[str] = []


class Window(Strict):
    number: int = Field(ge=1, le=999)
    matters: list[str] = Field(min_length=1)
    label_zh: str = ""
    label_en: str = ""


class Priority(Strict):
    age_at_least: int = Field(70, ge=50, le=120)
    declared: list[Literal["disability", "veteran", "pregnant"]] = ["disability", "veteran"]
    #: After this many priority calls in a row at a window, the next call goes to the longest-waiting
    #: regular citizen if one is waiting, so priority never starves the rest.
    interleave: int = Field(3, ge=1, le=100)


class Recall(Strict):
    max_recalls: int = Field(2, ge=0, le=10)
    min_seconds: int = Field(30, ge=0, le=600)
    auto_skip_seconds: int = Field(180, ge=10, le=3600)
    reentry_offset: int = Field(3, ge=0, le=100)


class Security(Strict):
    secrets_dir: str = "var/secrets"
    token_minutes: int = Field(480, ge=1, le=7 * 24 * 60)
    kiosk_token_days: int = Field(365, ge=1, le=3650)
    login_max_failures: int = Field(5, ge=1, le=100)
    login_lockout_seconds: int = Field(60, ge=1, le=3600)


class PrinterConfig(Strict):
    url: str = "virtual://127.0.0.1:9100"
    width: Literal[576, 384] = 576
    #: gbk: text as GBK bytes in the printer's Chinese mode; raster: every line an image.
    chinese: Literal["gbk", "raster"] = "raster"
    native_qr: bool = True
    font: str | None = None
    timeout: float = Field(5.0, gt=0, le=60)


_DOCUMENT_PRINTER = (
    r"^(none|cups://[A-Za-z0-9_.@+-]{1,127}|ipp://[^/?#\s]+/(printers|classes)/[A-Za-z0-9_.@+-]{1,127})$"
)


class DocumentsConfig(Strict):
    """The A4 document printer (参保证明 as a PDF through CUPS)."""

    #: cups://QUEUE (the local scheduler), ipp://HOST:631/printers/QUEUE, or none (the receipt roll).
    printer: str = Field("none", pattern=_DOCUMENT_PRINTER)
    #: Kiosks (kiosk.name) that have only a thermal printer: they keep the receipt-roll certificate.
    thermal_only_kiosks: list[str] = []
    #: How long a kiosk shows "正在打印…" before a job that has not completed counts as failed.
    job_timeout_seconds: float = Field(120, gt=0, le=1800)
    #: Seconds between two reads of a job's state from CUPS while it prints.
    poll_seconds: float = Field(0.25, gt=0, le=10)


def public_url_problem(url: str) -> str | None:
    """Why an address cannot be printed for others to reach, or None when it can."""
    import ipaddress

    if not url or not url.strip():
        return "hall.public_url is not set"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"hall.public_url {url!r} is not an http(s) address"
    host = parts.hostname.lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"hall.public_url {url!r} is a loopback address, unreachable from a phone"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if ip.is_loopback or ip.is_unspecified:
        return f"hall.public_url {url!r} is a loopback address, unreachable from a phone"
    return None


class BoardConfig(Strict):
    address: int = Field(ge=1, le=254)
    kind: Literal["window", "main"]
    window: int | None = None
    idle_text: str = "欢迎光临"
    #: Display cells (a Chinese character takes two); longer text is sent with the scroll flag.
    #: Default: 16 for a window board, 48 for a main board.
    columns: int | None = Field(None, ge=4, le=1024)
    #: The board's character set: gb2312 (most LED boards), gbk or gb18030 for boards with
    #: bigger fonts. Text the charset has no glyph for is refused before it is sent.
    charset: charsets.Charset = "gb2312"

    @model_validator(mode="after")
    def _window_board_has_window(self) -> BoardConfig:
        if self.kind == "window" and self.window is None:
            raise ValueError("a window board needs `window`")
        if self.kind == "main" and self.window is not None:
            raise ValueError("a main board shows every window; remove `window`")
        try:
            charsets.encode(self.idle_text, self.charset)
        except charsets.CharsetError as exc:
            raise ValueError(f"idle_text {self.idle_text!r}: {exc}; the board cannot show it") from None
        return self


class KeypadConfig(Strict):
    """A keypad on the boards' line, bound to one window: a 呼叫器 (caller) or a 评价器 (rater)."""

    address: int = Field(ge=1, le=254)
    kind: Literal["caller", "rater"]
    window: int = Field(ge=1, le=999)
    #: Caller only: the matter its 转移 key sends the citizen on to (a keypad cannot ask which);
    #: without it the key is refused with code E5 on the keypad's display.
    transfer_matter: str | None = None

    @model_validator(mode="after")
    def _transfer_is_a_callers(self) -> KeypadConfig:
        if self.kind == "rater" and self.transfer_matter is not None:
            raise ValueError("a rater has no 转移 key; remove `transfer_matter`")
        return self


class BoardsConfig(Strict):
    enabled: bool = True
    port: str = "var/board-link"
    codec: Literal["default", "line"] = "default"
    baud: int = Field(9600, gt=0)
    parity: Literal["N", "E", "O"] = "N"
    timeout: float = Field(0.3, gt=0, le=10)
    write_timeout: float = Field(0.5, gt=0, le=10)
    retries: int = Field(2, ge=0, le=10)
    queue_size: int = Field(256, ge=8, le=10000)
    #: An offline board is tried again this often (one attempt, so it never stalls the others).
    probe_seconds: float = Field(5.0, gt=0, le=600)
    #: Each online board gets its text again this often: the ping, and a repair after a reboot.
    keepalive_seconds: float = Field(10.0, gt=0, le=3600)
    #: Reconnect backoff after the port vanished doubles up to this.
    reconnect_max_seconds: float = Field(5.0, gt=0, le=300)
    #: How many of the latest calls the main board lists.
    main_recent: int = Field(3, ge=1, le=10)
    boards: list[BoardConfig] = []
    keypads: list[KeypadConfig] = []
    #: Each online keypad is asked for key presses this often (when no board frame is waiting).
    poll_seconds: float = Field(0.1, ge=0.01, le=5)
    #: A rater's lamp stays on this long after 完成; a key pressed later records nothing.
    rating_seconds: float = Field(30.0, gt=0, le=600)
    #: A refusal code (e.g. "E1 太快") stays on a caller's display at least this long.
    keypad_error_seconds: float = Field(3.0, ge=0, le=60)

    @model_validator(mode="after")
    def _unique_addresses(self) -> BoardsConfig:
        addresses = [b.address for b in self.boards] + [k.address for k in self.keypads]
        if len(set(addresses)) != len(addresses):
            raise ValueError(f"boards: duplicate address among boards and keypads {addresses}")
        if self.keypads and self.codec != "default":
            raise ValueError(f"keypads: the {self.codec!r} codec has no keypad commands; use codec 'default'")
        return self


class VoiceConfig(Strict):
    engine: Literal["espeak", "clips", "silent"] = "espeak"
    voice: str = "cmn-latn-pinyin"
    #: The kiosk speaks its prompts in this voice while a citizen has switched to English.
    voice_en: str = "en-us"
    template: str = "请 {number} 号 到 {window} 号窗口"
    repeat: int = Field(2, ge=1, le=5)
    chime: bool = True
    #: Write each announcement as a WAV file here instead of playing it (demo, tests).
    out_dir: str | None = None
    #: espeak-ng words per minute; slower than its default 175 for elderly listeners.
    speed: int = Field(140, ge=80, le=300)
    #: With out_dir: take as long as playing would, so file output keeps a loudspeaker's pace.
    realtime: bool = True
    #: engine "clips": folder of phrase WAVs (e.g. 请.wav, A.wav, 零.wav); missing ones are
    #: rendered once with espeak-ng and kept there, so a recorded voice can replace them one by one.
    clips_dir: str = "var/voice-clips"

    @field_validator("template")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        import string

        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        if "number" not in names:
            raise ValueError("template must contain {number}")
        unknown = names - {"number", "window"}
        if unknown:
            raise ValueError(
                f"template: unknown placeholder(s) {sorted(unknown)}; use {{number}} and {{window}}"
            )
        return value


class CameraConfig(Strict):
    url: str = "camera://0"
    width: int = Field(640, ge=160, le=3840)
    height: int = Field(480, ge=120, le=2160)


class VerificationConfig(Strict):
    threshold: float = Field(0.5, gt=0, lt=0.6, description="face distance; stricter than 0.6")
    challenges: int = Field(2, ge=1, le=5)
    challenge_seconds: float = Field(8.0, gt=0, le=60)
    max_attempts: int = Field(3, ge=1, le=10)
    detect_width: int = Field(320, ge=160, le=1920)
    matcher: str = "onevisit.verification.matcher:LocalMatcher"
    liveness: str = "onevisit.verification.liveness:LandmarkLiveness"
    audit_snapshots: bool = False
    audit_retention_days: int = Field(30, ge=1, le=365)
    #: Encrypted audit snapshots go here (only when audit_snapshots is on).
    audit_dir: str = "var/audit"
    certification_months: int = Field(12, ge=1, le=24)
    # Quality gate: a frame is judged only when the face is near, lit, sharp and frontal enough.
    min_face_px: int = Field(80, ge=40, le=1000)
    min_face_fraction: float = Field(0.15, ge=0.05, le=0.9, description="face width / frame width")
    min_brightness: float = Field(60, ge=0, le=255)
    max_brightness: float = Field(225, ge=0, le=255)
    min_sharpness: float = Field(25, ge=0, description="Laplacian variance of the face at 128 px")
    max_frontal_degrees: float = Field(25, ge=5, le=45)
    #: Frames whose encodings are averaged for the match (sharpest, most frontal first).
    match_frames: int = Field(3, ge=1, le=10)
    #: After the last challenge, at most this many seconds to collect frontal frames for the match.
    settle_seconds: float = Field(3.0, gt=0, le=30)
    # Encodings (docs/verification.md "Match and decision"; figures in BENCHMARKS.md "Face matching").
    #: dlib alignment before encoding: "large" = 68 landmarks, "small" = 5. Reference and probes always
    #: use the same one (encodings of one photo under the two sit ~0.12 apart).
    encoding_model: Literal["small", "large"] = "large"
    #: dlib num_jitters for the reference photo only (probes: 1). 10 lowered FNMR on every shared set;
    #: 20 bought nothing more at twice the cost (~0.8 s of one core per 10 jitters, on a cache miss).
    reference_jitters: int = Field(10, ge=1, le=100)
    #: How the match frames are combined: distance from the reference to the mean of their encodings,
    #: or the mean of their distances (the rule before 2026-11). Deliberately no "min": best-of-N
    #: raises the false-match rate with every frame.
    probe_combination: Literal["mean_encoding", "mean_distance"] = "mean_encoding"
    #: Reference encodings kept in memory, by photo content hash (0 = none: every visit re-encodes).
    reference_cache_entries: int = Field(256, ge=0, le=100_000)
    #: Folder for reference encodings across restarts ("" = memory only, the default: encodings are
    #: biometric data). Files 0600, named by an HMAC keyed with face-refs.key in security.secrets_dir.
    reference_cache_dir: str = ""
    #: Cached reference files older than this are deleted (a pensioner comes once a year).
    reference_cache_days: int = Field(400, ge=1, le=800)


class RecordsConfig(Strict):
    """Which business system answers for records (docs/records.md).

    `type = "demo"`: the demo SQLite file in this process (`database`, `timeout`).
    `type = "http"`: a records service at `url` speaking the JSON contract of docs/records.md
    (a province's system, or `onevisit records serve` in front of the demo file).
    """

    type: Literal["demo", "http"] = "demo"
    #: The demo business system's SQLite file (type "demo", and what `onevisit records serve` serves).
    database: str = "var/records.db"
    #: Seconds to wait for the demo's SQLite lock before "unavailable" (type "demo").
    timeout: float = Field(2.0, gt=0, le=60)
    #: Base URL of the records service (type "http"), e.g. "http://10.1.2.3:8610"; required there.
    url: str | None = Field(None, validate_default=True)
    #: Seconds to connect and, separately, to wait for an answer (type "http"); then "unavailable".
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    #: Bearer token for the records service: a file holding it (mode 600), or the token itself.
    token_file: str | None = None
    token: str | None = Field(None, min_length=8)
    #: The hall's own register of issued certificates (serial, verification code, digest).
    certificates_db: str = "var/certificates.db"
    #: Hall code at the front of certificate serial numbers: SFQ + date + daily sequence.
    serial_prefix: str = Field("SFQ", pattern=r"^[A-Z0-9]{2,8}$")
    #: Longest page of a printed certificate before it continues on the next (mm of paper).
    page_max_mm: int = Field(297, ge=120, le=2000)

    @field_validator("url")
    @classmethod
    def _url_for_http(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("type") == "http":
            if not value:
                raise ValueError('required when type = "http" (the records service\'s base URL)')
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http:// or https:// URL with a host")
            if parts.query or parts.fragment:
                raise ValueError("a base URL only: no query or fragment")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _one_token(self) -> RecordsConfig:
        if self.token and self.token_file:
            raise ValueError("token and token_file: give one of them, not both")
        return self


class PaymentConfig(Strict):
    """The payment platform for 城乡居民养老缴费 at the kiosk (docs/payment.md). No `url`: the kiosk
    hides the payment tile. The URL's scheme picks the driver (onevisit.devices.payment): http(s)
    speaks the simulated platform's protocol (`onevisit pay-sim`)."""

    #: The platform's base URL, e.g. "http://127.0.0.1:8620".
    url: str | None = None
    #: Shared secret for the HMAC-SHA256 signatures both ways (requests and notifications).
    secret: str = Field("", max_length=200)
    #: Where the platform sends its signed payment notifications: the hall's /api/payments/notify.
    notify_url: str | None = None
    #: Seconds to connect and, separately, to wait for the platform's answer.
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    #: How long the kiosk shows the QR and waits for the result before it cancels the order.
    wait_seconds: int = Field(180, ge=30, le=900)

    @field_validator("url", "notify_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _secret_with_url(self) -> PaymentConfig:
        if self.url and len(self.secret) < 16:
            raise ValueError(
                "secret: at least 16 characters when url is set (it signs every payment message)"
            )
        return self


class CardReaderConfig(Strict):
    url: str = "sim://"


class KioskConfig(Strict):
    name: str = "kiosk-1"
    hall_url: str = "http://127.0.0.1:8600"
    token_file: str = "var/kiosk-token"
    idle_seconds: int = Field(60, ge=10, le=600)
    idle_warning_seconds: int = Field(15, ge=5, le=120)
    technician_pin: str = Field("2468", pattern=r"^\d{4,8}$")
    heartbeat_seconds: int = Field(15, ge=1, le=300)
    #: the matter preselected on the window ticket when self-service fails there (face, certificate,
    #: records, card); the citizen can still change it. An unknown code preselects nothing.
    window_matters: dict[str, str] = {
        "face": "benefit",
        "certificate": "enroll",
        "records": "enroll",
        "card": "card",
        "pension": "contrib",
    }


class AppointmentsConfig(Strict):
    """预约签到: when a booked citizen may check in at the kiosk, and how far ahead staff may book."""

    #: Check-in opens this many minutes before the booked slot (earlier: "come back at …").
    early_minutes: int = Field(60, ge=0, le=480)
    #: … and closes this many minutes after it; later, the booking has lapsed (take a number).
    late_minutes: int = Field(15, ge=0, le=240)
    #: Furthest day ahead a booking may be made for (0: today only).
    max_days_ahead: int = Field(30, ge=0, le=366)


class SupervisorConfig(Strict):
    #: A matter whose predicted wait for a newcomer passes this raises an alert on /supervisor.
    wait_alert_minutes: float = Field(30, gt=0, le=600)
    #: How often the /supervisor page refreshes its figures and charts (the queue itself is live).
    refresh_seconds: int = Field(30, ge=5, le=3600)


class MaintenanceConfig(Strict):
    """Technicians' side: device health on /maintenance, `onevisit doctor`, the log files."""

    #: A kiosk whose last heartbeat is older than this shows as silent (an alert on /maintenance).
    kiosk_silent_seconds: int = Field(60, ge=5, le=3600)
    #: How often the hall re-reads its boards' links and looks for silent kiosks.
    check_seconds: float = Field(2.0, gt=0, le=60)
    #: Structured (JSON lines) logs, one file per process, rotated at midnight.
    log_dir: str = "var/logs"
    log_keep_days: int = Field(30, ge=1, le=3650)
    #: doctor warns when the disk holding var/ has less free space than this, fails under a tenth.
    disk_warn_mb: int = Field(1024, ge=10, le=10_000_000)
    #: Seconds the boards show a technician's test pattern before their current texts come back.
    test_pattern_seconds: float = Field(5.0, gt=0, le=300)
    #: Device events (state changes) kept in the hall database.
    event_keep_days: int = Field(90, ge=1, le=3650)


#: What a region URL looks like (`[region] url`, `onevisit ship --region`): http(s), a host, a path.
REGION_URL_PATTERN = r"^https?://[^\s/]+(/[^\s]*)?$"


class RegionConfig(Strict):
    """The city region (docs/region.md): where `onevisit ship` sends this hall's rows, and the
    `onevisit region` server's own settings."""

    #: The region server's base URL (`https://region.example:8443`); none: `onevisit ship` needs --region.
    url: str | None = Field(None, pattern=REGION_URL_PATTERN)
    #: This hall's ingest token (`onevisit region halls add CODE` printed it) or a file holding it.
    token: str | None = None
    token_file: str | None = None
    #: Rows per POST: a batch is one transaction at the region.
    batch_size: int = Field(500, ge=1, le=10_000)
    #: Seconds a request to the region may take before it counts as unreachable.
    timeout_seconds: float = Field(10.0, gt=0, le=300)
    #: Hall server: the longest a kiosk check-in waits for the region to hand over a booking held
    #: by another hall (a citizen stands at the kiosk); slower counts as no booking. Keep it well
    #: below the kiosk's own request timeout (5 s, kiosk/hall_client.py).
    claim_timeout_seconds: float = Field(3.0, gt=0, le=30)
    #: Pause between two rounds when nothing is pending, and the ceiling of the backoff while the
    #: region is unreachable (it doubles from `poll_seconds`, with jitter).
    poll_seconds: float = Field(5.0, gt=0, le=3600)
    backoff_max_seconds: float = Field(300.0, gt=0, le=86_400)
    #: |region clock − hall clock| above this shows the hall as an alarm on /city; the shipper warns.
    skew_alarm_seconds: float = Field(120.0, gt=0, le=86_400)
    #: Region server: the city's ID-hash key (`onevisit region key export` copies it to each hall's
    #: secrets_dir/id-hash.key) so one citizen hashes the same in every hall.
    id_key_file: str | None = None
    #: Region server: its database (a postgresql:// URL; a file path runs it on SQLite for a trial).
    database: str | None = None
    #: Region server: a hall whose newest data is older than this shows as stale on /city.
    stale_seconds: int = Field(300, ge=10, le=86_400)

    @model_validator(mode="after")
    def _one_token(self) -> RegionConfig:
        if self.token and self.token_file:
            raise ValueError("token and token_file: give one of them, not both")
        return self


NOTIFY_SCHEMES = ("none", "log", "file", "sms+http", "sms+https", "wechat+http", "wechat+https")


class NotifyConfig(Strict):
    """到号提醒: notices to a citizen's phone when their turn is near (docs/notify.md).

    `url` picks the driver by scheme: "none" (off), "log://" (masked lines in the hall log),
    "file:///path.jsonl" (one masked JSON line per notice), "sms+https://host/path" (a generic
    HTTP SMS gateway: template id, parameters, HMAC-SHA256 signature), "wechat+https://host"
    (WeChat template messages; host is the API base, api.weixin.qq.com in production).
    """

    url: str = "none"
    #: Send "your turn is near" when this many people (or fewer) are ahead.
    ahead: int = Field(3, ge=1, le=50)
    #: Signing secret shared with the SMS gateway (or a file holding it, mode 600).
    secret: str | None = Field(None, min_length=8)
    secret_file: str | None = None
    #: The SMS signature (签名) the gateway prints before every message.
    sign_name: str = Field("社保服务大厅", min_length=2, max_length=12)
    #: Gateway template ids per notice kind: near (N ahead), called (with window), skipped (过号).
    templates: dict[Literal["near", "called", "skipped"], str] = {
        "near": "OV_NEAR",
        "called": "OV_CALLED",
        "skipped": "OV_SKIPPED",
    }
    #: WeChat official account (wechat+ URLs): app id and the app secret's file.
    wechat_app_id: str | None = None
    wechat_secret_file: str | None = None
    #: Seconds to wait for the gateway; a notice that fails is retried with backoff up to this cap.
    timeout_seconds: float = Field(5.0, gt=0, le=60)
    max_backoff_seconds: float = Field(300.0, ge=1, le=3600)

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split("://", 1)[0] if "://" in value else value
        if scheme not in NOTIFY_SCHEMES:
            raise ValueError(f"unknown scheme {scheme!r}: one of {', '.join(NOTIFY_SCHEMES)}")
        if scheme not in ("none", "log") and not urlsplit(value).path and not urlsplit(value).hostname:
            raise ValueError("needs a host (sms+/wechat+) or a path (file)")
        return value

    @model_validator(mode="after")
    def _secrets(self) -> NotifyConfig:
        if self.secret and self.secret_file:
            raise ValueError("secret and secret_file: give one of them, not both")
        if self.url.startswith("sms+") and not (self.secret or self.secret_file):
            raise ValueError("an SMS gateway needs secret or secret_file to sign requests")
        if self.url.startswith("wechat+") and not (self.wechat_app_id and self.wechat_secret_file):
            raise ValueError("WeChat needs wechat_app_id and wechat_secret_file")
        return self


class Config(Strict):
    hall: HallConfig
    matters: list[Matter] = Field(min_length=1)
    windows: list[Window] = Field(min_length=1)
    priority: Priority = Priority()
    recall: Recall = Recall()
    security: Security = Security()
    printer: PrinterConfig = PrinterConfig()
    documents: DocumentsConfig = DocumentsConfig()
    boards: BoardsConfig = BoardsConfig()
    voice: VoiceConfig = VoiceConfig()
    camera: CameraConfig = CameraConfig()
    verification: VerificationConfig = VerificationConfig()
    records: RecordsConfig = RecordsConfig()
    card_reader: CardReaderConfig = CardReaderConfig()
    payment: PaymentConfig = PaymentConfig()
    kiosk: KioskConfig = KioskConfig()
    appointments: AppointmentsConfig = AppointmentsConfig()
    supervisor: SupervisorConfig = SupervisorConfig()
    maintenance: MaintenanceConfig = MaintenanceConfig()
    notify: NotifyConfig = NotifyConfig()
    region: RegionConfig = RegionConfig()

    #: Folder relative paths in this config resolve against (the config file's folder).
    base_dir: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        codes = [m.code for m in self.matters]
        if len(set(codes)) != len(codes):
            raise ValueError(f"matters: duplicate code among {codes}")
        numbers = [w.number for w in self.windows]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"windows: duplicate window number among {numbers}")
        for i, window in enumerate(self.windows):
            for code in window.matters:
                if code not in codes:
                    raise ValueError(f"windows[{i}].matters: unknown matter {code!r} (known: {codes})")
        served = {code for w in self.windows for code in w.matters}
        for code in codes:
            if code not in served:
                raise ValueError(f"matters: {code!r} is served by no window")
        for i, board in enumerate(self.boards.boards):
            if board.window is not None and board.window not in numbers:
                raise ValueError(f"boards.boards[{i}].window: no window {board.window}")
        for i, keypad in enumerate(self.boards.keypads):
            if keypad.window not in numbers:
                raise ValueError(f"boards.keypads[{i}].window: no window {keypad.window}")
            if keypad.transfer_matter is not None and keypad.transfer_matter not in codes:
                raise ValueError(
                    f"boards.keypads[{i}].transfer_matter: unknown matter {keypad.transfer_matter!r}"
                )
        return self

    def matter(self, code: str) -> Matter:
        for m in self.matters:
            if m.code == code:
                return m
        raise KeyError(code)

    def window(self, number: int) -> Window:
        for w in self.windows:
            if w.number == number:
                return w
        raise KeyError(number)

    @property
    def database_target(self) -> str:
        """`[hall] database` ready to open: a PostgreSQL URL as written, a path resolved."""
        value = self.hall.database
        return (
            value
            if value.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))
            else str(self.path(value))
        )

    def path(self, relative: str) -> Path:
        """A path from the config, resolved against the config file's folder."""
        p = Path(relative).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)


class ConfigError(Exception):
    """config.toml is unreadable or invalid; the message lists every problem with its key path."""


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            lines.append(f"  {where}: unknown key (check the spelling; see config.toml in the repo)")
        else:
            got = item.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
            lines.append(f"  {where}: {item['msg']}{shown}")
    return "\n".join(lines)


def load_config(path: str | Path | None = None) -> Config:
    path = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(raw, base_dir=path.resolve().parent, source=str(path))


def parse_config(raw: dict, base_dir: Path = Path("."), source: str = "config") -> Config:
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{source} is invalid:\n{_describe(exc)}") from None
    return config.model_copy(update={"base_dir": base_dir})
