"""CLI conventions every verb shares: `help VERB` is `VERB --help`, sub-command verbs without their
sub-command print their help and exit 2, the common options (--root, --state-dir, --json) read the
same everywhere, and apply shows exactly the plan `plan` shows (dry run and confirmation)."""
from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import SOURCE_DIR, TUNECTL_BIN, run_cli

# A tree where a plan has every section: changes, already, not settable, IRQ placement,
# exclusions, the per-netns footnote; the profile below adds a note.
TREE = "cloud-ena"
NOTE_PROFILE = {
    "description": "latency plus a NIC setting that no NIC on the tree matches (yields a plan note)",
    "extends": ["latency"],
    "nic": {"nosuch*": {"channels.combined": {"value": 4, "why": "exercises the plan's notes"}}},
}
DRY_RUN_TRAILER = "\ndry run: nothing was written (not even the journal)\n"
REGISTERED = re.findall(r"^TUNECTL_VERB\((\w+)\)", (SOURCE_DIR / "cli" / "verbs.def").read_text(), re.M)


def listed(text: str, heading: str) -> list[str]:
    """The first words of the indented lines under `heading:` (verbs, sub-commands)."""
    block = text.split(heading + ":\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in block.splitlines() if line.startswith("  ")]


def verbs() -> list[str]:
    top = run_cli("--help")
    assert top.rc == 0, top
    return listed(top.out, "verbs")


def option_help(text: str, name: str) -> str | None:
    """The help text boost::program_options prints for --name (continuation lines joined)."""
    lines = text.splitlines()
    pattern = re.compile(r"^\s+(?:-\w \[ )?--%s(?: \])?(?: arg(?: \(=[^)]*\))?)?(?:\s{2,}(\S.*))?$" % re.escape(name))
    for i, line in enumerate(lines):
        m = pattern.match(line)
        if not m:
            continue
        parts = [m.group(1)] if m.group(1) else []
        column = line.index(m.group(1)) if m.group(1) else None
        for nxt in lines[i + 1:]:
            text_part = nxt.lstrip()
            indent = len(nxt) - len(text_part)
            if not text_part or text_part.startswith("-") or (column is not None and indent < column):
                break
            column = indent if column is None else column
            parts.append(text_part)
        return " ".join(" ".join(parts).split())  # boost wraps long texts at a space
    return None


def helps() -> dict[str, str]:
    """Every help page: each verb, each sub-command, and one benchmark (`bench NAME`)."""
    out = {}
    for verb in verbs():
        r = run_cli(verb, "--help")
        assert r.rc == 0, (verb, r)
        if "sub-commands:\n" not in r.out:
            out[verb] = r.out
            continue
        for sub in listed(r.out, "sub-commands"):
            if sub == "NAME":
                sub = r.out.split("benchmarks: ", 1)[1].split()[0]
            s = run_cli(verb, sub, "--help")
            assert s.rc == 0, (verb, sub, s)
            out[f"{verb} {sub}"] = s.out
    return out


# --- help ----------------------------------------------------------------------------------------

def test_top_level_help_lists_every_registered_verb():
    assert sorted(verbs()) == sorted(REGISTERED) and len(REGISTERED) == 16


def test_help_alone_is_the_top_level_help():
    top = run_cli("--help")
    r = run_cli("help")
    assert r.rc == 0 and r.out == top.out and "verbs:" in r.out and r.err == ""


@pytest.mark.parametrize("verb", REGISTERED)
def test_help_verb_is_verb_dash_dash_help(verb):
    via_help = run_cli("help", verb)
    direct = run_cli(verb, "--help")
    assert via_help.rc == 0 and direct.rc == 0, (via_help, direct)
    assert via_help.out == direct.out and via_help.err == direct.err == ""
    assert direct.out.startswith(f"usage: tunectl {verb} ")


def test_help_reaches_sub_commands_and_benchmarks():
    for args in (["profiles", "show"], ["bench", "compare"], ["bench", "tcp_rr"]):
        via_help = run_cli("help", *args)
        direct = run_cli(*args, "--help")
        assert via_help.rc == direct.rc == 0, (args, via_help)
        assert via_help.out == direct.out and f"usage: tunectl {' '.join(args)} " in direct.out


def test_help_for_an_unknown_verb_is_a_one_line_usage_error():
    r = run_cli("help", "nosuch")
    assert r.rc == 2 and r.out == ""
    assert r.err.count("\n") == 1 and "nosuch" in r.err


# --- sub-commands --------------------------------------------------------------------------------

@pytest.mark.parametrize("verb,subs", [
    ("profiles", ["list", "show"]),
    ("bench", ["list", "compare", "calibrate", "NAME"]),
])
def test_sub_command_verb_alone_prints_its_help_on_stderr_and_exits_2(verb, subs):
    alone = run_cli(verb)
    helped = run_cli(verb, "--help")
    assert alone.rc == 2 and alone.out == "", alone
    assert helped.rc == 0 and helped.err == ""
    assert alone.err == helped.out
    assert listed(helped.out, "sub-commands") == subs


def test_bench_help_names_every_benchmark():
    names = re.findall(r"^TUNECTL_BENCH\((\w+)\)", (SOURCE_DIR / "bench" / "benchmarks.def").read_text(), re.M)
    shown = run_cli("bench", "--help").out.split("benchmarks: ", 1)[1].split()
    assert names and sorted(shown) == sorted(names)


@pytest.mark.parametrize("args,needle", [
    (["profiles", "frobnicate"], "frobnicate"),
    (["profiles", "--json", "list"], "--json"),
    (["bench", "--json", "list"], "--json"),
    (["bench", "no_such_bench"], "no_such_bench"),
])
def test_a_bad_sub_command_is_a_one_line_usage_error(args, needle):
    r = run_cli(*args)
    # With --json the error is also one JSON object on stdout (test_json_errors.py).
    assert r.rc == 2 and (json.loads(r.out)["error"]["code"] == 2 if "--json" in args else r.out == ""), r
    assert r.err.count("\n") == 1 and needle in r.err


def test_sub_commands_still_run(fixture_copy):
    root = str(fixture_copy(TREE))
    listed_json = run_cli("profiles", "list", "--root", root, "--json")
    assert listed_json.rc == 0 and "latency" in {p["name"] for p in listed_json.json()}
    shown = run_cli("profiles", "show", "latency", "--root", root, "--json")
    assert shown.rc == 0 and shown.json()["name"] == "latency"
    missing = run_cli("profiles", "show")
    assert missing.rc == 2 and "profile name" in missing.err
    benches = run_cli("bench", "list", "--json")
    assert benches.rc == 0 and "tcp_rr" in {b["name"] for b in benches.json()}


# --- common options ------------------------------------------------------------------------------

ROOT_PAGES = {"probe", "plan", "apply", "rollback", "history", "status", "verify", "profiles list", "profiles show",
              "audit", "boot", "unpersist", "export"}
STATE_DIR_PAGES = {"plan", "apply", "rollback", "history", "status", "verify", "audit", "boot"}


@pytest.mark.parametrize("option,pages", [
    ("root", ROOT_PAGES),
    ("state-dir", STATE_DIR_PAGES),
    ("json", None),  # every page: each verb and sub-command has --json
])
def test_common_options_have_one_help_text_everywhere(option, pages):
    all_pages = helps()
    found = {page: option_help(text, option) for page, text in all_pages.items()}
    found = {page: text for page, text in found.items() if text is not None}
    assert set(found) == (pages if pages is not None else set(all_pages)), sorted(found)
    texts = set(found.values())
    assert len(texts) == 1 and all(texts), found


def test_root_keeps_its_default():
    assert "--root arg (=/)" in run_cli("plan", "--help").out


# --- apply shows the plan ------------------------------------------------------------------------

@pytest.fixture
def note_profile(tmp_path):
    path = tmp_path / "with-note.json"
    path.write_text(json.dumps(NOTE_PROFILE))
    return str(path)


@pytest.mark.parametrize("profile", ["latency", "throughput", "note"])
def test_apply_dry_run_prints_the_plan(fixture_copy, tmp_path, note_profile, profile):
    profile = note_profile if profile == "note" else profile
    root = str(fixture_copy(TREE))
    plan = run_cli("plan", "-p", profile, "--root", root)
    dry = run_cli("apply", "-p", profile, "--root", root, "--state-dir", str(tmp_path / "state"), "--dry-run")
    assert plan.rc == 0 and dry.rc == 0, (plan, dry)
    assert dry.out == plan.out + DRY_RUN_TRAILER
    assert not (tmp_path / "state").exists()


def test_the_dry_run_shows_every_plan_section(fixture_copy, tmp_path, note_profile):
    root = str(fixture_copy(TREE))
    dry = run_cli("apply", "-p", note_profile, "--root", root, "--state-dir", str(tmp_path / "s"), "--dry-run")
    assert dry.rc == 0, dry
    for heading in ("changes, in apply order", "already as desired", "not settable here", "IRQ placement:",
                    "left out by conditions", "per network namespace", "warning: nic: no physical NIC matches 'nosuch*'",
                    "plan digest: "):
        assert heading in dry.out, heading


def test_dry_run_json_is_still_the_transaction(fixture_copy, tmp_path):
    root = str(fixture_copy(TREE))
    r = run_cli("apply", "-p", "latency", "--root", root, "--state-dir", str(tmp_path / "s"), "--dry-run", "--json")
    assert r.rc == 0, r
    tx = r.json()
    assert tx["state"] == "dry-run" and tx["id"] is None and tx["changes"]


def test_the_confirmation_shows_the_plan(fixture_copy, tmp_path, note_profile):
    """On a terminal apply asks; the plan above the question is the one `plan` prints."""
    root = fixture_copy(TREE).resolve()  # apply plans for the canonical root
    plan = run_cli("plan", "-p", note_profile, "--root", str(root))
    assert plan.rc == 0, plan
    changes = len(run_cli("plan", "-p", note_profile, "--root", str(root), "--json").json()["changes"])
    master, slave = os.openpty()
    try:
        os.write(master, b"n\n")
        proc = subprocess.run([TUNECTL_BIN, "apply", "-p", note_profile, "--root", str(root), "--state-dir",
                               str(tmp_path / "state")], stdin=slave, capture_output=True, text=True, timeout=60)
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 2 and "not confirmed" in proc.stderr, proc
    assert proc.stdout == plan.out + f"\napply {changes} change(s) to tree {root}? [y/N] "
    assert run_cli("history", "--root", str(root), "--state-dir", str(tmp_path / "state"), "--json").json()[
        "transactions"] == []
