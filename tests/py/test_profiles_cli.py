"""Built-in profiles end to end: list/show/plan on every fixture host and live, plan purity,
plan --json shape and order, verify exit codes, and Python API parity with the CLI."""
from __future__ import annotations

import glob
import hashlib
import json
import os
from pathlib import Path

import pytest

import tunectl
from conftest import FIXTURE_HOSTS, fixture_host_names, run_cli
from test_bad_profiles import tree_digest

BUILTINS = ["api-gateway", "balanced", "container-host", "latency", "throughput"]
HOSTS = fixture_host_names()
CHANGE_KEYS = {"knob", "current", "desired", "value", "why", "source", "status", "reason", "per_netns"}

# Live files a plan could conceivably touch; plan must leave every one as it was.
LIVE_GLOBS = ["/proc/sys/net/core/*", "/proc/sys/net/ipv4/tcp_*", "/proc/sys/kernel/sched_autogroup_enabled",
              "/proc/sys/vm/*", "/sys/kernel/mm/transparent_hugepage/*", "/proc/irq/*/smp_affinity_list",
              "/sys/class/net/*/queues/*/rps_cpus", "/sys/class/net/*/queues/*/xps_cpus"]


def live_digest() -> str:
    h = hashlib.sha256()
    for pattern in LIVE_GLOBS:
        for p in sorted(glob.glob(pattern)):
            try:
                h.update(p.encode() + b"\0" + Path(p).read_bytes())
            except OSError:
                h.update(p.encode() + b"\0unreadable")
    for mount in glob.glob("/sys/fs/cgroup/*") + ["/sys/fs/cgroup"]:
        h.update(str(os.path.isdir(os.path.join(mount, "work.slice"))).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    import subprocess
    base = tmp_path_factory.mktemp("hosts")
    out = {}
    for name in HOSTS:
        subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / name), str(base / name)], check=True)
        out[name] = base / name
    return out


def test_list_names_the_builtins():
    r = run_cli("profiles", "list", "--json")
    assert r.rc == 0, r
    listed = r.json()
    assert [p["name"] for p in listed] == BUILTINS
    for p in listed:
        assert p["description"] and len(p["digest"]) == 64
        assert 0 < p["applicable"] <= p["settings"]
    human = run_cli("profiles", "list")
    assert human.rc == 0 and all(name in human.out for name in BUILTINS)


@pytest.mark.parametrize("host", HOSTS)
@pytest.mark.parametrize("profile", BUILTINS)
def test_builtin_shows_and_plans_on_fixture(trees, host, profile):
    root = trees[host]
    before = tree_digest(root)
    show = run_cli("profiles", "show", profile, "--root", str(root), "--json")
    assert show.rc == 0, show
    shown = show.json()
    assert shown["name"] == profile and shown["root"] == str(root)
    assert set(shown["effective"]) <= set(shown["resolved"])
    assert run_cli("profiles", "show", profile, "--root", str(root)).rc == 0
    r = run_cli("plan", "-p", profile, "--root", str(root), "--json")
    assert r.rc == 0, r
    plan = r.json()
    assert plan["profile"] == profile and plan["profile_digest"] == shown["digest"]
    for group, status in (("changes", {"change"}), ("already", {"ok"}), ("skipped", {"not-settable", "missing"})):
        for c in plan[group]:
            assert set(c) == CHANGE_KEYS
            assert c["status"] in status
            assert c["why"], c
            if group == "skipped":
                assert c["reason"], c
    human = run_cli("plan", "-p", profile, "--root", str(root))
    assert human.rc == 0 and "already as desired" in human.out
    assert tree_digest(root) == before, "plan wrote to the tree"


@pytest.mark.parametrize("profile", BUILTINS)
def test_builtin_plans_live_without_writing(profile):
    before = live_digest()
    assert run_cli("profiles", "show", profile).rc == 0
    r = run_cli("plan", "-p", profile, "--json")
    assert r.rc == 0, r
    assert r.json()["root"] == "/"
    assert live_digest() == before, "plan wrote to the live host"


def test_latency_numa_local_irq_map_on_two_sockets(trees):
    plan = run_cli("plan", "-p", "latency", "--root", str(trees["metal-2s-mlx5-k8s"]), "--json").json()
    mlx = [e for e in plan["irq_map"] if e["nic"] == "ens1f0np0"]
    assert len(mlx) == 32
    for e in mlx:
        # Node 0 housekeeping cores, first threads only: CPUs 0-7; queue q on CPU q mod 8.
        assert e["cpus"] == str(e["queue"] % 8)
    changed = {c["knob"] for c in plan["changes"]}
    assert {f"irq:{e['irq']}:affinity" for e in mlx if e["status"] == "change"} <= changed


def test_plan_order_is_safe(trees):
    plan = run_cli("plan", "-p", "container-host", "--root", str(trees["metal-2s-mlx5-k8s"]), "--json").json()
    order = [c["knob"] for c in plan["changes"]]
    assert order[0] == "cgroup_dir:/work.slice"
    assert plan["changes"][0]["current"] == "absent" and plan["changes"][0]["desired"] == "present"
    assert order[1] == "cgroup:/work.slice:cpu.max"
    assert order[2] == "cgroup:/work.slice:cpu.max.burst"
    assert order[-1].startswith("thp:")


