"""`tunectl knobs [--json]` and tunectl.knobs(): the allowlist from the knob layer's catalogue, the
same records in both; the sysctls added for fleets plan on the fixture trees; unknown names get a
"did you mean" hint."""
from __future__ import annotations

import json
import re

import tunectl

from conftest import FIXTURE_HOSTS, SOURCE_DIR, run_cli

KINDS = re.findall(r"^TUNECTL_KNOB_KIND\((\w+)\)", (SOURCE_DIR / "tuner" / "knobs" / "kinds.def").read_text(), re.M)
NEW = ["net.ipv4.tcp_congestion_control", "net.core.default_qdisc", "fs.file-max", "fs.nr_open",
       "net.netfilter.nf_conntrack_max", "vm.overcommit_memory", "vm.dirty_ratio", "vm.dirty_background_ratio",
       "kernel.pid_max", "net.ipv4.tcp_mtu_probing", "net.ipv4.tcp_notsent_lowat", "net.core.optmem_max"]


def knobs_json():
    r = run_cli("knobs", "--json")
    assert r.rc == 0 and r.err == "", r
    return r.json()


def test_json_lists_every_kind_in_registry_order():
    j = knobs_json()
    assert j["schema"] == "tunectl.knobs/1"
    assert [k["prefix"] for k in j["kinds"]] == KINDS and len(KINDS) >= 13
    for k in j["kinds"]:
        assert k["address"].startswith(k["prefix"] + ":") and k["writes"] and k["phase"], k


def test_json_lists_every_sysctl_with_range_unit_default_and_doc():
    sysctls = {s["name"]: s for s in knobs_json()["sysctls"]}
    for name in NEW:
        assert name in sysctls, name
    for s in sysctls.values():
        assert s["range"] and s["unit"] and s["default_value"], s
        assert s["doc"].startswith("Documentation/") and s["doc"].endswith(".rst"), s
    assert sysctls["net.ipv4.tcp_congestion_control"]["per_netns"] is True
    assert sysctls["net.core.default_qdisc"]["per_netns"] is False
    assert sysctls["kernel.pid_max"]["range"] == "301..4194304"
    assert sysctls["net.ipv4.tcp_rmem"]["fields"] == 3


def test_python_knobs_is_the_same_catalogue():
    k = tunectl.knobs()
    assert isinstance(k, tunectl.Knobs)
    assert k.to_dict() == knobs_json()
    assert k.sysctls[0].name == "net.ipv4.tcp_keepalive_time"
    assert "knobs" in tunectl.__all__


def test_text_output_names_every_kind_and_sysctl():
    r = run_cli("knobs")
    assert r.rc == 0 and r.err == "", r
    for kind in KINDS:
        assert re.search(rf"^  {kind} ", r.out, re.M), kind
    for s in knobs_json()["sysctls"]:
        assert re.search(rf"^  {re.escape(s['name'])} ", r.out, re.M), s["name"]
    assert "Documentation/networking/nf_conntrack-sysctl.rst" in r.out


def test_bad_option_is_a_usage_error():
    r = run_cli("knobs", "--nope")
    assert r.rc == 2 and r.out == "" and "--nope" in r.err, r


def plan(tmp_path, host, sysctls):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"sysctl": sysctls}))
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / host), "--json")
    assert r.rc == 0, r
    p = r.json()
    return {c["knob"]: c for c in p["changes"] + p["already"] + p["skipped"]}


def test_congestion_control_is_checked_against_the_host(tmp_path):
    vm = plan(tmp_path, "vm", {"net.ipv4.tcp_congestion_control": "bbr"})["sysctl:net.ipv4.tcp_congestion_control"]
    assert vm["status"] == "ok" and vm["per_netns"] is True, vm  # the captured VM runs bbr
    ena = plan(tmp_path, "cloud-ena", {"net.ipv4.tcp_congestion_control": "bbr"})
    c = ena["sysctl:net.ipv4.tcp_congestion_control"]
    assert c["status"] == "not-settable", c
    assert "not available on this host (tcp_available_congestion_control: reno cubic)" in c["reason"], c


def test_conntrack_without_its_module_is_missing(tmp_path):
    c = plan(tmp_path, "cloud-ena", {"net.netfilter.nf_conntrack_max": 1048576})["sysctl:net.netfilter.nf_conntrack_max"]
    assert c["status"] == "missing" and "nf_conntrack module is not loaded" in c["reason"], c
    c = plan(tmp_path, "intel-i40e-cgv1", {"net.netfilter.nf_conntrack_max": 1048576})[
        "sysctl:net.netfilter.nf_conntrack_max"]
    assert c["status"] == "change" and c["current"] == "262144", c


def test_new_sysctls_apply_and_roll_back_on_a_tree(tmp_path, fixture_copy):
    root = fixture_copy("metal-2s-mlx5-k8s")
    state = tmp_path / "state"
    path = tmp_path / "p.json"
    values = {"net.core.default_qdisc": "fq", "fs.file-max": 4194304, "kernel.pid_max": 65536,
              "net.ipv4.tcp_notsent_lowat": 131072, "vm.overcommit_memory": 1}
    path.write_text(json.dumps({"sysctl": values}))
    before = {n: (root / "proc/sys" / n.replace(".", "/")).read_bytes() for n in values}
    r = run_cli("apply", "-p", str(path), "--root", str(root), "--state-dir", str(state), "--yes")
    assert r.rc == 0, r
    assert (root / "proc/sys/net/core/default_qdisc").read_text() == "fq\n"
    assert (root / "proc/sys/fs/file-max").read_text() == "4194304\n"
    r = run_cli("rollback", "--root", str(root), "--state-dir", str(state))
    assert r.rc == 0, r
    assert {n: (root / "proc/sys" / n.replace(".", "/")).read_bytes() for n in values} == before


def test_unknown_sysctl_in_a_profile_suggests_the_closest(tmp_path):
    path = tmp_path / "typo.json"
    path.write_text(json.dumps({"sysctl": {"net.core.default_qdsic": "fq"}}))
    r = run_cli("plan", "-p", str(path), "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 2, r
    assert "/sysctl/net.core.default_qdsic: " in r.err and "did you mean 'net.core.default_qdisc'?" in r.err, r
