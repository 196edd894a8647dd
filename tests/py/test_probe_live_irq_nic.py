"""Live host: `tunectl probe --only irq,nic` checked against /proc/interrupts, file modes,
/sys/class/net and `ethtool -l/-g/-c` (ethtool comes with scripts/setup.sh). Nothing is skipped:
what this host has (a managed IRQ, NICs with and without a device) is asserted for what it is."""
from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import run_cli


@pytest.fixture(scope="module")
def snap():
    res = run_cli("probe", "--json", "--only", "irq,nic")
    assert res.rc == 0, res
    return res.json()


def proc_interrupts():
    """{irq: (name, {cpu: count})} from /proc/interrupts, read after the probe."""
    lines = Path("/proc/interrupts").read_text().splitlines()
    cpus = [int(tok[3:]) for tok in lines[0].split()]
    out = {}
    for line in lines[1:]:
        label, _, rest = line.partition(":")
        if not label.strip().isdigit():
            continue
        toks = rest.split()
        counts = [int(t) for t in toks[:len(cpus)]]
        out[int(label)] = (dict(zip(cpus, counts)), rest)
    return out


def test_every_irq_with_counts(snap):
    irqs = {i["irq"]: i for i in snap["irqs"]}
    cols = snap["irq_count_cpus"]
    after = proc_interrupts()  # read after the probe: counts can only have grown
    assert after, "no IRQs in /proc/interrupts"
    for n, (counts, row) in after.items():
        assert n in irqs, f"IRQ {n} missing from the probe"
        got = {cpu: irqs[n]["counts"].get(str(cpu), 0) for cpu in cols}  # sparse: non-zero CPUs only
        assert set(got) == set(counts), f"IRQ {n}: CPU columns differ"
        for cpu, c in counts.items():
            assert got[cpu] <= c, f"IRQ {n} CPU{cpu}: probe {got[cpu]} > later /proc/interrupts {c}"
        # Name and chip appear in the row exactly as the kernel prints them.
        if irqs[n]["name"]:
            assert row.rstrip().endswith(irqs[n]["name"]), (n, irqs[n]["name"], row)
        assert irqs[n]["chip"] in row


def test_managed_matches_file_modes(snap):
    seen_managed = False
    for i in snap["irqs"]:
        path = Path(f"/proc/irq/{i['irq']}/smp_affinity")
        if not path.exists():
            continue
        read_only = not (path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        if read_only:
            assert i["managed"], i
            assert "read-only" in i["managed_reason"]
            seen_managed = True
        else:  # writable: managed only if debugfs (when mounted) says so
            debug = Path(f"/sys/kernel/debug/irq/irqs/{i['irq']}")
            assert i["managed"] == (debug.exists() and "AFFINITY_MANAGED" in debug.read_text()), i
        # Affinity as the kernel lists it, canonicalised.
        assert i["affinity"] == canonical(Path(f"/proc/irq/{i['irq']}/smp_affinity_list").read_text().strip())
    assert seen_managed, "no read-only smp_affinity: on this kind of host the virtio-blk queue vector is managed"


def canonical(cpulist: str) -> str:
    cpus = set()
    for part in filter(None, cpulist.split(",")):
        a, _, b = part.partition("-")
        cpus.update(range(int(a), int(b or a) + 1))
    out, run = [], []
    for c in sorted(cpus):
        if run and c == run[-1] + 1:
            run.append(c)
        else:
            if run:
                out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
            run = [c]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)


def test_queue_counts_match_sysfs(snap):
    names = sorted(p.name for p in Path("/sys/class/net").iterdir() if p.is_dir())
    nics = {n["name"]: n for n in snap["nics"]}
    assert sorted(nics) == names
    for name in names:
        queues = os.listdir(f"/sys/class/net/{name}/queues")
        assert nics[name]["rx_queues"] == sum(q.startswith("rx-") for q in queues), name
        assert nics[name]["tx_queues"] == sum(q.startswith("tx-") for q in queues), name
        assert nics[name]["ifindex"] == int(Path(f"/sys/class/net/{name}/ifindex").read_text())
        assert nics[name]["is_virtual"] == (not Path(f"/sys/class/net/{name}/device").exists())


PCI_FUNCTION = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


def pci_function(ifname: str) -> Path | None:
    """The PCI function behind a NIC, walking up from its device (virtio_net sits one level below)."""
    dev = Path(f"/sys/class/net/{ifname}/device")
    p = dev.resolve() if dev.exists() else None
    while p is not None and p != p.parent:
        if PCI_FUNCTION.match(p.name):
            return p
        p = p.parent
    return None


