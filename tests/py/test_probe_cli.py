"""`tunectl probe` (CLI) and `tunectl.probe()` (Python) on every fixture host tree and on the live
host. Live TCP answers are checked against the reference tools `sysctl` and `ss`."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

import tunectl
from conftest import FIXTURE_HOSTS, TUNECTL_BIN, fixture_host_names, run_cli

HOSTS = fixture_host_names()
AREA_KEYS = {"topology": "topology", "irq": "irqs", "nic": "nics", "thp": "thp", "tcp": "tcp",
             "cgroup": "cgroups"}
HEADINGS = {"topology": "Topology", "irq": "IRQs by NIC", "nic": "NICs",
            "thp": "Transparent huge pages", "tcp": "TCP", "cgroup": "cgroups"}
# `ss` state column -> the kernel names the snapshot uses.
SS_STATES = {"ESTAB": "ESTABLISHED", "LISTEN": "LISTEN", "TIME-WAIT": "TIME_WAIT",
             "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV", "FIN-WAIT-1": "FIN_WAIT1",
             "FIN-WAIT-2": "FIN_WAIT2", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK",
             "CLOSING": "CLOSING", "UNCONN": "CLOSE"}


def host_path(name: str) -> str:
    return str(FIXTURE_HOSTS / name)


def probe_json(*args: str) -> dict:
    r = run_cli("probe", "--json", *args)
    assert r.rc == 0, r
    return r.json()


def without_time(snap: dict) -> dict:
    snap = dict(snap)
    snap["host"] = {k: v for k, v in snap["host"].items() if k != "taken_at"}
    return snap


def normalised_sysctl(text: str):
    """What the snapshot should hold for a sysctl file's text: an int, or tokens joined by
    single spaces."""
    toks = text.split()
    if len(toks) == 1 and toks[0].lstrip("-").isdigit():
        return int(toks[0])
    return " ".join(toks)


def one_line_error(r) -> str:
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r
    return lines[0]


# --- every fixture host ----------------------------------------------------------------------

def test_fixture_hosts_exist():
    assert "vm" in HOSTS


@pytest.mark.parametrize("name", HOSTS)
def test_json_follows_the_schema_and_names_its_root(name):
    snap = probe_json("--root", host_path(name))
    assert snap["schema"] == "tunectl.snapshot/2"
    assert snap["host"]["root"] == host_path(name)
    assert snap["host"]["taken_at"].endswith("Z")
    for key in AREA_KEYS.values():
        # Every fixture tree carries every area's files: none may come out unavailable.
        assert snap[key] is not None, (key, snap.get(f"{key}_unavailable"))
    assert snap["errors"] == {}


@pytest.mark.parametrize("name", HOSTS)
def test_tcp_area_matches_the_fixture_files(name):
    root = Path(host_path(name))
    tcp = probe_json("--root", str(root), "--only", "tcp")["tcp"]
    assert tcp["sockets"] is None and tcp["sockets_unavailable"] == "live host only"
    for dotted, value in tcp["sysctls"].items():
        f = root / "proc/sys" / dotted.replace(".", "/")
        assert value == (normalised_sysctl(f.read_text()) if f.exists() and f.read_text().split() else None), dotted
    sockstat = (root / "proc/net/sockstat").read_text()
    tcp_line = next(l for l in sockstat.splitlines() if l.startswith("TCP:")).split()[1:]
    assert tcp["sockstat"] == {k: int(v) for k, v in zip(tcp_line[::2], tcp_line[1::2])}
    lines = [l.split() for l in (root / "proc/net/netstat").read_text().splitlines() if l.startswith("TcpExt:")]
    counters = dict(zip(lines[0][1:], map(int, lines[1][1:])))
    assert tcp["counters"], "no TcpExt counters read"
    for k, v in tcp["counters"].items():
        assert counters[k] == v, k


@pytest.mark.parametrize("name", HOSTS)
def test_human_output_has_a_section_per_area(name):
    r = run_cli("probe", "--root", host_path(name))
    assert r.rc == 0, r
    assert r.out.startswith("host ")
    assert f"tree {host_path(name)}" in r.out.splitlines()[0]
    lines = r.out.splitlines()
    for heading in HEADINGS.values():
        assert heading in lines, heading
    assert "  sockets: unavailable: live host only" in lines
    assert "net.ipv4.tcp_keepalive_time" in r.out
    assert not r.out.lstrip().startswith("{")  # tables, not JSON


@pytest.mark.parametrize("name", HOSTS)
def test_python_api_equals_cli_json(name):
    cli = probe_json("--root", host_path(name))
    api = tunectl.probe(root=host_path(name))
    assert without_time(api.to_dict()) == without_time(cli)
    only = tunectl.probe(root=host_path(name), only=["tcp", "thp"]).to_dict()
    assert without_time(only) == without_time(probe_json("--root", host_path(name), "--only", "tcp,thp"))


def test_python_attribute_access():
    snap = tunectl.probe(root=host_path("vm"), only="tcp")
    assert isinstance(snap, tunectl.Snapshot)
    assert snap.schema == "tunectl.snapshot/2"
    assert snap.host.root == host_path("vm")
    assert snap.tcp.sysctls["net.ipv4.tcp_keepalive_time"] == snap.to_dict()["tcp"]["sysctls"]["net.ipv4.tcp_keepalive_time"]
    assert isinstance(snap.tcp.sysctls["net.ipv4.tcp_keepalive_time"], int)
    assert snap.tcp.sockets is None
    assert snap.tcp.sockets_unavailable == "live host only"
    assert "topology" not in snap
    with pytest.raises(AttributeError):
        snap.topology


# --- options ---------------------------------------------------------------------------------

def test_only_limits_json_and_tables():
    snap = probe_json("--root", host_path("vm"), "--only", "tcp,thp")
    assert {k for k in AREA_KEYS.values() if k in snap} == {"tcp", "thp"}
    assert not any(f"{k}_unavailable" in snap for k in ("topology", "irqs", "nics", "cgroups"))
    r = run_cli("probe", "--root", host_path("vm"), "--only", "tcp")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert "TCP" in lines
    assert not {"Topology", "IRQs by NIC", "NICs", "Transparent huge pages", "cgroups"} & set(lines)


def test_only_accepts_json_key_names():
    snap = probe_json("--root", host_path("vm"), "--only", "cgroups")
    assert [k for k in AREA_KEYS.values() if k in snap] == ["cgroups"]


@pytest.mark.parametrize("root", ["/nonexistent/tunectl-root", "/etc/hostname"])
def test_bad_root_is_a_usage_error(root):
    r = run_cli("probe", "--root", root, "--json")
    assert r.rc == 2, r
    # --json: the error as a JSON object on stdout too, nothing else
    assert json.loads(r.out)["error"]["code"] == 2 and root in json.loads(r.out)["error"]["message"]
    assert root in one_line_error(r)


def test_bad_only_is_a_usage_error():
    r = run_cli("probe", "--root", host_path("vm"), "--only", "tcp,bogus")
    assert r.rc == 2, r
    assert r.out == ""
    assert "'bogus'" in one_line_error(r)


def test_unknown_option_is_a_usage_error():
    r = run_cli("probe", "--frobnicate")
    assert r.rc == 2, r
    assert "frobnicate" in one_line_error(r)


def test_help():
    r = run_cli("probe", "--help")
    assert r.rc == 0, r
    for opt in ("--root", "--json", "--only", "usage: tunectl probe"):
        assert opt in r.out


def test_python_errors_raise_input_error():
    with pytest.raises(tunectl.InputError, match="nonexistent"):
        tunectl.probe(root="/nonexistent/tunectl-root")
    with pytest.raises(tunectl.InputError, match="bogus"):
        tunectl.probe(root=host_path("vm"), only=["bogus"])
    assert issubclass(tunectl.InputError, tunectl.Error)


# --- live host -------------------------------------------------------------------------------

def test_live_sysctls_match_sysctl_tool():
    tcp = probe_json("--only", "tcp")["tcp"]
    assert set(tcp["sysctls"]) >= {"net.ipv4.tcp_keepalive_time", "net.core.somaxconn", "net.ipv4.tcp_rmem"}
    for name, value in tcp["sysctls"].items():
        ref = subprocess.run(["sysctl", "-n", name], capture_output=True, text=True)
        if ref.returncode != 0:
            assert value is None, name  # the kernel lacks it: null, never a guess
            continue
        assert value == normalised_sysctl(ref.stdout), name


def test_live_netns_and_sockets_are_reported():
    tcp = probe_json("--only", "tcp")["tcp"]
    assert tcp["netns"] == os.readlink("/proc/self/ns/net")
    assert tcp["sockets"] is not None, tcp["sockets_unavailable"]
    assert tcp["sockets"]["total"] == sum(tcp["sockets"]["by_state"].values())
    r = run_cli("probe", "--only", "tcp")
    assert r.rc == 0, r
    assert "sockets (sock_diag):" in r.out and "network namespace: net:[" in r.out


def ss_summary(netns_cmd=()) -> tuple[dict, int]:
    """(counts by state, sockets with a keepalive timer) as `ss -tano` sees them."""
    out = subprocess.run([*netns_cmd, "ss", "-tanoH"], capture_output=True, text=True, check=True).stdout
    states: dict[str, int] = {}
    keepalive = 0
    for line in out.splitlines():
        if not line.strip():
            continue
        state = SS_STATES[line.split()[0]]
        states[state] = states.get(state, 0) + 1
        keepalive += "timer:(keepalive" in line
    return states, keepalive


def connected_pairs(n: int, keepalive_on_first: bool):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    pairs = []
    for i in range(n):
        c = socket.create_connection(listener.getsockname())
        if i == 0 and keepalive_on_first:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s, _ = listener.accept()
        pairs.append((c, s))
    return listener, pairs


# Runs inside `unshare -n`: a namespace holding only the sockets it opens, so counts are exact.
NETNS_SCRIPT = r"""
import json, os, socket, subprocess, sys, time
sys.path.insert(0, os.environ["TEST_DIR"])
import tunectl
from test_probe_cli import connected_pairs, ss_summary
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

