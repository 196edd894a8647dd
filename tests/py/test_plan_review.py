"""apply and verify agree (--strict on both), warnings for what a host would silently not get, the
knob_exists condition, and applying exactly a reviewed plan (--expect-plan, --plan)."""
from __future__ import annotations

import json

import pytest
import tunectl

from conftest import fixture_host_names, run_cli
from test_apply_rollback import tree_state


def cli(verb, profile, root, *extra, state=None):
    args = [verb, "-p", str(profile), "--root", str(root)]
    if state is not None:
        args += ["--state-dir", str(state)]
    if verb == "apply":
        args.append("--yes")
    return run_cli(*args, *extra)


@pytest.mark.parametrize("host", fixture_host_names())
@pytest.mark.parametrize("profile", ["latency", "throughput", "container-host"])
def test_apply_then_verify_agree_on_every_tree(fixture_copy, tmp_path, host, profile):
    root = fixture_copy(host)
    applied = cli("apply", profile, root, "--json", state=tmp_path / "state")
    assert applied.rc == 0, applied
    verified = cli("verify", profile, root, "--json")
    assert verified.rc == 0, (verified.out[-2000:], verified.err)
    report = verified.json()
    skipped = {s["knob"] for s in applied.json()["skipped"]}
    not_ok = {i["knob"] for i in report["items"] if i["status"] in ("missing", "not-settable")}
    assert not_ok == skipped  # what apply skipped is exactly what verify reports as not there
    strict = cli("verify", profile, root, "--strict", "--json")
    if skipped or report["warnings"]:
        assert strict.rc == 1 and strict.json()["ok"] is False and strict.json()["strict"] is True, strict
    else:
        assert strict.rc == 0, strict


def test_strict_apply_refuses_before_writing_and_lists_why(fixture_copy, tmp_path):
    root = fixture_copy("cloud-ena")  # lacks files the latency profile sets
    plan = cli("plan", "latency", root, "--json").json()
    assert plan["skipped"], "the test needs a profile that skips something on this tree"
    before = tree_state(root)
    r = cli("apply", "latency", root, "--strict", "--json", state=tmp_path / "state")
    assert r.rc == 1, r
    err = r.json()["error"]
    assert err["kind"] == "plan-refused" and "strict" in err["message"] and "nothing was written" in err["message"]
    for s in plan["skipped"]:
        assert s["knob"] in r.err
    assert tree_state(root) == before and not (tmp_path / "state" / "transactions").exists()
    assert cli("plan", "latency", root, "--strict").rc == 1
    assert cli("apply", "latency", root, "--strict", "--dry-run").rc == 1  # a dry run refuses the same
    with pytest.raises(tunectl.PlanRefused) as e:
        tunectl.apply("latency", root=root, state_dir=tmp_path / "state", strict=True)
    assert e.value.exit_code == 1


