"""Rollback checks what it restores (issue 9, findings 5 and 7): a rollback from another network
namespace is refused (never written into the wrong one); a renamed IRQ refuses the whole rollback
until --force; a record from an earlier boot is closed without writing, by rollback and by apply
--recover. Namespaces are named uniquely and always deleted; net sysctls change only inside them.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

import tunectl
from conftest import TUNECTL_BIN, run_cli
from test_apply_rollback import apply, fault_env, journals, record_state, rollback, tree_state
from test_crash_safety import NET_PROFILE, NET_SYSCTLS, host_sysctls

BOOT_ID = "proc/sys/kernel/random/boot_id"
IRQ_PROFILE = {
    "description": "identity test: one IRQ and one sysctl",
    "sysctl": {"net.ipv4.tcp_fin_timeout": 17},
    "irq": {"policy": "pin", "map": {"38": "0"}},
}


def set_boot_id(root: Path, boot_id: str) -> None:
    """The fixture trees have no boot id: a tree copy gets one (the host's "boot")."""
    (root / BOOT_ID).parent.mkdir(parents=True, exist_ok=True)
    (root / BOOT_ID).write_text(boot_id + "\n")


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def sysctls_in(ns: str) -> dict:
    script = "; ".join(f"cat /proc/sys/{n.replace('.', '/')}" for n in NET_SYSCTLS)
    out = subprocess.run(["ip", "netns", "exec", ns, "sh", "-c", script], capture_output=True, text=True, check=True)
    return dict(zip(NET_SYSCTLS, out.stdout.split("\n")))


@pytest.fixture
def two_netns():
    """Two fresh named network namespaces (unique names), deleted whatever happens."""
    names = [f"tunectl-id-{c}-{uuid.uuid4().hex[:8]}" for c in "ab"]
    made = []
    try:
        for n in names:
            subprocess.run(["ip", "netns", "add", n], check=True)
            made.append(n)
        yield names
    finally:
        for n in made:
            subprocess.run(["ip", "netns", "delete", n], check=False)
        assert not any(Path("/run/netns", n).exists() for n in names)


@pytest.mark.usefixtures("as_root")
def test_a_rollback_from_another_netns_is_refused_and_names_the_one_to_use(tmp_path, two_netns):
    a, b = two_netns
    profile = write_json(tmp_path / "net.json", NET_PROFILE)
    state = tmp_path / "state"
    host_before = host_sysctls()
    a_before, b_before = sysctls_in(a), sysctls_in(b)

    def in_ns(ns, *args):  # ns None: the host's own namespace
        return subprocess.run([*(["ip", "netns", "exec", ns] if ns else []), TUNECTL_BIN, *args],
                              capture_output=True, text=True, timeout=120)

    r = in_ns(a, "apply", "-p", str(profile), "--state-dir", str(state), "--yes", "--json")
    assert r.returncode == 0, r.stderr
    a_applied = sysctls_in(a)
    assert a_applied == {n: str(v) for n, v in NET_PROFILE["sysctl"].items()}
    [rec] = journals(state)
    ino = os.stat(f"/run/netns/{a}").st_ino
    assert rec["header"]["identity"]["netns"]["ino"] == ino

    # From namespace B, and from the host's namespace, with or without --force: refused, nothing written.
    for ns, extra in ((b, ()), (b, ("--force",)), (None, ())):
        back = in_ns(ns, "rollback", "--state-dir", str(state), *extra)
        assert back.returncode == 2, (ns, extra, back.stdout, back.stderr)
        err = back.stderr.strip()
        assert len(err.splitlines()) == 1, err
        assert f"network namespace net:[{ino}]" in err and "nothing written" in err, err
        assert f"ip netns exec {a} tunectl rollback" in err, err
        assert sysctls_in(a) == a_applied and sysctls_in(b) == b_before and host_sysctls() == host_before
        assert record_state(journals(state)[0]) == "applied"

    # In namespace A it rolls back.
    back = in_ns(a, "rollback", "--state-dir", str(state))
    assert back.returncode == 0, back.stderr
    assert sysctls_in(a) == a_before and sysctls_in(b) == b_before and host_sysctls() == host_before


@pytest.mark.usefixtures("as_root")
def test_apply_recover_from_another_netns_is_refused_too(tmp_path, two_netns):
    a, b = two_netns
    profile = write_json(tmp_path / "net.json", NET_PROFILE)
    state = tmp_path / "state"
    crashed = subprocess.run(["ip", "netns", "exec", a, TUNECTL_BIN, "apply", "-p", str(profile), "--state-dir",
                              str(state), "--yes"], capture_output=True, text=True, env=fault_env(2, "exit"))
    assert crashed.returncode == 86, crashed.stderr
    a_crashed = sysctls_in(a)
    r = subprocess.run(["ip", "netns", "exec", b, TUNECTL_BIN, "apply", "-p", str(profile), "--state-dir", str(state),
                        "--yes", "--recover"], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr
    assert f"ip netns exec {a} tunectl rollback" in r.stderr, r.stderr
    assert sysctls_in(a) == a_crashed and record_state(journals(state)[0]) == "open" and len(journals(state)) == 1


def test_a_renamed_irq_refuses_the_rollback_until_force(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    profile = write_json(tmp_path / "irq.json", IRQ_PROFILE)
    original = tree_state(root)
    assert apply(root, state, str(profile)).rc == 0
    applied = tree_state(root)
    (root / "sys/kernel/irq/38/actions").chmod(0o644)
    (root / "sys/kernel/irq/38/actions").write_text("nvme0q3\n")

    r = rollback(root, state)
    assert r.rc == 2, r
    assert "irq:38:affinity: IRQ 38 was 'virtio2-input.0' on PCI-MSIX-0000:00:03.0 at apply, now it is 'nvme0q3'" in r.err
    assert "--force" in r.err and len(r.err.strip().splitlines()) == 1, r.err
    now = tree_state(root)
    assert [k for k in now if now[k] != applied[k]] == ["sys/kernel/irq/38/actions"]  # nothing restored

    # The Python API refuses the same way and takes force=.
    with pytest.raises(tunectl.TransactionError, match="nvme0q3"):
        tunectl.rollback(root=str(root), state_dir=str(state))
    [tx] = tunectl.rollback(root=str(root), state_dir=str(state), force=True)
    assert tx.state == "rolled-back" and tx.note is None
    now = tree_state(root)
    assert [k for k in now if now[k] != original[k]] == ["sys/kernel/irq/38/actions"]


def test_a_record_from_an_earlier_boot_is_closed_without_writing(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    set_boot_id(root, "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a")
    assert apply(root, state, "latency").rc == 0
    assert journals(state)[0]["header"]["identity"] == {"boot_id": "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a"}
    set_boot_id(root, "7f00c1d2-aaaa-4bbb-8ccc-123456789abc")
    applied = tree_state(root)

    human = run_cli("rollback", "--root", str(root), "--state-dir", str(state))
    assert human.rc == 0, human
    assert "rolled-back" in human.out and "the host rebooted since transaction" in human.out, human.out
    assert "nothing written, the record is closed" in human.out and "FOUND" not in human.out, human.out
    assert tree_state(root) == applied
    [rec] = journals(state)
    assert record_state(rec) == "rolled-back" and rec["events"][-1]["cause"] == "rollback: reboot"
    assert "already rolled back" in rollback(root, state).out


def test_force_restores_a_record_from_an_earlier_boot(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    set_boot_id(root, "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a")
    original = tree_state(root)
    assert apply(root, state, "latency").rc == 0
    set_boot_id(root, "7f00c1d2-aaaa-4bbb-8ccc-123456789abc")
    r = rollback(root, state, "--force")
    assert r.rc == 0, r
    [tx] = r.json()["rolled_back"]
    assert tx["state"] == "rolled-back" and tx["note"] is None
    now = tree_state(root)
    assert [k for k in now if now[k] != original[k]] == [BOOT_ID]


def test_an_open_record_from_an_earlier_boot_does_not_block_apply_recover(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    set_boot_id(root, "0b4d6e8a-1c2f-4e7b-9a55-3f1e2d3c4b5a")
    crashed = apply(root, state, "latency", env=fault_env(2, "exit"))
    assert crashed.rc == 86, crashed
    [rec] = journals(state)
    set_boot_id(root, "7f00c1d2-aaaa-4bbb-8ccc-123456789abc")
    r = apply(root, state, "latency", "--recover")
    assert r.rc == 0, r
    assert r.json()["recovered"] == [rec["header"]["id"]]
    old, new = journals(state)
    assert record_state(old) == "rolled-back" and old["events"][-1]["cause"] == "recover: reboot"
    assert not any(e["event"] in ("restored", "restore-failed") for e in old["events"])  # nothing written
    assert record_state(new) == "applied"
