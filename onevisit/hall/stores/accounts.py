"""Staff, supervisor and technician accounts, kiosk devices, and the bearer tokens they act with.

Passwords are stored as scrypt hashes with a per-user salt; tokens (login sessions and kiosk device
tokens) are stored only as SHA-256 hashes, so a copy of the database does not let anyone act. Bad
logins are counted per user name and address and lock that pair out for a while.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from typing import Literal

from onevisit.core.clock import Clock
from onevisit.core.config import Config
from onevisit.core.errors import OneVisitError
from onevisit.db import Database, schema

log = logging.getLogger(__name__)

Role = Literal["staff", "supervisor", "technician", "kiosk"]
USER_ROLES = ("staff", "supervisor", "technician")

# scrypt cost: ~50 ms per check on the hall PC, which also paces password guessing.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
SESSION_PREFIX = "ovs_"
KIOSK_PREFIX = "ovk_"


class AuthError(OneVisitError):
    status = 401


class Forbidden(OneVisitError):
    status = 403


class LoginLocked(OneVisitError):
    status = 429


class AccountError(OneVisitError):
    status = 409


def not_authenticated() -> AuthError:
    return AuthError("not_authenticated", "请先登录", "Please log in first")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(got.hex(), digest)


# Compared against when the user name is unknown, so a miss costs as much time as a wrong password.
_DUMMY_HASH = hash_password("not a real password", salt=b"0" * 16)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """Who is calling: a logged-in person or a kiosk device."""

    role: Role
    name: str
    window: int | None = None

    @property
    def actor(self) -> str:
        """How the queue's events name this caller, e.g. staff:wang or kiosk:kiosk-1."""
        return f"{self.role}:{self.name}"


@dataclass(frozen=True)
class Session:
    token: str
    principal: Principal
    expires_at: dt.datetime


@dataclass(frozen=True)
class UserRecord:
    name: str
    role: str
    window: int | None
    created_at: str
    disabled: bool