def test_warnings_for_silent_successes(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    profile = tmp_path / "quiet.json"
    profile.write_text(json.dumps({
        "nic": {"nomatch*": {"rings.rx": 512}},
        "irq": {"policy": "pin", "map": {"9999": "0", "eth0:0": "7"}},
        "sysctl": {"net.ipv4.tcp_fin_timeout": 15},
    }))
    text = cli("plan", profile, root)
    assert text.rc == 0, text
    assert "warning: nic: no physical NIC matches 'nomatch*'" in text.out
    assert "warning: pin: IRQ 9999 does not exist on this host" in text.out
    assert "CPUs 7 are not online" in text.out  # pinning to an offline CPU: skipped with the reason
    as_json = cli("plan", profile, root, "--json")
    assert len(as_json.json()["warnings"]) == 2 and "warning: pin: IRQ 9999" in as_json.err
    applied = cli("apply", profile, root, state=tmp_path / "state")
    assert applied.rc == 0 and "warning: nic: no physical NIC matches" in applied.out, applied
    assert cli("apply", profile, root, "--strict", state=tmp_path / "state2").rc == 1

    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("plan", "latency", empty, "--json")
    assert r.rc == 0 and r.json()["changes"] == []
    assert any("has neither proc/ nor sys/" in w for w in r.json()["warnings"]), r.json()["warnings"]
    assert cli("plan", "latency", empty, "--strict").rc == 1


def test_knob_exists_condition_follows_the_tree(fixture_copy, tmp_path):
    profile = tmp_path / "nat.json"
    profile.write_text(json.dumps({"sysctl": {"net.netfilter.nf_conntrack_max": {
        "value": 262144, "when": {"knob_exists": "sysctl:net.netfilter.nf_conntrack_max"}}}}))
    with_module = fixture_copy("vm")
    plan = cli("plan", profile, with_module, "--json").json()
    assert [c["knob"] for c in plan["changes"] + plan["already"]] == ["sysctl:net.netfilter.nf_conntrack_max"]
    without = fixture_copy("cloud-ena")
    assert not (without / "proc/sys/net/netfilter/nf_conntrack_max").exists()
    plan = cli("plan", profile, without, "--json").json()
    assert plan["changes"] == [] and plan["skipped"] == []
    assert plan["excluded"][0]["reason"] == "sysctl:net.netfilter.nf_conntrack_max does not exist on this host"
    assert cli("apply", profile, without, "--strict", state=tmp_path / "s").rc == 0  # excluded is not skipped


def test_apply_exactly_the_reviewed_plan(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    reviewed = cli("plan", "latency", root, "--json")
    (tmp_path / "plan.json").write_text(reviewed.out)
    digest = reviewed.json()["digest"]
    assert len(digest) == 64 and f"plan digest: {digest}" in cli("plan", "latency", root).out

    # The host moves after the review: both forms refuse, naming the difference, and write nothing.
    knob = reviewed.json()["changes"][0]["knob"]
    assert knob.startswith("sysctl:"), knob
    path = root / "proc/sys" / knob.split(":", 1)[1].replace(".", "/")
    original = path.read_bytes()
    path.write_text("12345\n")
    moved = tree_state(root)
    by_file = cli("apply", "latency", root, "--plan", str(tmp_path / "plan.json"), state=state)
    assert by_file.rc == 1 and f"~ {knob}: now 12345 -> " in by_file.err, by_file
    by_digest = cli("apply", "latency", root, "--expect-plan", digest, "--json", state=state)
    assert by_digest.rc == 1 and by_digest.json()["error"]["kind"] == "plan-refused", by_digest
    assert f"not the reviewed {digest}" in by_digest.err and knob in by_digest.err
    assert tree_state(root) == moved

    path.write_bytes(original)  # back to what was reviewed: the plan is the same again
    ok = cli("apply", "latency", root, "--expect-plan", digest, "--json", state=state)
    assert ok.rc == 0 and ok.json()["plan_digest"] == digest, ok
    both = cli("apply", "latency", root, "--expect-plan", digest, "--plan", str(tmp_path / "plan.json"), state=state)
    assert both.rc == 2, both
    (tmp_path / "not-a-plan.json").write_text('{"schema": "tunectl.snapshot/2"}')
    bad = cli("apply", "latency", root, "--plan", str(tmp_path / "not-a-plan.json"), state=state)
    assert bad.rc == 2 and "not a plan" in bad.err, bad


def test_python_expect_plan_takes_the_plan_or_its_digest(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "state"
    reviewed = tunectl.plan("latency", root=root)
    assert tunectl.apply("latency", root=root, state_dir=state, expect_plan=reviewed, dry_run=True).state == "dry-run"
    stale = reviewed.to_dict()
    stale["changes"][0]["current"] = "something else"
    with pytest.raises(tunectl.PlanRefused, match="no longer the one reviewed"):
        tunectl.apply("latency", root=root, state_dir=state, expect_plan=stale)
    tx = tunectl.apply("latency", root=root, state_dir=state, expect_plan=reviewed.digest)
    assert tx.state == "applied" and tx.plan_digest == reviewed.digest
