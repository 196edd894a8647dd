"""`tunectl audit` on the live kernel, safely: net sysctls only inside a private network namespace,
THP on the live host restored in a finally block. Covers a change with a real effect (passes, kept
or rolled back as asked), a no-op expected to improve (must fail, not flatter), a regression (THP
off, seen by page_fault), interruptions (SIGTERM at random points restores; SIGKILL leaves an open
transaction that refuses a second audit until `tunectl rollback` restores byte for byte), the dry
run, input errors, the report files against docs/schemas/audit.schema.json, and the Python API.
Runs as root (scripts/test.sh).
"""
from __future__ import annotations

import json
import random
from collections import Counter
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

from conftest import SOURCE_DIR, TUNECTL_BIN, assert_known_effect, run_cli
from test_report_browser import Marks, chromium, console_messages

pytestmark = pytest.mark.usefixtures("as_root")

THP = Path("/sys/kernel/mm/transparent_hugepage/enabled")
PROFILES = SOURCE_DIR / "tests" / "fixtures" / "profiles"
SCHEMA = json.loads((SOURCE_DIR / "docs" / "schemas" / "audit.schema.json").read_text())
TW = "/proc/sys/net/ipv4/tcp_max_tw_buckets"
KEEPALIVE = "/proc/sys/net/ipv4/tcp_keepalive_time"


def in_netns(script: str, timeout: float = 300) -> dict[str, str]:
    """Runs `script` in a fresh network namespace (loopback up); returns its `key value` lines."""
    r = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up\n" + script], capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return {k: v for k, _, v in (line.partition(" ") for line in r.stdout.splitlines())}


def audit_cmd(profile: str, tmp: Path, *extra: str, rounds: int = 5) -> str:
    return (f"{TUNECTL_BIN} audit -p {PROFILES / profile} --benches none --rounds {rounds} --state-dir {tmp}/state "
            f"--out {tmp}/out {' '.join(extra)}")


@pytest.fixture
def thp_restored():
    before = THP.read_text()
    yield before
    if THP.read_text() != before:
        THP.write_text(before[before.index("[") + 1:before.index("]")])
        pytest.fail(f"THP was left as {THP.read_text().strip()!r}")


def check_report(out: Path) -> dict:
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    assert report["outcome"]["summary"].split(": ", 1)[1][:60] in md
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # One mark per run and side for every metric of every benchmark that ran.
    for b in report["benchmarks"]:
        if b["unavailable"] is None:
            for metric in b["a"]["metrics"]:
                for side, key in (("before", "a"), ("after", "b")):
                    runs = [v for v in b[key]["metrics"][metric]["runs"] if v is not None]
                    marks = re.findall(rf'<circle[^>]*class="run[^"]*"[^>]*data-bench="{b["bench"]}"[^>]*'
                                       rf'data-metric="{metric}"[^>]*data-side="{side}"', html)
                    assert len(marks) == len(runs), (b["bench"], metric, side)
    return report


def bench_of(report: dict, bench: str) -> dict:
    (b,) = [b for b in report["benchmarks"] if b["bench"] == bench]
    return b


def tried_until_undisturbed(tmp_path: Path, audit, bench: str, attempts: int = 2):
    """Runs `audit(dir)` -> (out, report) in a fresh directory until `bench`'s runs were not too
    disturbed for verdicts (hypervisor steal, CPUs taken by other tasks), at most `attempts` times:
    a shared host can disturb a whole audit, and measuring again is what an operator would do.
    Returns the last (out, report, dir, why disturbed or None)."""
    for attempt in range(attempts):
        run_dir = tmp_path / f"attempt{attempt}"
        run_dir.mkdir()
        out, report = audit(run_dir)
        why = bench_of(report, bench)["comparison"]["too_disturbed"]
        if why is None:
            break
        print(f"attempt {attempt}: {bench}: {why}")
    return out, report, run_dir, why


def assert_honestly_inconclusive(report: dict, bench: str, why: str) -> None:
    """Still disturbed: the audit says so plainly, does not pass, and keeps nothing it could not prove."""
    assert report["outcome"]["passed"] is False and report["outcome"]["exit_code"] == 1, report["outcome"]
    assert any(why in r for r in report["outcome"]["reasons"]), report["outcome"]
    assert report["end_state"] == "rolled-back"
    assert any(why in c for c in report["caveats"]), report["caveats"]
    print(f"{bench} stayed too disturbed ({why}): checked the honest failure instead of the verdict")


