"""apply(), rollback(), history(): profiles applied as crash-safe transactions.

Each mirrors the CLI verb of the same name; ``to_dict()`` of a result is exactly what the verb
prints with ``--json``.
"""
from __future__ import annotations

import json
import math
import os
from typing import List, Optional, Union

from . import _tunectl
from ._args import rejects_nul
from ._profile import Plan, ProfilePath, ProfileRef, _path, _profile_arg, _profile_path
from ._records import Record, RecordList

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


PathArg = Union[str, "os.PathLike[str]"]
#: ``wait=``: None or False refuses a held lock at once (LockHeld), True waits for as long as it
#: takes, a number of seconds waits at most that long.
Wait = Union[None, bool, float]


def _wait_seconds(wait: Wait) -> Optional[float]:
    if wait is None or wait is False:
        return None
    if wait is True:
        return math.inf
    if isinstance(wait, (int, float)) and wait >= 0:
        return float(wait)
    raise _tunectl.InputError(f"wait must be True, False, None or seconds >= 0, not {wait!r}")


def _expectation(expect_plan: Union[None, str, Plan, dict]):
    """(digest, plan JSON text) for the native side."""
    if expect_plan is None:
        return None, None
    if isinstance(expect_plan, str):
        return expect_plan, None
    if isinstance(expect_plan, Record):
        return None, json.dumps(expect_plan.to_dict())
    if isinstance(expect_plan, dict):
        return None, json.dumps(expect_plan)
    raise _tunectl.InputError(f"expect_plan must be a digest, a Plan or a dict, not {type(expect_plan).__name__}")


@rejects_nul()
def apply(profile: ProfileRef, root: PathArg = "/", state_dir: Optional[PathArg] = None, dry_run: bool = False,
          recover: bool = False, profile_path: ProfilePath = None, persist: bool = False, *, wait: Wait = None,
          strict: bool = False, expect_plan: Union[None, str, Plan, dict] = None) -> Transaction:
    """Plan ``profile`` (name, path, :class:`Profile` or dict) for the host at ``root`` and apply it
    as one transaction.

    The journal holds every knob's previous bytes before the first write; each knob is read back.
    Raises :class:`ApplyError` (with ``.transaction``) when a write failed — everything written
    has then been restored — :class:`OpenTransaction` while an interrupted transaction is open
    (``recover=True`` rolls it back first), :class:`LockHeld` while another tunectl holds the lock
    (``wait=True`` or ``wait=SECONDS`` waits for it), :class:`NotPermitted` without root on the live
    host or on a read-only /proc/sys, :class:`ProfileError` for a bad profile,
    :class:`PlanRefused` when ``strict=True`` and a setting would be skipped or the plan warns, or
    when ``expect_plan`` (a :class:`Plan`, its dict or its ``digest``) is not the plan made now —
    in every such case nothing is written. ``dry_run`` writes nothing, not even the journal, and
    refuses what the apply would.
    ``profile_path``: see :func:`load_profile`. ``persist``: after a successful apply, record the
    profile under /etc/tunectl and enable tunectl-boot.service (``tx.persisted`` says where); the
    unit must be installed, else :class:`InputError` before anything is written.
    """
    ref, text = _profile_arg(profile)
    digest, plan_text = _expectation(expect_plan)
    if persist:
        _tunectl.persist_check(_path(root))  # the unit must be installed: refused before any write
    raw = _tunectl.apply_json(ref, _path(root), _path(state_dir), dry_run, recover, _profile_path(profile_path),
                              profile_text=text, wait=_wait_seconds(wait), strict=strict,
                              expect_digest=digest, expect_plan_json=plan_text)
    tx = Transaction(json.loads(raw))
    if persist and not dry_run:
        persisted = json.loads(_tunectl.persist_applied_json(ref, _path(root), _profile_path(profile_path), text, raw))
        if persisted is not None:
            tx = Transaction(dict(tx.to_dict(), persisted=persisted))
    if tx.state not in ("applied", "unchanged", "dry-run"):
        suffix = "; every knob written was restored" if tx.state == "rolled-back" else ""
        raise _fail(_tunectl.ApplyError, (tx.error or "apply failed") + suffix, transaction=tx)
    return tx


@rejects_nul()
def rollback(to: Optional[str] = None, root: PathArg = "/", state_dir: Optional[PathArg] = None,
             force: bool = False, *, wait: Wait = None) -> RecordList:
    """Restore the exact previous bytes of the last transaction (or of ``to`` and every later one
    still in effect); returns the transactions rolled back, newest first. Nothing to do (nothing
    recorded, or already rolled back) is not an error: the list is empty and ``.nothing_to_do``
    says why (None otherwise). Raises :class:`TransactionError` when ``to`` names no transaction
    or a knob could not be restored (then with ``.transactions``), and before writing anything
    when a knob's IRQ or interface is now another device (``force=True`` restores anyway) or it
    belongs to another network namespace; :class:`LockHeld` as :func:`apply`. A transaction from
    an earlier boot is closed without writing (its ``note`` says so) unless ``force``."""
    out = json.loads(_tunectl.rollback_json(to, _path(root), _path(state_dir), force, _wait_seconds(wait)))
    out.setdefault("nothing_to_do", None)
    done = RecordList(out, "rolled_back", Transaction)
    for tx in done:
        if tx.state != "rolled-back":
            raise _fail(_tunectl.TransactionError, f"{tx.id}: {tx.error or 'rollback incomplete'}", transactions=done)
    return done


@rejects_nul()
def history(root: PathArg = "/", state_dir: Optional[PathArg] = None) -> RecordList:
    """Recorded transactions, oldest first: ``id``, ``started_at``, ``finished_at``,
    ``rolled_back_at``, ``profile``, ``profile_digest``, ``root``, ``state``, ``knobs`` (how many
    the plan had), ``written`` (how many were written), ``error``. ``.corrupt`` lists journals
    that cannot be read (``id``, ``journal``, ``error``), ``.state_dir`` where they are;
    ``to_dict()`` is ``tunectl history --json``."""
    return RecordList(json.loads(_tunectl.history_json(_path(root), _path(state_dir))), "transactions")
