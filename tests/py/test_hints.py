"""Commands tunectl tells the user to run carry the options of the run they are about: the
"undo with:" line after an apply on a tree (--root, --state-dir, shell-quoted) rolls back that tree
when pasted, and the refusal while a transaction is open names the same tree. No live host."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from conftest import FIXTURE_HOSTS, TUNECTL_BIN, run_cli

HOST = "vm"


def tree_bytes(root: Path) -> dict:
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath) / name
            if not p.is_symlink():
                out[str(p.relative_to(root))] = (p.stat().st_mode, p.read_bytes())
    return out


def paste(line: str) -> subprocess.CompletedProcess:
    """Runs a printed `tunectl ...` command through a shell, as pasting it would."""
    cmd = line.replace("tunectl", shlex.quote(TUNECTL_BIN), 1)
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=60)


def test_undo_hint_after_an_apply_on_a_tree_rolls_back_that_tree(tmp_path):
    # A root and state dir whose names need quoting: the hint must survive the shell.
    root = tmp_path / "my tree's copy"
    subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / HOST), str(root)], check=True)
    state = tmp_path / "state dir"
    original = tree_bytes(root)
    r = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes")
    assert r.rc == 0, r
    hints = [line for line in r.out.splitlines() if line.startswith("undo with: ")]
    assert len(hints) == 1, r.out
    hint = hints[0][len("undo with: "):]
    assert shlex.split(hint) == ["tunectl", "rollback", "--root", str(root), "--state-dir", str(state)]
    assert tree_bytes(root) != original

    back = paste(hint)
    assert back.returncode == 0, back.stderr
    assert "tree " + str(root) in back.stdout, back.stdout
    assert tree_bytes(root) == original
    hist = run_cli("history", "--root", str(root), "--state-dir", str(state), "--json").json()
    assert [t["state"] for t in hist["transactions"]] == ["rolled-back"]


def test_open_transaction_refusal_names_the_same_tree_and_its_rollback_works(tmp_path):
    root = tmp_path / "tree"
    subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / HOST), str(root)], check=True)
    state = tmp_path / "state"
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="exit")
    crashed = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes", env=env)
    assert crashed.rc != 0
    again = run_cli("apply", "-p", "latency", "--root", str(root), "--state-dir", str(state), "--yes", "--json")
    assert again.rc == 6, again
    message = again.json()["error"]["message"]
    commands = [part for i, part in enumerate(message.split("`")) if i % 2 == 1]
    assert [shlex.split(c) for c in commands] == [
        ["tunectl", "rollback", "--root", str(root), "--state-dir", str(state)],
        ["tunectl", "apply", "-p", "latency", "--recover", "--root", str(root), "--state-dir", str(state)],
    ], message
    back = paste(commands[0])
    assert back.returncode == 0, back.stderr
    assert run_cli("status", "--root", str(root), "--state-dir", str(state)).rc == 0
