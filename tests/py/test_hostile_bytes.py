"""Hostile bytes from a host or a caller (issue 9, findings 8 and 11): a byte that is not UTF-8 in
an interface name, IRQ action, THP file, osrelease or /proc/interrupts is escaped as the text
"\\xff" in JSON and tables (probe used to exit 70 with no output); terminal controls from interface
names and profiles never reach the terminal raw; every exception reaching Python is a
tunectl.Error; a NUL byte in a Python argument or a profile is refused before anything happens;
a /proc/interrupts of garbage is reported, not "0 IRQs". tests/security.md lists the promises.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import tunectl
from conftest import SOURCE_DIR, TUNECTL_BIN, have

FF = "\\xff"  # what a 0xFF byte becomes: backslash, x, f, f


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    """The CLI with its output as bytes: decoding them is part of each test."""
    return subprocess.run([TUNECTL_BIN, *args], capture_output=True, timeout=120, env=env)


def text(out: bytes) -> str:
    """Output as text; raises when tunectl printed a byte that is not UTF-8."""
    return out.decode("utf-8", errors="strict")


def probe_json(root: Path) -> dict:
    r = run("probe", "--root", str(root), "--json")
    assert r.returncode == 0, r
    return json.loads(text(r.stdout))


def bpath(root: Path, rel: bytes) -> bytes:
    return os.fsencode(str(root)) + b"/" + rel


def write(root: Path, rel: bytes, data: bytes) -> None:
    """Replaces a tree file's bytes, keeping its mode (fixture files may be read-only)."""
    p = bpath(root, rel)
    mode = os.stat(p).st_mode & 0o7777
    os.chmod(p, 0o644)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)


# --- 0xFF from a host tree: JSON, Python and tables ------------------------------------------------

def ff_interface(root: Path):
    os.rename(bpath(root, b"sys/class/net/ifb0"), bpath(root, b"sys/class/net/ifb\xff"))
    return lambda s: sorted(n["name"] for n in s["nics"] if n["name"].startswith("ifb")) == sorted(["ifb1", "ifb" + FF])


def ff_irq_action(root: Path):
    write(root, b"sys/kernel/irq/24/actions", b"virtio\xff-config\n")
    return lambda s: [i["name"] for i in s["irqs"] if i["irq"] == 24] == ["virtio" + FF + "-config"]


def ff_thp(root: Path):
    os.rename(bpath(root, b"sys/kernel/mm/transparent_hugepage/hugepages-64kB"),
              bpath(root, b"sys/kernel/mm/transparent_hugepage/hugepages-64k\xff"))
    return lambda s: ("64k" + FF) in s["thp"]["sizes"]


def ff_osrelease(root: Path):
    write(root, b"proc/sys/kernel/osrelease", b"6.1.0-\xff\xfe\n")
    return lambda s: s["host"]["kernel"] == "6.1.0-\\xff\\xfe"


def ff_proc_interrupts(root: Path):
    shutil.rmtree(bpath(root, b"sys/kernel/irq"))  # kernels without it read /proc/interrupts
    lines = open(bpath(root, b"proc/interrupts"), "rb").read().split(b"\n")
    lines = [ln.replace(b"virtio0-config", b"virtio0-c\xffnfig") for ln in lines]
    write(root, b"proc/interrupts", b"\n".join(lines))
    return lambda s: any(i["name"] == "virtio0-c" + FF + "nfig" for i in s["irqs"])


FF_SPOTS = [ff_interface, ff_irq_action, ff_thp, ff_osrelease, ff_proc_interrupts]


@pytest.mark.parametrize("spot", FF_SPOTS, ids=[f.__name__ for f in FF_SPOTS])
def test_a_ff_byte_in_a_tree_is_escaped_in_json_python_and_tables(fixture_copy, spot):
    root = fixture_copy("vm")
    found = spot(root)
    snap = probe_json(root)
    assert found(snap), json.dumps(snap)[:2000]
    assert found(tunectl.probe(str(root)).to_dict())
    tables = run("probe", "--root", str(root))
    assert tables.returncode == 0, tables
    assert FF in text(tables.stdout)


