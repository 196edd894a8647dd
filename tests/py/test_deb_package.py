"""The Debian package (scripts/build-deb, docs/packaging.md): built once per session, lintian finds no
error, installed with apt-get it runs from the installed files alone, and purged it leaves the machine
as it found it, a source install of tunectl in /usr/local included. Runs as root (scripts/test.sh)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, TUNECTL_BIN, is_root

DEB_BUILD_DIR = Path(os.environ.get("TUNECTL_DEB_BUILD_DIR", str(Path(TUNECTL_BIN).resolve().parent) + "-deb"))
PYTHON_DIR = "/usr/lib/python3/dist-packages"
# A clean environment, as a new root shell has it: no PYTHONPATH, no TUNECTL_* variables.
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": "/root"}
# What tunectl itself may add under /etc, and a source install the package must not touch.
WATCHED = [Path("/etc/tunectl"), Path("/etc/systemd/system/multi-user.target.wants/tunectl-boot.service"),
           Path("/usr/local/bin/tunectl"), *sorted(Path("/usr/local/lib").glob("python3*/dist-packages/tunectl"))]


def run(*cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), capture_output=True, text=True, **kw)


def project_version() -> str:
    m = re.search(r"project\(tunectl VERSION ([0-9.]+)", (SOURCE_DIR / "CMakeLists.txt").read_text())
    assert m, "no project version in CMakeLists.txt"
    return m.group(1)


def verbs() -> list[str]:
    found = re.findall(r"^TUNECTL_VERB\(([a-z_]+)", (SOURCE_DIR / "cli" / "verbs.def").read_text(), re.M)
    assert found, "no verbs in cli/verbs.def"
    return found


def installed_version() -> str | None:
    r = run("dpkg-query", "-W", "-f=${Status} ${Version}", "tunectl")
    return r.stdout.split()[-1] if r.returncode == 0 and "install ok installed" in r.stdout else None


def tree_state(path: Path):
    """What a watched path holds: absent, a link's target, a file's digest, or a tree's digests."""
    if path.is_symlink():
        return ("link", os.readlink(path))
    if path.is_file():
        return ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    if path.is_dir():
        return ("dir", sorted((str(p.relative_to(path)), tree_state(p) if p.is_file() else None)
                              for p in path.rglob("*") if "__pycache__" not in p.parts))
    return None


@pytest.fixture(scope="session")
def deb(tmp_path_factory) -> Path:
    """The package, built once per session by scripts/build-deb into a temp dir."""
    out = tmp_path_factory.mktemp("deb")
    r = run(str(SOURCE_DIR / "scripts" / "build-deb"), str(out), str(DEB_BUILD_DIR), timeout=3000)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    arch = run("dpkg", "--print-architecture").stdout.strip()
    debs = sorted(out.glob("*.deb"))
    assert [d.name for d in debs] == [f"tunectl_{project_version()}_{arch}.deb"]
    return debs[0]


def package_paths(deb: Path) -> list[str]:
    """Every path the package installs (directories too), from its data archive."""
    tar = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    names = subprocess.run(["tar", "-t"], input=tar, capture_output=True, check=True).stdout.decode().split("\n")
    return sorted({"/" + n.strip("./").rstrip("/") for n in names if n.strip("./")})


