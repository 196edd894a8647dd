"""`tunectl diff A B` (CLI) and `tunectl.diff(a, b)` (Python): exit codes, the human and --json
forms, identity matching of list elements, volatile counters, audit reports, and input errors."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

import tunectl
from conftest import FIXTURE_HOSTS, SOURCE_DIR, run_cli

AUDIT_SAMPLE = SOURCE_DIR / "tests" / "fixtures" / "audit" / "report-sample.json"


def probe(root: Path) -> dict:
    r = run_cli("probe", "--root", str(root), "--json")
    assert r.rc == 0, r
    return r.json()


def write(path: Path, doc) -> str:
    path.write_text(json.dumps(doc))
    return str(path)


def irq_index(snap: dict, irq: int) -> int:
    return next(i for i, row in enumerate(snap["irqs"]) if row["irq"] == irq)


@pytest.fixture
def vm() -> dict:
    return probe(FIXTURE_HOSTS / "vm")


@pytest.fixture
def edited(vm) -> dict:
    """vm with the THP mode changed, IRQ 24's affinity moved and IRQ 27 inserted before 28."""
    b = copy.deepcopy(vm)
    b["thp"]["enabled"] = "never"
    b["irqs"][irq_index(b, 24)]["effective_affinity"] = "1"
    extra = dict(b["irqs"][irq_index(b, 26)], irq=27, name="extra")
    b["irqs"].insert(irq_index(b, 28), extra)
    return b


EDITED_PATHS = {"thp": ["/thp/enabled"], "irq": ["/irqs/24/effective_affinity", "/irqs/27"]}


def test_two_probes_of_one_tree_are_identical_and_print_nothing(tmp_path, fixture_copy):
    a = write(tmp_path / "a.json", probe(FIXTURE_HOSTS / "vm"))
    b = write(tmp_path / "b.json", probe(fixture_copy("vm")))  # another root, another time
    r = run_cli("diff", a, b)
    assert (r.rc, r.out, r.err) == (0, "", "")
    r = run_cli("diff", a, b, "--json")
    assert r.rc == 0, r
    d = r.json()
    assert d["schema"] == "tunectl.diff/1" and d["kind"] == "snapshot"
    assert d["identical"] is True and d["areas"] == {}
    assert d["a"]["source"] == a and d["b"]["source"] == b and d["a"]["hostname"] == "vm"


def test_edits_give_exactly_those_paths(tmp_path, vm, edited):
    a, b = write(tmp_path / "a.json", vm), write(tmp_path / "b.json", edited)
    r = run_cli("diff", a, b, "--json")
    assert r.rc == 1, r
    d = r.json()
    assert d["identical"] is False
    assert {area: [c["path"] for c in changes] for area, changes in d["areas"].items()} == EDITED_PATHS
    thp = d["areas"]["thp"][0]
    assert (thp["change"], thp["a"], thp["b"]) == ("changed", "madvise", "never")
    added = d["areas"]["irq"][1]
    assert added["change"] == "added" and added["a"] is None and added["b"]["name"] == "extra"

    r = run_cli("diff", a, b)
    assert r.rc == 1 and r.err == "", r
    assert r.out.splitlines() == [
        f"A: snapshot {a} (host vm, {vm['host']['taken_at']})",
        f"B: snapshot {b} (host vm, {edited['host']['taken_at']})",
        "",
        "irq (2 differences)",
        '  /irqs/24/effective_affinity: "0" -> "1"',
        '  /irqs/27: (absent) -> {name: "extra", 15 fields}',
        "",
        "thp (1 difference)",
        '  /thp/enabled: "madvise" -> "never"',
    ]


def test_an_inserted_element_does_not_cascade(tmp_path):
    a = probe(FIXTURE_HOSTS / "metal-2s-mlx5-k8s")
    b = copy.deepcopy(a)
    assert len(b["irqs"]) > 10
    b["irqs"].insert(0, dict(b["irqs"][0], irq=9999, name="first"))
    b["nics"].insert(0, dict(b["nics"][-1], name="new0"))
    b["cgroups"]["groups"].reverse()
    d = tunectl.diff(a, b)
    assert d.paths == ["/irqs/9999", "/nics/new0"]
    r = run_cli("diff", write(tmp_path / "a.json", a), write(tmp_path / "b.json", b), "--json")
    assert r.rc == 1 and r.json()["areas"] == d.to_dict()["areas"]