def test_nic_irqs_are_its_function_vectors(snap):
    """A NIC on a PCI function with MSI vectors claims some of them, only them, and each is
    annotated back; a NIC without a PCI function (lo, ifb, ...) claims none."""
    irqs = {i["irq"]: i for i in snap["irqs"]}
    for nic in snap["nics"]:
        fn = pci_function(nic["name"])
        assert nic["pci"] == (fn.name if fn else None), nic["name"]
        vectors = {int(v) for v in os.listdir(fn / "msi_irqs")} if fn and (fn / "msi_irqs").is_dir() else set()
        assert bool(nic["irqs"]) == bool(vectors), (nic["name"], nic["irqs"], vectors)
        for q in nic["irqs"]:
            assert q["irq"] in vectors, (nic["name"], q)
            assert irqs[q["irq"]]["nic"] == nic["name"]
            assert irqs[q["irq"]]["kind"] == q["kind"] and irqs[q["irq"]]["queue"] == q["queue"]
            # Queue IRQs name real queues.
            if q["kind"] in ("rx", "tx", "txrx") and q["queue"] is not None:
                assert q["queue"] < max(nic["rx_queues"], nic["tx_queues"]), q


# --- ethtool --------------------------------------------------------------------------------------

def ethtool(flag: str, ifname: str):
    proc = subprocess.run(["ethtool", flag, ifname], capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def current_and_max(text: str):
    """ethtool -l/-g: {label: value} for 'Pre-set maximums' and 'Current hardware settings'."""
    sections, cur = {"max": {}, "cur": {}}, None
    for line in text.splitlines():
        if line.startswith("Pre-set maximums"):
            cur = "max"
        elif line.startswith("Current hardware settings"):
            cur = "cur"
        elif cur and ":" in line:
            k, _, v = line.partition(":")
            sections[cur][k.strip()] = v.strip()
    return sections


def physical_nics(snap):
    nics = [n for n in snap["nics"] if not n["is_virtual"]]
    assert nics, "no NIC backed by a device: on this kind of host eth0 (virtio_net) is one"
    return nics


def test_virtual_nics_have_no_ethtool_data(snap):
    virtual = [n for n in snap["nics"] if n["is_virtual"]]
    assert any(n["name"] == "lo" for n in virtual)
    for nic in virtual:
        for group in ("channels", "rings", "coalesce"):
            assert nic[group] is None, (nic["name"], group)
            assert nic[f"{group}_unavailable"] == "not supported by this virtual device", (nic["name"], group)


def check_unsupported(nic, group, rc, out):
    assert nic[group] is None
    assert rc != 0 or "Operation not supported" in out, out
    assert "not supported" in nic[f"{group}_unavailable"]


def test_channels_match_ethtool(snap):
    labels = {"RX": "rx", "TX": "tx", "Other": "other", "Combined": "combined"}
    for nic in physical_nics(snap):
        rc, out = ethtool("-l", nic["name"])
        if rc != 0:
            check_unsupported(nic, "channels", rc, out)
            continue
        s = current_and_max(out)
        got = nic["channels"]
        assert got is not None, nic["channels_unavailable"]
        for label, key in labels.items():
            for sec, suffix in (("max", "_max"), ("cur", "")):
                v = s[sec].get(label, "n/a")
                if v == "n/a":
                    assert got.get(key + suffix, 0) == 0, (key + suffix, got)
                else:
                    assert got[key + suffix] == int(v), (key + suffix, got, out)


def test_rings_match_ethtool(snap):
    labels = {"RX": "rx", "RX Mini": "rx_mini", "RX Jumbo": "rx_jumbo", "TX": "tx"}
    for nic in physical_nics(snap):
        rc, out = ethtool("-g", nic["name"])
        if rc != 0:
            check_unsupported(nic, "rings", rc, out)
            continue
        s = current_and_max(out)
        got = nic["rings"]
        assert got is not None, nic["rings_unavailable"]
        for label, key in labels.items():
            for sec, suffix in (("max", "_max"), ("cur", "")):
                v = s[sec].get(label, "n/a")
                if v == "n/a":
                    assert got.get(key + suffix, 0) == 0
                else:
                    assert got[key + suffix] == int(v), (key + suffix, got)
        if "TX Push" in s["cur"]:
            assert got["tx_push"] == (s["cur"]["TX Push"] == "on")


def test_coalesce_matches_ethtool(snap):
    for nic in physical_nics(snap):
        rc, out = ethtool("-c", nic["name"])
        if rc != 0:
            check_unsupported(nic, "coalesce", rc, out)
            continue
        got = nic["coalesce"]
        assert got is not None, nic["coalesce_unavailable"]
        compared = 0
        for line in out.splitlines():
            m = re.match(r"^([a-z-]+):\s+(\S+)$", line.strip())
            if not m or m.group(1) in ("stats-block-usecs", "sample-interval"):
                continue
            # rx-frames -> rx_max_frames, rx-frame-low -> rx_max_frames_low (kernel attribute names)
            key = re.sub(r"_frames?(?=_|$)", "_max_frames", m.group(1).replace("-", "_"))
            if m.group(2) == "n/a":
                assert key not in got, (key, got)
            else:
                assert got[key] == int(m.group(2)), (key, got)
                compared += 1
        adaptive = re.search(r"Adaptive RX: (\S+)\s+TX: (\S+)", out)
        if adaptive:
            for side, val in zip(("rx", "tx"), adaptive.groups()):
                if val == "n/a":
                    assert f"use_adaptive_{side}" not in got
                else:
                    assert got[f"use_adaptive_{side}"] == (val == "on")
        assert compared, out