def moment():
    cli = json.loads(subprocess.run([os.environ["TUNECTL_BIN"], "probe", "--only", "tcp", "--json"],
                                    capture_output=True, text=True, check=True).stdout)["tcp"]
    return {"cli": cli, "api": tunectl.probe(only=["tcp"]).tcp.to_dict(), "ss": ss_summary()}

out = {"netns": os.readlink("/proc/self/ns/net"), "empty": moment()}
listener, pairs = connected_pairs(3, keepalive_on_first=True)
out["open"] = moment()
c, s = pairs[1]
c.close(); s.close()          # active close by the client: it lingers in TIME_WAIT
time.sleep(0.1)
out["closed"] = moment()
print(json.dumps(out))
"""


@pytest.mark.usefixtures("as_root")  # unshare -n needs root; ss and ip come with scripts/setup.sh
def test_live_socket_states_and_keepalive_in_a_private_netns():
    env = dict(os.environ, TUNECTL_BIN=TUNECTL_BIN, TEST_DIR=str(Path(__file__).parent))
    proc = subprocess.run(["unshare", "-n", "/usr/bin/python3", "-c", NETNS_SCRIPT], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for when in ("empty", "open", "closed"):
        m = out[when]
        assert m["cli"]["netns"] == out["netns"] != os.readlink("/proc/self/ns/net")
        for src in ("cli", "api"):
            sockets = m[src]["sockets"]
            nonzero = {k: v for k, v in sockets["by_state"].items() if v}
            assert nonzero == m["ss"][0], (when, src)  # same as ss, state by state
            assert sockets["keepalive_timers"] == m["ss"][1], (when, src)
    assert out["empty"]["cli"]["sockets"]["total"] == 0
    opened = out["open"]["cli"]["sockets"]
    assert opened["by_state"]["LISTEN"] == 1 and opened["by_state"]["ESTABLISHED"] == 6
    assert opened["keepalive_timers"] == 1
    closed = out["closed"]["cli"]["sockets"]
    assert closed["by_state"]["ESTABLISHED"] == 4 and closed["by_state"]["TIME_WAIT"] == 1


def test_live_socket_counts_agree_with_ss_in_the_host_netns():
    """Other processes open and close sockets meanwhile, so tunectl's count must fall between
    two `ss` readings taken around it (retried when a burst moves the bracket)."""
    listener, pairs = connected_pairs(4, keepalive_on_first=True)
    try:
        for _attempt in range(5):
            before = ss_summary()
            sockets = probe_json("--only", "tcp")["tcp"]["sockets"]
            after = ss_summary()
            ok = all(min(before[0].get(st, 0), after[0].get(st, 0)) <= sockets["by_state"].get(st, 0)
                     <= max(before[0].get(st, 0), after[0].get(st, 0)) for st in ("LISTEN", "ESTABLISHED"))
            ok = ok and min(before[1], after[1]) <= sockets["keepalive_timers"] <= max(before[1], after[1])
            if ok:
                break
            time.sleep(0.2)
        assert ok, (before, sockets, after)
        assert sockets["by_state"]["LISTEN"] >= 1 and sockets["by_state"]["ESTABLISHED"] >= 8
        assert sockets["keepalive_timers"] >= 1
    finally:
        listener.close()
        for c, s in pairs:
            c.close()
            s.close()
