"""Issue 9, findings 4, 6, 10 and 13 through the CLI, on copies of the fixture hosts: a state dir
that fills up mid-apply (a small tmpfs mounted in a private mount namespace, so it vanishes with
the namespace), a wall clock stepped back between two applies (a preloaded clock shim), tampered
and partial journals, and the test-only fault switch. Nothing here touches the live host.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, TUNECTL_BIN, run_cli

BIN = str(Path(TUNECTL_BIN).resolve())


def tree_state(root: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            out[str(p.relative_to(root))] = (st.st_mode, os.readlink(p) if p.is_symlink() else
                                             p.read_bytes() if p.is_file() else None)
    return out


def apply(root: Path, state: Path, profile: str, env=None):
    return run_cli("apply", "-p", profile, "--root", str(root), "--state-dir", str(state), "--yes", "--json", env=env)


def rollback(root: Path, state: Path, *extra: str):
    return run_cli("rollback", "--root", str(root), "--state-dir", str(state), "--json", *extra)


def history(root: Path, state: Path):
    return run_cli("history", "--root", str(root), "--state-dir", str(state), "--json")


def journal(state: Path, tx_id: str) -> Path:
    return state / "transactions" / f"{tx_id}.journal"


def edit_line(path: Path, n: int, edit) -> None:
    lines = path.read_text().splitlines()
    j = json.loads(lines[n])
    edit(j)
    lines[n] = json.dumps(j)
    path.write_text("\n".join(lines) + "\n")


def in_private_mounts(script: str, **env: str) -> subprocess.CompletedProcess:
    """Runs `script` (bash) in a private mount namespace: whatever it mounts is gone when it ends."""
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-euc", script],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, BIN=BIN, **env))


# --- finding 4: a full disk mid-transaction --------------------------------------------------------

FILL = 'dd if=/dev/zero of="$STATE/fill" bs=4k status=none 2>/dev/null || true\n'


def test_a_disk_that_fills_mid_apply_neither_stops_the_apply_nor_its_rollback(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state, out = tmp_path / "state", tmp_path / "out"
    state.mkdir()
    out.mkdir()
    original = tree_state(root)
    # The apply stops itself after its first knob write (SIGSTOP); the tmpfs is filled to the last
    # block; the apply goes on. Then the rollback runs on the still-full disk.
    r = in_private_mounts(f"""
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$STATE"
TUNECTL_FAULT_AFTER_WRITES=1 TUNECTL_FAULT_ACTION=stop "$BIN" apply -p latency --root "$ROOT" --state-dir "$STATE" \\
  --yes --json >"$OUT/apply.json" 2>"$OUT/apply.err" &
