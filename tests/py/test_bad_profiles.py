"""Malformed and hostile profiles: each must be refused with exit 2, a message naming the file and
the JSON pointer of the problem, and the host tree left byte for byte as it was."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from conftest import FIXTURE_HOSTS, run_cli

HOST = "vm"


def tree_digest(root: Path) -> str:
    """Every path, mode, symlink target and file content under root."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            st = p.lstat()
            h.update(f"{p.relative_to(root)}\0{st.st_mode}\0".encode())
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()


def sysctl(name, value):
    return json.dumps({"sysctl": {name: value}})


def deep(n):
    return '{"verify": ' + "[" * n + "]" * n + "}"


# (id, profile text or bytes, JSON pointer ("" = whole file), reason substring)
CASES = [
    ("truncated-json", '{"sysctl": ', "/sysctl", "invalid JSON"),
    ("trailing-garbage", '{"sysctl": {}} x', "", "invalid JSON"),
    ("empty-file", "", "", "invalid JSON"),
    ("not-an-object", "[1, 2]", "", "must be an object"),
    ("comment", '{"sysctl": {} // no comments\n}', "", "invalid JSON"),
    ("unknown-section", '{"sysctls": {}}', "/sysctls", "unknown key 'sysctls'"),
    ("unknown-setting-key", '{"sysctl": {"net.core.somaxconn": {"value": 1, "reason": "x"}}}',
     "/sysctl/net.core.somaxconn/reason", "unknown key 'reason'"),
    ("missing-value", '{"sysctl": {"net.core.somaxconn": {"why": "x"}}}', "/sysctl/net.core.somaxconn", 'missing "value"'),
    ("bool-value", sysctl("net.core.somaxconn", True), "/sysctl/net.core.somaxconn",
     "must be an integer, a string or a list of integers, got true"),
    ("object-in-list", sysctl("net.ipv4.tcp_rmem", [4096, {"a": 1}, 1]), "/sysctl/net.ipv4.tcp_rmem", "must be an integer"),
    ("fin-timeout-negative", sysctl("net.ipv4.tcp_fin_timeout", -5), "/sysctl/net.ipv4.tcp_fin_timeout", "got -5"),
    ("keepalive-zero", '{"sysctl": {"net.ipv4.tcp_keepalive_time": {"value": 0}}}',
     "/sysctl/net.ipv4.tcp_keepalive_time/value", "got 0"),
    ("keepalive-probes-too-big", sysctl("net.ipv4.tcp_keepalive_probes", 128), "/sysctl/net.ipv4.tcp_keepalive_probes", "got 128"),
    ("tw-reuse-3", sysctl("net.ipv4.tcp_tw_reuse", 3), "/sysctl/net.ipv4.tcp_tw_reuse", "got 3"),
    ("huge-float", '{"sysctl": {"net.core.somaxconn": 1e400}}', "/sysctl/net.core.somaxconn", "number overflow"),
    ("huge-integer", '{"sysctl": {"net.core.somaxconn": 99999999999999999999999}}', "/sysctl/net.core.somaxconn",
     "must be an integer"),
    ("uint64-integer", '{"sysctl": {"net.core.somaxconn": 18446744073709551615}}', "/sysctl/net.core.somaxconn", "must be"),
    ("rmem-unordered", sysctl("net.ipv4.tcp_rmem", [8192, 4096, 16384]), "/sysctl/net.ipv4.tcp_rmem", "must be"),
    ("unknown-sysctl", sysctl("net.ipv4.tcp_bogus", 1), "/sysctl/net.ipv4.tcp_bogus", "not managed by tunectl"),
    ("sysctl-slashes", sysctl("net/ipv4/tcp_fin_timeout", 30), "/sysctl/net~1ipv4~1tcp_fin_timeout", "not allowed"),
    ("sysctl-dotdot", sysctl("kernel..core_pattern", "x"), "/sysctl/kernel..core_pattern", "not a plain name"),
    ("value-newline", sysctl("net.ipv4.tcp_rmem", "4096 8192\n16384"), "/sysctl/net.ipv4.tcp_rmem", "control characters"),
    ("why-not-string", '{"sysctl": {"net.core.somaxconn": {"value": 1024, "why": 3}}}',
     "/sysctl/net.core.somaxconn/why", "must be a string"),
    ("thp-unknown-file", '{"thp": {"bogus": "never"}}', "/thp/bogus", "not a THP setting"),
    ("thp-traversal", '{"thp": {"../../../etc/passwd": "x"}}', "/thp/..~1..~1..~1etc~1passwd", "not allowed ('.')"),
    ("thp-bad-choice", '{"thp": {"enabled": "sometimes"}}', "/thp/enabled", "sometimes"),
    ("cgroup-traversal", '{"cgroups": {"/../../etc": {"cpu.max": "max 100000"}}}', "/cgroups/~1..~1..~1etc", "path traversal"),
    ("cgroup-inner-traversal", '{"cgroups": {"/a.slice/../../x": {"cpu.max": "max 100000"}}}',
     "/cgroups/~1a.slice~1..~1..~1x", "path traversal"),
    ("cgroup-relative", '{"cgroups": {"work.slice": {"cpu.max": "max 100000"}}}', "/cgroups/work.slice", "must start with '/'"),
    ("cgroup-root", '{"cgroups": {"/": {"cpu.max": "max 100000"}}}', "/cgroups/~1", "root cgroup"),
    ("cgroup-empty-component", '{"cgroups": {"//a": {"cpu.max": "max 100000"}}}', "/cgroups/~1~1a", "empty component"),
    ("cgroup-unknown-file", '{"cgroups": {"/a.slice": {"memory.max": "1G"}}}', "/cgroups/~1a.slice/memory.max",
     "not a cgroup file tunectl manages"),
    ("cgroup-create-string", '{"cgroups": {"/a.slice": {"create": "yes", "cpu.max": "max 100000"}}}',
     "/cgroups/~1a.slice/create", "must be true or false"),
    ("cgroup-bad-quota", '{"cgroups": {"/a.slice": {"cpu.max": "lots"}}}', "/cgroups/~1a.slice/cpu.max", ""),
    ("extends-unknown", '{"extends": ["no-such-profile"]}', "/extends/0", "unknown profile 'no-such-profile'"),
    ("extends-path", '{"extends": ["../etc/passwd"]}', "/extends/0", "must be a profile name"),
    ("extends-not-list", '{"extends": "balanced"}', "/extends", "must be a list"),
    ("deep-nesting", deep(100), "/verify" + "/0" * 15, "nesting deeper than 16 levels"),
    ("nul-escape", '{"description": "a\\u0000b"}', "/description", "NUL byte"),
    ("raw-nul", b'{"description": "a\x00b"}', "", "invalid JSON"),
    ("invalid-utf8", b'{"description": "\xff\xfe"}', "", "invalid JSON"),
    ("duplicate-key", '{"sysctl": {"net.core.somaxconn": 1, "net.core.somaxconn": 2}}',
     "/sysctl/net.core.somaxconn", "duplicate key"),
    ("unknown-policy", '{"irq": {"policy": "balanced"}}', "/irq/policy", "unknown policy 'balanced'"),
    ("missing-policy", '{"irq": {"nics": ["*"]}}', "/irq", 'missing "policy"'),
    ("policy-unknown-key", '{"irq": {"policy": "spread", "one_per_core": true}}', "/irq/one_per_core", "unknown key"),
    ("cpulist-open-range", '{"irq": {"policy": "spread", "cpus": "0-"}}', "/irq/cpus", "cpulist"),
    ("cpulist-reversed", '{"irq": {"policy": "numa-local", "cpus": "5-2"}}', "/irq/cpus", "cpulist"),
    ("cpulist-garbage", '{"rps": {"cpus": "all-of-them"}}', "/rps/cpus", "cpulist"),
    ("pin-bad-key", '{"irq": {"policy": "pin", "map": {"abc": "0"}}}', "/irq/map/abc", "IRQ number"),
    ("pin-bad-cpus", '{"irq": {"policy": "pin", "map": {"38": "zero"}}}', "/irq/map/38", "cpulist"),
    ("pin-empty-cpus", '{"irq": {"policy": "pin", "map": {"eth0:0": ""}}}', "/irq/map/eth0:0", "empty cpulist"),
    ("nics-glob-slash", '{"rps": {"nics": ["eth0/../x"]}}', "/rps/nics/0", "not allowed"),
    ("nics-not-list", '{"xps": {"nics": "eth0"}}', "/xps/nics", "must be a list"),
    ("flow-entries-huge", '{"rps": {"flow_entries": 1073741824}}', "/rps/flow_entries", "must be"),
    ("condition-unknown-operator", '{"sysctl": {"when": {"numa_nodes": {"~": 1}}, "net.core.somaxconn": 1024}}',
     "/sysctl/when/numa_nodes/~0", "unknown operator '~'"),
    ("condition-unknown-fact", '{"thp": {"enabled": {"value": "never", "when": {"gpu": true}}}}',
     "/thp/enabled/when/gpu", "unknown condition 'gpu'"),
    ("condition-bad-version", '{"thp": {"when": {"kernel": {">=": "five"}}, "enabled": "never"}}',
     "/thp/when/kernel/>=", "version string"),
    ("condition-bool-type", '{"irq": {"policy": "spread", "when": {"virtualized": "no"}}}',
     "/irq/when/virtualized", "must be true or false"),
    ("condition-not-object", '{"irq": {"policy": "spread", "when": "numa_nodes > 1"}}', "/irq/when", "must be an object"),
    ("verify-unknown-key", '{"verify": {"bogus": 1}}', "/verify/bogus", "unknown key 'bogus'"),
    ("nic-unknown-field", '{"nic": {"eth0": {"channels.bogus": 4}}}', "/nic/eth0/channels.bogus", "channels"),
    ("too-many-settings", json.dumps({"sysctl": {f"net.x{i}": 1 for i in range(2100)}}), "", "more than 2048 settings"),
    ("oversized-file", '{"description": "' + "x" * (1 << 20) + '"}', "", "larger than 1 MiB"),
]


