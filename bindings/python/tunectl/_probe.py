"""probe(): read the live host or a captured host tree."""
from __future__ import annotations

import json
from typing import Iterable, Optional

from . import _tunectl
from ._args import rejects_nul
from ._records import Record


class Snapshot(Record):
    """A host snapshot (schema ``tunectl.snapshot/1``): ``snap.topology.cpus[0].node``,
    ``snap.irqs``, ``snap.nics``, ``snap.thp.enabled``, ``snap.tcp.sysctls``, ``snap.cgroups``.
    An area that could not be read is ``None`` with ``<area>_unavailable`` saying why."""


@rejects_nul()
def probe(root: str = "/", only: Optional[Iterable[str]] = None) -> Snapshot:
    """Probe the host at ``root`` ("/" is the live machine; any other directory is a tree made
    by ``scripts/capture-host.sh``). ``only`` limits the areas: topology, irq, nic, thp, tcp,
    cgroup. Raises :class:`tunectl.InputError` for an unknown area or a missing root."""
    if isinstance(only, str):
        only = [only]
    text = _tunectl.probe_json(root, list(only or []))
    return Snapshot(json.loads(text))
