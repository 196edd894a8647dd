"""Persistence (apply --persist, boot, unpersist, status) and export on copies of a fixture tree,
the shipped unit checked by systemd-analyze, and the sysctl.d export loaded by sysctl inside a
private network namespace. Nothing here changes the live host."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import tunectl
from conftest import SOURCE_DIR, TUNECTL_BIN, run_cli

HOST = "vm"
UNIT = SOURCE_DIR / "packaging" / "systemd" / "tunectl-boot.service"
SOMAXCONN = "proc/sys/net/core/somaxconn"
FIN_TIMEOUT = "proc/sys/net/ipv4/tcp_fin_timeout"
BOOT_ID = "proc/sys/kernel/random/boot_id"
RECORD = "etc/tunectl/persisted.json"
LINK = "etc/systemd/system/multi-user.target.wants/tunectl-boot.service"


@pytest.fixture
def host(fixture_copy, tmp_path):
    """A fixture tree with the unit installed where the package puts it, a state dir, a profile."""
    root = fixture_copy(HOST)
    (root / "lib/systemd/system").mkdir(parents=True)
    shutil.copy(UNIT, root / "lib/systemd/system/tunectl-boot.service")
    set_boot_id(root, "aaaaaaaa-0000-4000-8000-000000000001")
    profile = tmp_path / "profiles" / "web.json"
    profile.parent.mkdir()
    profile.write_text(json.dumps({"sysctl": {"net.core.somaxconn": 8192, "net.ipv4.tcp_fin_timeout": 30}}))
    return root, tmp_path / "state", profile


def set_boot_id(root: Path, boot_id: str) -> None:
    (root / BOOT_ID).parent.mkdir(parents=True, exist_ok=True)
    (root / BOOT_ID).write_text(boot_id + "\n")


def reboot(root: Path, boot_id: str = "bbbbbbbb-0000-4000-8000-000000000002") -> None:
    """What a reboot does to the tree: a new boot id, the kernel's defaults back."""
    set_boot_id(root, boot_id)
    for rel in (SOMAXCONN, FIN_TIMEOUT):
        shutil.copy(SOURCE_DIR / "tests/fixtures/hosts" / HOST / rel, root / rel)


def tree_files(*dirs: Path) -> dict:
    out = {}
    for base in dirs:
        for dirpath, _, names in os.walk(base):
            for n in names:
                p = Path(dirpath) / n
                out[str(p)] = os.readlink(p) if p.is_symlink() else p.read_bytes()
    return out


def cli(*args, env=None):
    return run_cli(*args, env=env)


def persist(root, state, profile, *extra, env=None):
    return cli("apply", "-p", str(profile), "--root", str(root), "--state-dir", str(state), "--yes", "--persist",
               *extra, env=env)


def boot(root, state, *extra):
    return cli("boot", "--root", str(root), "--state-dir", str(state), *extra)


def history(root, state):
    return cli("history", "--root", str(root), "--state-dir", str(state), "--json").json()["transactions"]


def test_apply_persist_records_the_profile_and_enables_the_unit_inside_the_tree(host):
    root, state, profile = host
    r = persist(root, state, profile, "--json")
    assert r.rc == 0, r
    tx = r.json()
    assert tx["state"] == "applied"
    p = tx["persisted"]
    assert p["record"] == "/etc/tunectl/persisted.json" and p["digest"] == tx["profile_digest"]
    assert p["unit"] == "/lib/systemd/system/tunectl-boot.service" and p["replaced"] is None
    assert os.readlink(root / LINK) == "/lib/systemd/system/tunectl-boot.service"
    rec = json.loads((root / RECORD).read_text())
    assert rec["schema"] == "tunectl.persisted/1" and rec["profile"] == "web"
    assert rec["digest"] == tx["profile_digest"] and rec["source"] == str(profile.resolve())
    assert (root / SOMAXCONN).read_text() == "8192\n"
    text = persist(root, state, profile)
    assert text.rc == 0 and "persisted: /etc/tunectl/persisted.json" in text.out, text


def test_boot_after_a_reboot_reapplies_in_one_transaction_then_writes_nothing(host):
    root, state, profile = host
    assert persist(root, state, profile).rc == 0
    reboot(root)
    r = boot(root, state)
    assert r.rc == 0, r
    assert r.out.startswith("re-applied web (sha256 ") and "2 knob(s) written" in r.out, r
    assert (root / SOMAXCONN).read_text() == "8192\n" and (root / FIN_TIMEOUT).read_text() == "30\n"
    txs = history(root, state)
    assert [t["state"] for t in txs] == ["applied", "applied"]
    before = tree_files(root, state)
    again = boot(root, state)
    assert again.rc == 0, again
    digest = json.loads((root / RECORD).read_text())["digest"]
    assert again.out == f"host matches web (sha256 {digest[:12]}); nothing written\n"
    assert tree_files(root, state) == before
    j = boot(root, state, "--json").json()
    assert j["schema"] == "tunectl.boot/1" and j["matched"] is True and j["transaction"]["state"] == "unchanged"