class AccountStore:
    """Users, kiosks, tokens and login failures in the hall database."""

    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self.clock = clock

    # -- accounts -----------------------------------------------------------------------------

    def add_user(self, name: str, role: str, password: str, window: int | None = None) -> UserRecord:
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name) or ":" in name:
            raise AccountError(
                "invalid_user_name",
                "用户名应为1–64个字符，不含空格和冒号",
                "A user name has 1–64 characters without spaces or colons",
            )
        if role not in USER_ROLES:
            raise AccountError("invalid_role", f"未知角色 {role}", f"Unknown role {role}", role=role)
        if role == "staff":
            if window is None:
                raise AccountError(
                    "window_required", "窗口人员账号需要指定窗口号", "A staff account needs --window"
                )
            try:
                self.config.window(window)
            except KeyError:
                raise AccountError(
                    "unknown_window", f"没有 {window} 号窗口", f"There is no window {window}", window=window
                ) from None
        elif window is not None:
            raise AccountError(
                "window_not_allowed",
                "只有窗口人员账号绑定窗口",
                "Only staff accounts are bound to a window",
            )
        if len(password) < 6:
            raise AccountError("weak_password", "密码至少6位", "A password needs at least 6 characters")
        created = self.clock.now().isoformat(timespec="seconds")
        with self.db.transaction() as tx:
            if tx.one("SELECT 1 FROM hall_users WHERE name = ?", name):
                raise AccountError(
                    "user_exists", f"用户 {name} 已存在", f"User {name} already exists", name=name
                )
            tx.insert(
                schema.hall_users,
                {
                    "name": name,
                    "role": role,
                    "window": window,
                    "password_hash": hash_password(password),
                    "created_at": created,
                },
            )
        log.info("added %s account %s", role, name)
        return UserRecord(name, role, window, created, False)

    def set_password(self, name: str, password: str) -> None:
        if len(password) < 6:
            raise AccountError("weak_password", "密码至少6位", "A password needs at least 6 characters")
        with self.db.transaction() as tx:
            cur = tx.execute(
                "UPDATE hall_users SET password_hash = ? WHERE name = ?", hash_password(password), name
            )
            if cur.rowcount == 0:
                raise AccountError("unknown_user", f"没有用户 {name}", f"No user {name}", name=name)
            # A new password ends every session the old one opened.
            tx.execute("DELETE FROM hall_tokens WHERE user_name = ?", name)

    def users(self) -> list[UserRecord]:
        rows = self.db.query(
            'SELECT name, role, "window", created_at, disabled FROM hall_users ORDER BY role, name'
        )
        return [
            UserRecord(r["name"], r["role"], r["window"], r["created_at"], bool(r["disabled"])) for r in rows
        ]

    def add_kiosk(self, name: str) -> str:
        """Register a kiosk and return its device token; only its hash is kept, so show it once."""
        name = name.strip()
        if not name or len(name) > 64 or any(c.isspace() for c in name) or ":" in name:
            raise AccountError(
                "invalid_kiosk_name",
                "终端名应为1–64个字符，不含空格和冒号",
                "A kiosk name has 1–64 characters without spaces or colons",
            )
        token = KIOSK_PREFIX + secrets.token_urlsafe(32)
        now = self.clock.now()
        expires = now + dt.timedelta(days=self.config.security.kiosk_token_days)
        with self.db.transaction() as tx:
            if tx.one("SELECT 1 FROM hall_kiosks WHERE name = ?", name):
                raise AccountError(
                    "kiosk_exists", f"终端 {name} 已存在", f"Kiosk {name} already exists", name=name
                )
            tx.insert(
                schema.hall_kiosks,
                {
                    "name": name,
                    "token_hash": token_hash(token),
                    "created_at": now.isoformat(timespec="seconds"),
                    "expires_ts": expires.timestamp(),
                },
            )
        log.info("registered kiosk %s", name)
        return token

    def kiosks(self) -> list[dict[str, object]]:
        rows = self.db.query("SELECT name, created_at, expires_ts, disabled FROM hall_kiosks ORDER BY name")
        tz = self.clock.now().tzinfo
        return [
            {
                "name": r["name"],
                "created_at": r["created_at"],
                "expires_at": dt.datetime.fromtimestamp(r["expires_ts"], tz).isoformat(timespec="seconds"),
                "disabled": bool(r["disabled"]),
            }
            for r in rows
        ]

    # -- login --------------------------------------------------------------------------------

    def login(self, name: str, password: str, address: str) -> Session:
        """A session token for a correct password; counts and locks out repeated failures."""
        now = self.clock.now()
        ts = now.timestamp()
        key = f"{name.strip().lower()}|{address}"
        security = self.config.security
        rows = self.db.query("SELECT failures, locked_until_ts FROM hall_login_failures WHERE key = ?", key)
        if rows and rows[0]["locked_until_ts"] > ts:
            wait = int(rows[0]["locked_until_ts"] - ts) + 1
            raise LoginLocked(
                "login_locked",
                f"登录失败次数过多，请 {wait} 秒后再试",
                f"Too many failed logins; try again in {wait} seconds",
                retry_after=wait,
            )
        user = self.db.query(
            'SELECT name, role, "window", password_hash, disabled FROM hall_users WHERE name = ?',
            name.strip(),
        )
        ok = check_password(password, user[0]["password_hash"] if user else _DUMMY_HASH)
        if not user or not ok or user[0]["disabled"]:
            with self.db.transaction() as tx:
                prior = tx.one("SELECT failures, last_ts FROM hall_login_failures WHERE key = ?", key)
                # Failures older than a lockout period are forgotten: a typo a day ago doesn't count.
                recent = prior and ts - prior["last_ts"] < max(security.login_lockout_seconds, 900)
                failures = (prior["failures"] if recent else 0) + 1
                locked_until = (
                    ts + security.login_lockout_seconds if failures >= security.login_max_failures else 0
                )
                tx.upsert(
                    schema.hall_login_failures,
                    {
                        "key": key,
                        "failures": 0 if locked_until else failures,
                        "last_ts": ts,
                        "locked_until_ts": locked_until,
                    },
                    ["key"],
                )
            log.warning("failed login for %r from %s (%d)", name[:64], address, failures)
            if locked_until:
                wait = security.login_lockout_seconds
                raise LoginLocked(
                    "login_locked",
                    f"登录失败次数过多，请 {wait} 秒后再试",
                    f"Too many failed logins; try again in {wait} seconds",
                    retry_after=wait,
                )
            raise AuthError("bad_credentials", "用户名或密码错误", "Wrong user name or password")
        row = user[0]
        token = SESSION_PREFIX + secrets.token_urlsafe(32)
        expires = now + dt.timedelta(minutes=security.token_minutes)
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM hall_login_failures WHERE key = ?", key)
            tx.execute("DELETE FROM hall_tokens WHERE expires_ts < ?", ts)
            tx.insert(
                schema.hall_tokens,
                {
                    "token_hash": token_hash(token),
                    "user_name": row["name"],
                    "created_ts": ts,
                    "expires_ts": expires.timestamp(),
                },
            )
        log.info("%s %s logged in from %s", row["role"], row["name"], address)
        return Session(token, Principal(row["role"], row["name"], row["window"]), expires)

    def logout(self, token: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM hall_tokens WHERE token_hash = ?", token_hash(token))

    def staff_at_window(self, window: int) -> str | None:
        """The staff user most recently logged in (unexpired, not disabled) for `window`, or None.

        A keypad's actions are recorded with this person too (see hall/live/keypads.py)."""
        rows = self.db.query(
            "SELECT u.name FROM hall_tokens t JOIN hall_users u ON u.name = t.user_name"
            " WHERE u.window = ? AND u.role = 'staff' AND u.disabled = 0 AND t.expires_ts > ?"
            " ORDER BY t.created_ts DESC LIMIT 1",
            window,
            self.clock.now().timestamp(),
        )
        return str(rows[0]["name"]) if rows else None

    def logged_in_by_window(self) -> dict[int, list[str]]:
        """Who is logged in at which window now: staff accounts with an unexpired session token,
        by their window (the supervisor page shows 无人登录 for an open window with nobody)."""
        rows = self.db.query(
            "SELECT DISTINCT u.name, u.window FROM hall_tokens t JOIN hall_users u ON u.name = t.user_name"
            " WHERE u.role = 'staff' AND u.window IS NOT NULL AND u.disabled = 0 AND t.expires_ts > ?"
            " ORDER BY u.window, u.name",
            self.clock.now().timestamp(),
        )
        out: dict[int, list[str]] = {}
        for row in rows:
            out.setdefault(row["window"], []).append(row["name"])
        return out

    def authenticate(self, token: str) -> Principal:
        """The caller behind a bearer token, or AuthError (invalid / expired / disabled)."""
        ts = self.clock.now().timestamp()
        digest = token_hash(token)
        if token.startswith(KIOSK_PREFIX):
            rows = self.db.query(
                "SELECT name, expires_ts, disabled FROM hall_kiosks WHERE token_hash = ?", digest
            )
            if not rows or rows[0]["disabled"]:
                raise AuthError("token_invalid", "终端凭证无效", "This kiosk token is not valid")
            if rows[0]["expires_ts"] <= ts:
                raise AuthError("token_expired", "终端凭证已过期", "This kiosk token has expired")
            return Principal("kiosk", rows[0]["name"])
        rows = self.db.query(
            "SELECT t.expires_ts, u.name, u.role, u.window, u.disabled FROM hall_tokens t"
            " JOIN hall_users u ON u.name = t.user_name WHERE t.token_hash = ?",
            digest,
        )
        if not rows or rows[0]["disabled"]:
            raise AuthError(
                "token_invalid", "登录凭证无效，请重新登录", "This login is not valid; log in again"
            )
        if rows[0]["expires_ts"] <= ts:
            raise AuthError("token_expired", "登录已过期，请重新登录", "Your login has expired; log in again")
        row = rows[0]
        return Principal(row["role"], row["name"], row["window"])
