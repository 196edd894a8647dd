"""Snapshot/2's per-CPU IRQ counts (docs/snapshot.md) through the CLI and Python on every fixture
host: sparse by default, `--irq-counts full` for the matrix, both the same numbers, and the sums
equal to /proc/interrupts. Timing lives in scripts/bench-probe, never here."""
from __future__ import annotations

import copy
import json

import pytest

import tunectl
from conftest import FIXTURE_HOSTS, fixture_host_names, run_cli

HOSTS = fixture_host_names()
# Generated trees write /proc/interrupts and per_cpu_count from the same numbers; a captured tree
# ("vm") read them moments apart while the counts kept rising.
GENERATED = [h for h in HOSTS if h != "vm"]


def probe_cli(name: str, *args: str) -> dict:
    r = run_cli("probe", "--json", "--root", str(FIXTURE_HOSTS / name), *args)
    assert r.rc == 0, r
    return r.json()


def proc_interrupts(name: str) -> dict[int, dict[int, int]]:
    """IRQ -> {cpu: count} of the non-zero counts in the tree's /proc/interrupts."""
    lines = (FIXTURE_HOSTS / name / "proc" / "interrupts").read_text().splitlines()
    cpus = [int(c[3:]) for c in lines[0].split()]
    out = {}
    for line in lines[1:]:
        label, _, rest = line.partition(":")
        if not label.strip().isdigit():
            continue
        fields = rest.split()[:len(cpus)]
        out[int(label)] = {cpu: int(v) for cpu, v in zip(cpus, fields) if int(v)}
    return out


@pytest.mark.parametrize("name", GENERATED)
def test_sparse_counts_are_the_non_zero_cpus_of_proc_interrupts(name):
    snap = probe_cli(name)
    assert snap["schema"] == "tunectl.snapshot/2"
    assert snap["irq_counts"] == "sparse"
    rows = proc_interrupts(name)
    checked = 0
    for irq in snap["irqs"]:
        assert isinstance(irq["counts"], dict)
        assert all(v > 0 for v in irq["counts"].values()), irq["irq"]
        if irq["irq"] in rows:
            assert {int(c): v for c, v in irq["counts"].items()} == rows[irq["irq"]], irq["irq"]
            assert sum(irq["counts"].values()) == sum(rows[irq["irq"]].values())
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", HOSTS)
def test_full_counts_give_every_cpu_and_the_same_numbers(name):
    sparse, full = probe_cli(name), probe_cli(name, "--irq-counts", "full")
    assert full["irq_counts"] == "full"
    cols = full["irq_count_cpus"]
    assert cols == sparse["irq_count_cpus"] and cols
    expanded = copy.deepcopy(sparse)
    for irq in expanded["irqs"]:
        irq["counts"] = [irq["counts"].get(str(c), 0) for c in cols]
    for irq in full["irqs"]:
        assert len(irq["counts"]) == len(cols)
    for doc in (expanded, full):
        doc.pop("irq_counts")
        doc["host"].pop("taken_at")
    assert expanded == full


def test_unknown_form_is_a_usage_error():
    r = run_cli("probe", "--json", "--irq-counts", "dense", "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 2 and "--irq-counts" in r.err, r
    with pytest.raises(tunectl.InputError):
        tunectl.probe(str(FIXTURE_HOSTS / "vm"), irq_counts="dense")


@pytest.mark.parametrize("form", ["sparse", "full"])
def test_python_reads_either_form_per_cpu(form):
    root = str(FIXTURE_HOSTS / "metal-2s-mlx5-k8s")
    snap = tunectl.probe(root, only=["irq"], irq_counts=form)
    assert snap.irq_counts == form
    rows = proc_interrupts("metal-2s-mlx5-k8s")
    for irq, want in rows.items():
        got = {cpu: n for cpu, n in snap.irq_counts_by_cpu(irq).items() if n}
        assert got == want, irq
        if form == "full":
            assert len(snap.irq_counts_by_cpu(irq)) == len(snap.irq_count_cpus)


def test_diff_compares_a_snapshot_1_with_a_snapshot_2(tmp_path):
    """An audit report's embedded snapshot/1 against a new probe: same host, nothing differs."""
    v2 = probe_cli("vm")
    v1 = probe_cli("vm", "--irq-counts", "full")
    v1["schema"] = "tunectl.snapshot/1"
    del v1["irq_counts"]
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(v1))
    b.write_text(json.dumps(v2))
    r = run_cli("diff", str(a), str(b), "--json")
    assert r.rc == 0, r
    assert tunectl.diff(v1, v2).identical
