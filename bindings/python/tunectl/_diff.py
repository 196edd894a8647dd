"""diff(): what differs between two snapshots or two audit reports, as ``tunectl diff`` prints it."""
from __future__ import annotations

import json
import os
from typing import Any, List, Mapping, Tuple, Union

from . import _tunectl
from ._args import rejects_nul
from ._records import Record

__all__ = ["Diff", "diff"]

DiffInput = Union[Record, Mapping[str, Any], str, "os.PathLike[str]"]


class Diff(Record):
    """The differences between A and B (schema ``tunectl.diff/1``), exactly what ``tunectl diff
    --json`` prints: ``identical``, ``kind`` (``snapshot`` or ``audit``), ``a`` and ``b`` (source,
    schema, hostname, time) and ``areas``: area -> list of ``{path, change, a, b}`` where
    ``change`` is ``changed``, ``added`` (only in B) or ``removed`` (only in A)."""

    @property
    def paths(self) -> List[str]:
        """Every differing path, area by area."""
        return [c["path"] for changes in self._data["areas"].values() for c in changes]


def _input(x: DiffInput, label: str) -> Tuple[str, str]:
    """JSON text and the label that names it in errors and in the result."""
    if isinstance(x, (Record, Mapping)):
        data = x.to_dict() if isinstance(x, Record) else dict(x)
        try:
            return json.dumps(data, allow_nan=False), label
        except (TypeError, ValueError) as e:
            raise _tunectl.InputError(f"{label}: not JSON: {e}") from None
    if isinstance(x, (str, os.PathLike)):
        path = os.fspath(x)
        # Read by the library: a regular file of bounded size (a FIFO or /dev/zero is refused).
        return _tunectl.diff_load_json(path), path
    raise TypeError(f"{label}: expected a file path, a dict or a tunectl record, got {type(x).__name__}")


@rejects_nul(data=("a", "b"))
def diff(a: DiffInput, b: DiffInput, counters: bool = False) -> Diff:
    """Compare ``a`` with ``b``: two snapshots (``tunectl.probe()``, ``tunectl probe --json``) or two
    audit reports, each a :class:`Snapshot` or other record, a dict, or a JSON file path.

    List elements are matched by identity (IRQ number, NIC name, CPU, cgroup path, knob, bench and
    metric). Never compared: when a snapshot was taken and the root it was read from; unless
    ``counters``, the counters and usage that change by themselves (IRQ counts, THP and TCP event
    counters, sockets, memory in use, throttling, idle residency, current frequency).

    Raises :class:`tunectl.InputError` when an input cannot be read, is not JSON, is neither a
    snapshot nor an audit report, or is of another kind than the other."""
    text_a, label_a = _input(a, "A")
    text_b, label_b = _input(b, "B")
    return Diff(json.loads(_tunectl.diff_json(text_a, text_b, label_a, label_b, counters)))
