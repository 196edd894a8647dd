"""The live kernel, safely. Net sysctls only inside a private network namespace (`unshare -n`);
THP and one settable IRQ (discovered, see conftest.live_irqs) on the live host, each original
restored in a finally block even if tunectl fails; a managed IRQ (discovered too) must be reported
as not settable; non-root and read-only /proc/sys must be refused before anything is written.
Runs as root (scripts/test.sh); util-linux's unshare and setpriv come with scripts/setup.sh.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import TUNECTL_BIN, run_cli
from test_crash_safety import NET_PROFILE, NET_SYSCTLS, host_sysctls

pytestmark = pytest.mark.usefixtures("as_root")

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")


def irq_list(irq: int) -> Path:
    return Path(f"/proc/irq/{irq}/smp_affinity_list")


def write_profile(tmp_path: Path, name: str, doc: dict) -> Path:
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps(doc))
    return p


def in_netns(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=120)


def test_net_sysctls_apply_verify_drift_and_roll_back_in_a_private_netns(tmp_path):
    profile = write_profile(tmp_path, "netlive", NET_PROFILE)
    state = tmp_path / "state"
    host_before = host_sysctls()
    t = TUNECTL_BIN
    script = f"""
set -u
snap() {{ for n in {' '.join(NET_SYSCTLS)}; do printf '%s=%s ' "$n" "$(cat /proc/sys/$(echo $n | tr . /))"; done; echo; }}
echo "before $(snap)"
{t} apply -p {profile} --state-dir {state} --yes --json > {tmp_path}/apply.json; echo "apply-rc $?"
echo "applied $(snap)"
{t} verify -p {profile} --json > {tmp_path}/verify1.json; echo "verify-rc $?"
echo 42 > /proc/sys/net/ipv4/tcp_fin_timeout
{t} verify -p {profile} --json > {tmp_path}/verify2.json; echo "drift-rc $?"
{t} rollback --state-dir {state} --json > {tmp_path}/rollback.json; echo "rollback-rc $?"
echo "after $(snap)"
"""
    r = in_netns(script)
    assert r.returncode == 0, (r.stdout, r.stderr)
    lines = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    parse = lambda s: dict(kv.split("=") for kv in s.split())
    before, applied, after = parse(lines["before"]), parse(lines["applied"]), parse(lines["after"])
    assert lines["apply-rc"] == "0", r.stderr
    assert applied == {n: str(v) for n, v in NET_PROFILE["sysctl"].items()}
    tx = json.loads((tmp_path / "apply.json").read_text())
    assert tx["state"] == "applied" and all(c["per_netns"] for c in tx["changes"])
    assert lines["verify-rc"] == "0", (tmp_path / "verify1.json").read_text()
    assert lines["drift-rc"] == "1", (tmp_path / "verify2.json").read_text()
    assert "tcp_fin_timeout" in (tmp_path / "verify2.json").read_text()
    assert lines["rollback-rc"] == "0", r.stderr
    [back] = json.loads((tmp_path / "rollback.json").read_text())["rolled_back"]
    fin = next(c for c in back["changes"] if c["knob"] == "sysctl:net.ipv4.tcp_fin_timeout")
    assert fin["found"].strip() == "42"  # the hand-made drift was seen, and restored anyway
    assert after == before  # including the drifted one
    assert host_sysctls() == host_before


def test_thp_and_one_irq_affinity_on_the_live_host_roll_back_exactly(tmp_path, live_irqs):
    irq, managed_irq = live_irqs
    thp_orig, irq_orig, managed_orig = THP.read_bytes(), irq_list(irq).read_bytes(), irq_list(managed_irq).read_bytes()
    selected = thp_orig.decode().split("[")[1].split("]")[0]
    thp_target = "never" if selected != "never" else "madvise"
    cpus = irq_orig.decode().strip()
    irq_target = "0" if cpus != "0" else "1"
    profile = write_profile(tmp_path, "livethpirq", {
        "thp": {"enabled": thp_target},
        "irq": {"policy": "pin", "map": {str(irq): irq_target, str(managed_irq): irq_target}},
    })
    state = tmp_path / "state"
    try:
        r = run_cli("apply", "-p", str(profile), "--state-dir", str(state), "--yes", "--json")
        assert r.rc == 0, r
        tx = r.json()
        assert tx["state"] == "applied"
        by_knob = {c["knob"]: c for c in tx["changes"]}
        assert set(by_knob) == {"thp:enabled", f"irq:{irq}:affinity"}
        assert f"[{thp_target}]" in THP.read_text()
        assert irq_list(irq).read_text().strip() == irq_target
        assert by_knob["thp:enabled"]["before"] == thp_orig.decode()
        assert by_knob[f"irq:{irq}:affinity"]["effect"] in ("ok", "pending")
        [managed] = [s for s in tx["skipped"] if s["knob"] == f"irq:{managed_irq}:affinity"]
        assert managed["status"] == "not-settable" and managed["reason"].startswith("managed IRQ"), managed
        assert irq_list(managed_irq).read_bytes() == managed_orig

        rb = run_cli("rollback", "--state-dir", str(state), "--json")
        assert rb.rc == 0, rb
        assert THP.read_bytes() == thp_orig
        assert irq_list(irq).read_bytes() == irq_orig
    finally:
        if THP.read_bytes() != thp_orig:
            THP.write_text(selected)
        if irq_list(irq).read_bytes() != irq_orig:
            irq_list(irq).write_text(cpus)
    assert THP.read_bytes() == thp_orig and irq_list(irq).read_bytes() == irq_orig


def test_non_root_is_refused_before_anything_is_touched(tmp_path):
    state = tmp_path / "state"
    os.chmod(tmp_path, 0o777)  # so that a refusal cannot be blamed on the state dir
    before = host_sysctls(), THP.read_bytes()
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TUNECTL_BIN]
    for verb in (["apply", "-p", "latency", "--yes"], ["rollback"]):
        r = subprocess.run(nobody + verb + ["--state-dir", str(state)], capture_output=True, text=True)
        assert r.returncode == 3, (verb, r.stderr)
        assert "needs root (try sudo)" in r.stderr
        assert not state.exists()
    # Planning needs no privilege.
    dry = subprocess.run(nobody + ["apply", "-p", "latency", "--dry-run", "--json"], capture_output=True, text=True)
    assert dry.returncode == 0, dry.stderr
    assert (host_sysctls(), THP.read_bytes()) == before


def test_read_only_proc_sys_is_refused_before_anything_is_written(tmp_path):
    profile = write_profile(tmp_path, "netro", NET_PROFILE)
    state = tmp_path / "state"
    # A container's view: /proc/sys bind-mounted read-only, in private mount + network namespaces.
    script = f"""
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys || exit 90
{TUNECTL_BIN} apply -p {profile} --state-dir {state} --yes
"""
    r = subprocess.run(["unshare", "-n", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "/proc/sys is mounted read-only" in r.stderr and "nothing was written" in r.stderr
    assert not (state / "transactions").exists()
