"""How the tunectl binary is linked. A source build (TUNECTL_STATIC_CLI, the default) carries
libstdc++, libgcc, libnl and Boost.Program_options inside the binary, so a process does not load
and relocate them at every start (docs/performance.md); with the option off (the Debian package)
it links the system's shared libraries. The test reads the choice from the binary's build tree."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from conftest import TUNECTL_BIN, run_cli

LINKED_IN = ("libstdc++", "libgcc_s", "libnl-3", "libnl-genl-3", "libboost_program_options")


def needed_libraries(binary: str) -> list[str]:
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)


def static_cli_option(binary: str) -> bool:
    cache = (Path(binary).resolve().parent / "CMakeCache.txt").read_text()
    m = re.search(r"^TUNECTL_STATIC_CLI:BOOL=(\w+)$", cache, re.M)
    assert m, "the build tree's CMakeCache.txt has no TUNECTL_STATIC_CLI"
    return m.group(1).upper() in ("ON", "1", "TRUE", "YES")


def test_the_binary_links_what_its_build_option_says_and_still_runs():
    needed = needed_libraries(TUNECTL_BIN)
    assert any(n.startswith("libc.so") for n in needed), needed
    shared = [lib for lib in LINKED_IN if any(n.startswith(lib + ".so") for n in needed)]
    if static_cli_option(TUNECTL_BIN):
        assert shared == [], needed
    else:
        assert shared == list(LINKED_IN), needed
    # The libraries linked in work: options parsed by Boost, a netlink socket opened by libnl.
    r = run_cli("probe", "--only", "nic", "--json")
    assert r.rc == 0, r
    snap = json.loads(r.out)
    assert "nics_unavailable" not in snap, snap
    assert any(nic[group] for nic in snap["nics"] for group in ("channels", "rings", "coalesce")), snap["nics"]