def test_a_real_effect_passes_and_is_kept(tmp_path):
    def audit(d: Path):
        out = in_netns(f"""
echo before $(cat {TW})
{audit_cmd("audit-tw-buckets.json", d)} > {d}/stdout; echo rc $?
echo after $(cat {TW})
{TUNECTL_BIN} history --state-dir {d}/state --json > {d}/history.json
""")
        return out, check_report(d / "out")

    out, report, tmp_path, disturbed = tried_until_undisturbed(tmp_path, audit, "tcp_crr")
    # The effect (no TIME_WAIT sockets left without buckets) is in the data either way.
    assert_known_effect(bench_of(report, "tcp_crr")["comparison"], "time_wait_left", "improved")
    if disturbed:
        assert out["rc"] == "1" and out["after"] == out["before"], out
        assert_honestly_inconclusive(report, "tcp_crr", disturbed)
        return
    assert out["rc"] == "0", (tmp_path / "stdout").read_text()
    assert out["after"] == "0" and out["before"] != "0", out  # kept
    assert report["outcome"]["passed"] is True and report["end_state"] == "kept"
    assert report["duration_s"] > 0 and report["finished_at"] > report["started_at"]
    (exp,) = report["expectations"]
    assert exp["met"] and exp["verdict"] == "improved" and exp["effect_shown"] >= 0.5, exp
    crr = report["benchmarks"][0]
    assert crr["bench"] == "tcp_crr" and crr["b"]["metrics"]["time_wait_left"]["median"] == 0
    # Interleaved: the state changes at least once a round (all-before-then-after would be 1 switch).
    assert report["transaction"]["state"] == "applied" and report["transaction"]["switches"] >= 5
    history = json.loads((tmp_path / "history.json").read_text())["transactions"]
    assert [t["state"] for t in history] == ["applied"]  # one record for all the switches
    assert (tmp_path / "stdout").read_text().startswith("passed: 1 expectation met, no regression")
    # The real report in a real browser: one mark per run, nothing on the console.
    url = (tmp_path / "out" / "report.html").as_uri()
    proc = chromium(tmp_path, url, "--dump-dom")
    marks = Marks()
    marks.feed(proc.stdout)
    expected = Counter()
    for side, key in (("before", "a"), ("after", "b")):
        for metric, m in crr[key]["metrics"].items():
            expected[("tcp_crr", metric, side)] = sum(v is not None for v in m["runs"])
    assert marks.runs == expected and sum(expected.values()) == 4 * 10
    assert console_messages(proc.stderr, url) == []


def test_rollback_always_restores_even_when_it_passed(tmp_path):
    def audit(d: Path):
        out = in_netns(f"""
echo before $(cat {TW})
{audit_cmd("audit-tw-buckets.json", d, "--rollback", "--json")} > {d}/report.json; echo rc $?
echo after $(cat {TW})
""")
        report = json.loads((d / "report.json").read_text())
        jsonschema.validate(report, SCHEMA)
        return out, report

    # What is tested is the rollback of an audit that passed. A real effect's audit can still fail
    # by chance: its other tcp_crr metrics are judged too, and one may come out "regressed" at the
    # 5 % level (a full suite run saw it once), or the host disturbs the runs. Every attempt must
    # restore and, when it fails, say why; at most three attempts to see one pass.
    for attempt in range(3):
        run_dir = tmp_path / f"attempt{attempt}"
        run_dir.mkdir()
        out, report = audit(run_dir)
        assert out["after"] == out["before"]  # restored, passed or not
        assert report["end_state"] == "rolled-back" and report["options"]["end"] == "rollback"
        if report["outcome"]["passed"]:
            assert out["rc"] == "0", out
            return
        assert out["rc"] == "1" and report["outcome"]["reasons"], report["outcome"]
        print(f"attempt {attempt}: not passed: {report['outcome']['reasons']}")
    disturbed = bench_of(report, "tcp_crr")["comparison"]["too_disturbed"]
    assert disturbed, f"three audits of a real effect failed without disturbed runs: {report['outcome']}"
    assert_honestly_inconclusive(report, "tcp_crr", disturbed)


def test_a_no_op_expected_to_improve_fails_and_is_rolled_back(tmp_path):
    out = in_netns(f"""
echo before $(cat {KEEPALIVE})
{audit_cmd("audit-noop.json", tmp_path)} > {tmp_path}/stdout; echo rc $?
echo after $(cat {KEEPALIVE})
""")
    assert out["rc"] == "1", (tmp_path / "stdout").read_text()
    assert out["after"] == out["before"] == "7200"
    report = check_report(tmp_path / "out")
    (exp,) = report["expectations"]
    assert not exp["met"] and exp["verdict"] in ("no change", "inconclusive"), exp
    assert report["outcome"]["passed"] is False and report["end_state"] == "rolled-back"
    assert report["outcome"]["summary"].startswith("failed: tcp_rr rtt_p50_us improved: not shown")