def test_boot_closes_a_transaction_left_open_before_the_reboot_without_writing_it(host, tmp_path):
    root, state, profile = host
    assert persist(root, state, profile).rc == 0
    other = tmp_path / "profiles" / "other.json"
    other.write_text(json.dumps({"sysctl": {"net.core.somaxconn": 16384, "net.ipv4.tcp_fin_timeout": 45}}))
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="exit")
    crashed = cli("apply", "-p", str(other), "--root", str(root), "--state-dir", str(state), "--yes", env=env)
    assert crashed.rc != 0, crashed
    open_id = [t for t in history(root, state) if t["state"] == "open"][0]["id"]
    reboot(root)
    r = boot(root, state, "--json")
    assert r.rc == 0, r
    j = r.json()
    assert j["transaction"]["recovered"] == [open_id] and j["transaction"]["state"] == "applied"
    assert f"recovered {open_id}" in j["message"]
    closed = [t for t in history(root, state) if t["id"] == open_id][0]
    assert closed["state"] == "rolled-back"
    # Closed because of the reboot, nothing restored (the reboot already reset its knob).
    events = [json.loads(line) for line in (state / "transactions" / f"{open_id}.journal").read_text().splitlines()[1:]]
    assert events[-1]["cause"] == "recover: reboot" and "nothing written" in events[-1]["note"]
    assert not [e for e in events if e["event"].startswith("restor")]
    shown = cli("rollback", "--to", open_id, "--root", str(root), "--state-dir", str(state))
    assert shown.rc == 0 and "is already rolled back" in shown.out, shown
    assert (root / SOMAXCONN).read_text() == "8192\n" and (root / FIN_TIMEOUT).read_text() == "30\n"


def test_persist_after_a_failed_apply_writes_nothing(host):
    root, state, profile = host
    env = dict(os.environ, TUNECTL_FAULT_AFTER_WRITES="1", TUNECTL_FAULT_ACTION="exit")
    r = persist(root, state, profile, env=env)
    assert r.rc != 0, r
    assert not (root / "etc").exists()
    (root / "lib/systemd/system/tunectl-boot.service").unlink()
    fresh = persist(root, state.parent / "state2", profile)
    assert fresh.rc == 2 and "tunectl-boot.service is not installed" in fresh.err, fresh
    assert not (root / "etc").exists() and not (state.parent / "state2").exists()


def test_damaged_or_missing_record_is_exit_7_with_one_line(host):
    root, state, profile = host
    r = boot(root, state)
    assert r.rc == 7 and r.out == "" and r.err.count("\n") == 1 and "persisted.json does not exist" in r.err, r
    assert persist(root, state, profile).rc == 0
    reboot(root)
    rec = json.loads((root / RECORD).read_text())
    rec["resolved"]["sysctl"]["net.core.somaxconn"]["value"] = 65535
    (root / RECORD).write_text(json.dumps(rec))
    before = tree_files(root, state)
    bad = boot(root, state, "--json")
    assert bad.rc == 7, bad
    err = bad.json()["error"]
    assert err["code"] == 7 and err["file"] == "/etc/tunectl/persisted.json" and "recorded digest" in err["message"]
    assert tree_files(root, state) == before
    (root / RECORD).write_text("{")
    assert boot(root, state).rc == 7


def test_unpersist_removes_link_then_record_and_nothing_is_exit_0(host):
    root, state, profile = host
    none = cli("unpersist", "--root", str(root))
    assert none.rc == 0 and none.out.startswith("nothing persisted"), none
    assert persist(root, state, profile).rc == 0
    r = cli("unpersist", "--root", str(root), "--json")
    assert r.rc == 0, r
    j = r.json()
    assert j["removed_link"] and j["removed_record"] and j["profile"] == "web"
    assert not (root / RECORD).exists() and not os.path.lexists(root / LINK)
    assert (root / "lib/systemd/system/tunectl-boot.service").exists()
    assert (root / SOMAXCONN).read_text() == "8192\n"


def test_status_shows_the_persisted_profile_and_whether_its_file_changed(host):
    root, state, profile = host
    s = cli("status", "--root", str(root), "--state-dir", str(state), "--json").json()
    assert s["persisted"]["persisted"] is False
    assert persist(root, state, profile).rc == 0
    r = cli("status", "--root", str(root), "--state-dir", str(state))
    assert r.rc == 0 and "persisted: web (sha256 " in r.out and "matches the persisted body" in r.out, r
    profile.write_text(json.dumps({"sysctl": {"net.core.somaxconn": 1024}}))
    s = tunectl.status(root=str(root), state_dir=str(state))
    assert s.persisted.persisted is True and s.persisted.enabled is True
    assert s.persisted.source_matches is False and s.persisted.source_digest != s.persisted.digest
    assert "CHANGED since it was persisted" in cli("status", "--root", str(root), "--state-dir", str(state)).out


