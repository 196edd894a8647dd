"""Statistical honesty on this machine, through the Python API.

A/A: tcp_rr against itself, interleaved, several times. Under the null hypothesis the runs of the
two sides are exchangeable (interleaving spreads drift over both), so the two-sided Mann-Whitney
test falsely rejects at most alpha = 5% of the time; Holm's correction keeps that bound for the
family of the benchmark's five metrics, and improved/regressed further needs the CI to exclude 1
and the ratio to exceed the noise band. So each A/A comparison is falsely called improved or
regressed with probability <= 0.05, and P(2 or more of 5 comparisons) <= 1 - 0.95^5 - 5*0.05*0.95^4
= 2.3%: asserting at most 1 of 5 fails for a correct method less than 1 time in 40.

Known effect: the same method must have power: a 64-byte vs 1 MiB ping-pong must come out regressed.
"""
from __future__ import annotations

import math

import pytest

import tunectl

from conftest import assert_known_effect

AA_TRIALS = 5
FAST = {"duration": 0.2}


def false_positives(cmp_) -> list:
    return [m["metric"] for m in cmp_.to_dict()["metrics"] if m["verdict"] in ("improved", "regressed")]


def test_aa_false_positive_rate_is_bounded(tmp_path):
    noise = str(tmp_path / "uncalibrated.json")  # the documented default band, the same for everyone
    flagged = []
    for _ in range(AA_TRIALS):
        a, b = tunectl.bench_ab("tcp_rr", FAST, FAST, reps=8, warmup=1)
        cmp_ = tunectl.compare(a, b, noise_file=noise)
        flagged.append(false_positives(cmp_))
    fp = sum(1 for f in flagged if f)
    print(f"A/A tcp_rr: {fp}/{AA_TRIALS} comparisons with a false improved/regressed: {flagged}")
    assert fp <= 1, flagged


def test_known_effect_is_detected(tmp_path):
    a, b = tunectl.bench_ab("tcp_rr", {"duration": 0.1, "msg_size": 64},
                            {"duration": 0.1, "msg_size": 1 << 20}, reps=8, warmup=1)
    cmp_ = tunectl.compare(a, b, noise_file=str(tmp_path / "none.json"))
    assert_known_effect(cmp_, "rtt_p50_us", "regressed")
    assert_known_effect(cmp_, "tps", "regressed")
    assert cmp_.regressed == (cmp_.to_dict()["too_disturbed"] is None)


def test_python_result_objects_mirror_the_json():
    r = tunectl.bench("tcp_stream", reps=2, warmup=0, duration=0.1, msg_size=65536, client_cpu="auto")
    assert r.bench == "tcp_stream"
    assert r.options["msg-size"] == "65536"
    assert set(r.samples) == {"gbit_per_s", "cpu_s_per_gb"}
    assert all(len(v) == 2 for v in r.samples.values())
    assert r.summary["gbit_per_s"].unit == "Gbit/s"
    assert r.summary["gbit_per_s"].median == r.to_dict()["metrics"]["gbit_per_s"]["median"]
    assert math.isfinite(r.environment.steal_pct)
    assert r.to_dict()["schema"] == "tunectl.bench/1"
    assert "tcp_rr" in {b.name for b in tunectl.benchmarks()}


def test_python_errors_are_input_errors():
    with pytest.raises(tunectl.InputError, match="bogus"):
        tunectl.bench("tcp_rr", reps=1, bogus=1)
    with pytest.raises(tunectl.InputError, match="no_such"):
        tunectl.bench("no_such")
