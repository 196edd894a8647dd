"""docs/python.md's and docs/provisioning.md's provisioning scripts, run exactly as written against
a copy of every fixture tree: they choose a profile by hardware, write a site profile, apply the
reviewed plan and verify it; the tree then rolls back to its original bytes."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import tunectl

from conftest import SOURCE_DIR, TUNECTL_BIN, fixture_host_names
from test_apply_rollback import tree_state
from test_exit_codes import HeldLock

# What the script must choose on each fixture tree, and why (its choose_profile rules).
EXPECTED_BASE = {
    "cloud-ena": "balanced",
    "intel-i40e-cgv1": "throughput",
    "metal-2s-mlx5-k8s": "container-host",
    "vm": "balanced",
}


def provisioning_script() -> str:
    text = (SOURCE_DIR / "docs" / "python.md").read_text()
    m = re.search(r"<!-- provision\.py -->\n```python\n(.*?)```", text, re.S)
    assert m, "docs/python.md lost its provisioning script"
    return m.group(1)


def test_every_fixture_tree_has_an_expected_choice():
    assert sorted(EXPECTED_BASE) == fixture_host_names()


@pytest.mark.parametrize("host", fixture_host_names())
def test_the_documented_script_provisions_every_tree(fixture_copy, tmp_path, host):
    root, state, site = fixture_copy(host), tmp_path / "state", tmp_path / "site"
    script = tmp_path / "provision.py"
    script.write_text(provisioning_script())
    original = tree_state(root)
    proc = subprocess.run(["/usr/bin/python3", str(script), "--root", str(root), "--state-dir", str(state),
                           "--site-dir", str(site)], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    out = json.loads(proc.stdout)
    assert out["extends"] == EXPECTED_BASE[host] and out["verified"] is True, out
    assert out["state"] == "applied" and out["transaction"] and out["written"] > 0, out
    assert json.loads((site / "site.json").read_text())["extends"] == [EXPECTED_BASE[host]]
    # The site's conntrack setting holds where the module is loaded and is left out elsewhere.
    has_conntrack = (root / "proc/sys/net/netfilter/nf_conntrack_max").exists()
    plan = tunectl.plan("site", root=root, profile_path=site)
    excluded = [x.item for x in plan.excluded]
    assert ("/sysctl/net.netfilter.nf_conntrack_max" in excluded) is (not has_conntrack), excluded
    if has_conntrack:
        assert (root / "proc/sys/net/netfilter/nf_conntrack_max").read_text().strip() == "1048576"

    [record] = tunectl.history(root=root, state_dir=state)
    assert record.id == out["transaction"] and record.state == "applied"
    tunectl.rollback(root=root, state_dir=state)
    assert tree_state(root) == original


def test_the_script_reports_a_typed_error_with_its_code(fixture_copy, tmp_path):
    root, site = fixture_copy("vm"), tmp_path / "site"
    script = tmp_path / "provision.py"
    script.write_text(provisioning_script())
    state = tmp_path / "state"
    state.mkdir(mode=0o777)
    state.chmod(0o777)  # a state dir others can write: refused as root, exit 3
    proc = subprocess.run(["/usr/bin/python3", str(script), "--root", str(root), "--state-dir", str(state),
                           "--site-dir", str(site)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    out = json.loads(proc.stdout)
    assert out["type"] == "NotPermitted" and out["exit_code"] == 3 and "writable by group or others" in out["error"]


def shell_script() -> str:
    text = (SOURCE_DIR / "docs" / "provisioning.md").read_text()
    m = re.search(r"<!-- provision\.sh -->\n```bash\n(.*?)```", text, re.S)
    assert m, "docs/provisioning.md lost its provisioning script"
    return m.group(1)


def run_shell_script(tmp_path, *args, text=None):
    script = tmp_path / "provision.sh"
    script.write_text(text or shell_script())
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if not (bin_dir / "tunectl").exists():
        (bin_dir / "tunectl").symlink_to(os.path.abspath(TUNECTL_BIN))  # the build's tunectl, first on PATH
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}")
    return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=300, env=env)


@pytest.mark.parametrize("host", fixture_host_names())
def test_the_documented_shell_script_provisions_every_tree(fixture_copy, tmp_path, host):
    root, state, site = fixture_copy(host), tmp_path / "state", tmp_path / "site"
    original = tree_state(root)
    proc = run_shell_script(tmp_path, "--root", str(root), "--state-dir", str(state), "--site-dir", str(site))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    out = json.loads(proc.stdout)
    assert out == {"extends": EXPECTED_BASE[host], "transaction": out["transaction"], "state": "applied",
                   "written": out["written"], "verified": True}, out
    assert out["transaction"] and out["written"] > 0
    # With the same host and site profile a second run has nothing to change: exit 0, no transaction.
    again = run_shell_script(tmp_path, "--root", str(root), "--state-dir", str(state), "--site-dir", str(site))
    assert again.returncode == 0 and json.loads(again.stdout)["state"] == "unchanged", again
    tunectl.rollback(root=root, state_dir=state)
    assert tree_state(root) == original


def test_the_shell_script_turns_a_held_lock_into_its_exit_code(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    script = shell_script().replace("--wait=60", "--wait=1")  # the documented minute, shortened
    assert "--wait=1" in script
    lock = HeldLock(state)
    try:
        proc = run_shell_script(tmp_path, "--root", str(root), "--state-dir", str(state),
                                "--site-dir", str(tmp_path / "site"), text=script)
    finally:
        lock.release()
    assert proc.returncode == 5 and "kept the lock" in proc.stderr, (proc.stdout, proc.stderr)