@pytest.fixture(scope="module")
def host_tree(tmp_path_factory):
    import subprocess
    dst = tmp_path_factory.mktemp("host") / HOST
    subprocess.run(["cp", "-a", str(FIXTURE_HOSTS / HOST), str(dst)], check=True)
    return dst


def expect_refused(profile: Path, root: Path, pointer: str, reason: str):
    before = tree_digest(root)
    r = run_cli("plan", "-p", str(profile), "--root", str(root))
    assert r.rc == 2, r
    assert r.out == "", r
    prefix = f"{profile}: {pointer}: " if pointer else f"{profile}: "
    assert prefix in r.err, r
    assert reason in r.err.split(prefix, 1)[1], r
    assert tree_digest(root) == before


def test_case_count():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name,text,pointer,reason", CASES, ids=[c[0] for c in CASES])
def test_bad_profile(tmp_path, host_tree, name, text, pointer, reason):
    profile = tmp_path / f"{name}.json"
    profile.write_bytes(text if isinstance(text, bytes) else text.encode())
    expect_refused(profile, host_tree, pointer, reason)


def test_extends_cycle(tmp_path, host_tree):
    (tmp_path / "a.json").write_text('{"extends": ["b"]}')
    (tmp_path / "b.json").write_text('{"extends": ["a"]}')
    # Found where the cycle closes: b.json's /extends/0 names a, which is being resolved.
    before = tree_digest(host_tree)
    r = run_cli("plan", "-p", str(tmp_path / "a.json"), "--root", str(host_tree))
    assert r.rc == 2, r
    assert f"{tmp_path / 'b.json'}: /extends/0: extends cycle: a -> b -> a" in r.err, r
    assert tree_digest(host_tree) == before


