"""`tunectl bench` end to end: list, the three loopback TCP benchmarks, compare, calibrate, errors.

Runs are short (tenths of a second); nothing here asserts timing, only contracts."""
from __future__ import annotations

import json
import math
import re

import pytest

from conftest import SOURCE_DIR, run_cli

MY_BENCHES = {
    "tcp_rr": ["rtt_p50_us", "rtt_p90_us", "rtt_p99_us", "rtt_p999_us", "tps"],
    "tcp_crr": ["conn_per_s", "time_wait_left", "orphans_left", "aborts"],
    "tcp_stream": ["gbit_per_s", "cpu_s_per_gb"],
}
SHORT = ["--reps", "2", "--warmup", "0", "--duration", "0.1"]


def registered_in_source():
    """Every name bench/benchmarks.def lists, each defined by its own bench/<name>.cpp."""
    names = set(re.findall(r"^TUNECTL_BENCH\((\w+)\)", (SOURCE_DIR / "bench" / "benchmarks.def").read_text(), re.M))
    for name in names:
        assert re.search(r'BenchKind bench_%s\(\)' % name, (SOURCE_DIR / "bench" / f"{name}.cpp").read_text()), name
    return names


def check_result(doc, name, reps):
    assert doc["schema"] == "tunectl.bench/1"
    assert doc["bench"] == name
    assert doc["unavailable"] is None
    assert isinstance(doc["options"], dict) and doc["options"]["duration"] == "0.1"
    for key in ("kernel", "cpus", "steal_pct", "disturbed_runs"):
        assert key in doc["env"], key
    assert isinstance(doc["env"]["disturbed_runs"], list)
    assert set(MY_BENCHES[name]) <= set(doc["metrics"])
    for metric in MY_BENCHES[name]:
        m = doc["metrics"][metric]
        assert isinstance(m["unit"], str) and m["unit"]
        assert len(m["runs"]) == reps
        assert all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in m["runs"])
        assert min(m["runs"]) <= m["median"] <= max(m["runs"])
        lo, hi = m["ci95"]
        assert lo <= m["median"] <= hi


def test_list_shows_every_registered_benchmark():
    listed = run_cli("bench", "list", "--json")
    assert listed.rc == 0, listed
    names = {b["name"] for b in listed.json()}
    assert registered_in_source() <= names
    assert set(MY_BENCHES) <= names
    human = run_cli("bench", "list")
    assert human.rc == 0
    for n in names:
        assert re.search(rf"^{n}\s", human.out, re.M), n


@pytest.mark.parametrize("name", sorted(MY_BENCHES))
def test_each_runs_briefly_with_the_result_schema(name, tmp_path):
    out = tmp_path / "r.json"
    r = run_cli("bench", name, *SHORT, "--json", "-o", str(out))
    assert r.rc == 0, r
    doc = json.loads(r.out)  # --json: the whole of stdout is one JSON document
    check_result(doc, name, 2)
    assert json.loads(out.read_text()) == doc


def test_primary_metrics_are_plausible():
    rr = run_cli("bench", "tcp_rr", *SHORT, "--json").json()["metrics"]
    assert rr["rtt_p50_us"]["median"] <= rr["rtt_p90_us"]["median"] <= rr["rtt_p99_us"]["median"] \
        <= rr["rtt_p999_us"]["median"]
    assert rr["tps"]["median"] > 0
    st = run_cli("bench", "tcp_stream", *SHORT, "--json").json()["metrics"]
    assert st["gbit_per_s"]["median"] > 0 and st["cpu_s_per_gb"]["median"] > 0


def test_crr_linger_leaves_no_time_wait_and_counts_aborts():
    normal = run_cli("bench", "tcp_crr", *SHORT, "--max-conns", "200", "--json").json()
    linger = run_cli("bench", "tcp_crr", *SHORT, "--max-conns", "200", "--linger", "--json").json()
    assert linger["options"]["linger"] == "1"
    for run in linger["runs"]:
        conns = run["detail"]["connections"]
        assert conns > 0
        # Each SO_LINGER {1,0} close is an abort (TCPAbortOnData); host-wide counters only add.
        assert run["detail"]["counters_moved"].get("TCPAbortOnData", 0) >= conns
    # sock_diag (inet_diag) is in every Debian kernel: TIME_WAIT is counted on this run's own port.
    for run in normal["runs"] + linger["runs"]:
        assert run["detail"]["time_wait_source"] == "sock_diag (this run's port)", run["detail"]
    assert linger["metrics"]["time_wait_left"]["runs"] == [0, 0]
    assert min(normal["metrics"]["time_wait_left"]["runs"]) > 0


def test_per_benchmark_help_lists_options_and_metrics():
    r = run_cli("bench", "tcp_rr", "--help")
    assert r.rc == 0
    for word in ("--msg-size", "--client-cpu", "--server-cpu", "--keepalive", "--keepidle", "--reps",
                 "rtt_p999_us", "tps"):
        assert word in r.out, word


@pytest.mark.parametrize("args,needle", [
    (["bench", "tcp_rr", "--bogus", "1"], "bogus"),
    (["bench", "tcp_rr", "--msg-size", "abc"], "msg-size"),
    (["bench", "tcp_rr", "--msg-size", "0"], "msg-size"),
    (["bench", "tcp_rr", "--client-cpu", "4096"], "client-cpu"),
    (["bench", "tcp_rr", "--reps", "0"], "reps"),
    (["bench", "no_such_bench"], "no_such_bench"),
    (["bench", "compare", "/nonexistent/a.json", "/nonexistent/b.json"], "a.json"),
])
def test_bad_input_exits_2_naming_it(args, needle):
    r = run_cli(*args)
    assert r.rc == 2, r
    assert needle in r.err
    assert r.out == ""


