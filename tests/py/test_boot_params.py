"""Kernel parameters (the boot: knob kind) end to end through the CLI: the latency profile's
isolation procedure planned on every fixture tree; apply, verify, status, a simulated reboot and
rollback on copies of the GRUB and kernel-install trees; and the live path (the real boot loader
regeneration step) inside a private mount namespace whose /etc/default and /usr/sbin are tmpfs,
so the host's own boot configuration is never touched."""
from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import TUNECTL_BIN, run_cli

DROP_IN = "etc/default/grub.d/tunectl.cfg"
BOOT_ID = "proc/sys/kernel/random/boot_id"


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def plan(root: Path, profile: str = "latency") -> dict:
    r = run_cli("plan", "-p", profile, "--root", str(root), "--json")
    assert r.rc == 0, r
    return r.json()


def by_knob(rows: list[dict]) -> dict[str, dict]:
    return {row["knob"]: row for row in rows}


def test_latency_profile_plans_the_isolation_procedure_for_each_host(fixture_copy):
    metal_plan = plan(fixture_copy("metal-2s-mlx5-k8s"))
    metal = by_knob(metal_plan["changes"])
    # Two nodes: the first core of each (0+32, 16+48) keeps the kernel's work.
    assert metal["boot:isolcpus"]["value"] == "managed_irq,domain,1-15,17-31,33-47,49-63"
    assert metal["boot:nohz_full"]["value"] == "1-15,17-31,33-47,49-63"
    assert metal["boot:rcu_nocbs"]["value"] == "1-15,17-31,33-47,49-63"
    assert metal["boot:irqaffinity"]["value"] == "0,16,32,48"
    assert metal["boot:transparent_hugepage"]["value"] == "never"
    assert "boot:isolcpus is a kernel parameter: takes effect at the next boot (verify and status say " \
        "pending-reboot until then)" in metal_plan["notes"]

    ena = by_knob(plan(fixture_copy("cloud-ena"))["changes"])  # 16 CPUs, one node, CPU 0's sibling is 8
    assert ena["boot:isolcpus"]["value"] == "managed_irq,domain,1-7,9-15"
    assert ena["boot:irqaffinity"]["value"] == "0,8"

    rhel = plan(fixture_copy("intel-i40e-cgv1"))  # GRUB without a grub.d drop-in directory
    skipped = by_knob(rhel["skipped"])
    assert not [c for c in rhel["changes"] if c["knob"].startswith("boot:")]
    assert "/etc/default/grub.d" in skipped["boot:isolcpus"]["reason"]

    vm = plan(fixture_copy("vm"))  # 2 CPUs: the isolation settings' condition excludes them
    excluded = {e["item"] for e in vm["excluded"]}
    assert {"/boot/isolcpus", "/boot/nohz_full", "/boot/rcu_nocbs", "/boot/irqaffinity"} <= excluded, vm["excluded"]
    assert "no boot loader configuration" in by_knob(vm["skipped"])["boot:transparent_hugepage"]["reason"]


@pytest.mark.parametrize("tree", ["metal-2s-mlx5-k8s", "cloud-ena"])
def test_apply_then_rollback_restores_the_boot_configuration_byte_for_byte(fixture_copy, tmp_path, tree):
    root = fixture_copy(tree)
    before = tree_bytes(root)
    common = ["--root", str(root), "--state-dir", str(tmp_path / "state")]
    r = run_cli("apply", "-p", "latency", "--yes", "--json", *common)
    assert r.rc == 0, r
    written = {c["knob"] for c in r.json()["changes"] if c["status"] == "written"}
    assert {"boot:isolcpus", "boot:nohz_full", "boot:transparent_hugepage"} <= written
    if tree == "cloud-ena":  # kernel-install: its own words appended, the rest of the line kept
        line = (root / "etc/kernel/cmdline").read_text()
        assert line == before["etc/kernel/cmdline"].decode().rstrip("\n") + (
            " irqaffinity=0,8 isolcpus=managed_irq,domain,1-7,9-15 nohz_full=1-7,9-15 rcu_nocbs=1-7,9-15"
            " transparent_hugepage=never\n")
    else:
        assert 'isolcpus=managed_irq,domain,1-15,17-31,33-47,49-63 ' in (root / DROP_IN).read_text()
    assert run_cli("rollback", *common).rc == 0
    assert tree_bytes(root) == before


