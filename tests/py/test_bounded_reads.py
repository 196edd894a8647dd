"""Every input file tunectl reads is a regular file of bounded size (core/file_io.h
read_regular_file): a FIFO (would block forever), /dev/zero (never ends), a directory or a huge
file is refused at once with exit 2 (InputError/ProfileError in Python), never waited on or read
into memory. Inputs: bench compare A/B and its --noise-file, bench calibrate's --noise-file, diff
A/B, report REPORT.json, -p PROFILE, audit --noise-file, and the Python wrappers of each."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import tunectl
from conftest import run_cli

TIMEOUT = 20  # seconds: a blocked read would hit it; a refusal takes milliseconds


@pytest.fixture
def bad_inputs(tmp_path):
    """name -> (path, what the refusal says)."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(2 << 30)  # sparse: 2 GiB of zeros that take no space
    (tmp_path / "dir.json").mkdir()
    return {
        "fifo": (str(fifo), "not a regular file (FIFO)"),
        "dev-zero": ("/dev/zero", "not a regular file (character device)"),
        "directory": (str(tmp_path / "dir.json"), "not a regular file (directory)"),
        "huge": (str(huge), "larger than"),
    }


@pytest.fixture
def good_result(tmp_path):
    r = tmp_path / "good.json"
    r.write_text('{"schema": "tunectl.bench/1"}')
    return str(r)


CLI_CASES = {
    "bench compare A": lambda bad, good: ["bench", "compare", bad, good],
    "bench compare B": lambda bad, good: ["bench", "compare", good, bad],
    "bench compare --noise-file": lambda bad, good: ["bench", "compare", good, good, "--noise-file", bad],
    "bench calibrate --noise-file": lambda bad, good: ["bench", "calibrate", "--bench", "no-such-bench",
                                                       "--noise-file", bad],
    "diff A": lambda bad, good: ["diff", bad, good],
    "diff B": lambda bad, good: ["diff", good, bad],
    "report": lambda bad, good: ["report", bad, "--out", str(Path(good).parent / "out")],
    "plan -p": lambda bad, good: ["plan", "-p", bad],
    "profiles show": lambda bad, good: ["profiles", "show", bad],
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "huge"])
def test_the_cli_refuses_what_is_not_a_bounded_regular_file(case, kind, bad_inputs, good_result):
    path, reason = bad_inputs[kind]
    args = CLI_CASES[case](path, good_result)
    r = run_cli(*args, timeout=TIMEOUT)
    assert r.rc == 2, (args, r)
    assert f"{path}: {reason}" in r.err or (kind == "huge" and f"{path}: larger than" in r.err), (args, r)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge"])
def test_the_audit_noise_file_is_refused_before_anything_runs(kind, bad_inputs, fixture_copy, tmp_path):
    path, reason = bad_inputs[kind]
    root = fixture_copy("vm")
    r = run_cli("audit", "-p", "balanced", "--root", str(root), "--benches", "none", "--noise-file", path,
                "--state-dir", str(tmp_path / "state"), "--out", str(tmp_path / "report"), "--rollback",
                timeout=TIMEOUT)
    assert r.rc == 2, r
    assert f"{path}: " in r.err and (reason in r.err or "larger than" in r.err), r
    assert not (tmp_path / "state").exists()  # refused before the lock, the journal or any write


PY_CASES = {
    "compare A": lambda bad, good: tunectl.compare(bad, good),
    "compare B": lambda bad, good: tunectl.compare(good, bad),
    "compare noise_file": lambda bad, good: tunectl.compare(good, good, noise_file=bad),
    "diff": lambda bad, good: tunectl.diff(bad, good),
    "load_profile": lambda bad, good: tunectl.load_profile(bad),
    "plan": lambda bad, good: tunectl.plan(bad),
}


@pytest.mark.parametrize("case", sorted(PY_CASES))
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory", "huge"])
def test_python_refuses_what_is_not_a_bounded_regular_file(case, kind, bad_inputs, good_result):
    path, reason = bad_inputs[kind]
    with pytest.raises(tunectl.InputError) as e:  # ProfileError is an InputError
        PY_CASES[case](path, good_result)
    assert f"{path}: " in str(e.value) and (reason in str(e.value) or "larger than" in str(e.value))
