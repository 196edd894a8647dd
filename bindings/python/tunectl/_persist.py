"""unpersist(), boot(), export(): a profile kept across reboots, or written out as native files.

``apply(profile, persist=True)`` records a profile for boot; these mirror the CLI verbs of the same
name and ``to_dict()`` of a result is exactly what the verb prints with ``--json``.
"""
from __future__ import annotations

import json
import os
from typing import Optional, Union

from . import _tunectl
from ._args import rejects_nul
from ._profile import ProfilePath, _path, _profile_path
from ._records import Record
from ._transaction import Transaction, _fail

__all__ = ["Unpersisted", "BootResult", "Export", "unpersist", "boot", "export"]

PathArg = Union[str, "os.PathLike[str]"]


class Unpersisted(Record):
    """``root``, ``removed_link``, ``removed_record`` (both False: nothing was persisted),
    ``profile`` and ``digest`` of what was removed (None when unknown), ``message``."""


class BootResult(Record):
    """``schema`` ("tunectl.boot/1"), ``root``, ``profile``, ``digest``, ``matched`` (True: the
    host already held everything, nothing was written), ``message`` and ``transaction``."""

    @property
    def transaction(self) -> Transaction:
        return Transaction(self.to_dict()["transaction"])


class Export(Record):
    """``schema`` ("tunectl.export/1"), ``format``, ``profile``, ``digest``, ``root``, ``text``
    (the file), ``settings`` (``knob``, ``key``, ``value``, ``per_netns``) and
    ``not_expressible`` (``knob``, ``value``, ``reason``): what the format cannot say."""


@rejects_nul()
def unpersist(root: PathArg = "/") -> Unpersisted:
    """Disable tunectl-boot.service (remove its enable link) and remove the persisted profile under
    ``root``'s /etc/tunectl. Nothing persisted is not an error (both ``removed_*`` are False).
    The settings in effect stay until :func:`rollback` or a reboot."""
    return Unpersisted(json.loads(_tunectl.unpersist_json(_path(root))))


@rejects_nul()
def boot(root: PathArg = "/", state_dir: Optional[PathArg] = None) -> BootResult:
    """Re-apply the persisted profile, as the boot unit does: nothing written when the host matches
    (``matched``), else one transaction (an open one from before the reboot is closed first).
    Raises :class:`TransactionError` with ``exit_code`` 7 when there is no valid record, and
    :class:`ApplyError` (with ``.result``) when the apply failed and was rolled back."""
    result = BootResult(json.loads(_tunectl.boot_json(_path(root), _path(state_dir))))
    if not result.matched and result.transaction.state != "applied":
        raise _fail(_tunectl.ApplyError, result.message, result=result)
    return result


@rejects_nul()
def export(profile: PathArg, format: str = "sysctl.d", root: PathArg = "/",
           profile_path: ProfilePath = None) -> Export:
    """``profile`` as native configuration (``format``: "sysctl.d", "udev" or "tmpfiles.d"),
    planned on ``root``; writes nothing. Knobs the format cannot express are in ``not_expressible`` with the reason."""
    return Export(json.loads(_tunectl.export_json(_path(profile), format, _path(root), _profile_path(profile_path))))
