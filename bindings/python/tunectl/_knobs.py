"""knobs(): the write allowlist, the same records as ``tunectl knobs --json``."""
from __future__ import annotations

import json

from . import _tunectl
from ._records import Record

__all__ = ["Knobs", "knobs"]


class Knobs(Record):
    """The knob catalogue: ``schema`` ("tunectl.knobs/1"), ``kinds`` (each with ``prefix``,
    ``address`` grammar, ``writes``, ``netns``, ``phase``, ``kernel_dir``, ``section``,
    ``shape``) and ``sysctls`` (each with ``name``, ``path``, ``per_netns``, ``fields``,
    ``field_names``, ``range``, ``unit``, ``default_value``, ``doc``, ``missing``)."""


def knobs() -> Knobs:
    """Every knob kind and every sysctl tunectl may write, with ranges, units, kernel defaults
    and documentation references. Host-independent: nothing is read."""
    return Knobs(json.loads(_tunectl.knobs_json()))
