"""The profile search path: --profile-path / TUNECTL_PROFILE_PATH, /etc/tunectl/profiles, the
built-ins; shadowing reported; one bad file listed with its error; as root, profile files or
directories someone else can change refused (exit 3); extends conflicts in `profiles show`; an
installed binary never searching a build or source tree."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import tunectl
from conftest import SOURCE_DIR, TUNECTL_BIN, run_cli

BUILTIN_DIR = str(SOURCE_DIR / "profiles")
SITE_LATENCY = {"description": "site latency", "sysctl": {"net.core.somaxconn": {"value": 3333, "why": "site"}}}


def write(path: Path, doc) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    path.chmod(0o644)
    return path


def env_without_profile_path(**extra):
    env = {k: v for k, v in os.environ.items() if k != "TUNECTL_PROFILE_PATH"}
    env.update(extra)
    return env


@pytest.fixture
def site(tmp_path):
    """A profile dir with a latency.json shadowing the built-in, a broken file and a new name."""
    d = tmp_path / "site"
    write(d / "latency.json", SITE_LATENCY)
    write(d / "broken.json", '{"sysctl": {"net.ipv4.tcp_fin_timeout": -5}}')
    write(d / "web.json", {"description": "site web", "extends": ["balanced"]})
    return d


def by_name(entries):
    return {e["name"]: e for e in entries}


def test_profiles_list_shows_origin_shadowing_and_a_bad_file_with_its_error(site):
    r = run_cli("profiles", "list", "--profile-path", str(site), "--json", env=env_without_profile_path())
    assert r.rc == 0, r
    entries = by_name(r.json())
    assert set(entries) == {"api-gateway", "balanced", "broken", "container-host", "latency", "throughput", "web"}
    assert entries["latency"]["path"] == f"{site}/latency.json" and entries["latency"]["dir"] == str(site)
    assert entries["latency"]["shadows"] == [f"{BUILTIN_DIR}/latency.json"]
    assert entries["latency"]["description"] == "site latency"
    assert entries["broken"]["error"] == f"{site}/broken.json: /sysctl/net.ipv4.tcp_fin_timeout: must be 1..120, got -5"
    assert entries["web"]["files"] == [f"{BUILTIN_DIR}/balanced.json", f"{site}/web.json"]
    assert entries["balanced"]["dir"] == BUILTIN_DIR and entries["balanced"]["shadows"] == []

    human = run_cli("profiles", "list", "--profile-path", str(site), env=env_without_profile_path())
    assert human.rc == 0, human
    assert f"note: {site}/latency.json shadows {BUILTIN_DIR}/latency.json" in human.out
    broken_line = next(line for line in human.out.splitlines() if line.startswith("broken"))
    assert "INVALID:" in broken_line and "must be 1..120" in broken_line


def test_the_environment_is_the_default_and_the_option_replaces_it(site, tmp_path):
    other = tmp_path / "other"
    write(other / "latency.json", dict(SITE_LATENCY, description="other latency"))
    env = env_without_profile_path(TUNECTL_PROFILE_PATH=f"{other}:{site}")
    shown = run_cli("profiles", "show", "latency", "--json", env=env).json()
    assert shown["path"] == f"{other}/latency.json"
    assert shown["shadows"] == [f"{site}/latency.json", f"{BUILTIN_DIR}/latency.json"]
    shown = run_cli("profiles", "show", "latency", "--profile-path", str(site), "--json", env=env).json()
    assert shown["path"] == f"{site}/latency.json"


@pytest.mark.parametrize("verb", ["plan", "verify"])
def test_plan_and_verify_use_the_path_and_say_what_is_shadowed(site, verb, fixture_copy):
    root = str(fixture_copy("vm"))
    r = run_cli(verb, "-p", "latency", "--profile-path", str(site), "--root", root, "--json",
                env=env_without_profile_path())
    assert r.rc in (0, 1), r
    knobs = [c["knob"] for c in r.json()["changes" if verb == "plan" else "items"]]
    assert knobs == ["sysctl:net.core.somaxconn"]  # the site file's only setting, not the built-in's
    assert f"profile latency is {site}/latency.json, which shadows {BUILTIN_DIR}/latency.json" in r.err
    assert run_cli(verb, "-p", "web", "--root", root, "--json", env=env_without_profile_path()).rc == 2


def test_apply_dry_run_and_audit_dry_run_take_the_path(site, fixture_copy):
    root = str(fixture_copy("vm"))
    tx = run_cli("apply", "-p", "latency", "--profile-path", str(site), "--root", root, "--dry-run", "--json",
                 env=env_without_profile_path())
    assert tx.rc == 0, tx
    assert [c["knob"] for c in tx.json()["changes"]] == ["sysctl:net.core.somaxconn"]
    audit = run_cli("audit", "-p", "web", "--profile-path", str(site), "--root", root, "--dry-run", "--json",
                    env=env_without_profile_path())
    assert audit.rc == 0, audit
    assert audit.json()["profile"]["path"] == f"{site}/web.json"


def test_every_verb_taking_a_profile_documents_the_search_path():
    for verb in (["plan"], ["verify"], ["apply"], ["audit"], ["profiles", "list"], ["profiles", "show"]):
        r = run_cli(*verb, "--help")
        assert r.rc == 0 and "--profile-path" in r.out and "/etc/tunectl/profiles" in r.out, (verb, r)


# --- as root: files or directories others can change are refused --------------------------------

@pytest.mark.parametrize("case", ["dir-0777", "file-0666", "file-owned-by-nobody"])
def test_as_root_a_profile_others_can_change_is_refused_with_exit_3(tmp_path, case, as_root):
    d = tmp_path / "p"
    f = write(d / "mine.json", SITE_LATENCY)
    if case == "dir-0777":
        d.chmod(0o777)
    elif case == "file-0666":
        f.chmod(0o666)
    else:
        os.chown(f, 65534, 65534)
    for args in (["plan", "-p", "mine", "--profile-path", str(d)], ["plan", "-p", str(f)],
                 ["profiles", "show", "mine", "--profile-path", str(d)]):
        r = run_cli(*args, env=env_without_profile_path())
        assert r.rc == 3, (args, r)
        assert "running as root, profiles must be changeable by root only" in r.err
    listed = by_name(run_cli("profiles", "list", "--profile-path", str(d), "--json",
                             env=env_without_profile_path()).json())
    assert "changeable by root only" in listed["mine"]["error"]
    assert "error" not in listed["balanced"]
    with pytest.raises(tunectl.NotPermitted):
        tunectl.load_profile("mine", profile_path=[d])


def test_pytest_tmp_dirs_pass_the_rule(tmp_path, as_root):
    assert (tmp_path.stat().st_mode & 0o777) == 0o700 and tmp_path.stat().st_uid == 0
    f = tmp_path / "own.json"
    f.write_text(json.dumps(SITE_LATENCY))
    assert run_cli("profiles", "show", str(f), "--json").rc == 0


# --- extends conflicts -------------------------------------------------------------------------------

def test_profiles_show_reports_extends_conflicts(tmp_path):
    both = write(tmp_path / "p" / "both.json", {"extends": ["latency", "container-host"]})
    shown = run_cli("profiles", "show", str(both), "--json").json()
    thp = next(c for c in shown["conflicts"] if c["setting"] == "/thp/enabled")
    assert thp["values"] == [{"file": f"{BUILTIN_DIR}/latency.json", "value": "never"},
                             {"file": f"{BUILTIN_DIR}/container-host.json", "value": "madvise"}]
    assert (thp["won"], thp["why"]) == (f"{BUILTIN_DIR}/container-host.json", "later in extends wins")
    human = run_cli("profiles", "show", str(both))
    assert human.rc == 0, human
    assert "extends conflicts" in human.out
    row = next(line for line in human.out.splitlines() if line.strip().startswith("/thp/enabled"))
    assert "never (latency) then madvise (container-host)" in row and "later in extends wins" in row
    assert run_cli("profiles", "show", "latency", "--json").json()["conflicts"] == []


# --- Python -------------------------------------------------------------------------------------------

def test_python_functions_take_profile_path(site, fixture_copy, monkeypatch):
    monkeypatch.delenv("TUNECTL_PROFILE_PATH", raising=False)
    root = str(fixture_copy("vm"))
    p = tunectl.load_profile("latency", profile_path=str(site))
    assert p.path == f"{site}/latency.json" and p.shadows == [f"{BUILTIN_DIR}/latency.json"]
    assert tunectl.load_profile("latency", profile_path=[site]).path == p.path
    assert tunectl.load_profile("latency").path == f"{BUILTIN_DIR}/latency.json"
    names = lambda **kw: [p.name for p in tunectl.list_profiles(**kw)]  # noqa: E731
    assert "web" in names(profile_path=site) and "web" not in names()
    assert [c.knob for c in tunectl.plan("latency", root=root, profile_path=site).changes] == ["sysctl:net.core.somaxconn"]
    assert tunectl.show_profile("web", root=root, profile_path=site).path == f"{site}/web.json"
    assert tunectl.verify("web", root=root, profile_path=site).profile_digest == tunectl.load_profile(
        "web", profile_path=site).digest
    tx = tunectl.apply("latency", root=root, dry_run=True, profile_path=site)
    assert [c.knob for c in tx.changes] == ["sysctl:net.core.somaxconn"]
    report = tunectl.audit("web", root=root, dry_run=True, profile_path=site)
    assert report.profile.path == f"{site}/web.json"
    monkeypatch.setenv("TUNECTL_PROFILE_PATH", str(site))
    assert tunectl.load_profile("web").path == f"{site}/web.json"


# --- where the built-ins come from ------------------------------------------------------------------

def searched(err: str) -> list[str]:
    return err.split("searched ", 1)[1].rsplit(")", 1)[0].split(":")


def test_a_build_tree_binary_uses_the_source_profiles_and_an_installed_one_only_the_share_dir(tmp_path):
    r = run_cli("plan", "-p", "no-such-profile", env=env_without_profile_path())
    assert r.rc == 2 and searched(r.err) == ["/etc/tunectl/profiles", BUILTIN_DIR], r
    # The same binary outside its build directory is what `cmake --install` puts in PREFIX/bin.
    installed = tmp_path / "bin" / "tunectl"
    installed.parent.mkdir()
    shutil.copy2(TUNECTL_BIN, installed)
    r = subprocess.run([str(installed), "plan", "-p", "no-such-profile"], capture_output=True, text=True,
                       env=env_without_profile_path(), timeout=60)
    assert r.returncode == 2, r
    dirs = searched(r.stderr)
    assert dirs[0] == "/etc/tunectl/profiles" and len(dirs) == 2, r.stderr
    assert dirs[1].endswith("/share/tunectl/profiles") and not dirs[1].startswith(str(SOURCE_DIR)), r.stderr


def test_the_site_dir_comes_between_the_path_and_the_built_ins(tmp_path, site, as_root):
    """/etc/tunectl/profiles, seen only inside a private mount namespace (an overlay on /etc), so
    the real /etc is never written."""
    assert shutil.which("unshare"), "needs unshare (util-linux)"
    upper, work = tmp_path / "upper", tmp_path / "work"
    write(upper / "tunectl" / "profiles" / "latency.json", dict(SITE_LATENCY, description="etc latency"))
    write(upper / "tunectl" / "profiles" / "etc-only.json", {"description": "etc only"})
    (upper / "tunectl").chmod(0o755)
    work.mkdir()
    script = (f"mount -t overlay overlay -o lowerdir=/etc,upperdir={upper},workdir={work} /etc && "
              f"exec {TUNECTL_BIN} profiles list --profile-path {site} --json")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True,
                       text=True, env=env_without_profile_path(), timeout=60)
    assert r.returncode == 0, r
    entries = by_name(json.loads(r.stdout))
    assert entries["etc-only"]["dir"] == "/etc/tunectl/profiles"
    assert entries["latency"]["dir"] == str(site)
    assert entries["latency"]["shadows"] == ["/etc/tunectl/profiles/latency.json", f"{BUILTIN_DIR}/latency.json"]
    assert not Path("/etc/tunectl").exists()