def test_a_tun_device_named_t_ff_in_a_private_netns_is_probed_live(as_root, tmp_path):
    """The live host, in a network namespace of its own (a new sysfs mount there shows only its
    devices): the tun device dies with the namespace, nothing outside changes."""
    assert have("ip") and have("unshare"), "needs iproute2 and util-linux"
    script = tmp_path / "in-netns.sh"
    script.write_text(
        "set -e\n"
        "mount -t sysfs sysfs /sys\n"
        "ip tuntap add name \"$(printf 't\\377')\" mode tun\n"
        "ip tuntap add name \"$(printf 'e\\033[2J')\" mode tun\n"
        f"{TUNECTL_BIN} probe --only nic --json > {tmp_path}/probe.json\n"
        f"{TUNECTL_BIN} probe --only nic > {tmp_path}/probe.txt\n"
        "PYTHONPATH=\"$PYTHONPATH\" python3 -c 'import json, tunectl; "
        "print(json.dumps([n.name for n in tunectl.probe(only=[\"nic\"]).nics]))' > " + f"{tmp_path}/py.json\n"
        "ip tuntap del name \"$(printf 't\\377')\" mode tun\n"
        "ip tuntap del name \"$(printf 'e\\033[2J')\" mode tun\n")
    before = sorted(os.listdir("/sys/class/net"))
    r = subprocess.run(["unshare", "-n", "-m", "bash", str(script)], capture_output=True, timeout=120,
                       env=dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", "")))
    assert r.returncode == 0, r
    names = [n["name"] for n in json.loads(text((tmp_path / "probe.json").read_bytes()))["nics"]]
    assert "t" + FF in names and "e\x1b[2J" in names, names  # JSON carries the ESC as \u001b
    assert "t" + FF in json.loads((tmp_path / "py.json").read_text())
    table = text((tmp_path / "probe.txt").read_bytes())
    assert "t" + FF in table and "e\\x1b[2J" in table
    assert "\x1b" not in table
    assert sorted(os.listdir("/sys/class/net")) == before


# --- terminal controls from interface names and profiles ------------------------------------------

def test_an_esc_in_an_interface_name_is_escaped_in_the_probe_table(fixture_copy):
    root = fixture_copy("vm")
    os.rename(bpath(root, b"sys/class/net/ifb0"), bpath(root, b"sys/class/net/ifb\x1b[2J\x1b]0;x\x07"))
    r = run("probe", "--root", str(root))
    assert r.returncode == 0, r
    out = text(r.stdout)
    assert "ifb\\x1b[2J\\x1b]0;x\\x07" in out
    assert "\x1b" not in out and "\x07" not in out


def write_profile(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))  # json.dumps writes ESC as \u001b: valid JSON, a raw ESC once parsed
    return path


def test_esc_bytes_in_a_profile_are_escaped_in_tables_and_messages(fixture_copy, tmp_path):
    root = fixture_copy("vm")
    good = write_profile(tmp_path / "esc.json", {
        "description": "d",
        "sysctl": {"net.core.somaxconn": {"value": 8192, "why": "why \x1b[2J\x1b]0;x\x07", "source": "s"}}})
    r = run("plan", "-p", str(good), "--root", str(root))
    assert r.returncode == 0, r
    out = text(r.stdout)
    assert "why \\x1b[2J\\x1b]0;x\\x07" in out
    assert "\x1b" not in out and "\x07" not in out
    bad = write_profile(tmp_path / "esc-key.json", {
        "description": "d", "sysctl": {"net.core.\x1b[2Jx": {"value": 1, "why": "w", "source": "s"}}})
    r = run("plan", "-p", str(bad), "--root", str(root))
    assert r.returncode == 2, r
    err = text(r.stderr)
    assert "\\x1b[2Jx" in err and "\x1b" not in err


# --- Python: every exception is a tunectl.Error, messages keep their bytes -------------------------

def test_a_message_quoting_bytes_that_are_not_utf8_reaches_python_escaped(tmp_path):
    missing = os.fsencode(str(tmp_path)) + b"/p\xff.json"
    with pytest.raises(tunectl.InputError) as e:
        tunectl.load_profile(missing)
    assert "p" + FF + ".json" in str(e.value)


def test_a_library_exception_that_is_no_tunectl_error_still_reaches_python_as_one():
    # A result whose "metrics" is a list: the comparison's JSON access throws nlohmann's type_error.
    a = {"schema": "tunectl.bench/1", "bench": "tcp_rr", "options": {}, "env": {}, "metrics": [1]}
    with pytest.raises(tunectl.Error):
        tunectl.compare(a, a)


# --- NUL bytes in Python arguments ----------------------------------------------------------------

@pytest.fixture
def prof(tmp_path) -> Path:
    return write_profile(tmp_path / "p.json", {
        "description": "d",
        "sysctl": {"net.core.somaxconn": {"value": 8192, "why": "w", "source": "s"}}})


