"""With --json every verb reports an error as one JSON object on stdout,
{"error": {"code", "kind", "message", "file", "pointer", "knob"}}, besides the one-line message on
stderr, with the same exit code: bad profiles, missing files, usage errors, refusals. No live host
is changed: everything runs on fixture tree copies, or fails before doing anything."""
from __future__ import annotations

import json
import os

import pytest

from conftest import FIXTURE_HOSTS, run_cli

KEYS = {"code", "kind", "message", "file", "pointer", "knob"}


def json_error(r, verb: str, code: int, kind: str) -> dict:
    """The single JSON object on stdout, checked against the exit code and the stderr line."""
    doc = json.loads(r.out)  # the whole of stdout: exactly one JSON value
    assert set(doc) == {"error"}, r
    err = doc["error"]
    assert set(err) == KEYS, err
    assert r.rc == code and err["code"] == code and err["kind"] == kind, r
    lines = [line for line in r.err.splitlines() if line.startswith(f"tunectl {verb}: ") or line.startswith("tunectl: ")]
    assert len(lines) == 1 and lines[0].endswith(err["message"]), (r.err, err["message"])
    return err


@pytest.fixture
def bad_profile(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"sysctl": {"net.ipv4.tcp_fin_timeout": -5}}))
    return p


@pytest.mark.parametrize("verb", ["plan", "verify", "apply", "audit"])
def test_bad_profile(verb, bad_profile, fixture_copy, tmp_path):
    root = fixture_copy("vm")
    extra = {"apply": ["--yes", "--state-dir", str(tmp_path / "s")], "audit": ["--dry-run"]}.get(verb, [])
    r = run_cli(verb, "-p", str(bad_profile), "--root", str(root), "--json", *extra)
    err = json_error(r, verb, 2, "profile")
    assert err["file"] == str(bad_profile)
    assert err["pointer"] == "/sysctl/net.ipv4.tcp_fin_timeout" and "got -5" in err["message"]


def test_bad_profile_in_profiles_show(bad_profile):
    err = json_error(run_cli("profiles", "show", str(bad_profile), "--json"), "profiles", 2, "profile")
    assert err["file"] == str(bad_profile) and err["pointer"] == "/sysctl/net.ipv4.tcp_fin_timeout"


@pytest.mark.parametrize("argv", [
    ["plan", "-p", "{missing}/nope.json", "--root", str(FIXTURE_HOSTS / "vm")],
    ["verify", "-p", "{missing}/nope.json", "--root", str(FIXTURE_HOSTS / "vm")],
])
def test_missing_profile_file_names_the_file(argv, tmp_path):
    argv = [a.replace("{missing}", str(tmp_path)) for a in argv]
    err = json_error(run_cli(*argv, "--json"), argv[0], 2, "profile")
    assert err["file"] == str(tmp_path / "nope.json") and err["pointer"] is None


@pytest.mark.parametrize("argv", [
    ["report", "{missing}/report.json"],
    ["diff", "{missing}/a.json", "{missing}/b.json"],
    ["bench", "compare", "{missing}/a.json", "{missing}/b.json"],
    ["probe", "--root", "{missing}/no-tree"],
    ["status", "--root", "{missing}/no-tree"],
    ["history", "--root", "{missing}/no-tree"],
])
def test_missing_input(argv, tmp_path):
    argv = [a.replace("{missing}", str(tmp_path)) for a in argv]
    r = run_cli(*argv, "--json")
    json_error(r, argv[0], 2, "input")


VERBS = ["probe", "knobs", "plan", "apply", "rollback", "history", "status", "verify", "audit", "report", "diff"]


@pytest.mark.parametrize("verb", VERBS)
def test_usage_error(verb):
    err = json_error(run_cli(verb, "--no-such-option", "--json"), verb, 2, "input")
    assert "no-such-option" in err["message"] and err["file"] is None and err["knob"] is None


@pytest.mark.parametrize("argv", [["profiles", "list"], ["bench", "list"], ["bench", "compare"]])
def test_usage_error_in_sub_commands(argv):
    json_error(run_cli(*argv, "--no-such-option", "--json"), argv[0], 2, "input")


def test_unknown_verb_and_a_missing_sub_command():
    json_error(run_cli("frobnicate", "--json"), "frobnicate", 2, "input")
    json_error(run_cli("bench", "--json"), "bench", 2, "input")


@pytest.mark.parametrize("verb", ["apply", "rollback", "history", "status"])
def test_unsafe_state_dir_is_not_permitted(verb, fixture_copy, tmp_path):
    root = fixture_copy("vm")
    state = tmp_path / "open-state"
    state.mkdir()
    os.chmod(state, 0o777)
    extra = ["-p", "latency", "--yes"] if verb == "apply" else []
    r = run_cli(verb, *extra, "--root", str(root), "--state-dir", str(state), "--json")
    err = json_error(r, verb, 3, "not-permitted")
    assert "writable by group or others" in err["message"]


def test_open_transaction_refusal_has_its_own_code_and_kind(fixture_copy, tmp_path):
    root, state = fixture_copy("vm"), tmp_path / "s"
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="exit")
    assert run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes", env=env).rc != 0
    r = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes", "--json")
    err = json_error(r, "apply", 6, "open-transaction")
    assert "is open" in err["message"]


def test_without_json_stdout_stays_empty(bad_profile):
    r = run_cli("plan", "-p", str(bad_profile), "--root", str(FIXTURE_HOSTS / "vm"))
    assert r.rc == 2 and r.out == "" and "got -5" in r.err