pid=$!
for _ in $(seq 400); do [ "$(cut -d' ' -f3 /proc/$pid/stat)" = T ] && break; sleep 0.05; done
[ "$(cut -d' ' -f3 /proc/$pid/stat)" = T ]
{FILL}
df --output=avail -B1 "$STATE" | tail -1 >"$OUT/avail"
kill -CONT $pid
rc=0; wait $pid || rc=$?; echo $rc >"$OUT/apply.rc"
rc=0; "$BIN" rollback --root "$ROOT" --state-dir "$STATE" --json >"$OUT/rollback.json" 2>"$OUT/rollback.err" || rc=$?
echo $rc >"$OUT/rollback.rc"
df --output=avail -B1 "$STATE" | tail -1 >>"$OUT/avail"
cp "$STATE"/transactions/*.journal "$OUT/"
""", STATE=str(state), ROOT=str(root), OUT=str(out))
    assert r.returncode == 0, r.stderr
    assert [int(x) for x in (out / "avail").read_text().split()] == [0, 0], "the tmpfs was not full"
    assert (out / "apply.rc").read_text().strip() == "0", (out / "apply.err").read_text()
    tx = json.loads((out / "apply.json").read_text())
    assert tx["state"] == "applied" and any(c["knob"] == "irq:38:affinity" for c in tx["changes"]), tx
    assert (out / "rollback.rc").read_text().strip() == "0", (out / "rollback.err").read_text()
    assert [t["state"] for t in json.loads((out / "rollback.json").read_text())["rolled_back"]] == ["rolled-back"]
    assert tree_state(root) == original
    # Every line of the record is whole, and it says the switch was armed.
    [rec] = list(out.glob("*.journal"))
    lines = [json.loads(line) for line in rec.read_text().splitlines()]
    assert lines[0]["fault_injection"] == {"after_writes": 1, "action": "stop"}
    assert lines[-1]["event"] == "state" and lines[-1]["state"] == "rolled-back"
    assert not state.is_mount() and not any(state.iterdir()), "the tmpfs outlived its namespace"


def test_no_room_for_the_journal_fails_the_apply_before_any_write(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state, out = tmp_path / "state", tmp_path / "out"
    state.mkdir()
    out.mkdir()
    original = tree_state(root)
    # A first apply and rollback leave the lock and seq files; then all but 8 KiB is filled: room
    # for a header, not for the events it must reserve.
    r = in_private_mounts(f"""
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$STATE"
"$BIN" apply -p latency --root "$ROOT" --state-dir "$STATE" --yes --json >/dev/null
"$BIN" rollback --root "$ROOT" --state-dir "$STATE" --json >/dev/null
rm "$STATE"/transactions/*.journal
dd if=/dev/zero of="$STATE/spare" bs=8k count=1 status=none
{FILL}
rm "$STATE/spare"
rc=0; "$BIN" apply -p latency --root "$ROOT" --state-dir "$STATE" --yes --json >"$OUT/apply.json" 2>"$OUT/apply.err" || rc=$?
echo $rc >"$OUT/apply.rc"
ls -A "$STATE/transactions" >"$OUT/left"
""", STATE=str(state), ROOT=str(root), OUT=str(out))
    assert r.returncode == 0, r.stderr
    err = (out / "apply.err").read_text()
    assert (out / "apply.rc").read_text().strip() == "4", err
    assert "not enough space for the journal" in err and "nothing was written" in err, err
    assert (out / "left").read_text() == "", "a journal or tmp header was left behind"
    assert tree_state(root) == original


# --- finding 6: order by a sequence number, not the wall clock -------------------------------------

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
static long back(void) { const char* s = getenv("FAKE_CLOCK_BACK"); return s ? atol(s) : 0; }
int clock_gettime(clockid_t id, struct timespec* ts) {
  static int (*real)(clockid_t, struct timespec*);
  if (!real) real = (int (*)(clockid_t, struct timespec*))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = real(id, ts);
  if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec -= back();
  return rc;
}
time_t time(time_t* t) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (t) *t = ts.tv_sec;
  return ts.tv_sec;
}
int gettimeofday(struct timeval* tv, void* tz) {
  struct timespec ts;
  (void)tz;
  clock_gettime(CLOCK_REALTIME, &ts);
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}
"""


def test_rollback_undoes_the_last_apply_when_the_clock_stepped_back(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    (tmp_path / "shim.c").write_text(SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(tmp_path / "shim.so"), str(tmp_path / "shim.c"), "-ldl"],
                   check=True)
    a = apply(root, state, "latency")
    assert a.rc == 0, a
    after_a = tree_state(root)
    b = apply(root, state, "container-host", env=dict(os.environ, LD_PRELOAD=str(tmp_path / "shim.so"),
                                                        FAKE_CLOCK_BACK="3600"))
    assert b.rc == 0, b
    a_tx, b_tx = a.json(), b.json()
    assert b_tx["started_at"] < a_tx["started_at"], "the shim did not step the clock back"
    h = history(root, state)
    assert [t["id"] for t in h.json()["transactions"]] == [a_tx["id"], b_tx["id"]]
    r = rollback(root, state)
    assert r.rc == 0, r
    assert [t["id"] for t in r.json()["rolled_back"]] == [b_tx["id"]]
    assert tree_state(root) == after_a
    assert (state / "seq").read_text() == "2\n"


# --- finding 10: tampered or partial journals -------------------------------------------------------

def test_a_journal_cut_after_its_header_restores_nothing_and_says_so(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    a = apply(root, state, "latency")
    assert a.rc == 0, a
    applied = tree_state(root)
    path = journal(state, a.json()["id"])
    path.write_text(path.read_text().splitlines()[0] + "\n")
    r = rollback(root, state)
    assert r.rc == 1, r
    assert "no knob write was recorded" in r.err and "nothing was restored" in r.err, r.err
    assert r.json()["rolled_back"][0]["state"] == "open"
    assert tree_state(root) == applied


def test_an_apply_that_stopped_before_its_first_write_closes_without_writing(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    original = tree_state(root)
    a = apply(root, state, "latency")
    assert a.rc == 0 and rollback(root, state).rc == 0
    path = journal(state, a.json()["id"])
    path.write_text(path.read_text().splitlines()[0] + "\n")  # open, no mark, knobs as before
    r = run_cli("rollback", "--root", str(root), "--state-dir", str(state))
    assert r.rc == 0, r
    assert "no knob write was recorded" in r.out and "nothing to restore" in r.out, r.out
    assert tree_state(root) == original
    assert history(root, state).json()["transactions"][0]["state"] == "rolled-back"


def test_a_corrupt_journal_is_reported_by_id_and_blocks_only_what_needs_it(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    a, b = apply(root, state, "latency"), apply(root, state, "container-host")
    assert a.rc == 0 and b.rc == 0, (a, b)
    a_id, b_id = a.json()["id"], b.json()["id"]
    edit_line(journal(state, a_id), 1, lambda ev: ev.update(index="0"))  # an index given as a string

    h = history(root, state)
    assert h.rc == 0, h
    assert [t["id"] for t in h.json()["transactions"]] == [b_id]
    [bad] = h.json()["corrupt"]
    assert bad["id"] == a_id and "line 2: bad event" in bad["error"], bad
    table = run_cli("history", "--root", str(root), "--state-dir", str(state))
    assert table.rc == 0 and re.search(rf"^{a_id}\s+corrupt", table.out, re.M), table.out

    applied = tree_state(root)
    for args, rc in [(("apply", "-p", "balanced", "--yes"), 6), (("rollback", "--to", a_id), 2)]:
        r = run_cli(*args, "--root", str(root), "--state-dir", str(state))
        assert r.rc == rc, (args, r)
        assert f"journal {a_id} is corrupt" in r.err, r.err
        assert tree_state(root) == applied

    # b is newer than the corrupt a: rolling it back needs nothing from a.
    r = rollback(root, state)
    assert r.rc == 0, r
    assert [t["id"] for t in r.json()["rolled_back"]] == [b_id]

    # A corrupt record that may be newer (cut inside its header: no seq) stops a plain rollback.
    edit_line(journal(state, a_id), 1, lambda ev: ev.update(index=0))  # a is whole again
    c = apply(root, state, "container-host")
    assert c.rc == 0, c
    journal(state, c.json()["id"]).write_text('{"schema": "tunectl.jour')
    before = tree_state(root)
    r = rollback(root, state)
    assert r.rc == 2 and f"journal {c.json()['id']} is corrupt" in r.err, r
    assert tree_state(root) == before


def test_exit_codes_stay_documented_for_every_kind_of_damage(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    damage = {
        "index is a string": lambda p: edit_line(p, 1, lambda ev: ev.update(index="0")),
        "index names no knob": lambda p: edit_line(p, 1, lambda ev: ev.update(index=10**6)),
        "event is a number": lambda p: edit_line(p, 1, lambda ev: ev.update(event=7)),
        "state is a list": lambda p: edit_line(p, -1, lambda ev: ev.update(state=[])),
        "bad base64": lambda p: edit_line(p, 2, lambda ev: ev.update(after_b64="!!!!")),
        "header knobs are a string": lambda p: edit_line(p, 0, lambda h: h.update(knobs="x")),
        "header seq is negative": lambda p: edit_line(p, 0, lambda h: h.update(seq=-1)),
        "cut in the header": lambda p: p.write_text(p.read_text()[:40]),
        "empty": lambda p: p.write_text(""),
    }
    for n, (what, hurt) in enumerate(damage.items()):
        state = tmp_path / f"state{n}"
        a = apply(root, state, "latency")
        assert a.rc == 0, a
        hurt(journal(state, a.json()["id"]))
        for args in (("history",), ("rollback",), ("rollback", "--to", a.json()["id"]), ("apply", "-p", "latency", "--yes")):
            r = run_cli(*args, "--root", str(root), "--state-dir", str(state))
            assert r.rc in (0, 1, 2, 6), (what, args, r)
            assert "internal error" not in r.err, (what, args, r)
        assert rollback(root, state).rc == 2
        journal(state, a.json()["id"]).unlink()
        # Put the tree back for the next kind of damage.
        subprocess.run(["rm", "-rf", str(root)], check=True)
        root = fixture_copy("vm")


def test_stale_tmp_headers_are_removed_under_the_lock(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "state"
    assert apply(root, state, "latency").rc == 0
    stale = state / "transactions" / ".20200101T000000Z-dead.journal.tmp"
    stale.write_text('{"half":')
    other = state / "transactions" / "notes.txt"
    other.write_text("not tunectl's")
    assert rollback(root, state).rc == 0
    assert not stale.exists() and other.exists()


# --- finding 13: the fault switch exists only in test builds ----------------------------------------

def armed(k: str = "99", action: str = "exit") -> dict:
    return dict(os.environ, TUNECTL_FAULT_AFTER_WRITES=k, TUNECTL_FAULT_ACTION=action)


def test_the_test_build_documents_and_records_an_armed_switch(fixture_copy, tmp_path):
    assert "TUNECTL_FAULT_AFTER_WRITES" in run_cli("apply", "--help").out
    root = fixture_copy("vm")
    state = tmp_path / "state"
    r = apply(root, state, "latency", env=armed())  # more writes than the plan has: never fires
    assert r.rc == 0, r
    header = json.loads(journal(state, r.json()["id"]).read_text().splitlines()[0])
    assert header["fault_injection"] == {"after_writes": 99, "action": "exit"}


def release_binary() -> Path | None:
    """The binary an installed build would be: TUNECTL_RELEASE_BIN, else the one this build's
    install prefix holds (scripts/setup.sh installs it with TUNECTL_TEST_SWITCHES=OFF)."""
    if os.environ.get("TUNECTL_RELEASE_BIN"):
        return Path(os.environ["TUNECTL_RELEASE_BIN"])
    cache = Path(BIN).parent / "CMakeCache.txt"
    m = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", cache.read_text(), re.M) if cache.exists() else None
    binary = Path(m.group(1)) / "bin" / "tunectl" if m else None
    return binary if binary and binary.exists() else None


def test_an_installed_build_ignores_the_switch_and_does_not_mention_it(fixture_copy, tmp_path):
    binary = release_binary()
    if binary is None:
        pytest.skip("no installed tunectl (run scripts/setup.sh, or set TUNECTL_RELEASE_BIN)")
    help_text = subprocess.run([str(binary), "apply", "--help"], capture_output=True, text=True).stdout
    assert "apply" in help_text and "TUNECTL_FAULT" not in help_text, help_text
    root = fixture_copy("vm")
    state = tmp_path / "state"
    # A stale export (sudo -E, a unit's Environment=): the apply must finish, not kill itself.
    r = subprocess.run([str(binary), "apply", "-p", str(SOURCE_DIR / "profiles" / "latency.json"), "--root", str(root),
                        "--state-dir", str(state), "--yes", "--json"], capture_output=True, text=True,
                       env=armed("1", "kill"), timeout=120)
    assert r.returncode == 0, r.stderr
    tx = json.loads(r.stdout)
    assert tx["state"] == "applied"
    header = json.loads(journal(state, tx["id"]).read_text().splitlines()[0])
    assert "fault_injection" not in header
