"""tunectl status / tunectl.status() on copies of a fixture tree with --root/--state-dir: nothing
applied, one profile, two stacked, drift and missing files after an edit, an open transaction left
by a crash (and its recover command, pasted), the warnings plan and verify give meanwhile, and
that status reads only. Nothing here touches the live host."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import TUNECTL_BIN, run_cli

HOST = "vm"
SOMAXCONN = "proc/sys/net/core/somaxconn"
FIN_TIMEOUT = "proc/sys/net/ipv4/tcp_fin_timeout"
KEEPALIVE = "proc/sys/net/ipv4/tcp_keepalive_time"


@pytest.fixture
def setup(fixture_copy, tmp_path):
    root = fixture_copy(HOST)
    state = tmp_path / "state"
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"sysctl": {"net.core.somaxconn": 8192, "net.ipv4.tcp_fin_timeout": 30}}))
    second = tmp_path / "second.json"
    second.write_text(json.dumps({"sysctl": {"net.core.somaxconn": 16384, "net.ipv4.tcp_keepalive_time": 600}}))
    return root, state, first, second


def apply(root: Path, state: Path, profile: Path, env=None):
    r = run_cli("apply", "-p", str(profile), "--root", str(root), "--state-dir", str(state), "--yes", "--json", env=env)
    return r


def status(root: Path, state: Path):
    r = run_cli("status", "--root", str(root), "--state-dir", str(state), "--json")
    return r, json.loads(r.out)


def files_state(*paths: Path) -> dict:
    """Every file under the given dirs with its bytes and mode."""
    out = {}
    for base in paths:
        for dirpath, _, filenames in os.walk(base):
            for name in filenames:
                p = Path(dirpath) / name
                out[str(p)] = (p.lstat().st_mode, p.read_bytes() if not p.is_symlink() else os.readlink(p))
    return out


def test_nothing_applied_is_ok_and_creates_no_state_dir(setup):
    root, state, _, _ = setup
    r, s = status(root, state)
    assert r.rc == 0, r
    assert s["schema"] == "tunectl.status/1" and s["root"] == str(root) and s["state_dir"] == str(state)
    assert s["stack"] == [] and s["open"] == [] and s["corrupt"] == [] and s["matches"] is True
    assert s["reboot_pending"] is False and "boot-time" in s["reboot_note"]
    assert s["exit_code"] == 0
    assert not state.exists(), "status must not create the state dir"
    text = run_cli("status", "--root", str(root), "--state-dir", str(state))
    assert text.rc == 0 and "no transaction in effect" in text.out and "reboot pending: no" in text.out


def test_one_profile_applied_matches_and_status_writes_nothing(setup):
    root, state, first, _ = setup
    tx = apply(root, state, first)
    assert tx.rc == 0, tx
    before = files_state(root, state)
    r, s = status(root, state)
    assert r.rc == 0, r
    assert [e["id"] for e in s["stack"]] == [tx.json()["id"]]
    entry = s["stack"][0]
    assert entry["profile"] == "first" and entry["knobs"] == 2 and entry["applied_at"]
    assert entry["profile_digest"] == tx.json()["profile_digest"]
    checks = {c["knob"]: c for c in entry["checks"]}
    assert checks["sysctl:net.core.somaxconn"]["status"] == "ok"
    assert checks["sysctl:net.core.somaxconn"]["written"] == "8192"
    assert checks["sysctl:net.core.somaxconn"]["current"].strip() == "8192"
    assert checks["sysctl:net.ipv4.tcp_fin_timeout"]["status"] == "ok"
    assert s["summary"] == {"ok": 2}
    assert files_state(root, state) == before, "status changed a file"
    # Works with the profile file gone: it reads the journal only.
    first.unlink()
    assert status(root, state)[0].rc == 0


def test_two_profiles_stack_and_the_later_one_supersedes(setup):
    root, state, first, second = setup
    a, b = apply(root, state, first), apply(root, state, second)
    assert a.rc == 0 and b.rc == 0, (a, b)
    r, s = status(root, state)
    assert r.rc == 0, r
    assert [e["profile"] for e in s["stack"]] == ["first", "second"]
    assert s["stack"][0]["seq"] < s["stack"][1]["seq"]
    old = {c["knob"]: c for c in s["stack"][0]["checks"]}
    new = {c["knob"]: c for c in s["stack"][1]["checks"]}
    assert old["sysctl:net.core.somaxconn"]["status"] == "superseded"
    assert b.json()["id"] in old["sysctl:net.core.somaxconn"]["detail"]
    assert old["sysctl:net.ipv4.tcp_fin_timeout"]["status"] == "ok"
    assert new["sysctl:net.core.somaxconn"]["status"] == "ok" and new["sysctl:net.ipv4.tcp_keepalive_time"]["status"] == "ok"
    text = run_cli("status", "--root", str(root), "--state-dir", str(state))
    assert text.rc == 0 and "1. transaction " + a.json()["id"] in text.out
    assert "2. transaction " + b.json()["id"] in text.out and "on top of " + a.json()["id"] in text.out
    # Rolled back, the second leaves the stack.
    assert run_cli("rollback", "--root", str(root), "--state-dir", str(state)).rc == 0
    r, s = status(root, state)
    assert r.rc == 0 and [e["profile"] for e in s["stack"]] == ["first"], s
    assert {c["status"] for c in s["stack"][0]["checks"]} == {"ok"}


def test_drift_and_missing_after_editing_the_tree(setup):
    root, state, first, _ = setup
    assert apply(root, state, first).rc == 0
    (root / SOMAXCONN).write_text("1234\n")
    (root / FIN_TIMEOUT).unlink()
    r, s = status(root, state)
    assert r.rc == 1, r
    assert s["matches"] is False and s["exit_code"] == 1
    checks = {c["knob"]: c for c in s["stack"][0]["checks"]}
    assert checks["sysctl:net.core.somaxconn"]["status"] == "drift"
    assert checks["sysctl:net.core.somaxconn"]["current"] == "1234\n"
    assert checks["sysctl:net.ipv4.tcp_fin_timeout"]["status"] == "missing"
    assert checks["sysctl:net.ipv4.tcp_fin_timeout"]["current"] is None
    assert s["summary"] == {"drift": 1, "missing": 1}
    text = run_cli("status", "--root", str(root), "--state-dir", str(state))
    assert text.rc == 1 and "DRIFT" in text.out and "1234" in text.out


def test_open_transaction_is_reported_with_a_recover_command_that_works(setup):
    root, state, first, _ = setup
    original = (root / SOMAXCONN).read_bytes(), (root / FIN_TIMEOUT).read_bytes()
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="exit")
    crashed = apply(root, state, first, env=env)
    assert crashed.rc != 0, crashed
    r, s = status(root, state)
    assert r.rc == 6, r
    assert s["stack"] == [] and len(s["open"]) == 1 and s["exit_code"] == 6
    op = s["open"][0]
    assert op["profile"] == "first" and op["attempted"] == 1
    argv = shlex.split(op["recover"])
    assert argv[:4] == ["tunectl", "rollback", "--to", op["id"]]
    assert argv[4:] == ["--root", str(root), "--state-dir", str(state)]
    text = run_cli("status", "--root", str(root), "--state-dir", str(state))
    assert text.rc == 6 and "OPEN: transaction " + op["id"] in text.out and op["recover"] in text.out

    # plan and verify warn meanwhile (stderr, and "warnings" in --json), and still succeed.
    for verb in ("plan", "verify"):
        v = run_cli(verb, "-p", str(first), "--root", str(root), "--state-dir", str(state), "--json")
        assert v.rc in (0, 1), v
        warnings = json.loads(v.out)["warnings"]
        assert len(warnings) == 1 and op["id"] in warnings[0] and op["recover"] in warnings[0]
        assert f"tunectl {verb}: warning: transaction {op['id']}" in v.err

    back = subprocess.run([TUNECTL_BIN, *argv[1:]], capture_output=True, text=True)
    assert back.returncode == 0, back.stderr
    assert ((root / SOMAXCONN).read_bytes(), (root / FIN_TIMEOUT).read_bytes()) == original
    r, s = status(root, state)
    assert r.rc == 0 and s["open"] == [] and s["stack"] == [], s
    v = run_cli("plan", "-p", str(first), "--root", str(root), "--state-dir", str(state), "--json")
    assert v.rc == 0 and v.json()["warnings"] == [] and "warning" not in v.err


def test_corrupt_journal_is_reported_not_fatal(setup):
    root, state, first, _ = setup
    assert apply(root, state, first).rc == 0
    bad = state / "transactions" / "20990101T000000Z-dead.journal"
    bad.write_text('{"schema": "tunectl.journal/2", "id": ')
    bad.chmod(0o600)
    r, s = status(root, state)
    assert r.rc == 6, r
    assert [c["id"] for c in s["corrupt"]] == ["20990101T000000Z-dead"] and s["corrupt"][0]["error"]
    assert [e["profile"] for e in s["stack"]] == ["first"]


def test_python_status_matches_the_cli(setup):
    root, state, first, second = setup
    assert apply(root, state, first).rc == 0 and apply(root, state, second).rc == 0
    import tunectl
    st = tunectl.status(root=str(root), state_dir=str(state))
    assert isinstance(st, tunectl.Status) and st.ok
    assert st.to_dict() == status(root, state)[1]
    assert [e.profile for e in st.stack] == ["first", "second"]
