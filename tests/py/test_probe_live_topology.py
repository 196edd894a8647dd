"""Live-host checks of the topology, thp and cgroup probes, each against a reference tool or a
kernel interface the probe does not use for that answer. The tools (lscpu, findmnt: util-linux;
numactl) come with scripts/setup.sh: a missing one fails, it is not a reason to skip."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

import tunectl
from conftest import run_cli

AREAS = "topology,thp,cgroup"


@pytest.fixture(scope="module")
def snap():
    res = run_cli("probe", "--json", "--only", AREAS)
    assert res.rc == 0, res
    return res.json()


def numactl_hardware():
    """numactl --hardware -> {node: {"cpus": [...], "size_mb": int}}, distance matrix."""
    out = subprocess.run(["numactl", "--hardware"], capture_output=True, text=True, check=True).stdout
    nodes, distances = {}, []
    lines = out.splitlines()
    for line in lines:
        if m := re.match(r"node (\d+) cpus:(.*)", line):
            nodes.setdefault(int(m[1]), {})["cpus"] = [int(c) for c in m[2].split()]
        elif m := re.match(r"node (\d+) size: (\d+) MB", line):
            nodes.setdefault(int(m[1]), {})["size_mb"] = int(m[2])
    start = next(i for i, line in enumerate(lines) if line.startswith("node distances:"))
    for line in lines[start + 2:]:
        if m := re.match(r"\s*\d+:\s+(.*)", line):
            distances.append([int(d) for d in m[1].split()])
    return nodes, distances


def expand(cpulist: str) -> list[int]:
    cpus = []
    for item in filter(None, cpulist.split(",")):
        lo, _, hi = item.partition("-")
        cpus.extend(range(int(lo), int(hi or lo) + 1))
    return cpus


def test_probe_has_no_errors_and_all_areas(snap):
    assert snap["schema"] == "tunectl.snapshot/2"
    for key in ("topology", "thp", "cgroups"):
        assert snap[key] is not None, snap.get(key + "_unavailable")
    assert not {"topology", "thp", "cgroup"} & set(snap.get("errors", {})), snap["errors"]


def test_cpu_counts_match_nproc(snap):
    cpus = snap["topology"]["cpus"]
    nproc_all = int(subprocess.run(["nproc", "--all"], capture_output=True, text=True, check=True).stdout)
    assert len(cpus) == nproc_all == os.cpu_count()
    assert sum(c["online"] for c in cpus) == os.sysconf("SC_NPROCESSORS_ONLN")
    assert len(expand(snap["topology"]["online"])) == os.sysconf("SC_NPROCESSORS_ONLN")


def test_siblings_and_packages_match_lscpu(snap):
    out = subprocess.run(["lscpu", "-p=CPU,CORE,SOCKET,NODE"], capture_output=True, text=True, check=True).stdout
    rows = [list(map(lambda v: int(v) if v else None, line.split(","))) for line in out.splitlines()
            if not line.startswith("#")]
    by_cpu = {c["cpu"]: c for c in snap["topology"]["cpus"]}
    for cpu, core, socket, node in rows:
        assert by_cpu[cpu]["package"] == socket
        assert by_cpu[cpu]["node"] == (node if node is not None else 0)
        # lscpu numbers cores logically; CPUs sharing a core id must be each other's siblings.
        mates = [r[0] for r in rows if r[1] == core]
        assert expand(by_cpu[cpu]["siblings"]) == sorted(mates)


def test_nodes_match_numactl(snap):
    ref_nodes, ref_distances = numactl_hardware()
    nodes = snap["topology"]["nodes"]
    assert [n["node"] for n in nodes] == sorted(ref_nodes)
    for n in nodes:
        ref = ref_nodes[n["node"]]
        assert expand(n["cpus"]) == ref["cpus"]
        # numactl prints MemTotal in MB; this VM's balloon may move it slightly between the runs.
        assert n["mem_total_kb"] / 1024 == pytest.approx(ref["size_mb"], rel=0.02, abs=1)
        assert 0 < n["mem_free_kb"] <= n["mem_total_kb"]
    assert [n["distances"] for n in nodes] == ref_distances


def test_virtualization_flag_matches_cpuinfo(snap):
    flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    assert snap["topology"]["virtualized"] == ("hypervisor" in flags.split())


def test_thp_matches_sysfs(snap):
    base = Path("/sys/kernel/mm/transparent_hugepage")
    selected = lambda f: re.search(r"\[(\S+)\]", (base / f).read_text())[1]
    thp = snap["thp"]
    assert thp["enabled"] == selected("enabled")
    assert thp["defrag"] == selected("defrag")
    assert thp["hpage_pmd_size"] == int((base / "hpage_pmd_size").read_text())
    assert thp["hpage_pmd_size"] == 1024 * int(re.search(r"Hugepagesize:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    assert thp["khugepaged"]["max_ptes_none"] == int((base / "khugepaged/max_ptes_none").read_text())
    for d in base.glob("hugepages-*kB"):
        if (d / "enabled").exists():
            assert thp["sizes"][d.name[len("hugepages-"):]] == selected(d.name + "/enabled")
    assert "thp_fault_alloc" in thp["vmstat"]


def reference_cgroup_mode() -> str:
    """systemd's rule, from filesystem types (stat -f) rather than mountinfo."""
    fstype = lambda p: subprocess.run(["stat", "-fc", "%T", p], capture_output=True, text=True).stdout.strip()
    if fstype("/sys/fs/cgroup") == "cgroup2fs":
        return "unified"
    return "hybrid" if fstype("/sys/fs/cgroup/unified") == "cgroup2fs" else "legacy"