def test_thp_off_regresses_page_faults_fails_and_restores_thp(tmp_path, thp_restored):
    def audit(d: Path):
        out = in_netns(f"""
{audit_cmd("audit-thp-net.json", d, rounds=8)} > {d}/stdout; echo rc $?
echo tw $(cat {TW})
""")
        assert THP.read_text() == thp_restored
        return out, check_report(d / "out")

    out, report, tmp_path, disturbed = tried_until_undisturbed(tmp_path, audit, "page_fault")
    assert out["rc"] == "1", (tmp_path / "stdout").read_text()
    assert out["tw"] != "0"
    regressed = {(r["bench"], r["metric"]) for r in report["regressions"]}
    if disturbed:  # the slowdown may drown in the noise then; what THP did is still checked below
        assert ("page_fault", "gib_per_s_thp") not in regressed
        assert_honestly_inconclusive(report, "page_fault", disturbed)
    else:
        # Faulting the THP-advised buffer in 4 KiB pages: 512x the faults, every run, a regression.
        assert ("page_fault", "faults_thp") in regressed, report["outcome"]
        assert any("page_fault" in r and "regressed" in r for r in report["outcome"]["reasons"])
        # Its throughput falls too; the data must show it (CI wholly below 1). With Holm over six
        # metrics and one outlying run that is sometimes not significant: then inconclusive, never
        # "no change" or "improved".
        (gib,) = [m for m in bench_of(report, "page_fault")["comparison"]["metrics"] if m["metric"] == "gib_per_s_thp"]
        assert gib["ci95"][1] < 1 and gib["verdict"] in ("regressed", "inconclusive"), gib
    settings = {s["knob"]: s for s in report["settings"]}
    assert settings["thp:enabled"]["before"] == "madvise" and settings["thp:enabled"]["after"] == "never"
    assert settings["thp:enabled"]["read_back"].strip() == "always madvise [never]"
    # THP acts on new allocations: what page_fault's THP-advised buffer really got, before and after.
    (seen,) = settings["thp:enabled"]["observed"]
    assert seen["bench"] == "page_fault" and seen["before"] > 0 and seen["after"] == 0, seen
    assert settings["sysctl:net.ipv4.tcp_max_tw_buckets"]["observed"] == []


@pytest.mark.parametrize("trial", range(3))
def test_sigterm_at_a_random_point_restores_the_original(tmp_path, thp_restored, trial):
    delay = random.Random(trial).uniform(0.2, 3.0)
    out = in_netns(f"""
echo before $(cat {TW})
{audit_cmd("audit-thp-net.json", tmp_path, rounds=20)} > {tmp_path}/stdout 2> {tmp_path}/stderr &
pid=$!
sleep {delay:.2f}
kill -TERM $pid
wait $pid; echo rc $?
echo after $(cat {TW})
{TUNECTL_BIN} history --state-dir {tmp_path}/state --json > {tmp_path}/history.json
""")
    assert THP.read_text() == thp_restored
    assert out["after"] == out["before"], out
    assert out["rc"] == "130", (tmp_path / "stderr").read_text()
    assert "interrupted" in (tmp_path / "stderr").read_text()
    history = json.loads((tmp_path / "history.json").read_text())["transactions"]
    assert [t["state"] for t in history] == ["rolled-back"]


def test_sigkill_leaves_an_open_transaction_that_blocks_until_rolled_back(tmp_path, thp_restored):
    files = [TW, str(THP)]
    out = in_netns(f"""
for f in {' '.join(files)}; do echo "before$f" "$(base64 -w0 < $f)"; done
{audit_cmd("audit-thp-net.json", tmp_path, rounds=20)} > /dev/null 2>&1 &
pid=$!
sleep 1.5
kill -KILL $pid; wait $pid
echo state $(cat {THP} | tr ' ' _)
{audit_cmd("audit-thp-net.json", tmp_path)} > /dev/null 2> {tmp_path}/second.err; echo second $?
{TUNECTL_BIN} rollback --state-dir {tmp_path}/state > /dev/null; echo rollback $?
for f in {' '.join(files)}; do echo "after$f" "$(base64 -w0 < $f)"; done
""")
    assert out["second"] == "6", (tmp_path / "second.err").read_text()
    assert "is open" in (tmp_path / "second.err").read_text()
    assert out["rollback"] == "0"
    for f in files:
        assert out["after" + f] == out["before" + f], f  # byte for byte
    assert THP.read_text() == thp_restored


