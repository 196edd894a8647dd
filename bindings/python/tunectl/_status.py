"""status(): the transactions in effect on a host, checked against it, as ``tunectl status --json``."""
from __future__ import annotations

import json
import os
from typing import Optional, Union

from . import _tunectl
from ._args import rejects_nul
from ._records import Record

__all__ = ["Status", "status"]


class Status(Record):
    """``schema`` ("tunectl.status/1"), ``root``, ``state_dir``, ``matches``, ``summary``,
    ``stack`` (oldest first: ``id``, ``profile``, ``profile_digest``, ``applied_at``, ``seq``,
    ``knobs``, ``earlier_boot``, ``checks`` with ``knob``, ``written``, ``current``, ``status``
    — ok, drift, missing, superseded — and ``detail``), ``open`` (``id``, ``profile``,
    ``started_at``, ``attempted``, ``error``, ``recover``: the command), ``corrupt``,
    ``reboot_pending``, ``reboot_note``, ``persisted`` (whether a profile is persisted for boot:
    ``persisted``, ``enabled``, ``profile``, ``digest``, ``source``, ``source_matches`` — whether
    that file still resolves to the persisted body — ``source_digest``, ``source_error``) and
    ``exit_code`` (the CLI's)."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@rejects_nul()
def status(root: Union[str, "os.PathLike[str]"] = "/", state_dir: Union[None, str, "os.PathLike[str]"] = None) -> Status:
    """What tunectl has in effect on ``root`` (from the journals alone: no profile needed) and
    whether the host still holds it. Read-only: no lock, nothing written."""
    return Status(json.loads(_tunectl.status_json(os.fspath(root), None if state_dir is None else os.fspath(state_dir))))
