"""What tunectl promises as a root tool, through the CLI (tests/security.md maps each promise to its
test): a captured tree confines every read and write, a --root that is the live / in disguise is
refused, and a state dir whose lock, transactions dir or own permissions could be turned against
root is refused before anything is written. Nothing here changes the live host: the one apply that
would reach it if the refusal broke runs a net-sysctl-only profile inside `unshare -n`.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import TUNECTL_BIN, run_cli
from test_crash_safety import NET_PROFILE

pytestmark = pytest.mark.usefixtures("as_root")  # an attack on root is only real as root

DISGUISE_MSG = "is the live host's /"


def chain(tree: Path, rel: str, n: int, target: str) -> None:
    """Replaces tree/rel by n symlinks rel -> rel.l2 -> ... -> rel.ln -> target."""
    first = tree / rel
    if first.exists() or first.is_symlink():
        first.unlink()
    names = [first.name] + [f"{first.name}.l{i}" for i in range(2, n + 1)]
    for i, name in enumerate(names):
        (first.parent / name).symlink_to(names[i + 1] if i + 1 < n else target)


@pytest.fixture
def secret(tmp_path) -> Path:
    """A root-only file outside every tree, which no tree operation may read or change."""
    d = tmp_path / "outside"
    d.mkdir()
    f = d / "secret"
    f.write_text("SECRET-6.6.6-outside\n")
    f.chmod(0o600)
    return f


# --- 1. a captured tree confines reads and writes -------------------------------------------------

def test_a_41_link_chain_out_of_a_tree_is_neither_written_nor_read(fixture_copy, tmp_path, secret):
    root = fixture_copy("vm")
    chain(root, "proc/sys/net/core/busy_read", 41, str(secret))
    chain(root, "proc/sys/kernel/osrelease", 41, str(secret))
    r = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(tmp_path / "state"), "--yes",
                "--json")
    assert secret.read_text() == "SECRET-6.6.6-outside\n", r
    # The chained knob cannot be read (ELOOP, as the kernel says), so it is skipped, never written.
    assert r.rc == 0, r
    [skipped] = [k for k in r.json()["skipped"] if k["knob"] == "sysctl:net.core.busy_read"]
    assert "Too many levels of symbolic links" in json.dumps(skipped)
    probe = run_cli("probe", "--root", str(root), "--json")
    assert probe.rc == 0, probe
    assert "SECRET" not in probe.out
    assert probe.json()["host"]["kernel"] != "SECRET-6.6.6-outside"
    assert secret.read_text() == "SECRET-6.6.6-outside\n"


def test_an_absolute_link_in_a_tree_is_taken_inside_the_tree(fixture_copy, tmp_path, secret):
    root = fixture_copy("vm")
    knob = root / "proc/sys/net/core/busy_read"
    knob.unlink()
    knob.symlink_to(secret)  # means <tree>/<secret's path>: created there, it is what gets tuned
    mirror = root / str(secret).lstrip("/")
    mirror.parent.mkdir(parents=True)
    mirror.write_text("0\n")
    r = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(tmp_path / "state"), "--yes",
                "--json")
    assert r.rc == 0, r
    assert mirror.read_text() == "50\n"
    assert secret.read_text() == "SECRET-6.6.6-outside\n"
    assert run_cli("rollback", "--root", str(root), "--state-dir", str(tmp_path / "state")).rc == 0
    assert mirror.read_text() == "0\n"


# --- 2. a --root that is the live / in disguise ---------------------------------------------------

@pytest.mark.parametrize("verb", [["probe"], ["plan", "-p", "latency"], ["verify", "-p", "latency"],
                                  ["profiles", "list"], ["history"], ["apply", "-p", "latency", "--dry-run"]])
def test_a_root_that_resolves_to_slash_is_refused(tmp_path, verb):
    fake = tmp_path / "fake"
    fake.symlink_to("/")
    for spelling in (str(fake), str(fake) + "/", "//", "/."):
        r = run_cli(*verb, "--root", spelling, "--state-dir", str(tmp_path / "state")) if verb == ["history"] \
            else run_cli(*verb, "--root", spelling)
        assert r.rc == 2, (spelling, r)
        assert DISGUISE_MSG in r.err and len(r.err.strip().splitlines()) == 1, (spelling, r)
        assert r.out == ""
    assert not (tmp_path / "state").exists()


def test_apply_to_a_disguised_root_is_refused_before_anything_is_written(tmp_path):
    # Were the refusal to break, this would apply to the live host: a net-only profile in a private
    # network namespace keeps even that harmless.
    fake = tmp_path / "fake"
    fake.symlink_to("/")
    profile = tmp_path / "net.json"
    profile.write_text(json.dumps(NET_PROFILE))
    state = tmp_path / "state"
    r = subprocess.run(["unshare", "-n", TUNECTL_BIN, "apply", "-p", str(profile), "--root", str(fake), "--yes",
                        "--state-dir", str(state)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr
    assert DISGUISE_MSG in r.stderr
    assert not state.exists()
    rb = run_cli("rollback", "--root", str(fake), "--state-dir", str(state))
    assert rb.rc == 2 and DISGUISE_MSG in rb.err, rb


def test_output_says_live_host_or_tree(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    assert "tree " + str(root) in run_cli("probe", "--root", str(root)).out
    assert "for tree " + str(root) in run_cli("plan", "-p", "latency", "--root", str(root)).out
    assert "on tree " + str(root) in run_cli("verify", "-p", "latency", "--root", str(root)).out
    applied = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(tmp_path / "s"), "--yes")
    assert applied.rc == 0 and "tree " + str(root) in applied.out, applied
    back = run_cli("rollback", "--root", str(root), "--state-dir", str(tmp_path / "s"))
    assert back.rc == 0 and "tree " + str(root) in back.out, back
    live = run_cli("probe", "--root", "/", "--only", "thp")
    assert live.rc == 0 and ", live host, " in live.out.splitlines()[0], live
    assert "for live host" in run_cli("plan", "-p", "latency").out


# --- 3. the state dir ------------------------------------------------------------------------------

def apply_tree(root: Path, state: Path) -> "object":
    return run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes")


def test_a_lock_symlink_is_refused_and_its_target_unchanged(fixture_copy, tmp_path, secret):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / "lock").symlink_to(secret)
    before = (root / "proc/sys/net/core/busy_read").read_bytes()
    for r in (apply_tree(root, state), run_cli("rollback", "--root", str(root), "--state-dir", str(state))):
        assert r.rc == 3, r
        assert f"{state}/lock is a symlink" in r.err
    assert secret.read_text() == "SECRET-6.6.6-outside\n"
    assert (root / "proc/sys/net/core/busy_read").read_bytes() == before


def test_a_dangling_lock_symlink_is_refused_and_creates_nothing(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    planted = tmp_path / "planted"
    (state / "lock").symlink_to(planted)
    r = apply_tree(root, state)
    assert r.rc == 3, r
    assert not planted.exists() and not planted.is_symlink()


def test_a_transactions_symlink_is_refused(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (state / "transactions").symlink_to(elsewhere)
    before = (root / "proc/sys/net/core/busy_read").read_bytes()
    r = apply_tree(root, state)
    assert r.rc == 3, r
    assert f"{state}/transactions is a symlink" in r.err
    assert list(elsewhere.iterdir()) == []
    assert (root / "proc/sys/net/core/busy_read").read_bytes() == before
    h = run_cli("history", "--root", str(root), "--state-dir", str(state))
    assert h.rc == 3 and "is a symlink" in h.err, h


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o1777])
def test_a_state_dir_others_can_write_is_refused(fixture_copy, tmp_path, mode):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, mode)
    r = apply_tree(root, state)
    assert r.rc == 3, r
    assert f"state dir {state} is writable by group or others" in r.err
    assert list(state.iterdir()) == []


def test_a_state_dir_that_is_a_symlink_is_refused(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    alias = tmp_path / "alias"
    alias.symlink_to(real)
    r = apply_tree(root, alias)
    assert r.rc == 3, r
    assert f"state dir {alias} is a symlink" in r.err
    assert list(real.iterdir()) == []


def test_a_new_state_dir_is_made_0700_and_pytest_tmp_dirs_pass_the_rule(fixture_copy, tmp_path):
    assert (tmp_path.stat().st_mode & 0o022) == 0 and tmp_path.stat().st_uid == 0  # what the other suites rely on
    root = fixture_copy("vm")
    state = tmp_path / "a" / "state"
    assert apply_tree(root, state).rc == 0
    assert (state.stat().st_mode & 0o7777) == 0o700
    assert ((state / "transactions").stat().st_mode & 0o7777) == 0o700