def test_dry_run_estimates_and_writes_nothing(tmp_path):
    r = run_cli("audit", "-p", str(PROFILES / "audit-thp-net.json"), "--dry-run", "--state-dir", str(tmp_path / "state"))
    assert r.rc == 0, r
    assert r.out.startswith("dry run: 2 change(s), 7 benchmark(s), about ")
    assert "thp:enabled: madvise -> never" in r.out and "nothing was written" in r.out
    assert not (tmp_path / "state").exists()
    j = run_cli("audit", "-p", str(PROFILES / "audit-thp-net.json"), "--dry-run", "--json", "--benches", "none")
    assert j.rc == 0
    report = j.json()
    jsonschema.validate(report, SCHEMA)
    assert [b["bench"] for b in report["benchmarks_chosen"]] == ["tcp_crr", "page_fault"]
    assert report["estimated_duration_s"] > 0 and report["outcome"]["verdict"] == "dry-run"
    # Runs per side are rounds x reps: 3 rounds of 2 pairs give tcp_rr its 5 (and more).
    two = run_cli("audit", "-p", str(PROFILES / "audit-thp-net.json"), "--dry-run", "--json", "--benches", "none",
                  "--rounds", "3", "--reps", "2")
    assert two.rc == 0, two
    assert two.json()["options"]["reps"] == 2
    # 6 measured + 1 warm-up pairs instead of 10 + 1 (tcp_crr's port share grows, not its duration).
    assert two.json()["estimated_duration_s"] == pytest.approx(report["estimated_duration_s"] * 7 / 11)


@pytest.mark.parametrize("args, message", [
    (["--benches", "tcp_rr,nope"], "unknown benchmark 'nope'"),
    (["--rounds", "3"], "pass --rounds 5 or more"),
    (["--bench-option", "tcp_crr.no_such=1"], "unknown option --no-such for benchmark tcp_crr"),
    (["--bench-option", "tcp_crr"], "expected NAME.KEY=VALUE"),
    (["--keep", "--rollback"], "exclude each other"),
    (["--reps", "0"], "--reps must be 1..100"),
])
def test_input_errors_exit_2_before_anything_is_written(tmp_path, args, message):
    r = run_cli("audit", "-p", str(PROFILES / "audit-tw-buckets.json"), "--state-dir", str(tmp_path / "state"), *args)
    assert r.rc == 2, r
    assert message in r.err and len(r.err.strip().splitlines()) == 1, r.err
    assert not (tmp_path / "state").exists()


def test_a_profile_naming_an_unknown_benchmark_is_a_profile_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sysctl": {"net.ipv4.tcp_keepalive_time": 7000},
                               "verify": {"bench": [{"bench": "tcp_rrr", "expect": "no-regression"}]}}))
    r = run_cli("audit", "-p", str(bad), "--dry-run")
    assert r.rc == 2
    assert f"{bad}: /verify/bench/0/bench: unknown benchmark 'tcp_rrr'" in r.err


def test_python_api_gives_the_same_report(tmp_path):
    script = f"""
import json, sys
sys.path.insert(0, {str(Path(TUNECTL_BIN).parent / 'python')!r})
import tunectl
seen = []
r = tunectl.audit({str(PROFILES / 'audit-tw-buckets.json')!r}, state_dir={str(tmp_path / 'state')!r}, benches="none",
                  rounds=5, keep=False, out={str(tmp_path / 'out')!r}, progress=seen.append)
print("passed", r.passed)
print("exit", r.exit_code)
print("end", r.end_state)
print("progress", json.dumps(seen[-1]))
try:
    tunectl.audit({str(PROFILES / 'audit-tw-buckets.json')!r}, benches="nope", dry_run=True)
except tunectl.InputError as e:
    print("error", type(e).__name__)
"""
    out = in_netns(f"/usr/bin/python3 - <<'EOF'\n{script}\nEOF\n")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    disturbed = bench_of(report, "tcp_crr")["comparison"]["too_disturbed"]
    if disturbed:  # the same honest failure as the CLI's (test_a_real_effect_passes_and_is_kept)
        assert out["passed"] == "False" and out["exit"] == "1" and out["end"] == "rolled-back", out
        assert_honestly_inconclusive(report, "tcp_crr", disturbed)
    else:
        assert out["passed"] == "True" and out["exit"] == "0" and out["end"] == "rolled-back", out
    progress = json.loads(out["progress"])
    assert progress["round"] == 5 and progress["rounds"] == 5 and progress["bench"] == "tcp_crr"
    assert progress["state"] in ("before", "after")
    assert out["error"] == "InputError"
    jsonschema.validate(report, SCHEMA)