def test_counters_are_ignored_unless_asked(tmp_path, vm):
    b = copy.deepcopy(vm)
    counts = b["irqs"][0]["counts"]  # sparse: {"<cpu>": count}
    assert counts
    cpu = next(iter(counts))
    counts[cpu] += 100
    b["topology"]["nodes"][0]["mem_free_kb"] += 1
    b["tcp"]["counters"]["TCPKeepAlive"] += 1
    a_path, b_path = write(tmp_path / "a.json", vm), write(tmp_path / "b.json", b)
    assert (run_cli("diff", a_path, b_path).rc, tunectl.diff(vm, b).identical) == (0, True)
    r = run_cli("diff", a_path, b_path, "--counters", "--json")
    assert r.rc == 1, r
    irq = vm["irqs"][0]["irq"]
    expected = sorted(["/topology/nodes/0/mem_free_kb", f"/irqs/{irq}/counts/{cpu}", "/tcp/counters/TCPKeepAlive"])
    assert sorted(c["path"] for changes in r.json()["areas"].values() for c in changes) == expected
    assert sorted(tunectl.diff(vm, b, counters=True).paths) == expected


def test_two_audit_reports(tmp_path):
    a = json.loads(AUDIT_SAMPLE.read_text())
    b = copy.deepcopy(a)
    b["started_at"] = "2027-01-01T00:00:00Z"  # timing is never compared
    b["duration_s"] = 1.0
    r = run_cli("diff", str(AUDIT_SAMPLE), write(tmp_path / "b.json", b))
    assert (r.rc, r.out, r.err) == (0, "", ""), r

    b["outcome"]["verdict"] = "passed"
    b["settings"][0]["after"] = "7200"
    metrics = b["benchmarks"][0]["comparison"]["metrics"]
    metrics.reverse()  # matched by bench and metric, not by position
    next(m for m in metrics if m["metric"] == "rtt_p50_us")["verdict"] = "improved"
    r = run_cli("diff", str(AUDIT_SAMPLE), write(tmp_path / "b.json", b), "--json")
    assert r.rc == 1, r
    areas = {area: [c["path"] for c in changes] for area, changes in r.json()["areas"].items()}
    assert areas == {
        "outcome": ["/outcome/verdict"],
        "settings": ["/settings/sysctl:net.ipv4.tcp_keepalive_time/after"],
        "verdicts": ["/benchmarks/tcp_rr/comparison/metrics/rtt_p50_us/verdict"],
    }
    assert tunectl.diff(str(AUDIT_SAMPLE), b).to_dict()["areas"] == r.json()["areas"]


@pytest.mark.parametrize("case", ["missing", "not-json", "unknown-schema", "snapshot-vs-audit", "directory"])
def test_input_errors_exit_2_with_one_line_naming_the_file(tmp_path, vm, case):
    good = write(tmp_path / "good.json", vm)
    bad = {
        "missing": str(tmp_path / "missing.json"),
        "not-json": str(tmp_path / "bad.json"),
        "unknown-schema": write(tmp_path / "bench.json", {"schema": "tunectl.bench/1"}),
        "snapshot-vs-audit": str(AUDIT_SAMPLE),
        "directory": str(tmp_path),
    }[case]
    (tmp_path / "bad.json").write_text("{not json")
    r = run_cli("diff", good, bad)
    assert r.rc == 2 and r.out == "", r
    assert len(r.err.strip().splitlines()) == 1 and r.err.startswith("tunectl diff: ") and bad in r.err, r
    with pytest.raises(tunectl.InputError, match="diff compares|missing.json|bad.json|directory") as e:
        tunectl.diff(good, bad)
    assert bad in str(e.value)


def test_help_names_exit_codes_and_usage_errors():
    r = run_cli("diff", "--help")
    assert r.rc == 0 and "exit codes: 0 identical" in r.out and "--counters" in r.out, r
    assert run_cli("diff", "only-one.json").rc == 2


def test_python_accepts_snapshots_dicts_and_paths(tmp_path, vm, edited):
    snap = tunectl.probe(root=str(FIXTURE_HOSTS / "vm"))
    assert isinstance(snap, tunectl.Snapshot)
    same = tunectl.diff(snap, write(tmp_path / "vm.json", vm))
    assert isinstance(same, tunectl.Diff) and same.identical is True and same.to_dict()["areas"] == {}
    d = tunectl.diff(snap, Path(write(tmp_path / "edited.json", edited)))
    assert d.identical is False
    assert {area: [c["path"] for c in changes] for area, changes in d.to_dict()["areas"].items()} == EDITED_PATHS
    assert d.areas["thp"][0].b == "never"
    assert d.a.source == "A" and d.b.source == os.fspath(tmp_path / "edited.json")
    with pytest.raises(tunectl.InputError, match="^B: unknown schema"):
        tunectl.diff(snap, {"schema": "nope"})
    with pytest.raises(tunectl.InputError, match="^A: not JSON"):
        tunectl.diff({"schema": float("nan")}, snap)
    with pytest.raises(TypeError):
        tunectl.diff(snap, 42)
