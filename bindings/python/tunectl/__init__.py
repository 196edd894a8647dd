"""tunectl: benchmark-driven Linux kernel tuning, from Python.

Read a host exactly, state what it should be in a profile, apply it as a crash-safe transaction,
check it, undo it exactly, and measure whether it helped. Every function is a thin wrapper over the
C++ library the ``tunectl`` CLI uses, so both give the same answers; ``to_dict()`` of any result is
exactly what the CLI prints with ``--json``.

Host and profiles
    probe(root="/", only=None) -> Snapshot            the host: topology, IRQs, NICs, THP, TCP, cgroups
    list_profiles(root, profile_path) -> [Record]     ``tunectl profiles list --json``
    load_profile(ref) -> Profile / show_profile(ref, root) -> Record
    knobs() -> Knobs                                  every knob kind and allowlisted sysctl
Change and check
    plan(profile, root) -> Plan                       pure; ``plan.digest`` identifies it
    apply(profile, root, state_dir, dry_run, recover, profile_path, persist, *, wait, strict,
          expect_plan) -> Transaction
    verify(profile, root, strict=False) -> VerifyReport
    rollback(to, root, state_dir, force, *, wait) -> RecordList[Transaction]  (.nothing_to_do)
    history(root, state_dir) -> RecordList[Record]   (.corrupt)
    status(root, state_dir) -> Status                 what is in effect, drift, open transactions
    boot(), unpersist(), export(profile, format)      persistence (docs/persistence.md)
Measure
    bench(...), compare(...), audit(profile, ...)     see help(tunectl.bench), help(tunectl.audit)
CPU lists
    parse_cpulist("0-3,8") -> [0, 1, 2, 3, 8]; format_cpulist([...]) -> "0-3,8";
    parse_cpumask / format_cpumask for the kernel's hex masks

A profile (:data:`ProfileRef`) is a name (``"latency"``, looked up in ``profile_path``,
/etc/tunectl/profiles, the built-ins), a path (``str`` or ``pathlib.Path``), a :class:`Profile`,
or a ``dict`` holding a profile body. ``root`` and ``state_dir`` take ``str`` or ``Path``.

Errors are subclasses of :class:`Error` with ``exit_code`` (the CLI's), ``file``, ``pointer`` (JSON
pointer in that file) and ``knob`` (None when not known):
    InputError (2) > ProfileError (2); NotPermitted (3); ApplyError (4, ``.transaction``);
    TransactionError (2) > LockHeld (5), OpenTransaction (6); PlanRefused (1).
A library bug is Error "internal error: ..." (exit_code 70). ``KeyboardInterrupt`` and
``MemoryError`` pass through. A str argument holding a NUL byte is an :class:`InputError` before
anything happens. Bytes that are not UTF-8 in results and messages (kernel files, interface
names) arrive as the text ``\\xff``.
"""
from ._tunectl import (  # noqa: F401  (re-exported)
    ApplyError,
    Error,
    InputError,
    LockHeld,
    NotPermitted,
    OpenTransaction,
    PlanRefused,
    ProfileError,
    TransactionError,
    __version__,
    format_cpulist,
    format_cpumask,
    parse_cpulist,
    parse_cpumask,
)
from ._records import Record, RecordList  # noqa: F401
from ._probe import Snapshot, probe  # noqa: F401
from ._tuner import *  # noqa: F401,F403
from ._bench import *  # noqa: F401,F403
from ._audit import *  # noqa: F401,F403
from ._diff import *  # noqa: F401,F403
from ._knobs import Knobs, knobs  # noqa: F401
from . import _tuner, _bench, _audit, _diff

__all__ = [
    "Error", "InputError", "ProfileError", "NotPermitted", "ApplyError", "TransactionError", "LockHeld",
    "OpenTransaction", "PlanRefused", "Record", "RecordList", "Snapshot", "probe", "__version__", "Knobs", "knobs",
    "parse_cpulist", "format_cpulist", "parse_cpumask", "format_cpumask",
] + list(_tuner.__all__) + list(_bench.__all__) + list(_audit.__all__) + list(_diff.__all__)
from ._status import Status, status  # noqa: E402,F401
__all__ += ["Status", "status"]
from ._persist import BootResult, Export, Unpersisted, boot, export, unpersist  # noqa: E402,F401
__all__ += ["BootResult", "Export", "Unpersisted", "boot", "export", "unpersist"]
