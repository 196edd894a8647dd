"""Benchmarks on a busy host: runs whose threads wait for a CPU are flagged disturbed (with the
run-queue wait in the reason), A/B pairs alternate their order, and `auto` thread placement keeps
the client off a CPU that a busy loop holds.

The competing load is a Python busy loop pinned to one CPU with os.sched_setaffinity; it is
killed in a finally block. Nothing here asserts how fast anything is.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

import pytest
import tunectl

ALLOWED = sorted(os.sched_getaffinity(0))
BUSY_LOOP = "import os, sys\nos.sched_setaffinity(0, {int(sys.argv[1])})\nwhile True:\n    pass\n"


@contextlib.contextmanager
def busy_loop(cpu: int):
    """A process spinning on `cpu` for the duration of the block."""
    proc = subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(cpu)])
    try:
        time.sleep(0.5)  # pinned and spinning, and seen as busy by /proc/stat
        assert proc.poll() is None, "the busy loop died"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_threads_sharing_a_busy_cpu_are_flagged_and_pairs_alternate():
    cpu = ALLOWED[0]
    opts = {"client_cpu": cpu, "server_cpu": cpu, "duration": 0.3}
    with busy_loop(cpu):
        a, b = tunectl.bench_ab("tcp_rr", opts, opts, reps=2, warmup=0)
    for side in (a.to_dict(), b.to_dict()):
        assert side["env"]["order"] == "ABBA alternating"
        flagged = side["env"]["disturbed_runs"]
        assert [d["run"] for d in flagged] == [0, 1], flagged
        for d in flagged:
            assert "of their runnable time on a run queue (threshold" in d["reason"], d["reason"]
            assert "while other tasks kept their CPUs" in d["reason"], d["reason"]
        for run in side["runs"]:
            env = run["env"]
            assert env["run_queue_wait_ms"] > 0
            assert 0 < env["run_queue_wait_share"] <= 1
            assert 0 <= env["other_cpu_busy_pct"] <= 100
            assert 0 <= env["other_busy_on_own_cpus_pct"] <= 100
            assert (run["detail"]["client_cpu"], run["detail"]["server_cpu"]) == (cpu, cpu)
    # Pair 0 ran A then B, pair 1 B then A.
    assert [r["env"]["position_in_pair"] for r in a.to_dict()["runs"]] == [0, 1]
    assert [r["env"]["position_in_pair"] for r in b.to_dict()["runs"]] == [1, 0]


def test_threads_sharing_a_cpu_by_design_are_not_flagged_for_waiting_on_each_other():
    """Client and server pinned to one CPU wait for each other (about a third of their runnable
    time); with no other task on that CPU that is not a disturbance."""
    cpu = ALLOWED[-1]
    with busy_loop(ALLOWED[0]) if len(ALLOWED) > 1 else contextlib.nullcontext():
        # Other work on that CPU (a build) would disturb them for real: a few tries at most.
        for _ in range(3):
            r = tunectl.bench("tcp_rr", reps=2, warmup=0, duration=0.3, client_cpu=cpu, server_cpu=cpu).to_dict()
            if not r["env"]["disturbed_runs"]:
                break
    waits = [run["env"]["run_queue_wait_share"] for run in r["runs"]]
    assert min(waits) > 0.10, waits  # they did wait for each other...
    assert r["env"]["disturbed_runs"] == [], r["env"]["disturbed_runs"]  # ...behind no one else


@pytest.mark.skipif(len(ALLOWED) < 2, reason="placement needs two allowed CPUs")
def test_auto_placement_keeps_the_client_off_a_busy_cpu():
    busy = ALLOWED[0]  # where `auto` used to put the client whatever the load
    with busy_loop(busy):
        # Busy share cannot tell a CPU our loop holds from one that other work (a build) saturates
        # too: wait, a few times at most, for a moment when some other CPU is not saturated.
        for _ in range(10):
            r = tunectl.bench("tcp_rr", reps=1, warmup=0, duration=0.1).to_dict()
            seen = r["notes"]["placement"]["cpu_busy_pct_at_setup"]
            if min(pct for cpu, pct in seen.items() if int(cpu) != busy) < 80:
                break
            time.sleep(2)
    placement = r["notes"]["placement"]
    assert placement["cpu_busy_pct_at_setup"][str(busy)] >= 90, placement
    assert placement["client_cpu"] != busy, placement
    # Distinct CPUs: with two allowed CPUs the server gets the other one, the busy one.
    assert (placement["server_cpu"] == busy) == (len(ALLOWED) == 2), placement
    assert r["runs"][0]["detail"]["client_cpu"] == placement["client_cpu"]
    assert r["runs"][0]["detail"]["server_cpu"] == placement["server_cpu"]


def test_none_leaves_threads_unpinned_and_samples_nothing():
    r = tunectl.bench("tcp_rr", reps=1, warmup=0, duration=0.05, client_cpu="none", server_cpu="none").to_dict()
    assert r["notes"]["placement"] == {"client_cpu": None, "server_cpu": None}
    assert r["runs"][0]["detail"]["client_cpu"] is None


def test_cpu_option_help_says_what_auto_and_none_do():
    for b in tunectl.benchmarks():
        if b.name not in ("tcp_rr", "tcp_crr", "tcp_stream"):
            continue
        helps = {o["name"]: o["help"] for o in b.to_dict()["options"]}
        for name in ("client-cpu", "server-cpu"):
            assert "least busy allowed CPU" in helps[name], (b.name, name)
            assert "none (not pinned" in helps[name], (b.name, name)