def test_conditions_leave_out_settings_with_reasons(trees):
    single = run_cli("plan", "-p", "latency", "--root", str(trees["vm"]), "--json").json()
    assert {"item": "/sysctl/kernel.numa_balancing", "reason": "numa_nodes > 1 is false: numa_nodes is 1"} in single["excluded"]
    dual = run_cli("plan", "-p", "latency", "--root", str(trees["metal-2s-mlx5-k8s"]), "--json").json()
    assert not any(x["item"] == "/sysctl/kernel.numa_balancing" for x in dual["excluded"])


SYSCTL_PROFILE = {"sysctl": {"net.ipv4.tcp_fin_timeout": {"value": 15, "why": "w", "source": "s"},
                             "net.ipv4.tcp_keepalive_time": 60, "net.ipv4.tcp_tw_reuse": 1}}


def write_desired(root: Path, plan: dict):
    """Hand-edit a tree to the plan's desired values (what apply would do, for sysctls)."""
    for c in plan["changes"]:
        assert c["knob"].startswith("sysctl:")
        path = root / "proc/sys" / c["knob"][len("sysctl:"):].replace(".", "/")
        path.write_text(c["value"] + "\n")


def test_verify_exit_codes(tmp_path, fixture_copy):
    root = fixture_copy("vm")
    (root / "proc/sys/net/ipv4/tcp_fin_timeout").write_text("60\n")
    profile = tmp_path / "gw.json"
    profile.write_text(json.dumps(SYSCTL_PROFILE))
    r = run_cli("verify", "-p", str(profile), "--root", str(root), "--json")
    assert r.rc == 1, r
    report = r.json()
    assert not report["ok"] and report["summary"].get("drift", 0) >= 1
    drift = next(i for i in report["items"] if i["knob"] == "sysctl:net.ipv4.tcp_fin_timeout")
    assert (drift["expected"], drift["actual"], drift["status"]) == ("15", "60", "drift")
    human = run_cli("verify", "-p", str(profile), "--root", str(root))
    assert human.rc == 1 and "DRIFT" in human.out

    plan = run_cli("plan", "-p", str(profile), "--root", str(root), "--json").json()
    write_desired(root, plan)
    assert run_cli("plan", "-p", str(profile), "--root", str(root), "--json").json()["changes"] == []
    ok = run_cli("verify", "-p", str(profile), "--root", str(root), "--json")
    assert ok.rc == 0, ok
    assert all(i["status"] == "ok" for i in ok.json()["items"])

    (root / "proc/sys/net/ipv4/tcp_keepalive_time").write_text("7200\n")  # drift again
    assert run_cli("verify", "-p", str(profile), "--root", str(root)).rc == 1


def test_verify_help_documents_exit_codes():
    r = run_cli("verify", "--help")
    assert r.rc == 0 and "pending never fails" in r.out and "apply then verify agree" in r.out, r.out
    assert "--strict fails on them" in r.out


def test_unknown_profile_is_a_usage_error():
    r = run_cli("plan", "-p", "no-such-profile")
    assert r.rc == 2 and "unknown profile 'no-such-profile'" in r.err
    assert run_cli("profiles", "show", "nope").rc == 2
    assert run_cli("profiles", "frobnicate").rc == 2


# --- Python API parity --------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["latency", "container-host"])
def test_python_plan_matches_cli(trees, profile):
    root = str(trees["metal-2s-mlx5-k8s"])
    cli = run_cli("plan", "-p", profile, "--root", root, "--json").json()
    plan = tunectl.plan(profile, root=root)
    assert isinstance(plan, tunectl.Plan)
    assert plan.to_dict() == cli
    assert tunectl.plan(tunectl.load_profile(profile), root=root).to_dict() == cli
    assert plan.changes[0].knob == cli["changes"][0]["knob"]


def test_python_verify_and_show_match_cli(tmp_path, trees):
    root = str(trees["vm"])
    profile = tmp_path / "gw.json"
    profile.write_text(json.dumps(SYSCTL_PROFILE))
    cli = run_cli("verify", "-p", str(profile), "--root", root, "--json").json()
    report = tunectl.verify(str(profile), root=root)
    assert isinstance(report, tunectl.VerifyReport) and report.to_dict() == cli
    shown = run_cli("profiles", "show", "latency", "--root", root, "--json").json()
    assert tunectl.show_profile("latency", root=root).to_dict() == shown
    loaded = tunectl.load_profile("latency").to_dict()
    assert loaded == {k: shown[k] for k in loaded}
    assert [p.name for p in tunectl.list_profiles()] == BUILTINS


def test_python_raises_typed_profile_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"sysctl": {"net.ipv4.tcp_fin_timeout": -5}}')
    with pytest.raises(tunectl.ProfileError) as e:
        tunectl.load_profile(str(bad))
    assert str(e.value) == f"{bad}: /sysctl/net.ipv4.tcp_fin_timeout: must be 1..120, got -5"
    assert isinstance(e.value, tunectl.Error)
    with pytest.raises(tunectl.ProfileError):
        tunectl.plan(str(bad))
    with pytest.raises(tunectl.InputError):
        tunectl.plan("balanced", root=str(tmp_path / "absent"))
