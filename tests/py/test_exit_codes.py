"""One code per meaning: a held lock (5, or --wait), an open transaction (6), nothing to do (0),
and every code documented in `tunectl --help`, the verbs' --help and the README."""
from __future__ import annotations

import fcntl
import os
import re
import subprocess
import threading
import time

import pytest
import tunectl

from conftest import SOURCE_DIR, run_cli


def apply(root, state, *extra, env=None):
    return run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes", *extra, env=env)


class HeldLock:
    """Holds <state>/lock the way another tunectl would (flock on the same file)."""

    def __init__(self, state):
        state.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        os.pwrite(self.fd, b"4242\n", 0)

    def release(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def test_a_held_lock_is_exit_5_with_its_own_json_kind(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    lock = HeldLock(state)
    try:
        for verb_args in (["apply", "-p", "latency", "--yes"], ["rollback"]):
            r = run_cli(*verb_args, "--root", str(root), "--state-dir", str(state), "--json")
            assert r.rc == 5, r
            err = r.json()["error"]
            assert err["code"] == 5 and err["kind"] == "lock-held" and "pid 4242" in err["message"], err
            assert "--wait" in r.err
        waited = apply(root, state, "--wait=0.5")
        assert waited.rc == 5 and "after waiting" in waited.err, waited
        with pytest.raises(tunectl.LockHeld) as e:
            tunectl.apply("latency", root=root, state_dir=state)
        assert e.value.exit_code == 5 and isinstance(e.value, tunectl.TransactionError)
    finally:
        lock.release()
    assert not (state / "transactions").exists()  # refused before the journal


def test_wait_takes_the_lock_once_it_is_released_and_then_applies(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    lock = HeldLock(state)
    timer = threading.Timer(1.0, lock.release)
    timer.start()
    try:
        started = time.monotonic()
        r = apply(root, state, "--wait", "--json")
        waited = time.monotonic() - started
    finally:
        timer.cancel()
        lock.release()
    assert r.rc == 0 and r.json()["state"] == "applied", r
    assert waited >= 0.9, "apply went ahead while the lock was held"
    assert run_cli("rollback", "--root", str(root), "--state-dir", str(state), "--wait=5").rc == 0


def test_bad_wait_values_are_usage_errors(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    r = apply(root, tmp_path / "state", "--wait=-1")
    assert r.rc == 2 and "--wait" in r.err, r
    with pytest.raises(tunectl.InputError, match="wait must be"):
        tunectl.apply("latency", root=root, state_dir=tmp_path / "state", wait="soon")


def test_an_open_transaction_is_exit_6_for_apply_and_status(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="exit")
    assert apply(root, state, env=env).rc == 86
    r = apply(root, state, "--json")
    assert r.rc == 6, r
    assert r.json()["error"]["kind"] == "open-transaction"
    assert run_cli("status", "--root", str(root), "--state-dir", str(state)).rc == 6
    with pytest.raises(tunectl.OpenTransaction) as e:
        tunectl.apply("latency", root=root, state_dir=state)
    assert e.value.exit_code == 6
    assert apply(root, state, "--recover").rc == 0  # recovering is the way out
    assert run_cli("rollback", "--root", str(root), "--state-dir", str(state)).rc == 0


def documented_codes(text: str) -> set[int]:
    return {int(c) for c in re.findall(r"(?<![\w.-])(\d{1,3}) (?=\w)", text)} & {0, 1, 2, 3, 4, 5, 6, 7, 130}


def test_every_code_is_documented_in_help_and_readme():
    top = run_cli("--help")
    assert top.rc == 0
    assert documented_codes(top.out.split("exit codes:")[1]) == {0, 1, 2, 3, 4, 5, 6, 7, 130}, top.out
    apply_help = run_cli("apply", "--help").out.split("exit:")[1]
    assert documented_codes(apply_help) >= {0, 1, 2, 3, 4, 5, 6}, apply_help
    assert {5} <= documented_codes(run_cli("rollback", "--help").out.split("exit:")[1])
    assert {6} <= documented_codes(run_cli("status", "--help").out.split("exit:")[1])
    readme = (SOURCE_DIR / "README.md").read_text()
    rows = re.findall(r"^\| (\d+) \| ", readme, re.M)
    assert {0, 1, 2, 3, 4, 5, 6, 7, 130} <= {int(r) for r in rows}, rows


def test_python_exceptions_carry_the_cli_code_and_where(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"sysctl": {"net.ipv4.tcp_fin_timeout": -5}}')
    with pytest.raises(tunectl.ProfileError) as e:
        tunectl.plan(bad, root=SOURCE_DIR / "tests/fixtures/hosts/vm")
    assert e.value.exit_code == 2
    assert e.value.file == str(bad) and e.value.pointer == "/sysctl/net.ipv4.tcp_fin_timeout"
    assert e.value.knob == "sysctl:net.ipv4.tcp_fin_timeout"
    cli = run_cli("plan", "-p", str(bad), "--root", str(SOURCE_DIR / "tests/fixtures/hosts/vm"), "--json")
    assert cli.rc == e.value.exit_code and cli.json()["error"]["pointer"] == e.value.pointer
    # Class defaults, for exceptions raised by the Python layer itself.
    assert (tunectl.Error.exit_code, tunectl.NotPermitted.exit_code, tunectl.ApplyError.exit_code,
            tunectl.LockHeld.exit_code, tunectl.OpenTransaction.exit_code, tunectl.PlanRefused.exit_code) == (
        2, 3, 4, 5, 6, 1)
    for cls in (tunectl.Error, tunectl.LockHeld, tunectl.PlanRefused):
        assert cls.__doc__ and "exit_code" in (cls.__doc__ + tunectl.Error.__doc__)
    # Messages speak of a root, not of a CLI option.
    with pytest.raises(tunectl.InputError) as nope:
        tunectl.plan("latency", root="/nope")
    assert str(nope.value) == "root '/nope' is not a directory"


def test_a_knob_the_planner_refuses_is_named_in_the_json_error(tmp_path):
    p = tmp_path / "p.json"
    p.write_text('{"cgroups": {"/x.slice": {"cpu.maxx": "1 2"}}}')
    r = run_cli("plan", "-p", str(p), "--root", str(SOURCE_DIR / "tests/fixtures/hosts/metal-2s-mlx5-k8s"), "--json")
    assert r.rc == 2, r
    err = r.json()["error"]
    assert err["file"] == str(p) and err["pointer"] == "/cgroups/~1x.slice/cpu.maxx", err
    assert err["knob"] == "cgroup:/x.slice:cpu.maxx", err
    q = tmp_path / "q.json"
    q.write_text('{"sysctl": {"net.ipv4.tcp_fin_timeout": -5}}')
    e = run_cli("plan", "-p", str(q), "--root", str(SOURCE_DIR / "tests/fixtures/hosts/vm"), "--json").json()["error"]
    assert e["knob"] == "sysctl:net.ipv4.tcp_fin_timeout" and e["pointer"] == "/sysctl/net.ipv4.tcp_fin_timeout", e
    with pytest.raises(tunectl.ProfileError) as py:
        tunectl.load_profile(q)
    assert py.value.knob == "sysctl:net.ipv4.tcp_fin_timeout"
