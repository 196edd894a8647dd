"""Crash safety: the process dies after the k-th knob write, for every k in the plan; after each,
apply refuses (open transaction) and rollback restores the tree byte for byte. Then a real SIGKILL
during a live apply inside a private network namespace (net sysctls only), rolled back there.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from conftest import TUNECTL_BIN, run_cli
from test_apply_rollback import apply, diff_states, fault_env, journals, record_state, rollback, tree_state


@pytest.mark.parametrize("action", ["kill", "exit"])
def test_dying_after_every_kth_write_is_always_recoverable(fixture_copy, tmp_path, action):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    plan = run_cli("apply", "-p", "latency", "--root", str(root), "--dry-run", "--json").json()
    n = len(plan["changes"])
    assert n >= 3, "the latency plan on the vm fixture should have several writes"

    for k in range(1, n + 1):
        r = apply(root, state, "latency", env=fault_env(k, action))
        assert r.rc == (-9 if action == "kill" else 86), (k, r)
        rec = journals(state)[-1]
        assert record_state(rec) == "open", k
        marks = [e["index"] for e in rec["events"] if e["event"] == "writing"]
        assert marks == list(range(k)), k  # a durable mark before each write, none after the kill
        assert diff_states(original, tree_state(root)), f"write {k} left no trace"

        refused = apply(root, state, "latency")
        assert refused.rc == 6 and "is open (interrupted apply)" in refused.err, (k, refused)

        rb = rollback(root, state)
        assert rb.rc == 0, (k, rb)
        [tx] = rb.json()["rolled_back"]
        assert tx["id"] == rec["header"]["id"] and tx["state"] == "rolled-back"
        assert [c["status"] for c in tx["changes"]] == ["restored"] * k + ["not-written"] * (n - k)
        assert diff_states(original, tree_state(root)) == [], k
    assert [record_state(j) for j in journals(state)] == ["rolled-back"] * n


def test_a_torn_last_journal_line_still_rolls_back(fixture_copy, tmp_path):
    """Power loss while appending the next "writing" mark: that knob was never written."""
    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    assert apply(root, state, "latency", env=fault_env(2)).rc == -9
    path = journals(state)[0]["path"]
    with open(path, "a") as f:
        f.write('{"event":"writing","ind')
    rb = rollback(root, state)
    assert rb.rc == 0, rb
    assert diff_states(original, tree_state(root)) == []


NET_PROFILE = {
    "description": "crash test: per-namespace TCP sysctls only",
    "sysctl": {
        "net.ipv4.tcp_fin_timeout": 17,
        "net.ipv4.tcp_keepalive_time": 601,
        "net.ipv4.tcp_keepalive_intvl": 11,
        "net.ipv4.tcp_keepalive_probes": 7,
        "net.ipv4.tcp_syn_retries": 4,
        "net.core.somaxconn": 1234,
    },
}
NET_SYSCTLS = sorted(NET_PROFILE["sysctl"])


def sysctl_path(name: str) -> str:
    return "/proc/sys/" + name.replace(".", "/")


def host_sysctls() -> dict:
    return {n: open(sysctl_path(n), "rb").read() for n in NET_SYSCTLS}


@pytest.mark.usefixtures("as_root")  # unshare -n (util-linux, scripts/setup.sh) needs root
def test_real_sigkill_mid_apply_in_a_private_netns_then_rollback_there(tmp_path):
    profile = tmp_path / "netcrash.json"
    profile.write_text(json.dumps(NET_PROFILE))
    state = tmp_path / "state"
    host_before = host_sysctls()
    # Everything happens in one private network namespace, which dies with the shell: the
    # host's own sysctls are never touched (checked at the end).
    script = f"""
set -u
snap() {{ for n in {' '.join(NET_SYSCTLS)}; do printf '%s=%s\\n' "$n" "$(cat /proc/sys/$(echo $n | tr . /))"; done; }}
echo "== before"; snap
TUNECTL_FAULT_AFTER_WRITES=3 TUNECTL_FAULT_ACTION=pause \\
  {TUNECTL_BIN} apply -p {profile} --state-dir {state} --yes 2>{tmp_path}/apply.err >/dev/null &
pid=$!
i=0; until grep -q 'paused after write 3' {tmp_path}/apply.err; do i=$((i+1)); [ $i -gt 300 ] && exit 90; sleep 0.05; done
kill -KILL $pid; wait $pid; echo "== killed rc=$?"
echo "== during"; snap
{TUNECTL_BIN} apply -p {profile} --state-dir {state} --yes >/dev/null 2>{tmp_path}/refused.err; echo "== refused rc=$?"
{TUNECTL_BIN} rollback --state-dir {state} >/dev/null 2>{tmp_path}/rollback.err; echo "== rollback rc=$?"
echo "== after"; snap
"""
    r = subprocess.run(["unshare", "-n", "sh", "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    sections, cur = {}, None
    for line in r.stdout.splitlines():
        if line.startswith("== "):
            head = line[3:]
            cur = head.split()[0]
            sections[cur] = head
            sections[cur + ":values"] = {}
        else:
            k, v = line.split("=", 1)
            sections[cur + ":values"][k] = v
    before, during, after = (sections[s + ":values"] for s in ("before", "during", "after"))
    assert sections["killed"] == "killed rc=137"
    written = [n for n in NET_SYSCTLS if during[n] != before[n]]
    assert len(written) == 3, (before, during)  # killed right after the third write
    assert sections["refused"] == "refused rc=6", open(tmp_path / "refused.err").read()
    assert "is open" in open(tmp_path / "refused.err").read()
    assert sections["rollback"] == "rollback rc=0", open(tmp_path / "rollback.err").read()
    assert after == before
    assert host_sysctls() == host_before