@pytest.fixture(scope="module")
def installed(deb):
    """Installs the package with apt-get; purges it and removes what it left, whatever the tests did."""
    assert is_root(), "the package tests install a package: run as root (scripts/test.sh)"
    assert installed_version() is None, "a tunectl package is installed already: the test would replace it"
    paths = package_paths(deb)
    new_paths = [p for p in paths if not os.path.lexists(p)]
    before = {p: tree_state(p) for p in WATCHED}

    def restore():
        if installed_version() is not None:
            run("apt-get", "purge", "-y", "tunectl", env={**CLEAN_ENV, "DEBIAN_FRONTEND": "noninteractive"})
        for p in sorted(new_paths, key=len, reverse=True):  # deepest first; only what was not there
            if os.path.isdir(p) and not os.path.islink(p):
                subprocess.run(["rm", "-rf", "--one-file-system", p], check=False)
            elif os.path.lexists(p):
                os.unlink(p)

    try:
        r = run("apt-get", "install", "-y", "--no-install-recommends", f"./{deb.name}", cwd=deb.parent,
                env={**CLEAN_ENV, "DEBIAN_FRONTEND": "noninteractive"}, timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
        assert installed_version() == project_version()
        yield {"paths": paths, "new_paths": new_paths, "before": before}
    finally:
        restore()


def test_lintian_finds_no_error(deb):
    r = run("lintian", "--no-tag-display-limit", str(deb), timeout=600)
    errors = [line for line in r.stdout.splitlines() if line.startswith("E:")]
    assert errors == [], r.stdout
    assert r.returncode == 0, r.stdout + r.stderr


def test_dependencies_are_computed(deb):
    depends = run("dpkg-deb", "--field", str(deb), "Depends").stdout
    # The Python ABI the extension was built for: /usr/bin/python3's X.Y, nothing else.
    out = run("/usr/bin/python3", "-c", "import sys; print(*sys.version_info[:2])").stdout.split()
    major, minor = int(out[0]), int(out[1])
    assert f"python3 (>= {major}.{minor}~)" in depends and f"python3 (<< {major}.{minor + 1})" in depends, depends
    # dpkg-shlibdeps: the shared libraries the binary and the extension link, with versions.
    for lib in ("libc6 (>=", "libstdc++6 (>=", "libnl-3-200 (>=", "libboost-program-options"):
        assert lib in depends, depends


def test_package_contents(installed):
    listed = set(run("dpkg", "-L", "tunectl").stdout.split("\n"))
    assert set(installed["paths"]) - {"/"} <= listed
    expect = {"/usr/bin/tunectl", f"{PYTHON_DIR}/tunectl/__init__.py", f"{PYTHON_DIR}/tunectl/py.typed",
              "/etc/tunectl/profiles", "/usr/share/doc/tunectl/copyright", "/usr/share/doc/tunectl/changelog.gz",
              "/usr/share/man/man1/tunectl.1.gz"}
    expect |= {f"/usr/share/tunectl/profiles/{p.name}" for p in (SOURCE_DIR / "profiles").glob("*.json")}
    expect |= {f"/usr/share/man/man1/tunectl-{v}.1.gz" for v in verbs()}
    assert expect <= listed, sorted(expect - listed)
    assert [p for p in listed if re.fullmatch(rf"{PYTHON_DIR}/tunectl/_tunectl\.cpython-.*\.so", p)]
    assert [p for p in listed if re.fullmatch(r"(/usr)?/lib/systemd/system/tunectl-boot\.service", p)]
    # The site profile dir: empty, root's, 0755 (tunectl refuses one others can write).
    st = os.stat("/etc/tunectl/profiles")
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, 0, 0)
    # Shipped, not enabled: the operator opts in with `tunectl apply --persist`.
    link = Path("/etc/systemd/system/multi-user.target.wants/tunectl-boot.service")
    assert tree_state(link) == installed["before"][link]
    page = run("sh", "-c", "zcat /usr/share/man/man1/tunectl-probe.1.gz").stdout
    assert ".TH TUNECTL-PROBE" in page and "tunectl-probe \\- read the host" in page, page[:500]


def test_installed_binary_runs_from_installed_files(installed, tmp_path):
    probe = run("/usr/bin/tunectl", "probe", "--json", cwd=tmp_path, env=CLEAN_ENV, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert re.fullmatch(r"tunectl\.snapshot/\d+", json.loads(probe.stdout)["schema"])
    listing = run("/usr/bin/tunectl", "profiles", "list", "--json", cwd=tmp_path, env=CLEAN_ENV)
    assert listing.returncode == 0, listing.stderr
    dirs = {p["name"]: p["dir"] for p in json.loads(listing.stdout)}
    builtins = {p.stem for p in (SOURCE_DIR / "profiles").glob("*.json") if p.stem != "profile.schema"}
    assert builtins and {dirs.get(n) for n in builtins} == {"/usr/share/tunectl/profiles"}, dirs


def test_installed_python_package_imports(installed, tmp_path):
    code = ("import json, tunectl, tunectl._tunectl as ext; "
            "print(json.dumps([tunectl.__file__, ext.__file__, tunectl.probe(only=['thp']).to_dict()['schema']]))")
    # Debian's python3 puts /usr/local's dist-packages first: a source install there shadows the
    # package (README), so the package's own copy is checked with /usr/local off the path.
    own = f"import sys; sys.path = [p for p in sys.path if not p.startswith('/usr/local/')]; {code}"
    r = run("/usr/bin/python3", "-c", own, cwd=tmp_path, env=CLEAN_ENV)
    assert r.returncode == 0, r.stderr
    init, ext, schema = json.loads(r.stdout)
    assert init == f"{PYTHON_DIR}/tunectl/__init__.py" and ext.startswith(f"{PYTHON_DIR}/tunectl/_tunectl.")
    assert re.fullmatch(r"tunectl\.snapshot/\d+", schema)
    plain = run("/usr/bin/python3", "-c", code, cwd=tmp_path, env=CLEAN_ENV)
    assert plain.returncode == 0, plain.stderr
    local = sorted(Path("/usr/local/lib").glob("python3*/dist-packages/tunectl/__init__.py"))
    expected = str(local[0]) if local else f"{PYTHON_DIR}/tunectl/__init__.py"
    assert json.loads(plain.stdout)[0] == expected


def test_purge_restores_the_machine(installed):
    r = run("apt-get", "purge", "-y", "tunectl", env={**CLEAN_ENV, "DEBIAN_FRONTEND": "noninteractive"}, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert installed_version() is None
    assert run("dpkg-query", "-W", "tunectl").returncode != 0, "purge leaves no dpkg record"
    left = [p for p in installed["new_paths"] if os.path.lexists(p)]
    assert left == [], left
    assert {p: tree_state(p) for p in WATCHED} == installed["before"]