def synthetic(template, metric_runs):
    doc = json.loads(json.dumps(template))
    for metric, runs in metric_runs.items():
        doc["metrics"][metric]["runs"] = runs
    n = len(next(iter(metric_runs.values())))
    doc["env"]["reps"] = n
    doc["runs"] = [{"env": {}, "detail": {}, "disturbed": None} for _ in range(n)]
    doc["env"]["disturbed_runs"] = []
    return doc


def test_compare_exit_code_gates_on_regression(tmp_path):
    template = run_cli("bench", "tcp_rr", *SHORT, "--json").json()
    base = {m: [100.0 + i for i in range(8)] for m in MY_BENCHES["tcp_rr"]}
    slower = {m: [150.0 + i for i in range(8)] for m in MY_BENCHES["tcp_rr"]}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(synthetic(template, base)))
    b.write_text(json.dumps(synthetic(template, slower)))
    noise = ["--noise-file", str(tmp_path / "uncalibrated.json")]

    worse = run_cli("bench", "compare", str(a), str(b), "--json", *noise)
    assert worse.rc == 1, worse
    doc = worse.json()
    verdicts = {m["metric"]: m["verdict"] for m in doc["metrics"]}
    assert verdicts["rtt_p50_us"] == "regressed"   # latency up 50%
    assert verdicts["tps"] == "improved"           # same numbers, higher is better
    for m in doc["metrics"]:
        for key in ("metric", "ratio", "ci95", "p", "verdict", "noise_threshold", "n", "more_runs_needed"):
            assert key in m
        assert "default 5%" in m["noise_source"]

    # The reverse direction only improves latency; tps regresses, so it still exits 1.
    assert run_cli("bench", "compare", str(b), str(a), *noise).rc == 1
    same = run_cli("bench", "compare", str(a), str(a), *noise)
    assert same.rc == 0, same
    assert "regressed" not in same.out and "no change" in same.out

    # Four runs a side cannot reach Holm's first threshold for five metrics (p <= 0.01): refused,
    # naming the reps needed, unless the caller accepts an underpowered (all inconclusive) answer.
    four = tmp_path / "four.json"
    four.write_text(json.dumps(synthetic(template, {m: v[:4] for m, v in slower.items()})))
    short = tmp_path / "short.json"
    short.write_text(json.dumps(synthetic(template, {m: v[:4] for m, v in base.items()})))
    refused = run_cli("bench", "compare", str(short), str(four), *noise)
    assert refused.rc == 2 and refused.out == "", refused
    assert "--reps 5 or more" in refused.err and "--allow-underpowered" in refused.err, refused.err
    allowed = run_cli("bench", "compare", str(short), str(four), "--allow-underpowered", "--json", *noise)
    assert allowed.rc == 0, allowed
    assert allowed.json()["underpowered"] is True
    assert {m["verdict"] for m in allowed.json()["metrics"]} == {"inconclusive"}
    text = run_cli("bench", "compare", str(short), str(four), "--allow-underpowered", *noise)
    assert "UNDERPOWERED" in text.out and "too few runs (4 vs 4)" in text.out, text.out

    other = synthetic(template, base)
    other["bench"] = "tcp_stream"
    (tmp_path / "c.json").write_text(json.dumps(other))
    assert run_cli("bench", "compare", str(a), str(tmp_path / "c.json")).rc == 2


def test_calibrate_stores_noise_that_compare_then_uses_only_for_its_options_and_reps(tmp_path):
    noise = tmp_path / "state" / "bench-noise.json"
    # tcp_stream has two metrics: 5 runs a side are the fewest that can pass Holm's alpha / 2.
    r = run_cli("bench", "calibrate", "--bench", "tcp_stream", "--reps", "5", "--warmup", "0",
                "--noise-file", str(noise), "--json")
    assert r.rc == 0, r
    stored = json.loads(noise.read_text())
    assert stored["schema"] == "tunectl.bench-noise/2"
    (entry,) = stored["entries"]
    assert entry["bench"] == "tcp_stream" and entry["reps"] == 5
    for metric in MY_BENCHES["tcp_stream"]:
        assert 0.01 <= entry["metrics"][metric]["noise"] <= 0.20
    # A short run with other options: the band does not apply, and every row says so.
    res = tmp_path / "s.json"
    assert run_cli("bench", "tcp_stream", "--reps", "5", "--warmup", "0", "--duration", "0.1", "-o", str(res)).rc == 0
    cmp_ = run_cli("bench", "compare", str(res), str(res), "--json", "--noise-file", str(noise)).json()
    assert cmp_["calibration"]["matched"] is False
    for m in cmp_["metrics"]:
        assert m["noise_source"].startswith("default 5% (uncalibrated for tcp_stream with these options"), m
    # The same runs under the calibrated options and count: the stored band is used.
    doc = json.loads(res.read_text())
    doc["options"] = entry["options"]
    res.write_text(json.dumps(doc))
    cmp_ = run_cli("bench", "compare", str(res), str(res), "--json", "--noise-file", str(noise)).json()
    assert cmp_["calibration"]["matched"] is True
    for m in cmp_["metrics"]:
        assert m["noise_source"].startswith("calibrated")
        assert m["noise_threshold"] == pytest.approx(entry["metrics"][m["metric"]]["noise"])