def nul_cases(tree: str, prof: str, tmp: str):
    """(function, positional args, keyword args, the argument the message must name)."""
    s = tmp + "/s\0x"
    return [
        (tunectl.probe, (tree + "\0x",), {}, "root"),
        (tunectl.probe, (tree,), {"only": ["irq\0"]}, "only"),
        (tunectl.load_profile, (prof + "\0/etc/passwd",), {}, "name_or_path"),
        (tunectl.list_profiles, (), {"profile_path": [tmp + "\0"]}, "profile_path"),
        (tunectl.show_profile, (prof,), {"root": tree + "\0"}, "root"),
        (tunectl.plan, (prof + "\0/etc/passwd",), {"root": tree}, "profile"),
        (tunectl.plan, (prof,), {"root": tree, "profile_path": tmp + "\0"}, "profile_path"),
        (tunectl.verify, (prof + "\0",), {"root": tree}, "profile"),
        (tunectl.apply, (prof + "\0",), {"root": tree, "state_dir": tmp + "/s"}, "profile"),
        (tunectl.apply, (prof,), {"root": tree, "state_dir": s}, "state_dir"),
        (tunectl.apply, (prof,), {"root": tree + "\0", "state_dir": tmp + "/s", "dry_run": True}, "root"),
        (tunectl.rollback, (), {"to": "x\0", "root": tree, "state_dir": tmp + "/s"}, "to"),
        (tunectl.rollback, (), {"root": tree, "state_dir": s}, "state_dir"),
        (tunectl.history, (), {"root": tree, "state_dir": s}, "state_dir"),
        (tunectl.bench, ("no_such_bench\0",), {}, "name"),
        (tunectl.bench, ("no_such_bench",), {"msg_size": "64\0"}, "options"),
        (tunectl.bench_ab, ("no_such_bench", {"msg_size": "1\0"}, {}), {}, "options_a"),
        (tunectl.compare, (tmp + "/a.json\0", tmp + "/b.json"), {}, "a"),
        (tunectl.compare, (tmp + "/a.json", tmp + "/b.json"), {"noise_file": tmp + "/n\0"}, "noise_file"),
        (tunectl.audit, (prof + "\0",), {"root": tree, "state_dir": tmp + "/s", "dry_run": True}, "profile"),
        (tunectl.audit, ("/nonexistent/p.json",), {"out": tmp + "/r\0x", "dry_run": True}, "out"),
        (tunectl.audit, ("/nonexistent/p.json",), {"state_dir": s, "dry_run": True}, "state_dir"),
        (tunectl.audit, ("/nonexistent/p.json",), {"bench_options": {"tcp_rr": {"msg_size": "1\0"}},
                                                   "dry_run": True}, "bench_options"),
        (tunectl.diff, (Path(tmp + "/a.json\0"), tmp + "/b.json"), {}, "a"),
        (tunectl.diff, (tmp + "/a.json", os.fsencode(tmp) + b"/b\0"), {}, "b"),
    ]


def test_every_public_function_refuses_a_nul_in_a_str_argument_naming_it(fixture_copy, prof, tmp_path):
    tree = str(fixture_copy("vm"))
    tmp = str(tmp_path)
    before = sorted(os.listdir(tmp))
    for fn, args, kwargs, name in nul_cases(tree, str(prof), tmp):
        with pytest.raises(tunectl.InputError) as e:
            fn(*args, **kwargs)
        assert f"{fn.__name__}: argument '{name}' contains a NUL byte" in str(e.value), (fn.__name__, name)
    # Nothing happened: no state dir (not even the "/s" that "s\0x" would have been cut to).
    assert sorted(os.listdir(tmp)) == before


def test_json_data_holding_a_nul_is_judged_as_json_not_as_a_path(fixture_copy):
    """A dict given to diff() is a document, sent as JSON text (NUL escaped, nothing cut): the
    strict reader refuses it and names the place, not the argument."""
    snap = tunectl.probe(str(fixture_copy("vm")), only=["thp"]).to_dict()
    other = json.loads(json.dumps(snap))
    other["thp"]["enabled"] = "nev\0er"
    with pytest.raises(tunectl.InputError) as e:
        tunectl.diff(snap, other)
    assert str(e.value) == "B: /thp/enabled: string contains a NUL byte"


# --- a NUL in a profile --------------------------------------------------------------------------

def test_a_profile_with_a_trailing_nul_is_refused_naming_the_file_and_offset(fixture_copy, prof, tmp_path):
    root = fixture_copy("vm")
    body = prof.read_bytes()
    bad = tmp_path / "nul.json"
    bad.write_bytes(body + b"\0garbage")
    r = run("plan", "-p", str(bad), "--root", str(root))
    assert r.returncode == 2, r
    assert f"{bad}: invalid JSON: NUL byte at offset {len(body)}" in text(r.stderr)
    with pytest.raises(tunectl.ProfileError) as e:
        tunectl.load_profile(str(bad))
    assert f"{bad}: invalid JSON: NUL byte at offset {len(body)}" in str(e.value)


# --- a /proc/interrupts of garbage ----------------------------------------------------------------

def garbage_tree(fixture_copy, data: bytes) -> Path:
    root = fixture_copy("vm")
    shutil.rmtree(root / "sys/kernel/irq")  # kernels without it read /proc/interrupts
    write(root, b"proc/interrupts", data)
    return root


GARBAGE = {
    "one 10 MB line": b"x\xff\x1b" * (10 * 1024 * 1024 // 3),
    "a header then garbage lines": b"           CPU0       CPU1\n" + b"garbage without a colon\xff\n" * 100000,
}


@pytest.mark.parametrize("name", GARBAGE)
def test_a_proc_interrupts_of_garbage_is_reported_not_zero_irqs(fixture_copy, name):
    root = garbage_tree(fixture_copy, GARBAGE[name])
    snap = probe_json(root)
    assert snap["irqs"] is None, "garbage is not a host without IRQs"
    reported = [snap["irqs_unavailable"]] + snap["errors"].get("irq", [])
    assert any("/proc/interrupts" in m for m in reported), snap
    assert sum(len(m) for m in reported) < 8192, "the report quotes a few bytes, not the file"
    tables = run("probe", "--root", str(root), "--only", "irq")
    assert tables.returncode == 0, tables
    out = text(tables.stdout)
    assert "/proc/interrupts" in out and "\x1b" not in out
