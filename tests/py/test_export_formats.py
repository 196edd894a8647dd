"""`tunectl export --format udev|tmpfiles.d` on copies of the metal-2s-mlx5-k8s fixture tree (a
32-queue mlx5 NIC, cpufreq, cpuidle, epb): the exact lines for a small profile, what each format
cannot say and why, the JSON and the Python binding, and proof that the files hold what apply
writes: apply --root on one copy, the file itself on another (systemd-tmpfiles --root for
tmpfiles.d; the rules' ATTR{} values read against the applied copy for udev)."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import tunectl
from conftest import FIXTURE_HOSTS, have, run_cli

HOST = "metal-2s-mlx5-k8s"
NIC = "ens1f0np0"
QUEUES = 32
PROFILE = {
    "sysctl": {"net.core.somaxconn": 8192},
    "thp": {"enabled": "never", "defrag": "madvise"},  # defrag already holds there: still exported
    "rps": {"nics": [NIC], "cpus": "0-3", "numa_local": False, "exclude_isolated": False, "flow_cnt": 4096},
    "cpu_power": {"0-1": {"governor": "performance", "max_latency_us": 5, "epb": "balance-performance"}},
}
CPU = "/sys/devices/system/cpu/"
# cpuidle states of cpu0/cpu1 there have exit latencies 0, 2, 10, 133 us: a 5 us ceiling disables 2 and 3.
CPU_FILES = [(f"cpu{c}", "cpufreq/scaling_governor", "performance") for c in (0, 1)] + \
            [(f"cpu{c}", f"cpuidle/state{s}/disable", "1") for c in (0, 1) for s in (2, 3)] + \
            [(f"cpu{c}", "power/energy_perf_bias", "4") for c in (0, 1)]
# In apply order, whether a knob already holds (defrag) or not (enabled).
THP = [("/sys/kernel/mm/transparent_hugepage/defrag", "madvise"),
       ("/sys/kernel/mm/transparent_hugepage/enabled", "never")]


@pytest.fixture
def tree(fixture_copy, tmp_path):
    profile = tmp_path / "small.json"
    profile.write_text(json.dumps(PROFILE))
    return fixture_copy(HOST), profile


def export(profile, root, fmt, *extra):
    return run_cli("export", "-p", str(profile), "--format", fmt, "--root", str(root), *extra)


def body(text: str) -> list:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def applied_copy(profile, tmp_path) -> Path:
    """A second copy of the tree with the profile applied by tunectl itself."""
    root = tmp_path / "applied"
    subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / HOST), str(root)], check=True)
    r = run_cli("apply", "-p", str(profile), "--root", str(root), "--state-dir", str(tmp_path / "state"), "--yes")
    assert r.rc == 0, r
    return root


def test_udev_rules_line_by_line(tree):
    root, profile = tree
    r = export(profile, root, "udev")
    assert r.rc == 0, r
    net = 'SUBSYSTEM=="net", ACTION=="add", KERNEL=="' + NIC + '", '
    assert body(r.out) == (
        [net + f'ATTR{{queues/rx-{q}/rps_cpus}}="00000000,0000000f"' for q in range(QUEUES)]
        + [net + f'ATTR{{queues/rx-{q}/rps_flow_cnt}}="4096"' for q in range(QUEUES)]
        + [f'SUBSYSTEM=="cpu", ACTION=="add", KERNEL=="{dev}", ATTR{{{attr}}}="{value}"' for dev, attr, value in CPU_FILES])
    lines = r.out.splitlines()
    assert lines[0].startswith("# udev file written by `tunectl export --format udev`: profile small")
    assert "# Not expressible as udev (3); `tunectl apply -p small --persist` applies these at boot:" in lines
    assert [line for line in lines if line.startswith("#   ") and ": " in line] == [
        "#   sysctl:net.core.somaxconn = 8192: a sysctl: --format sysctl.d",
        "#   thp:defrag = madvise: not a device attribute (/sys/kernel/mm/transparent_hugepage): --format tmpfiles.d",
        "#   thp:enabled = never: not a device attribute (/sys/kernel/mm/transparent_hugepage): --format tmpfiles.d"]


def test_udev_values_are_what_apply_writes(tree, tmp_path):
    root, profile = tree
    j = export(profile, root, "udev", "--json").json()
    applied = applied_copy(profile, tmp_path)
    assert len(j["settings"]) == 2 * QUEUES + len(CPU_FILES)
    for s in j["settings"]:
        path = applied / s["key"].lstrip("/")
        assert path.read_text().rstrip("\n") == s["value"], s
        original = Path(str(root)) / s["key"].lstrip("/")
        assert original.read_text().rstrip("\n") != s["value"], f"{s['key']} already held it: proves nothing"
    # Once applied, everything already holds: the same rules, in the same order.
    assert body(export(profile, applied, "udev").out) == body(j["text"])


def test_tmpfiles_lines_and_what_it_cannot_say(tree):
    root, profile = tree
    r = export(profile, root, "tmpfiles.d")
    assert r.rc == 0, r
    assert body(r.out) == [f"w {CPU}{dev}/{attr} - - - - {value}" for dev, attr, value in CPU_FILES] + \
                          [f"w {path} - - - - {value}" for path, value in THP]
    j = export(profile, root, "tmpfiles.d", "--json").json()
    assert j["schema"] == "tunectl.export/1" and j["format"] == "tmpfiles.d" and j["text"] == r.out
    reasons = {n["knob"]: n["reason"] for n in j["not_expressible"]}
    assert set(reasons) == {"sysctl:net.core.somaxconn"} | {f"rps:{NIC}:rx-{q}" for q in range(QUEUES)} | \
                           {f"rps_flow:{NIC}:rx-{q}" for q in range(QUEUES)}
    assert reasons[f"rps:{NIC}:rx-0"].endswith("runs: --format udev")
    assert reasons["sysctl:net.core.somaxconn"] == "a sysctl: --format sysctl.d"
    assert f"#   rps_flow:{NIC}:rx-31 = 4096: {reasons[f'rps_flow:{NIC}:rx-31']}" in r.out.splitlines()


def test_systemd_tmpfiles_writes_into_a_tree_what_apply_writes(tree, tmp_path):
    """The real consumer: systemd-tmpfiles --root writes the w lines into a copy of the tree."""
    assert have("systemd-tmpfiles"), "systemd-tmpfiles (package systemd) is needed for this test"
    root, profile = tree
    conf = tmp_path / "90-tunectl-small.conf"
    assert export(profile, root, "tmpfiles.d", "--out", str(conf)).rc == 0
    before = {p: (root / p.lstrip("/")).read_text() for p in
              [CPU + f"{d}/{a}" for d, a, _ in CPU_FILES] + [p for p, _ in THP]}
    # `w` opens without O_TRUNC (a kernel attribute takes one write whole); a tree's regular file
    # would keep the old bytes' tail, so each file starts empty, as a kernel attribute would.
    for path in before:
        (root / path.lstrip("/")).write_text("")
    subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create", str(conf)], check=True,
                   capture_output=True, text=True)
    applied = applied_copy(profile, tmp_path)
    for path in before:
        written = (root / path.lstrip("/")).read_text()
        by_apply = (applied / path.lstrip("/")).read_text()
        if "transparent_hugepage" in path:
            # apply on a tree leaves the choice file as the kernel shows it; the kernel takes the word.
            assert f"[{written}]" in by_apply, (path, written, by_apply)
        else:
            assert written + "\n" == by_apply, (path, written, by_apply)
    assert (root / "sys/kernel/mm/transparent_hugepage/enabled").read_text() == "never"
    assert body(export(profile, applied, "tmpfiles.d").out) == body(conf.read_text())
    assert before[CPU + "cpu0/cpufreq/scaling_governor"] == "powersave\n"


def test_python_binding_and_bad_format(tree):
    root, profile = tree
    for fmt in ("udev", "tmpfiles.d"):
        e = tunectl.export(str(profile), format=fmt, root=str(root))
        j = export(profile, root, fmt, "--json").json()
        assert e.format == fmt and e.to_dict() == j
        first = e.settings[0]
        assert (first.knob, first.value) == ((f"rps:{NIC}:rx-0", "00000000,0000000f") if fmt == "udev"
                                             else ("cpufreq:0-1:governor", "performance"))
    bad = export(profile, root, "systemd")
    assert bad.rc == 2 and "known: sysctl.d, udev, tmpfiles.d" in bad.err and bad.err.count("\n") == 1, bad
    with pytest.raises(tunectl.InputError, match="known: sysctl.d, udev, tmpfiles.d"):
        tunectl.export(str(profile), format="systemd", root=str(root))
    assert "udev|tmpfiles.d" in run_cli("export", "--help").out
