"""Accounts: scrypt passwords, login tokens, the slowdown of repeated bad logins, and the CLI."""

from __future__ import annotations

import io
import sys

import pytest

from onevisit.db import schema
from onevisit.hall.stores.accounts import AccountError, check_password, hash_password, token_hash
from tests.conftest import both_engines

pytestmark = both_engines

PASSWORD = "correct-horse"


def test_passwords_are_salted_scrypt(app):
    a, b = hash_password("same password"), hash_password("same password")
    assert a != b and a.startswith("scrypt$")
    assert check_password("same password", a) and not check_password("same passworD", a)
    store = app.state.hall.accounts
    store.add_user("wang", "staff", PASSWORD, window=1)
    row = store.db.query("SELECT password_hash FROM hall_users WHERE name = 'wang'")[0]
    assert PASSWORD not in row["password_hash"]


def test_tokens_are_stored_only_as_hashes(app, client):
    store = app.state.hall.accounts
    store.add_user("wang", "staff", PASSWORD, window=1)
    kiosk = store.add_kiosk("kiosk-1")
    token = client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD}).json()["token"]
    db = app.state.hall.db
    dump = "\n".join(
        repr(row) for table in (schema.hall_tokens, schema.hall_kiosks) for row in db.query(table.select())
    )
    assert token not in dump and kiosk not in dump
    assert token_hash(token) in dump and token_hash(kiosk) in dump


@pytest.mark.parametrize(
    ("name", "role", "window", "password", "code"),
    [
        ("wang", "staff", None, PASSWORD, "window_required"),
        ("wang", "staff", 99, PASSWORD, "unknown_window"),
        ("zhao", "supervisor", 1, PASSWORD, "window_not_allowed"),
        ("wang", "staff", 1, "12345", "weak_password"),
        ("wang li", "staff", 1, PASSWORD, "invalid_user_name"),
        ("x", "janitor", None, PASSWORD, "invalid_role"),
    ],
)
def test_bad_accounts_are_refused(app, name, role, window, password, code):
    with pytest.raises(AccountError) as refused:
        app.state.hall.accounts.add_user(name, role, password, window=window)
    assert refused.value.code == code
    assert app.state.hall.accounts.users() == []


def test_duplicate_user_is_refused(app):
    store = app.state.hall.accounts
    store.add_user("wang", "staff", PASSWORD, window=1)
    with pytest.raises(AccountError) as refused:
        store.add_user("WANG", "staff", PASSWORD, window=2)
    assert refused.value.code == "user_exists"


def test_login_answers(client, app):
    app.state.hall.accounts.add_user("wang", "staff", PASSWORD, window=1)
    ok = client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.json()["role"] == "staff" and ok.json()["window"] == 1
    assert ok.json()["expires_at"] == "2026-11-23T17:00:00+08:00"  # 09:00 + 480 minutes
    for body in ({"username": "wang", "password": "wrong"}, {"username": "nobody", "password": PASSWORD}):
        r = client.post("/api/auth/login", json=body)
        assert r.status_code == 401
        # The same answer for an unknown name and a wrong password: no probing for user names.
        assert r.json()["error"]["code"] == "bad_credentials"


def test_repeated_bad_logins_lock_out_that_name_for_a_while(client, app, clock, hall_config):
    app.state.hall.accounts.add_user("wang", "staff", PASSWORD, window=1)
    app.state.hall.accounts.add_user("li", "staff", PASSWORD, window=2)
    limit = hall_config.security.login_max_failures
    for _ in range(limit - 1):
        r = client.post("/api/auth/login", json={"username": "wang", "password": "guess"})
        assert r.status_code == 401
    locked = client.post("/api/auth/login", json={"username": "wang", "password": "guess"})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "login_locked"
    assert int(locked.headers["retry-after"]) == hall_config.security.login_lockout_seconds
    # Even the right password waits out the lockout …
    right = client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD})
    assert right.status_code == 429
    # … while another account from the same place is not affected.
    assert client.post("/api/auth/login", json={"username": "li", "password": PASSWORD}).status_code == 200
    clock.advance(seconds=hall_config.security.login_lockout_seconds + 1)
    assert client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD}).status_code == 200


def test_a_new_password_ends_old_sessions(client, app):
    store = app.state.hall.accounts
    store.add_user("wang", "staff", PASSWORD, window=1)
    token = client.post("/api/auth/login", json={"username": "wang", "password": PASSWORD}).json()["token"]
    store.set_password("wang", "another-password")
    assert client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `onevisit ...` in this process (the same main() the console script calls)."""
    from onevisit.commands.main import main

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_cli_users_and_kiosks(db_target, hall_config, clock, cli, capsys):
    # The commands read the repository's config.toml: on PostgreSQL its hall code names the schema.
    from onevisit.core.config import load_config
    from tests.conftest import REPO

    db = db_target
    hall_code = load_config(REPO / "config.toml").hall.code
    code, _, err = cli(
        "users",
        "add",
        "--db",
        db,
        "--role",
        "staff",
        "--name",
        "wang",
        "--window",
        "3",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    code, _, err = cli("users", "add", "--db", db, "--role", "staff", "--name", "li", stdin=PASSWORD + "\n")
    assert code != 0 and "window_required" in err
    with pytest.raises(SystemExit) as nothing_piped:  # run from a script without the password
        cli("users", "add", "--db", db, "--role", "supervisor", "--name", "zhao", stdin="")
    assert nothing_piped.value.code == 2 and "no password on stdin" in capsys.readouterr().err
    code, out, err = cli("kiosks", "add", "--db", db, "kiosk-7")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("ovk_") and "shown only once" in err
    code, out, _ = cli("users", "list", "--db", db)
    assert '"wang"' in out and PASSWORD not in out

    from onevisit.db import open_database
    from onevisit.hall.stores.accounts import AccountStore

    store = AccountStore(open_database(db, hall_code=hall_code), hall_config, clock)
    assert store.authenticate(token).actor == "kiosk:kiosk-7"
    session = store.login("wang", PASSWORD, "127.0.0.1")
    assert (session.principal.role, session.principal.window) == ("staff", 3)
