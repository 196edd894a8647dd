"""SIGINT/SIGTERM during a benchmark: `tunectl bench` stops before the next run, tears the
benchmark down (cpu_quota's cgroup removed) and exits 130; Ctrl-C in Python's tunectl.bench()
raises KeyboardInterrupt long before the whole run would have ended, also with the cgroup gone."""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import SOURCE_DIR, TUNECTL_BIN

PYTHONPATH = os.environ.get("PYTHONPATH", "")


def bench_cgroups(pid: int) -> list[str]:
    """cpu_quota's cgroup for process `pid`, wherever the cpu controller is mounted (v2 or v1)."""
    name = f"tunectl-bench-{pid}"
    return glob.glob(f"/sys/fs/cgroup/{name}") + glob.glob(f"/sys/fs/cgroup/*/{name}")


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def stop(proc: subprocess.Popen) -> None:
    """Leave nothing behind when a test fails half-way: the process and its cgroup."""
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=30)
    for d in bench_cgroups(proc.pid):
        os.rmdir(d)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_bench_cpu_quota_removes_its_cgroup_and_exits_130(sig, as_root):
    # 100 runs of 0.2 s: 20 s if it ran to the end.
    proc = subprocess.Popen([TUNECTL_BIN, "bench", "cpu_quota", "--reps", "100", "--warmup", "0",
                             "--duration-ms", "200", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: bench_cgroups(proc.pid), 15), "the benchmark's cgroup never appeared"
        time.sleep(0.3)  # inside a run
        start = time.monotonic()
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
        assert time.monotonic() - start < 10  # one run of 0.2 s, then teardown; not the 20 s
        assert proc.returncode == 130, err
        # --json: no result, only the error object (kind "interrupted", code 130)
        assert "interrupted" in err and json.loads(out)["error"]["kind"] == "interrupted"
        assert bench_cgroups(proc.pid) == []
    finally:
        stop(proc)


PY_BENCH = """
import sys, tunectl
print("start", flush=True)
try:
    tunectl.bench(sys.argv[1], reps=int(sys.argv[2]), warmup=0, **dict(a.split("=") for a in sys.argv[3:]))
except KeyboardInterrupt as e:
    print("KeyboardInterrupt:", e, flush=True)
    sys.exit(42)
print("finished", flush=True)
"""


@pytest.mark.parametrize("bench,reps,options,cgroup", [
    ("tcp_rr", 200, ["duration=0.1"], False),        # 20 s in full; sockets see EINTR
    ("cpu_quota", 100, ["duration_ms=200"], True),   # 20 s in full; a cgroup to remove
])
def test_ctrl_c_in_python_bench_raises_keyboard_interrupt_promptly(bench, reps, options, cgroup, as_root):
    env = dict(os.environ, PYTHONPATH=PYTHONPATH, TUNECTL_SOURCE_DIR=str(SOURCE_DIR))
    proc = subprocess.Popen([sys.executable, "-c", PY_BENCH, bench, str(reps), *options], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "start"
        if cgroup:
            assert wait_for(lambda: bench_cgroups(proc.pid), 15), "the benchmark's cgroup never appeared"
        time.sleep(1.0)  # a few runs in
        start = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
        assert time.monotonic() - start < 8, "KeyboardInterrupt came only after the whole run"
        assert proc.returncode == 42, (out, err)
        assert "KeyboardInterrupt: " + bench + " interrupted" in out
        assert bench_cgroups(proc.pid) == []
    finally:
        stop(proc)