def test_cgroup_mode_and_controllers(snap):
    cg = snap["cgroups"]
    assert cg["mode"] == reference_cgroup_mode()
    # /proc/self/cgroup lists v1 hierarchies as "N:controllers:path"; v2 is "0::path".
    v1 = {c for line in Path("/proc/self/cgroup").read_text().splitlines()
          for c in line.split(":")[1].split(",") if line.split(":")[1]}
    assert cg["cpu_controller"] == ("v1" if "cpu" in v1 else "v2")
    assert cg["cpuset_controller"] == ("v1" if "cpuset" in v1 else "v2")


def findmnt(*args: str) -> list[str]:
    return subprocess.run(["findmnt", "-n", "-o", "TARGET", *args], capture_output=True, text=True).stdout.split()


def test_controller_mounts_match_findmnt(snap):
    """Where cpu and cpuset live, by util-linux's findmnt: the v1 hierarchy mounted with the
    controller's option, else the cgroup2 mount if its root offers the controller (this CI VM:
    hybrid, both on v1, the unified mount without controllers)."""
    cg = snap["cgroups"]
    v2 = findmnt("-t", "cgroup2")
    assert cg["unified_mount"] == (v2[0] if v2 else None)
    v2_controllers = Path(v2[0], "cgroup.controllers").read_text().split() if v2 else []
    for ctl in ("cpu", "cpuset"):
        v1 = findmnt("-t", "cgroup", "-O", ctl)
        expected = (v1[0], "v1") if v1 else (v2[0], "v2") if ctl in v2_controllers else (None, None)
        assert (cg[f"{ctl}_mount"], cg[f"{ctl}_controller"]) == expected, ctl


def test_cgroup_root_values_match_files(snap):
    cg = snap["cgroups"]
    root = next(g for g in cg["groups"] if g["path"] == "/")
    base = Path(cg["cpu_mount"])
    if cg["cpu_controller"] == "v1":
        quota = int((base / "cpu.cfs_quota_us").read_text())
        period = int((base / "cpu.cfs_period_us").read_text())
        assert root["cpu_max"] == ("max" if quota < 0 else str(quota)) + f" {period}"
        assert root["cpu_shares"] == int((base / "cpu.shares").read_text())
    else:
        assert not (base / "cpu.max").exists() and root["cpu_max"] is None  # the v2 root has none
    # The root is never throttled, but its cpu.stat (v1 and v2 alike) prints the counters: zeros.
    assert root["stat"] == {"nr_periods": 0, "nr_throttled": 0, "throttled_usec": 0}
    online = os.sysconf("SC_NPROCESSORS_ONLN")
    assert root["effective_cpus"] == online
    # Every group's effective CPU count is bounded by the machine.
    assert all(0 < g["effective_cpus"] <= online for g in cg["groups"])


def test_python_api_matches_cli(snap):
    api = tunectl.probe(only=AREAS.split(",")).to_dict()
    cli = run_cli("probe", "--json", "--only", AREAS).json()
    for doc in (api, cli):
        doc["host"].pop("taken_at")
    # Counters move between the two runs; everything else must be identical.
    for doc in (api, cli):
        doc["thp"].pop("vmstat")
        for key in ("full_scans", "pages_collapsed"):
            doc["thp"]["khugepaged"].pop(key, None)
        for key in ("anon_huge_kb", "shmem_huge_kb", "file_huge_kb"):
            doc["thp"].pop(key)
        for n in doc["topology"]["nodes"]:
            n.pop("mem_free_kb")
        for g in doc["cgroups"]["groups"]:
            g.pop("stat")
    assert api == cli