def test_python_api(host):
    root, state, profile = host
    tx = tunectl.apply(str(profile), root=str(root), state_dir=str(state), persist=True)
    assert tx.state == "applied" and tx.persisted.digest == tx.profile_digest
    reboot(root)
    b = tunectl.boot(root=str(root), state_dir=str(state))
    assert b.matched is False and b.transaction.state == "applied"
    assert tunectl.boot(root=str(root), state_dir=str(state)).matched is True
    gone = tunectl.unpersist(root=str(root))
    assert gone.removed_record and gone.removed_link
    with pytest.raises(tunectl.TransactionError, match="does not exist"):
        tunectl.boot(root=str(root), state_dir=str(state))
    e = tunectl.export(str(profile), root=str(root))
    assert [s.key for s in e.settings] == ["net.core.somaxconn", "net.ipv4.tcp_fin_timeout"]


def test_export_sysctl_d_line_by_line_and_what_it_cannot_say(host, tmp_path):
    root, _, _ = host
    mixed = tmp_path / "profiles" / "mixed.json"
    mixed.write_text(json.dumps({"sysctl": {"net.ipv4.tcp_fin_timeout": 30, "net.core.somaxconn": 8192},
                                 "thp": {"enabled": "never"}}))
    r = cli("export", "-p", str(mixed), "--format", "sysctl.d", "--root", str(root))
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].startswith("# sysctl.d file written by `tunectl export --format sysctl.d`: profile mixed")
    settings = [line for line in lines if line and not line.startswith("#")]
    assert settings == ["net.core.somaxconn = 8192", "net.ipv4.tcp_fin_timeout = 30"]
    assert "# Not expressible as sysctl.d (1); `tunectl apply -p mixed --persist` applies these at boot:" in lines
    assert [line for line in lines if line.startswith("#   thp:")] == [
        "#   thp:enabled = never: a sysfs file (/sys/kernel/mm/transparent_hugepage), not a sysctl"]
    j = cli("export", "-p", str(mixed), "--root", str(root), "--json").json()
    assert j["schema"] == "tunectl.export/1" and j["text"] == r.out
    assert j["not_expressible"] == [{"knob": "thp:enabled", "value": "never",
                                     "reason": "a sysfs file (/sys/kernel/mm/transparent_hugepage), not a sysctl"}]
    bad = cli("export", "-p", str(mixed), "--format", "yaml", "--root", str(root))
    assert bad.rc == 2 and "unknown export format" in bad.err


def test_export_loads_with_sysctl_in_a_private_network_namespace(host, tmp_path, as_root):
    """Live proof that the file is what sysctl reads: loaded with `sysctl --load` inside `unshare -n`
    (every setting is per network namespace, so the host's own values are never touched)."""
    root, _, profile = host
    out = tmp_path / "90-tunectl-web.conf"
    r = cli("export", "-p", str(profile), "--root", str(root), "--out", str(out), "--json")
    assert r.rc == 0, r
    assert all(s["per_netns"] for s in r.json()["settings"])
    host_values = Path("/proc/sys/net/core/somaxconn").read_text()
    p = subprocess.run(["unshare", "-n", "sh", "-c",
                        f"sysctl -q --load={out} && cat /proc/sys/net/core/somaxconn "
                        "/proc/sys/net/ipv4/tcp_fin_timeout"], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p
    assert p.stdout.split() == ["8192", "30"]
    assert Path("/proc/sys/net/core/somaxconn").read_text() == host_values


def test_shipped_unit_passes_systemd_analyze_verify(tmp_path):
    """The unit as shipped, with ExecStart pointed at this build's tunectl (systemd-analyze checks
    that the command exists); a unit with a missing binary must fail, so the check is real."""
    tool = shutil.which("systemd-analyze")
    assert tool, "systemd-analyze is missing: it comes with Debian's systemd package (scripts/setup.sh)"
    text = UNIT.read_text()
    assert "\nExecStart=/usr/bin/tunectl boot\n" in text
    for line in ("Type=oneshot", "RemainAfterExit=yes", "WantedBy=multi-user.target", "TimeoutStartSec=90"):
        assert f"\n{line}\n" in text, line
    directives = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert not [d for d in directives if d.split("=")[0] in ("Requires", "Requisite", "BindsTo", "PartOf")]
    before = [line for line in directives if line.startswith("Before=")]
    assert any("multi-user.target" in line for line in before) and any("network.target" in line for line in before)

    good = tmp_path / "good" / "tunectl-boot.service"
    good.parent.mkdir()
    good.write_text(text.replace("/usr/bin/tunectl", str(Path(TUNECTL_BIN).resolve())))
    r = subprocess.run([tool, "verify", str(good)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    bad = tmp_path / "bad" / "tunectl-boot.service"
    bad.parent.mkdir()
    bad.write_text(text.replace("/usr/bin/tunectl", str(tmp_path / "no-such-tunectl")))
    r = subprocess.run([tool, "verify", str(bad)], capture_output=True, text=True)
    assert r.returncode != 0 and "no-such-tunectl" in r.stderr, r


def test_verbs_have_help_and_json(host):
    for verb in ("boot", "unpersist", "export"):
        h = cli(verb, "--help")
        assert h.rc == 0 and "--json" in h.out and "exit:" in h.out, (verb, h)
    assert "--persist" in cli("apply", "--help").out
    assert "7 no persisted profile" in cli("boot", "--help").out
