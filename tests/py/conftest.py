"""Shared pytest fixtures: the built CLI, the fixture host trees, and safe temp copies."""
from __future__ import annotations

import errno
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
    """Every fixture host tree; none at all is an error (a parametrisation over nothing would pass)."""
    names = sorted(p.name for p in FIXTURE_HOSTS.iterdir() if p.is_dir()) if FIXTURE_HOSTS.is_dir() else []
    assert names, f"no fixture host trees in {FIXTURE_HOSTS}"
    return names


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


@pytest.fixture
def as_root():
    """Live tests change (and restore) kernel state, so they run as root (scripts/test.sh): a
    non-root run fails them instead of skipping them."""
    assert is_root(), "live tests run as root (scripts/test.sh)"


def discover_live_irqs() -> tuple[int | None, int | None]:
    """(settable, managed) IRQs of this host, discovered because numbers differ between machines:
    settable, the first whose smp_affinity_list has a write bit and takes a trial write of its own
    current value; managed, the first the kernel owns (the file is read-only, or the trial write is
    refused with EPERM, EIO on older kernels). Writes nothing but values the files already hold."""
    settable = managed = None
    for d in sorted((p for p in Path("/proc/irq").iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        f = d / "smp_affinity_list"
        if not f.exists():
            continue
        if not f.stat().st_mode & 0o222:  # root could still open it: the mode is the kernel's answer
            managed = int(d.name) if managed is None else managed
            continue
        try:
            f.write_text(f.read_text().strip())
        except OSError as e:
            if e.errno in (errno.EPERM, errno.EIO) and managed is None:
                managed = int(d.name)
            continue
        settable = int(d.name) if settable is None else settable
    return settable, managed


@pytest.fixture(scope="session")
def live_irqs() -> tuple[int, int]:
    """(settable, managed) for live tests; a host without both fails them, with the reason."""
    assert is_root(), "live tests run as root (scripts/test.sh)"
    settable, managed = discover_live_irqs()
    assert settable is not None, "no IRQ on this host takes a write of its own smp_affinity_list"
    assert managed is not None, "no managed IRQ on this host (virtio-blk and NVMe queue vectors are managed)"
    return settable, managed


def assert_known_effect(comparison, metric: str, verdict: str) -> bool:
    """A known effect on live timing: the data must show it (significant after Holm, the ratio's CI
    wholly on the expected side of 1), and the verdict must be `verdict`, unless more than a quarter
    of either side's runs were disturbed (hypervisor steal, CPUs taken by other tasks): then the
    only honest verdict is inconclusive, naming the disturbance. Shared CI hosts get disturbed
    often enough that asserting `verdict` alone fails runs whose data still show the effect.
    `comparison`: a tunectl Comparison or its dict (an audit report's benchmarks[i]["comparison"]).
    True when the verdict was `verdict`, False when it was the honest inconclusive."""
    doc = comparison if isinstance(comparison, dict) else comparison.to_dict()
    (row,) = [m for m in doc["metrics"] if m["metric"] == metric]
    lo, hi = row["ci95"]
    smaller = (verdict == "improved") != row["higher_is_better"]  # B's value is the smaller one
    assert row["significant"] and (hi < 1 if smaller else lo > 1), row
    if doc["too_disturbed"] is None:
        assert row["verdict"] == verdict, row
        return True
    assert row["verdict"] == "inconclusive" and row["why"].startswith(doc["too_disturbed"]), row
    print(f"{metric}: {doc['too_disturbed']}; the effect is in the data, the verdict honestly inconclusive")
    return False