def test_self_extend(tmp_path, host_tree):
    (tmp_path / "me.json").write_text('{"extends": ["balanced", "me"]}')
    expect_refused(tmp_path / "me.json", host_tree, "/extends/1", "extends cycle: me -> me")


def test_error_in_extended_file_names_that_file(tmp_path, host_tree):
    (tmp_path / "base2.json").write_text(sysctl("net.ipv4.tcp_fin_timeout", -5))
    (tmp_path / "top.json").write_text('{"extends": ["base2"]}')
    before = tree_digest(host_tree)
    r = run_cli("plan", "-p", str(tmp_path / "top.json"), "--root", str(host_tree))
    assert r.rc == 2, r
    assert f"{tmp_path / 'base2.json'}: /sysctl/net.ipv4.tcp_fin_timeout: " in r.err, r
    assert tree_digest(host_tree) == before


def test_fifo_is_not_a_profile(tmp_path, host_tree):
    os.mkfifo(tmp_path / "fifo.json")
    expect_refused(tmp_path / "fifo.json", host_tree, "", "not a regular file")


def test_directory_is_not_a_profile(tmp_path, host_tree):
    (tmp_path / "dir.json").mkdir()
    expect_refused(tmp_path / "dir.json", host_tree, "", "not a regular file")


def test_missing_file(tmp_path, host_tree):
    expect_refused(tmp_path / "absent.json", host_tree, "", "No such file or directory")


def cgroup_mount(root: Path) -> str:
    snap = run_cli("probe", "--root", str(root), "--only", "cgroup", "--json").json()
    cg = snap["cgroups"]
    return (cg.get("cpu_mount") or cg.get("unified_mount")).lstrip("/")


def test_cgroup_symlink_escape(tmp_path, host_tree):
    link = host_tree / cgroup_mount(host_tree) / "evil.slice"
    link.symlink_to("/etc")
    try:
        profile = tmp_path / "escape.json"
        profile.write_text('{"cgroups": {"/evil.slice": {"cpu.max": "max 100000"}}}')
        expect_refused(profile, host_tree, "/cgroups/~1evil.slice", "symlink")
    finally:
        link.unlink()
