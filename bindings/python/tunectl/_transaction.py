"""apply(), rollback(), history(): profiles applied as crash-safe transactions.

Each mirrors the CLI verb of the same name; ``to_dict()`` of a result is exactly what the verb
prints with ``--json``.
"""
from __future__ import annotations

import json
from typing import List, Optional

from . import _tunectl
from ._args import rejects_nul
from ._profile import ProfilePath, _profile_path
from ._records import Record

__all__ = ["Transaction", "apply", "rollback", "history"]


class Transaction(Record):
    """One applied (or planned) profile: ``id``, ``state`` (``applied``, ``rolled-back``, ``open``,
    ``dry-run``, ``unchanged``), ``profile``, ``profile_digest``, ``root``, ``journal`` and
    ``changes`` — each with ``knob``, ``value``, ``before`` (exact previous bytes), ``after`` (read
    back), ``status``, ``effect`` and, after a rollback, ``found``/``restored``."""

    @property
    def ok(self) -> bool:
        return self.state in ("applied", "unchanged", "dry-run", "rolled-back") and self.error is None


def _fail(exc_type, message: str, **attached):
    exc = exc_type(message)
    for name, value in attached.items():
        setattr(exc, name, value)
    return exc


@rejects_nul()
def apply(profile: str, root: str = "/", state_dir: Optional[str] = None, dry_run: bool = False,
          recover: bool = False, profile_path: ProfilePath = None) -> Transaction:
    """Plan ``profile`` (name or path) for the host at ``root`` and apply it as one transaction.

    The journal holds every knob's previous bytes before the first write; each knob is read back.
    Raises :class:`ApplyError` (with ``.transaction``) when a write failed — everything written
    has then been restored — :class:`TransactionError` while another transaction is open or the
    lock is held, :class:`NotPermitted` without root on the live host or on a read-only /proc/sys,
    :class:`ProfileError` for a bad profile. ``dry_run`` writes nothing, not even the journal.
    ``profile_path``: see :func:`load_profile`.
    """
    tx = Transaction(json.loads(_tunectl.apply_json(profile, root, state_dir, dry_run, recover,
                                                    _profile_path(profile_path))))
    if tx.state not in ("applied", "unchanged", "dry-run"):
        suffix = "; every knob written was restored" if tx.state == "rolled-back" else ""
        raise _fail(_tunectl.ApplyError, (tx.error or "apply failed") + suffix, transaction=tx)
    return tx


@rejects_nul()
def rollback(to: Optional[str] = None, root: str = "/", state_dir: Optional[str] = None,
             force: bool = False) -> List[Transaction]:
    """Restore the exact previous bytes of the last transaction (or of ``to`` and every later one
    still in effect); returns the transactions rolled back, newest first. Raises
    :class:`TransactionError` when there is nothing to roll back or a knob could not be restored
    (then with ``.transactions``), and before writing anything when a knob's IRQ or interface is
    now another device (``force=True`` restores anyway) or it belongs to another network
    namespace. A transaction from an earlier boot is closed without writing (its ``note`` says
    so) unless ``force``."""
    done = [Transaction(t) for t in json.loads(_tunectl.rollback_json(to, root, state_dir, force))["rolled_back"]]
    for tx in done:
        if tx.state != "rolled-back":
            raise _fail(_tunectl.TransactionError, f"{tx.id}: {tx.error or 'rollback incomplete'}", transactions=done)
    return done


@rejects_nul()
def history(root: str = "/", state_dir: Optional[str] = None) -> List[Record]:
    """Recorded transactions, oldest first: ``id``, ``started_at``, ``profile``,
    ``profile_digest``, ``state``, ``changes`` (count), ``written`` (count), ``error``."""
    return [Record(t) for t in json.loads(_tunectl.history_json(root, state_dir))["transactions"]]
