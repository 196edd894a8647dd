"""apply / rollback / history on copies of the fixture hosts: every built-in profile applied with
--root, every written file checked, rolled back, and the tree compared byte for byte; failures
mid-apply, open transactions, concurrency, and the Python API. Nothing here touches the live host.
"""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import FIXTURE_HOSTS, SOURCE_DIR, TUNECTL_BIN, fixture_host_names, run_cli

PROFILES = sorted(p.stem for p in (SOURCE_DIR / "profiles").glob("*.json") if p.name != "profile.schema.json")
# The (host, profile) pairs whose fixture tree already holds every value the profile sets: apply
# there is "unchanged". Every other pair must apply. A fixture or profile edit that moves a pair
# across fails one of the two tests below, which is the point.
ALREADY_TUNED = {("cloud-ena", "balanced"), ("vm", "balanced")}
PAIRS = [(h, p) for h in fixture_host_names() for p in PROFILES]


def tree_state(root: Path) -> dict:
    """Everything that makes a tree what it is: per path, the mode and the content or link target."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                value = ("link", os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                value = ("file", st.st_mode, p.read_bytes())
            else:
                value = ("dir", st.st_mode)
            out[str(p.relative_to(root))] = value
    return out


def diff_states(a: dict, b: dict) -> list:
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def knob_file(root: Path, knob: str) -> Path | None:
    """The file a knob address writes in a tree, for the kinds with one file (checked independently
    of the tool: the test's own mapping from the kernel documentation)."""
    kind, _, rest = knob.partition(":")
    if kind == "sysctl":
        return root / "proc/sys" / rest.replace(".", "/")
    if kind == "thp":
        return root / "sys/kernel/mm/transparent_hugepage" / rest
    if kind == "irq" and rest.endswith(":affinity"):
        return root / "proc/irq" / rest.split(":")[0] / "smp_affinity_list"
    return None


def reads_as(f: Path, value: str) -> bool:
    """Whether a tree file now holds `value`: multi-value sysctls compare whitespace-folded, a
    bracketed choice list ("always madvise [never]") by its selected word."""
    text = f.read_text()
    if "[" in text:
        text = text.split("[", 1)[1].split("]", 1)[0]
    return text.split() == value.split()


def apply(root: Path, state: Path, profile: str, *extra: str, env=None):
    return run_cli("apply", "-p", profile, "--root", str(root), "--state-dir", str(state), "--yes", "--json",
                   *extra, env=env)


def rollback(root: Path, state: Path, *extra: str):
    return run_cli("rollback", "--root", str(root), "--state-dir", str(state), "--json", *extra)


def journals(state: Path) -> list:
    """Every record, parsed line by line as an independent reader would."""
    out = []
    for f in sorted((state / "transactions").glob("*.journal")):
        lines = [json.loads(line) for line in f.read_text().splitlines()]
        out.append({"path": f, "header": lines[0], "events": lines[1:]})
    return sorted(out, key=lambda r: r["header"]["started_at"])


def record_state(rec: dict) -> str:
    states = [e["state"] for e in rec["events"] if e["event"] == "state"]
    return states[-1] if states else "open"


def fault_env(k: int, action: str = "kill") -> dict:
    return dict(os.environ, TUNECTL_FAULT_AFTER_WRITES=str(k), TUNECTL_FAULT_ACTION=action)


@pytest.mark.parametrize("host,profile", [pair for pair in PAIRS if pair not in ALREADY_TUNED])
def test_every_builtin_profile_applies_exactly_and_rolls_back_byte_for_byte(fixture_copy, tmp_path, host, profile):
    root = fixture_copy(host)
    state = tmp_path / "state"
    original = tree_state(root)

    r = apply(root, state, profile)
    assert r.rc == 0, r
    tx = r.json()
    assert tx["state"] == "applied", tx
    assert tx["profile"] == profile and len(tx["profile_digest"]) == 64
    for c in tx["changes"]:
        assert c["status"] == "written", c
        f = knob_file(root, c["knob"])
        if f is not None:
            assert reads_as(f, c["value"]), (c["knob"], f.read_text(), c["value"])
        # No previous bytes only for a file inside a cgroup this transaction created.
        assert c["before"] is not None or (c["knob"].startswith("cgroup:") and c["after"] is not None), c
    for s in tx["skipped"]:
        f = knob_file(root, s["knob"])
        if f is not None and f.exists():
            assert f.read_bytes() == original[str(f.relative_to(root))][2], s["knob"]
    changed = diff_states(original, tree_state(root))
    assert changed, "an applied transaction changed nothing"

    rb = rollback(root, state)
    assert rb.rc == 0, rb
    assert [t["id"] for t in rb.json()["rolled_back"]] == [tx["id"]]
    assert diff_states(original, tree_state(root)) == []
    assert record_state(journals(state)[0]) == "rolled-back"


@pytest.mark.parametrize("host,profile", sorted(ALREADY_TUNED))
def test_a_profile_the_host_already_has_is_unchanged_and_records_nothing(fixture_copy, tmp_path, host, profile):
    assert (host, profile) in PAIRS, "ALREADY_TUNED names a fixture host or profile that does not exist"
    root = fixture_copy(host)
    state = tmp_path / "state"
    original = tree_state(root)

    r = apply(root, state, profile)
    assert r.rc == 0, r
    tx = r.json()
    assert tx["state"] == "unchanged" and tx["id"] is None, tx
    assert tx["changes"] == [] and tx["skipped"] == []
    assert tx["already"] and all(c["status"] == "ok" and c["current"] == c["desired"] for c in tx["already"])
    assert tree_state(root) == original
    assert journals(state) == [], "an unchanged apply wrote a journal"
    nothing = rollback(root, state)
    assert nothing.rc == 0 and "no transactions recorded" in nothing.json()["nothing_to_do"], nothing


def test_dry_run_writes_nothing_not_even_the_journal(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    r = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--dry-run", "--json")
    assert r.rc == 0, r
    tx = r.json()
    assert tx["state"] == "dry-run" and tx["id"] is None
    assert tx["changes"] and all(c["status"] == "planned" for c in tx["changes"])
    assert tree_state(root) == original
    assert not state.exists()
    human = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--dry-run")
    assert human.rc == 0 and "nothing was written" in human.out


def test_without_yes_and_without_a_terminal_nothing_happens(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    original = tree_state(root)
    r = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(tmp_path / "s"), input="y\n")
    assert r.rc == 2 and "--yes" in r.err, r
    assert tree_state(root) == original and not (tmp_path / "s").exists()


def test_open_transaction_blocks_apply_until_rollback_or_recover(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    r = apply(root, state, "latency", env=fault_env(2, "exit"))
    assert r.rc == 86, r
    [rec] = journals(state)
    txid = rec["header"]["id"]
    assert record_state(rec) == "open"

    again = apply(root, state, "latency")
    assert again.rc == 6, again
    assert f"transaction {txid} is open (interrupted apply)" in again.err
    assert "tunectl rollback" in again.err and "--recover" in again.err
    assert len(journals(state)) == 1

    hist = run_cli("history", "--root", str(root), "--state-dir", str(state), "--json").json()
    assert [(t["id"], t["state"], t["written"]) for t in hist["transactions"]] == [(txid, "open", 2)]

    rec_apply = apply(root, state, "latency", "--recover")
    assert rec_apply.rc == 0, rec_apply
    tx = rec_apply.json()
    assert tx["recovered"] == [txid] and tx["state"] == "applied"
    assert [record_state(j) for j in journals(state)] == ["rolled-back", "applied"]
    assert rollback(root, state).rc == 0
    assert tree_state(root) == original


def test_rolling_back_twice_or_nothing_is_nothing_to_do(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    assert apply(root, state, "latency").rc == 0
    assert rollback(root, state).rc == 0
    after_first = tree_state(root)
    second = run_cli("rollback", "--root", str(root), "--state-dir", str(state))
    assert second.rc == 0 and "nothing to roll back: " in second.out and "already rolled back" in second.out, second
    assert tree_state(root) == after_first
    as_json = rollback(root, state)
    assert as_json.rc == 0 and as_json.json()["rolled_back"] == [], as_json
    assert "already rolled back" in as_json.json()["nothing_to_do"]
    empty = rollback(root, tmp_path / "none")
    assert empty.rc == 0 and "no transactions recorded" in empty.json()["nothing_to_do"], empty
    assert not (tmp_path / "none").exists()  # nothing to do creates nothing
    unknown = run_cli("rollback", "--to", "nope", "--root", str(root), "--state-dir", str(state))
    assert unknown.rc == 2 and "no transaction nope" in unknown.err, unknown


def test_history_lists_every_transaction(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    ids = []
    for profile in ("latency", "api-gateway"):
        r = apply(root, state, profile)
        assert r.rc == 0, r
        ids.append(r.json()["id"])
    assert rollback(root, state).rc == 0
    h = run_cli("history", "--root", str(root), "--state-dir", str(state), "--json")
    assert h.rc == 0, h
    rows = h.json()["transactions"]
    assert [t["id"] for t in rows] == ids
    assert [t["state"] for t in rows] == ["applied", "rolled-back"]
    assert [t["profile"] for t in rows] == ["latency", "api-gateway"]
    assert all(t["knobs"] >= 1 and len(t["profile_digest"]) == 64 and t["started_at"] for t in rows)
    human = run_cli("history", "--root", str(root), "--state-dir", str(state))
    assert all(i in human.out for i in ids) and "rolled-back" in human.out


@pytest.mark.usefixtures("as_root")  # chattr (e2fsprogs, scripts/setup.sh) needs root
def test_a_write_the_kernel_refuses_rolls_back_everything_before_it(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    planned = run_cli("apply", "-p", "latency", "--root", str(root), "--dry-run", "--json").json()
    files = [(c["knob"], knob_file(root, c["knob"])) for c in planned["changes"]]
    files = [(k, f) for k, f in files if f is not None]
    assert len(files) >= 3
    victim_knob, victim = files[2]
    # Immutable: the mode still says writable, so only the write itself fails (EPERM), like a
    # kernel that refuses a value.
    subprocess.run(["chattr", "+i", str(victim)], check=True)
    try:
        original = tree_state(root)
        r = apply(root, state, "latency")
        assert r.rc == 4, r
        assert victim_knob in r.err and "EPERM" in r.err and "restored" in r.err
        tx = r.json()
        assert tx["state"] == "rolled-back"
        statuses = {c["knob"]: c["status"] for c in tx["changes"]}
        assert statuses[victim_knob] == "restored"
        idx = [c["knob"] for c in tx["changes"]].index(victim_knob)
        assert all(c["status"] == "restored" for c in tx["changes"][:idx])
        assert all(c["status"] == "not-written" for c in tx["changes"][idx + 1:])
        assert diff_states(original, tree_state(root)) == []
        assert [record_state(j) for j in journals(state)] == ["rolled-back"]
    finally:
        subprocess.run(["chattr", "-i", str(victim)], check=True)
    # A failed, rolled-back apply leaves nothing open.
    assert apply(root, state, "latency").rc == 0


def test_a_held_lock_refuses_a_second_apply_and_the_journal_stays_whole(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    holder = subprocess.Popen([TUNECTL_BIN, "apply", "-p", "latency", "--root", str(root), "--state-dir", str(state),
                               "--yes"], env=fault_env(1, "pause"), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = holder.stderr.readline()
        assert "paused after write 1" in line, line
        second = apply(root, state, "api-gateway")
        assert second.rc == 5, second
        assert f"pid {holder.pid}" in second.err and "nothing was written" in second.err
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    [rec] = journals(state)  # parseable, one transaction: the killed one
    assert record_state(rec) == "open"
    assert rollback(root, state).rc == 0
    assert tree_state(root) == original


def test_racing_applies_serialise_without_corrupting_the_journal(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    procs = [subprocess.Popen([TUNECTL_BIN, "apply", "-p", "latency", "--root", str(root), "--state-dir", str(state),
                               "--yes", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(), *p.communicate()) for p in procs]
    for rc, out, err in results:
        assert rc in (0, 5), (rc, err)
        if rc == 5:
            assert "holds the lock" in err
        else:
            assert json.loads(out)["state"] in ("applied", "unchanged")
    recs = journals(state)
    assert len(recs) == 1 and record_state(recs[0]) == "applied"


@pytest.mark.usefixtures("as_root")  # to hand a tree to another user
def test_a_non_root_user_may_tune_a_tree_it_owns(tmp_path):
    base = Path(tempfile.mkdtemp(prefix="tunectl-nobody-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        root = base / "vm"
        subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / "vm"), str(root)], check=True)
        subprocess.run(["chown", "-R", "65534:65534", str(base)], check=True)
        original = tree_state(root)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TUNECTL_BIN]
        common = ["--root", str(root), "--state-dir", str(base / "state")]
        r = subprocess.run(as_nobody + ["apply", "-p", "latency", "--yes", *common], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        r = subprocess.run(as_nobody + ["rollback", *common], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        assert tree_state(root) == original
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=True)


def test_python_api_mirrors_the_cli(fixture_copy, tmp_path):
    import tunectl

    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    dry = tunectl.apply("latency", root=str(root), state_dir=str(state), dry_run=True)
    assert dry.state == "dry-run" and not state.exists()

    tx = tunectl.apply("latency", root=str(root), state_dir=str(state))
    assert isinstance(tx, tunectl.Transaction) and tx.state == "applied" and tx.ok
    first = tx.changes[0]
    assert first.before is not None and first.after is not None and first.status == "written"
    cli_view = run_cli("history", "--root", str(root), "--state-dir", str(state), "--json").json()
    assert [h.to_dict() for h in tunectl.history(root=str(root), state_dir=str(state))] == cli_view["transactions"]

    [back] = tunectl.rollback(root=str(root), state_dir=str(state))
    assert back.id == tx.id and back.state == "rolled-back"
    assert set(back.to_dict()) == set(tx.to_dict())
    assert tree_state(root) == original
    again = tunectl.rollback(root=str(root), state_dir=str(state))
    assert again == [] and "already rolled back" in again.nothing_to_do
    with pytest.raises(tunectl.ProfileError):
        tunectl.apply("no-such-profile", root=str(root), state_dir=str(state))
    with pytest.raises(tunectl.InputError):
        tunectl.apply("latency", root=str(tmp_path / "missing"), state_dir=str(state))


@pytest.mark.usefixtures("as_root")  # chattr needs root
def test_python_apply_failure_raises_apply_error_with_the_transaction(fixture_copy, tmp_path):
    import tunectl

    root = fixture_copy("vm")
    victim = root / "proc/sys/net/core/busy_read"
    subprocess.run(["chattr", "+i", str(victim)], check=True)
    try:
        with pytest.raises(tunectl.ApplyError) as err:
            tunectl.apply("latency", root=str(root), state_dir=str(tmp_path / "s"))
        assert "sysctl:net.core.busy_read" in str(err.value)
        assert err.value.transaction.state == "rolled-back"
    finally:
        subprocess.run(["chattr", "-i", str(victim)], check=True)


def test_python_apply_releases_the_gil(fixture_copy, tmp_path):
    """A thread parked inside apply (the pause switch) must not stop the main thread: if the GIL
    were held, the child would hang and time out."""
    root = fixture_copy("vm")
    script = f"""
import os, sys, threading, time
import tunectl
t = threading.Thread(target=tunectl.apply, args=("latency",),
                     kwargs=dict(root={str(root)!r}, state_dir={str(tmp_path / "s")!r}), daemon=True)
t.start()
time.sleep(1.0)
print("main thread ran", t.is_alive(), flush=True)
os._exit(0)
"""
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="pause")
    r = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, env=env, timeout=30)
    assert "paused after write 1" in r.stderr, r.stderr
    assert r.stdout.strip() == "main thread ran True", (r.stdout, r.stderr)
