"""The Ansible collection (bindings/ansible, module tunectl.tuning.tunectl_profile) run for real with
Debian's ansible-core: ansible-doc renders it; ansible-playbook against localhost (connection local)
in check mode, apply (idempotent), diff, verify, rollback, audit and persist on copies of the fixture
trees, compared byte for byte; typed errors; and one live run of net sysctls inside a private network
namespace. ansible-core comes with scripts/setup.sh: without it these tests fail, they do not skip.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import tunectl
from conftest import FIXTURE_HOSTS, SOURCE_DIR, TUNECTL_BIN, run_cli
from test_apply_rollback import diff_states, tree_state
from test_crash_safety import NET_PROFILE, NET_SYSCTLS, host_sysctls

COLLECTION = SOURCE_DIR / "bindings" / "ansible"
MODULES = COLLECTION / "plugins" / "modules"
STATES = ["applied", "verified", "rolled_back", "audited", "persisted"]
UNIT = SOURCE_DIR / "packaging" / "systemd" / "tunectl-boot.service"


def ansible_env(tmp_path: Path) -> dict:
    """ansible-core with the collection from this tree, its temp files in tmp_path (nothing in
    ~/.ansible), and the tunectl package under test on the module's PYTHONPATH."""
    assert shutil.which("ansible-playbook") and shutil.which("ansible-doc"), \
        "ansible-core is not installed (scripts/setup.sh installs it)"
    colls = tmp_path / "collections"
    (colls / "ansible_collections" / "tunectl").mkdir(parents=True, exist_ok=True)
    link = colls / "ansible_collections" / "tunectl" / "tuning"
    if not link.exists():
        link.symlink_to(COLLECTION)
    env = dict(os.environ)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(colls), ANSIBLE_HOME=str(tmp_path / "ansible-home"),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"), ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-tmp"),
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
               PYTHONPATH=str(Path(tunectl.__file__).resolve().parents[1]))
    return env


def playbook(tmp_path: Path, tasks: list, *args: str, prefix: tuple = (), name: str = "play") -> list:
    """Runs one play of `tasks` on localhost (connection local); returns each task's registered
    result in order (a last task writes them to a file, also in check mode). A playbook is YAML,
    and JSON is YAML."""
    book, out = tmp_path / f"{name}.yml", tmp_path / f"{name}.results.json"
    registered = [{**t, "register": f"r{i}"} for i, t in enumerate(tasks)]
    save = {"name": "save", "check_mode": False, "ansible.builtin.copy": {
        "content": "{{ [" + ", ".join(f"r{i}" for i in range(len(tasks))) + "] | to_json }}", "dest": str(out)}}
    book.write_text(json.dumps([{"hosts": "localhost", "connection": "local", "gather_facts": False,
                                 "vars": {"ansible_python_interpreter": "/usr/bin/python3"},
                                 "tasks": registered + [save]}]))
    proc = subprocess.run([*prefix, "ansible-playbook", "-i", "localhost,", str(book), *args], capture_output=True,
                          text=True, env=ansible_env(tmp_path), timeout=300)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr)  # failures are results: ignore_errors
    return json.loads(out.read_text())


def task(name: str, **args) -> dict:
    return {"name": name, "tunectl.tuning.tunectl_profile": args, "ignore_errors": True}


def knob_lines(diffs: list) -> dict:
    """{knob: (before, after)} from a result's per-knob diff entries."""
    return {d["before_header"]: (d["before"].strip(), d["after"].strip()) for d in diffs}


def test_ansible_doc_renders_every_state(tmp_path):
    env = ansible_env(tmp_path)
    words = STATES + ["profile_body", "expect_plan", "check mode", "transaction_id", "reboot_pending", "verdicts"]
    for cmd in (["ansible-doc", "tunectl.tuning.tunectl_profile"],  # as installed: a collection
                ["ansible-doc", "-M", str(MODULES), "tunectl_profile"]):  # the module file alone
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0 and "ERROR" not in r.stderr, (cmd, r.stderr)
        text = " ".join(r.stdout.split())  # ansible-doc wraps lines
        assert all(word in text for word in words), (cmd, [w for w in words if w not in text])


