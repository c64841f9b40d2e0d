"""The records commands through `onevisit`'s own entry point."""

from __future__ import annotations

import json

from onevisit.commands.main import main
from onevisit.sim.records.demo_backend import demo_id


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cfg(records_config) -> list[str]:
    return ["--config", str(records_config.base_dir / "config.toml")]


def test_list_masks_ids_unless_asked(records_config, capsys):
    code, out, _ = run(capsys, "records", "list", *cfg(records_config))
    assert code == 0 and "330106********2310  张建国" in out and "330106197503142310" not in out
    code, out, _ = run(capsys, "records", "list", "--json", "--show-ids", *cfg(records_config))
    people = json.loads(out)
    assert len(people) == 9 and people[0]["id_number"] == "330106197503142310"


def test_print_to_files_then_verify_image_and_payload(records_config, capsys, tmp_path):
    out_dir = tmp_path / "out"
    code, out, _ = run(
        capsys,
        "cert",
        "print",
        "--id",
        demo_id("gap").value,
        "--months",
        "36",
        "--out",
        str(out_dir),
        *cfg(records_config),
    )
    assert code == 0
    result = json.loads(out)
    last_page = sorted(out_dir.glob("*.png"))[-1]
    code, out, _ = run(capsys, "verify-cert", "--image", str(last_page), *cfg(records_config))
    assert code == 0 and json.loads(out)["certificate"]["serial"] == result["serial"]
    payload = json.loads(out)
    code, keys_out, _ = run(capsys, "keys", "show", *cfg(records_config))
    public = json.loads(keys_out)["public_key"]
    # Offline with only the public key (another machine's config would have no key at all).
    from onevisit.records.issue import decode_qr

    qr = decode_qr(last_page)[0]
    code, out, _ = run(capsys, "verify-cert", "--payload", qr, "--public-key", public, *cfg(records_config))
    assert code == 0
    broken = qr[:-3] + ("A" if qr[-3] != "A" else "B") + qr[-2:]
    code, out, err = run(capsys, "verify-cert", "--payload", broken, *cfg(records_config))
    assert code == 1 and json.loads(out)["valid"] is False and "INVALID" in err
    code, out, _ = run(
        capsys,
        "verify-cert",
        "--serial",
        result["serial"],
        "--code",
        payload["verification_code"],
        *cfg(records_config),
    )
    assert code == 0


def test_print_refusals_write_nothing(records_config, capsys, tmp_path):
    out_dir = tmp_path / "out"
    for who in ("370102199001011231", "12345", "440305196211305072"):
        code, out, err = run(
            capsys, "cert", "print", "--id", who, "--out", str(out_dir), *cfg(records_config)
        )
        assert code == 2 and out == "" and "error" in err
        assert who not in err or len(who) < 18
    assert not out_dir.exists()


def test_fault_offline_and_online(records_config, capsys, tmp_path):
    code, _, _ = run(capsys, "records", "fault", "offline", *cfg(records_config))
    assert code == 0
    code, _out, err = run(
        capsys,
        "cert",
        "print",
        "--id",
        demo_id("gap").value,
        "--out",
        str(tmp_path / "o"),
        *cfg(records_config),
    )
    assert code == 2 and "records_unavailable" in err and not (tmp_path / "o").exists()
    code, _, _ = run(capsys, "records", "fault", "online", *cfg(records_config))
    code, _out, _ = run(
        capsys,
        "cert",
        "print",
        "--id",
        demo_id("gap").value,
        "--out",
        str(tmp_path / "o"),
        *cfg(records_config),
    )
    assert code == 0
