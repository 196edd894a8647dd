"""probe(): read the live host or a captured host tree."""
from __future__ import annotations

import json
import os
from typing import Dict, Iterable, Optional

from . import _tunectl
from ._args import rejects_nul
from ._records import Record


class Snapshot(Record):
    """A host snapshot (schema ``tunectl.snapshot/2``, docs/snapshot.md): ``snap.topology.cpus[0].node``,
    ``snap.irqs``, ``snap.nics``, ``snap.thp.enabled``, ``snap.tcp.sysctls``, ``snap.cgroups``.
    An area that could not be read is ``None`` with ``<area>_unavailable`` saying why.
    ``snap.irq_counts`` says the form of each IRQ's ``counts``; :meth:`irq_counts_by_cpu` reads
    either form."""

    def irq_counts_by_cpu(self, irq: int) -> Dict[int, int]:
        """IRQ ``irq``'s interrupts per CPU, ``{cpu: count}``: the CPUs with a non-zero count
        (sparse) or every CPU (full)."""
        data = self.to_dict()
        counts = next(r for r in data["irqs"] if r["irq"] == irq).get("counts", {})
        if isinstance(counts, list):  # full (and every snapshot/1)
            return dict(zip(data["irq_count_cpus"], counts))
        return {int(cpu): n for cpu, n in counts.items()}


@rejects_nul()
def probe(root: str = "/", only: Optional[Iterable[str]] = None, irq_counts: str = "sparse") -> Snapshot:
    """Probe the host at ``root`` ("/" is the live machine; any other directory is a tree made
    by ``scripts/capture-host.sh``). ``only`` limits the areas: topology, irq, nic, thp, tcp,
    cgroup, cpu_power. ``irq_counts``: "sparse" (each IRQ's ``counts`` maps the CPUs with a
    non-zero count) or "full" (a list, one per CPU of ``irq_count_cpus``). Raises
    :class:`tunectl.InputError` for an unknown area or form, or a missing root."""
    if isinstance(only, str):
        only = [only]
    text = _tunectl.probe_json(os.fspath(root), list(only or []), irq_counts)
    return Snapshot(json.loads(text))