def test_check_mode_returns_the_plan_and_writes_nothing(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    original = tree_state(root)
    [r] = playbook(tmp_path, [task("plan", profile="latency", root=str(root), state_dir=str(tmp_path / "s"))],
                   "--check", "--diff")
    expected = tunectl.plan("latency", root=str(root)).to_dict()
    assert not r.get("failed"), r
    assert r["changed"] is True and r["transaction_id"] is None
    assert r["plan"] == expected and expected["changes"]
    assert knob_lines(r["diff"]) == {c["knob"]: (c["current"], c["desired"]) for c in expected["changes"]}
    assert tree_state(root) == original and not (tmp_path / "s").exists()


def test_apply_is_idempotent_verifies_and_rolls_back_byte_for_byte(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    original = tree_state(root)
    common = dict(profile="latency", root=str(root), state_dir=str(tmp_path / "s"))
    first, second, verified, back, again = playbook(tmp_path, [
        task("apply", **common), task("apply again", **common), task("verify", state="verified", **common),
        task("roll back", state="rolled_back", root=str(root), state_dir=str(tmp_path / "s")),
        task("roll back again", state="rolled_back", root=str(root), state_dir=str(tmp_path / "s")),
    ], "--diff")
    assert not any(r.get("failed") for r in (first, second, verified, back, again)), (first, verified, back)
    # first run: changed, one transaction, before/after per knob as written and read back
    assert first["changed"] is True and first["transaction_id"] and first["transaction"]["state"] == "applied"
    assert first["reboot_pending"] is False
    written = {c["knob"]: (c["current"], c["desired"]) for c in first["transaction"]["changes"]}
    assert written and knob_lines(first["diff"]) == written  # (the tree is compared after the rollback below)
    # second run: nothing to change, no transaction, no diff
    assert second["changed"] is False and second["transaction_id"] is None and second["diff"] == []
    assert verified["changed"] is False and verified["verify"]["ok"] is True
    # every knob written holds (an IRQ's effective affinity may still be pending: never a failure)
    assert set(written) <= {k for k, s in verified["verdicts"].items() if s in ("ok", "pending")}
    assert "drift" not in verified["verdicts"].values()
    assert back["changed"] is True and back["rolled_back"] == [first["transaction_id"]]
    # the rollback's diff is in exact bytes: what it found (the apply's read-back), what it restored
    assert knob_lines(back["diff"]) == {c["knob"]: (c["after"].strip(), c["before"].strip())
                                        for c in first["transaction"]["changes"]}
    assert again["changed"] is False and again["rolled_back"] == [] and again["nothing_to_do"]
    assert diff_states(original, tree_state(root)) == []


def test_drift_fails_verified_and_check_mode_rollback_names_the_transaction(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    common = dict(root=str(root), state_dir=str(tmp_path / "s"))
    [applied] = playbook(tmp_path, [task("apply", profile="latency", **common)], name="apply")
    original = tree_state(root)
    (root / "proc/sys/net/core/busy_poll").write_text("7\n")
    drifted = tree_state(root)
    verified, would = playbook(tmp_path, [task("verify", profile="latency", state="verified", **common),
                                          task("would roll back", state="rolled_back", **common)],
                               "--check", name="chk")
    assert verified["failed"] is True and verified["verdicts"]["sysctl:net.core.busy_poll"] == "drift"
    assert "sysctl:net.core.busy_poll" in verified["msg"]
    assert would["changed"] is True and would["rolled_back"] == [applied["transaction_id"]]
    assert tree_state(root) == drifted != original


def test_bad_profiles_and_refused_plans_fail_with_the_typed_code_and_message(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    original = tree_state(root)
    common = dict(root=str(root), state_dir=str(tmp_path / "s"))
    bad_body, unknown, refused = playbook(tmp_path, [
        task("bad value", profile_body={"sysctl": {"net.ipv4.tcp_keepalive_time": "soon"}}, **common),
        task("no such profile", profile="no-such-profile", **common),
        task("not the reviewed plan", profile="latency", expect_plan="0" * 64, **common),
    ])
    for r, code, kind in ((bad_body, 2, "ProfileError"), (unknown, 2, None), (refused, 1, "PlanRefused")):
        assert r["failed"] is True and r["error"]["code"] == code, r
        assert r["msg"] == r["error"]["message"] and r["msg"]
        assert kind is None or r["error"]["kind"] == kind, r
    assert bad_body["error"]["pointer"] == "/sysctl/net.ipv4.tcp_keepalive_time", bad_body
    assert "no-such-profile" in unknown["msg"]
    assert tree_state(root) == original and not list((tmp_path / "s").glob("*.json"))


def test_audited_keeps_a_passed_profile_and_fails_a_failed_audit(fixture_copy, tmp_path):
    """Audits on a captured tree are quick: the benchmarks that need the live host do not run. A
    profile whose benchmarks cannot run and that claims nothing passes; api-gateway, whose
    expectations then cannot be shown, fails and is rolled back (what stops a fleet's canary)."""
    root = fixture_copy("vm")
    original = tree_state(root)
    common = dict(root=str(root), state_dir=str(tmp_path / "s"), rounds=5, warmup=0)
    planned, passed, failed = playbook(tmp_path, [
        {**task("dry run", state="audited", profile_body={"sysctl": {"net.ipv4.tcp_keepalive_time": 601}},
                **common), "check_mode": True},
        task("passes", state="audited", profile_body={"sysctl": {"net.ipv4.tcp_keepalive_time": 601}},
             out=str(tmp_path / "pass"), **common),
        task("fails", state="audited", profile="api-gateway", out=str(tmp_path / "fail"), **common),
    ])
    assert planned["changed"] is True and planned["report"]["outcome"]["verdict"] == "dry-run", planned
    assert passed["passed"] is True and passed["changed"] is True and passed["end_state"] == "kept", passed
    assert passed["transaction_id"] and (tmp_path / "pass" / "report.json").exists()
    assert failed["failed"] is True and failed["passed"] is False and failed["exit_code"] == 1, failed
    assert failed["end_state"] == "rolled-back" and "audit failed" in failed["msg"]
    assert json.loads((tmp_path / "fail" / "report.json").read_text())["outcome"]["passed"] is False
    assert (root / "proc/sys/net/ipv4/tcp_keepalive_time").read_text().strip() == "601"  # only the kept one
    [back] = playbook(tmp_path, [task("undo", state="rolled_back", rollback_to=passed["transaction_id"],
                                      root=str(root), state_dir=str(tmp_path / "s"))], name="undo")
    assert back["rolled_back"] == [passed["transaction_id"]]
    assert tree_state(root) == original


def test_persisted_records_the_profile_once(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    (root / "lib/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "lib/systemd/system/tunectl-boot.service")
    common = dict(profile="latency", state="persisted", root=str(root), state_dir=str(tmp_path / "s"))
    first, second = playbook(tmp_path, [task("persist", **common), task("persist again", **common)])
    assert first["changed"] is True and first["transaction_id"], first
    assert first["persisted"]["persisted"] is True and first["persisted"]["enabled"] is True, first["persisted"]
    assert first["persisted"]["digest"] == first["plan"]["profile_digest"]
    record = (root / "etc/tunectl/persisted.json").read_bytes()
    assert second["changed"] is False and second["transaction_id"] is None, second
    assert (root / "etc/tunectl/persisted.json").read_bytes() == record


@pytest.mark.usefixtures("as_root")
def test_live_net_sysctls_in_a_private_netns_applied_verified_and_rolled_back(tmp_path):
    profile = tmp_path / "netlive.json"
    profile.write_text(json.dumps(NET_PROFILE))
    host_before = host_sysctls()
    common = dict(root="/", state_dir=str(tmp_path / "s"))
    read = {"name": "read", "command": "cat " + " ".join("/proc/sys/" + n.replace(".", "/") for n in NET_SYSCTLS),
            "changed_when": False}
    before, applied, during, verified, back, after = playbook(tmp_path, [
        read, task("apply", profile=str(profile), **common), read,
        task("verify", profile=str(profile), state="verified", **common),
        task("roll back", state="rolled_back", **common), read], prefix=("unshare", "-n"))
    assert not any(r.get("failed") for r in (applied, verified, back)), (applied, verified, back)
    assert during["stdout_lines"] == [str(NET_PROFILE["sysctl"][n]) for n in NET_SYSCTLS]
    assert applied["changed"] is True and all(c["per_netns"] for c in applied["transaction"]["changes"])
    assert verified["verify"]["ok"] is True
    assert back["rolled_back"] == [applied["transaction_id"]]
    assert after["stdout_lines"] == before["stdout_lines"] != during["stdout_lines"]
    assert host_sysctls() == host_before


def doc_playbook(name: str) -> str:
    """The ```yaml block of docs/fleet.md that starts with `# NAME`."""
    text = (SOURCE_DIR / "docs" / "fleet.md").read_text()
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    [block] = [b for b in blocks if b.startswith(f"# {name}")]
    return block


def fleet(tmp_path: Path, profile: str, c2_keepalive: str | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    """docs/fleet.md's rollout.yml against five local hosts, each with its own fixture-tree copy and
    state dir: canaries c1 (vm) and c2 (cloud-ena), then w1..w3. Returns the run and the hosts' roots."""
    kinds = {"c1": "vm", "c2": "cloud-ena", "w1": "vm", "w2": "cloud-ena", "w3": "intel-i40e-cgv1"}
    roots = {}
    lines = ["[all:vars]", "ansible_connection=local", "ansible_python_interpreter=/usr/bin/python3", "[canary]"]
    for host, kind in kinds.items():
        roots[host] = tmp_path / "hosts" / host
        roots[host].parent.mkdir(exist_ok=True)
        subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / kind), str(roots[host])], check=True)
        if host == "c2" and c2_keepalive is not None:
            (roots[host] / "proc/sys/net/ipv4/tcp_keepalive_time").write_text(c2_keepalive + "\n")
        if host == "w1":
            lines.append("[fleet]")
        lines.append(f"{host} tunectl_root={roots[host]} tunectl_state_dir={tmp_path / 'state' / host} "
                     f"tunectl_report_dir={tmp_path / 'audit' / host}")
    lines += ["[fleet:children]", "canary"]
    (tmp_path / "inventory").write_text("\n".join(lines) + "\n")
    (tmp_path / "rollout.yml").write_text(doc_playbook("rollout.yml"))
    env = ansible_env(tmp_path)
    env["PATH"] = f"{Path(TUNECTL_BIN).resolve().parent}:{env['PATH']}"  # `tunectl diff` on the controller
    proc = subprocess.run(["ansible-playbook", "-i", str(tmp_path / "inventory"), str(tmp_path / "rollout.yml"),
                           "-e", f"tunectl_profile={profile}", "-e", f"tunectl_reports={tmp_path / 'reports'}"],
                          capture_output=True, text=True, env=env, timeout=600)
    return proc, roots


def test_the_fleet_doc_rollout_audits_canaries_compares_them_then_rolls_out(tmp_path):
    profile = tmp_path / "keepalive.json"
    profile.write_text(json.dumps({"description": "fleet test", "sysctl": {"net.ipv4.tcp_keepalive_time": 601}}))
    proc, roots = fleet(tmp_path, str(profile), c2_keepalive="300")
    assert proc.returncode == 0, (proc.stdout[-4000:], proc.stderr)
    for host, root in roots.items():  # canaries kept their audited profile, the rest applied it
        assert (root / "proc/sys/net/ipv4/tcp_keepalive_time").read_text().strip() == "601", host
    reports = {h: json.loads((tmp_path / "reports" / f"{h}.json").read_text()) for h in ("c1", "c2")}
    assert all(r["outcome"]["passed"] for r in reports.values())
    compared = (tmp_path / "reports" / "canaries.diff.txt").read_text()
    assert "/settings/sysctl:net.ipv4.tcp_keepalive_time/before" in compared and "300" in compared, compared
    assert run_cli("diff", *(str(tmp_path / "reports" / f"{h}.json") for h in reports)).rc == 1
    assert "Verify" in proc.stdout and "failed=0" in proc.stdout


def test_the_fleet_doc_rollout_stops_after_a_failed_canary_audit(tmp_path):
    proc, roots = fleet(tmp_path, "api-gateway")  # its expectations cannot be shown on a tree: fails
    assert proc.returncode == 2, (proc.stdout[-4000:], proc.stderr)
    before = {h: tree_state(FIXTURE_HOSTS / k) for h, k in (("c1", "vm"), ("c2", "cloud-ena"), ("w1", "vm"),
                                                          ("w2", "cloud-ena"), ("w3", "intel-i40e-cgv1"))}
    for host, root in roots.items():  # canaries rolled back by their audit, the rest never touched
        assert tree_state(root) == before[host], host
    for h in ("c1", "c2"):  # the failed reports were still fetched
        assert json.loads((tmp_path / "reports" / f"{h}.json").read_text())["outcome"]["passed"] is False
    assert "Roll out in batches" not in proc.stdout and not (tmp_path / "state" / "w1").exists()


def test_the_collection_builds_installs_and_documents_itself(tmp_path):
    """docs/fleet.md's install steps: ansible-galaxy collection build, install (into tmp_path), then
    ansible-doc finds the module in the installed collection."""
    env = ansible_env(tmp_path)
    built = subprocess.run(["ansible-galaxy", "collection", "build", str(COLLECTION), "--output-path", str(tmp_path)],
                           capture_output=True, text=True, env=env, timeout=120)
    assert built.returncode == 0, built.stderr
    [tarball] = tmp_path.glob("tunectl-tuning-*.tar.gz")
    installed = tmp_path / "installed"
    r = subprocess.run(["ansible-galaxy", "collection", "install", str(tarball), "-p", str(installed)],
                       capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (installed / "ansible_collections/tunectl/tuning/plugins/modules/tunectl_profile.py").read_bytes() == \
        (MODULES / "tunectl_profile.py").read_bytes()
    doc = subprocess.run(["ansible-doc", "--json", "tunectl.tuning.tunectl_profile"], capture_output=True, text=True,
                         env={**env, "ANSIBLE_COLLECTIONS_PATH": str(installed)}, timeout=120)
    assert doc.returncode == 0, doc.stderr
    options = json.loads(doc.stdout)["tunectl.tuning.tunectl_profile"]["doc"]["options"]
    assert options["state"]["choices"] == STATES and options["state"]["default"] == "applied"


def test_kernel_parameters_report_reboot_pending_until_the_host_boots_with_them(fixture_copy, tmp_path):
    root = fixture_copy("metal-2s-mlx5-k8s")  # GRUB with a grub.d drop-in directory
    original = tree_state(root)
    common = dict(root=str(root), state_dir=str(tmp_path / "s"))
    profile = tmp_path / "isolate.json"
    profile.write_text(json.dumps({"boot": {"nohz_full": "application", "skew_tick": 1}}))
    applied, verified = playbook(tmp_path, [task("apply", profile=str(profile), **common),
                                            task("verify", profile=str(profile), state="verified", **common)])
    assert applied["changed"] is True and applied["reboot_pending"] is True, applied
    assert (root / "etc/default/grub.d/tunectl.cfg").exists()
    # Configured but not booted with: verified passes, and says a reboot is pending.
    assert verified.get("failed") is not True, verified
    assert verified["reboot_pending"] is True
    assert verified["verdicts"]["boot:skew_tick"] == "pending-reboot"
    [back] = playbook(tmp_path, [task("roll back", state="rolled_back", **common)], name="back")
    assert back["changed"] is True and back["reboot_pending"] is False
    assert diff_states(original, tree_state(root)) == []
