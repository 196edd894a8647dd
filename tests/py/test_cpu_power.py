"""CPU power settings end to end on fixture trees: planned from the profiles' cpu_power section
onto named CPU sets, applied, verified, drift detected, rolled back byte for byte (an idle state the
operator disabled stays disabled), and honestly not settable where the host has no cpufreq."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, run_cli

CPU = "sys/devices/system/cpu"


def apply(root: Path, state: Path, profile: str):
    return run_cli("apply", "-p", profile, "--root", str(root), "--state-dir", str(state), "--yes", "--json")


def test_latency_plans_governor_epp_and_the_idle_ceiling_on_the_application_cpus(fixture_copy):
    root = fixture_copy("metal-2s-mlx5-k8s")
    plan = run_cli("plan", "-p", "latency", "--root", str(root), "--json").json()
    knobs = {c["knob"]: c for c in plan["changes"]}
    assert knobs["cpufreq:0-63:governor"]["current"].startswith("mixed") or knobs["cpufreq:0-63:governor"]["current"] == "powersave"
    assert knobs["cpufreq:0-63:governor"]["desired"] == "performance"
    assert "cpufreq:0-63:epp" in knobs
    # The tree isolates 8-15,40-47: the application CPUs get the C-state ceiling.
    assert "cpuidle:8-15,40-47:max_latency_us" in knobs
    # CPU power comes after IRQ placement and before THP in apply order.
    order = [c["knob"].split(":")[0] for c in plan["changes"]]
    assert order.index("cpufreq") > max(i for i, k in enumerate(order) if k == "irq")
    assert order.index("thp") > order.index("cpuidle")


def test_apply_verify_drift_and_exact_rollback_keep_an_operator_disabled_state(fixture_copy, tmp_path):
    root = fixture_copy("metal-2s-mlx5-k8s")
    state = tmp_path / "state"
    # CPU 8's C6 was disabled by the operator before tunectl came.
    c6_cpu8 = root / CPU / "cpu8/cpuidle/state3/disable"
    c6_cpu9 = root / CPU / "cpu9/cpuidle/state3/disable"
    assert c6_cpu8.read_text() == "1\n" and c6_cpu9.read_text() == "0\n"
    governor0 = root / CPU / "cpufreq/policy0/scaling_governor"
    before_gov = governor0.read_bytes()

    tx = apply(root, state, "latency")
    assert tx.rc == 0, tx
    assert governor0.read_text() == "performance\n"
    assert c6_cpu9.read_text() == "1\n"  # above the 10 us ceiling: disabled
    assert (root / CPU / "cpu9/cpuidle/state2/disable").read_text() == "0\n"  # C1E (10 us) kept

    v = run_cli("verify", "-p", "latency", "--root", str(root), "--json")
    # (This tree lacks two of the profile's sysctls: those are "missing", a separate matter.)
    assert v.json()["summary"].get("drift", 0) == 0, v
    statuses = {i["knob"]: i["status"] for i in v.json()["items"]}
    assert statuses["cpufreq:0-63:governor"] == "ok"
    assert statuses["cpuidle:8-15,40-47:max_latency_us"] == "ok"

    governor0.write_text("powersave\n")  # someone changes it behind tunectl's back
    v = run_cli("verify", "-p", "latency", "--root", str(root), "--json")
    assert v.rc == 1 and v.json()["summary"]["drift"] == 1
    drift = [i for i in v.json()["items"] if i["knob"] == "cpufreq:0-63:governor"][0]
    assert drift["status"] == "drift" and drift["actual"].startswith("mixed")
    governor0.write_text("performance\n")

    rb = run_cli("rollback", "--root", str(root), "--state-dir", str(state), "--json")
    assert rb.rc == 0, rb
    assert governor0.read_bytes() == before_gov
    assert c6_cpu8.read_text() == "1\n"  # the operator's choice survives the rollback
    assert c6_cpu9.read_text() == "0\n"


def test_a_host_without_cpufreq_says_so_and_writes_nothing(fixture_copy):
    root = fixture_copy("vm")
    plan = run_cli("plan", "-p", "latency", "--root", str(root), "--json").json()
    skipped = {c["knob"]: c for c in plan["skipped"]}
    gov = [c for k, c in skipped.items() if k.startswith("cpufreq:") and k.endswith(":governor")]
    assert gov, plan["skipped"]
    assert "cpufreq" in gov[0]["reason"]
    assert not any(c["knob"].startswith(("cpufreq:", "cpuidle:")) for c in plan["changes"])


def test_cpu_set_names_are_checked_when_the_profile_loads(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"cpu_power": {"everything": {"governor": "performance"}}}))
    r = run_cli("plan", "-p", str(bad), "--root", "/")
    assert r.rc == 2 and "/cpu_power/everything" in r.err and "not a CPU set" in r.err
    bad.write_text(json.dumps({"cpu_power": {"all": {"governor": "turbo"}}}))
    r = run_cli("plan", "-p", str(bad), "--root", "/")
    assert r.rc == 2 and "/cpu_power/all/governor" in r.err


POWER_TREES = ["cloud-ena", "intel-i40e-cgv1", "metal-2s-mlx5-k8s"]  # the vm tree has none (above)


def power_files(root: Path) -> dict:
    """Every file a CPU power knob may write, with its bytes."""
    cpu = root / CPU
    paths = list((cpu / "cpufreq").rglob("*")) + list((cpu / "intel_pstate").glob("*"))
    paths += list(cpu.glob("cpu[0-9]*/cpuidle/state*/disable")) + list(cpu.glob("cpu[0-9]*/power/energy_perf_bias"))
    return {str(p.relative_to(root)): p.read_bytes() for p in paths if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("tree", POWER_TREES)
def test_every_tree_with_power_files_applies_verifies_drifts_and_rolls_back_exactly(fixture_copy, tmp_path, tree):
    root = fixture_copy(tree)
    state = tmp_path / "state"
    before = power_files(root)
    assert any("/cpuidle/" in p for p in before) and any("scaling_governor" in p for p in before), tree

    tx = apply(root, state, "latency")
    assert tx.rc == 0, tx
    is_power = lambda k: k.split(":")[0] in ("cpufreq", "cpuidle", "pstate", "epb")  # noqa: E731
    power = [c["knob"] for c in tx.json()["changes"] if is_power(c["knob"])]
    assert any(k.startswith("cpuidle:") for k in power), power
    assert power_files(root) != before
    # Some trees already run the performance governor: then it is "already", and verified all the same.
    power += [c["knob"] for c in tx.json()["already"] if is_power(c["knob"])]
    governor = [k for k in power if k.startswith("cpufreq:") and k.endswith(":governor")]
    assert governor, power

    v = run_cli("verify", "-p", "latency", "--root", str(root), "--json")
    statuses = {i["knob"]: i["status"] for i in v.json()["items"]}
    assert all(statuses[k] == "ok" for k in power), {k: statuses[k] for k in power}

    # Drift: one policy's governor changed behind tunectl's back.
    policy0 = root / CPU / "cpufreq/policy0/scaling_governor"
    policy0.write_text("powersave\n")
    v = run_cli("verify", "-p", "latency", "--root", str(root), "--json")
    assert v.rc == 1, v
    assert {i["knob"]: i["status"] for i in v.json()["items"]}[governor[0]] == "drift"
    policy0.write_text("performance\n")

    rb = run_cli("rollback", "--root", str(root), "--state-dir", str(state), "--json")
    assert rb.rc == 0, rb
    assert power_files(root) == before


def test_capture_host_keeps_every_cpu_power_file(fixture_copy, tmp_path):
    """scripts/capture-host.sh copies the power files: the captured tree probes the same."""
    src = tmp_path / "src"
    (src / CPU).parent.mkdir(parents=True)
    subprocess.run(["cp", "-a", str(fixture_copy("metal-2s-mlx5-k8s") / CPU), str(src / CPU)], check=True)
    cap = tmp_path / "cap"
    out = subprocess.run([str(SOURCE_DIR / "scripts/capture-host.sh"), "--src", str(src), str(cap)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    probes = [run_cli("probe", "--root", str(r), "--only", "cpu_power", "--json").json()["cpu_power"] for r in (src, cap)]
    assert probes[0]["cpufreq"]["driver"] == "intel_pstate" and probes[0]["cpus"][8]["idle_states"][3]["disabled"]
    assert probes[1] == probes[0]
