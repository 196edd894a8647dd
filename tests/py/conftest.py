"""Shared pytest fixtures: the built CLI, the fixture host trees, and safe temp copies."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("TUNECTL_SOURCE_DIR", Path(__file__).resolve().parents[2]))
FIXTURE_HOSTS = SOURCE_DIR / "tests" / "fixtures" / "hosts"
TUNECTL_BIN = os.environ.get("TUNECTL_BIN", str(SOURCE_DIR / "build" / "tunectl"))


def pytest_sessionstart(session):
    """Git does not keep the fixture trees' read-only modes (managed IRQs are 0444): restore them."""
    subprocess.run(["bash", str(SOURCE_DIR / "tests" / "fixtures" / "restore-modes.sh")], check=True)


def fixture_host_names():
    return sorted(p.name for p in FIXTURE_HOSTS.iterdir() if p.is_dir()) if FIXTURE_HOSTS.is_dir() else []


class CliResult:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return f"<rc={self.rc} out={self.out[:200]!r} err={self.err[:300]!r}>"


def run_cli(*args: str, input: str | None = None, timeout: float = 120, env=None) -> CliResult:
    """Runs the built `tunectl` with args; never raises on a non-zero exit."""
    proc = subprocess.run([TUNECTL_BIN, *args], capture_output=True, text=True, input=input,
                          timeout=timeout, env=env)
    return CliResult(proc)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def fixture_copy(tmp_path):
    """Returns a function copying a fixture host tree (modes and symlinks kept) into tmp_path."""
    def copy(name: str) -> Path:
        dst = tmp_path / name
        subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / name), str(dst)], check=True)
        return dst
    return copy


def is_root() -> bool:
    return os.geteuid() == 0


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
