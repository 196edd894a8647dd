"""audit(): apply a profile and prove it, with interleaved before/after benchmarks.

Mirrors ``tunectl audit``: ``AuditReport.to_dict()`` is exactly what ``tunectl audit --json``
prints (schema ``tunectl.audit/1``, docs/audit.md).
"""
from __future__ import annotations

import json
from typing import Callable, Dict, Optional

from . import _tunectl
from ._args import rejects_nul
from ._profile import ProfilePath, ProfileRef, _path, _profile_arg, _profile_path
from ._transaction import PathArg
from ._records import Record

__all__ = ["AuditReport", "audit"]


class AuditReport(Record):
    """An audit's report: ``outcome`` (``passed``, ``summary``, ``reasons``), ``settings``,
    ``benchmarks`` (each with ``a``, ``b`` and the ``comparison``), ``expectations``,
    ``regressions``, ``transaction``, ``end_state`` (``kept``, ``rolled-back``, ``unchanged``),
    ``snapshots``, ``environment`` and ``caveats``; ``exit_code`` is the CLI's."""

    __slots__ = ("exit_code",)

    def __init__(self, data, exit_code: int):
        super().__init__(data)
        object.__setattr__(self, "exit_code", exit_code)

    @property
    def passed(self) -> bool:
        return self._data["outcome"].get("passed") is True


@rejects_nul()
def audit(profile: ProfileRef, root: PathArg = "/", state_dir: Optional[PathArg] = None, benches: str = "auto",
          bench_options: Optional[Dict[str, Dict[str, object]]] = None, rounds: int = 10, reps: int = 1, warmup: int = 1,
          keep: bool = True, dry_run: bool = False, noise_file: Optional[str] = None, out: Optional[str] = None,
          prometheus: Optional[str] = None,
          progress: Optional[Callable[[dict], None]] = None, profile_path: ProfilePath = None) -> AuditReport:
    """Audit ``profile`` on the host at ``root``: switch between the original settings and the
    profile while the benchmarks that can see it run interleaved, judge every metric and the
    profile's ``verify.bench`` expectations, then keep the profile (passed and ``keep``) or restore
    the original. ``bench_options`` is ``{"tcp_rr": {"duration": 0.5}}``; ``out`` writes
    report.json/.md/.html there; ``progress`` gets ``{round, rounds, bench, state, eta_s}``.

    A failed audit is a result, not an exception: ``report.passed`` is False and ``exit_code`` 1.
    Raises :class:`ApplyError` (with ``.report``) when a write failed (everything was restored),
    :class:`InputError`/:class:`ProfileError` for bad input, :class:`OpenTransaction` while a
    transaction is open, :class:`LockHeld` while the lock is held, :class:`NotPermitted` without root, and
    ``KeyboardInterrupt`` after Ctrl-C has stopped the audit and restored the original.
    ``profile_path``: see :func:`load_profile`.
    """
    opts = {b: {k: (("1" if v else "0") if isinstance(v, bool) else str(v)) for k, v in o.items()}
            for b, o in (bench_options or {}).items()}
    ref, profile_text = _profile_arg(profile)
    text, code = _tunectl.audit_json(ref, _path(root), _path(state_dir), benches, opts, rounds, reps, warmup, keep,
                                     dry_run, _path(noise_file), _path(out), _path(prometheus), progress,
                                     _profile_path(profile_path), profile_text)
    report = AuditReport(json.loads(text), code)
    if code == 4:
        exc = _tunectl.ApplyError(report._data["outcome"]["summary"])
        exc.report = report
        raise exc
    return report
