"""`bash scripts/demo.sh` as a new user runs it: from a fresh clone (with ../shared beside it when
this machine has the face photos), it reaches "ready", prints every URL and account, serves every
page, shows every simulated device healthy on /maintenance, and stops everything on Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO, SHARED_FACES
from tests.hall.maintenance.conftest import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


@pytest.fixture
def clone(tmp_path):
    if not (REPO / ".git").exists() or not shutil.which("git"):
        pytest.skip("not a git checkout: nothing to clone")
    target = tmp_path / "onevisit"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(target)], check=True, timeout=120)
    if SHARED_FACES.is_dir():
        (tmp_path / "shared").symlink_to(SHARED_FACES.parent, target_is_directory=True)
    return target


def test_demo_from_a_fresh_clone(clone):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    # A session of its own, so Ctrl-C can reach the whole group as a terminal would send it.
    proc = subprocess.Popen(
        ["bash", "scripts/demo.sh", "--port", str(port)],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    banner: list[str] = []
    try:
        for line in proc.stdout:
            banner.append(line)
            if "Ctrl-C to stop" in line:
                break
        text = "".join(banner)
        assert "Demo ready" in text, text
        urls = sorted(set(re.findall(r"http://127\.0\.0\.1:\d+[^\s)]*", text)))
        pages = {u.split(str(port), 1)[1] or "/" for u in urls if f":{port}" in u}
        assert {
            "/",
            "/staff",
            "/display",
            "/rate?window=1",
            "/supervisor",
            "/maintenance",
            "/verify",
            "/openapi.json",
        } <= pages, pages
        for url in urls:
            if f":{port}" in url:
                r = httpx.get(url, timeout=10)
                assert r.status_code == 200, (url, r.status_code)
        accounts = dict(re.findall(r"^\s+(?:staff|supervisor|technician)\s+(\S+)\s+(\S+)$", text, re.M))
        assert {"staff1", "supervisor", "technician"} <= set(accounts)
        base = f"http://127.0.0.1:{port}"
        login = httpx.post(
            f"{base}/api/auth/login", json={"username": "technician", "password": accounts["technician"]}
        )
        tech = {"Authorization": f"Bearer {login.json()['token']}"}
        view = httpx.get(f"{base}/api/maintenance/overview", headers=tech).json()
        assert view["alerts"] == [], view["alerts"]
        [kiosk] = view["kiosks"]
        assert kiosk["kiosk"] == "demo-kiosk"
        assert {d["kind"]: d["state"] for d in kiosk["devices"]} == {
            "printer": "ok",
            "camera": "ok",
            "card_reader": "ok",
        }
        assert {b["state"] for b in view["boards"]["boards"]} == {"ok"} and len(view["boards"]["boards"]) == 7
        demo = clone / "var" / "demo"
        assert (
            (demo / "hall.db").is_file()
            and (demo / "config.toml").is_file()
            and (demo / "logs" / "hall.log").is_file()
        )
        if SHARED_FACES.is_dir():
            assert "certification can pass" in text and any((demo / "camera" / "clip").glob("*.jpg"))
        board_pid = int(re.search(r"pull the adapter: kill (\d+)", text).group(1))
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, rest
    assert "stopped" in rest
    with pytest.raises(ProcessLookupError):
        os.kill(board_pid, 0)
    assert not (clone / "var" / "demo" / "board-link").exists()
    assert not Path(clone / "var" / "demo" / "card-link").is_symlink()