def test_verify_and_status_report_a_pending_reboot_until_the_host_boots_with_it(fixture_copy, tmp_path):
    root = fixture_copy("metal-2s-mlx5-k8s")
    (root / BOOT_ID).parent.mkdir(parents=True, exist_ok=True)
    (root / BOOT_ID).write_text("aaaaaaaa-0000-4000-8000-000000000001\n")
    common = ["--root", str(root), "--state-dir", str(tmp_path / "state")]
    assert run_cli("apply", "-p", "latency", "--yes", *common).rc == 0

    v = run_cli("verify", "-p", "latency", "--json", *common)
    assert v.rc == 0, v  # configured for the next boot is not drift
    items = by_knob(v.json()["items"])
    assert items["boot:nohz_full"]["status"] == "pending-reboot"
    assert "running kernel has nohz_full=8-15,40-47" in items["boot:nohz_full"]["detail"]
    assert v.json()["summary"]["pending-reboot"] == 5
    assert run_cli("verify", "-p", "latency", "--strict", *common).rc == 1
    text = run_cli("verify", "-p", "latency", *common).out
    assert "pending-reboot" in text

    s = run_cli("status", "--json", *common)
    assert s.rc == 0, s
    assert s.json()["reboot_pending"] is True
    assert "boot:isolcpus" in s.json()["reboot_note"]
    assert "reboot pending: yes" in run_cli("status", *common).out

    # The reboot: the kernel now runs with the drop-in's parameters, and has a new boot id.
    params = (root / DROP_IN).read_text().split("${GRUB_CMDLINE_LINUX_DEFAULT} ")[1].rstrip('"\n')
    cmdline = root / "proc/cmdline"
    cmdline.chmod(0o644)
    cmdline.write_text("BOOT_IMAGE=/vmlinuz-6.8.0-45-generic root=UUID=6a1f ro " + params + "\n")
    (root / BOOT_ID).write_text("bbbbbbbb-0000-4000-8000-000000000002\n")
    v = run_cli("verify", "-p", "latency", "--strict", "--json", *common)
    assert by_knob(v.json()["items"])["boot:nohz_full"]["status"] == "ok"
    assert "pending-reboot" not in v.json()["summary"]
    assert run_cli("status", "--json", *common).json()["reboot_pending"] is False

    # Rolling back a record from before that reboot: runtime settings are stale, the boot
    # configuration is a file the reboot kept, so it is restored.
    r = run_cli("rollback", "--json", *common)
    assert r.rc == 0, r
    assert "boot-time setting(s)" in r.json()["rolled_back"][0]["note"]
    assert not (root / DROP_IN).exists()


LIVE_SCRIPT = """\
set -eu
# Private mounts only: the host's /etc/default and /usr/sbin are hidden, never written.
mount -t tmpfs tmpfs /etc/default
mkdir /etc/default/grub.d
printf 'GRUB_CMDLINE_LINUX_DEFAULT=""\\n' > /etc/default/grub
mount -t tmpfs tmpfs /usr/sbin
cat > /usr/sbin/update-grub <<'EOF'
#!/bin/sh
echo "update-grub $*" >> {log}
if [ -e {fail_once} ]; then rm {fail_once}; echo "error: /boot is full" >&2; exit 1; fi
echo "Generating grub configuration file ..."
EOF
chmod 755 /usr/sbin/update-grub
t={tunectl}
common="--state-dir {state}"
set +e
$t apply -p {profile} --yes --json $common > {out}/apply.json; echo $? > {out}/apply.rc
cp /etc/default/grub.d/tunectl.cfg {out}/drop-in 2>/dev/null
$t verify -p {profile} --json $common > {out}/verify.json; echo $? > {out}/verify.rc
$t status --json $common > {out}/status.json
$t rollback --json $common > {out}/rollback.json; echo $? > {out}/rollback.rc
ls /etc/default/grub.d > {out}/after-rollback
touch {fail_once}
$t apply -p {profile} --yes --json $common > {out}/failed.json 2> {out}/failed.err; echo $? > {out}/failed.rc
ls /etc/default/grub.d > {out}/after-failed
"""


def test_live_apply_regenerates_the_boot_loader_once_and_rollback_undoes_it(as_root, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    profile = tmp_path / "kernel-params.json"
    profile.write_text(json.dumps({"boot": {"skew_tick": 1, "transparent_hugepage": "never"}}))
    log = tmp_path / "update-grub.log"
    script = LIVE_SCRIPT.format(log=log, fail_once=tmp_path / "fail-once", tunectl=TUNECTL_BIN,
                                state=tmp_path / "state", profile=profile, out=out)
    real_drop_in = Path("/etc/default/grub.d/tunectl.cfg")
    assert not real_drop_in.exists()
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert not real_drop_in.exists(), "the private mounts leaked"

    assert (out / "apply.rc").read_text().strip() == "0", (out / "apply.json").read_text()
    applied = json.loads((out / "apply.json").read_text())
    assert applied["note"] == "boot: ran `/usr/sbin/update-grub`"
    assert (out / "drop-in").read_text().endswith(
        'GRUB_CMDLINE_LINUX_DEFAULT="${GRUB_CMDLINE_LINUX_DEFAULT} skew_tick=1 transparent_hugepage=never"\n')
    # This VM did not boot with them: configured, pending a reboot, not drift.
    assert (out / "verify.rc").read_text().strip() == "0"
    verify = json.loads((out / "verify.json").read_text())
    assert verify["summary"] == {"pending-reboot": 2}, verify["summary"]
    assert json.loads((out / "status.json").read_text())["reboot_pending"] is True
    assert (out / "rollback.rc").read_text().strip() == "0"
    assert (out / "after-rollback").read_text() == ""

    # A failing regeneration fails the apply (exit 4): the drop-in is restored and the boot loader
    # regenerated again from the restored files.
    assert (out / "failed.rc").read_text().strip() == "4", (out / "failed.err").read_text()
    failed = json.loads((out / "failed.json").read_text())
    assert failed["state"] == "rolled-back"
    assert "boot: `/usr/sbin/update-grub` failed (exit 1: error: /boot is full)" in failed["error"]
    assert (out / "after-failed").read_text() == ""
    # One run per transaction that changed the files: apply, rollback, failed apply, its rollback.
    assert log.read_text().splitlines() == ["update-grub "] * 4
