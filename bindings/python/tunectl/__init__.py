"""tunectl: benchmark-driven Linux kernel tuning.

Read a host exactly (``probe``), state what it should be in a profile and apply it as a
crash-safe transaction (``plan``, ``apply``, ``rollback``, ``verify``), and measure whether a
change helped (``bench``, ``compare``). Every function here is a thin wrapper over the C++
library that the ``tunectl`` CLI uses, so both give the same answers.

Errors raise subclasses of :class:`tunectl.Error` (also a library bug: "internal error: ..."), except
``KeyboardInterrupt`` and ``MemoryError``; a str argument holding a NUL byte is an
:class:`InputError` before anything happens. Bytes that are not UTF-8 in results and messages
(kernel files, interface names) arrive as the text ``\\xff``.
"""
from ._tunectl import (  # noqa: F401  (re-exported)
    ApplyError,
    Error,
    InputError,
    NotPermitted,
    ProfileError,
    TransactionError,
    __version__,
)
from ._records import Record  # noqa: F401
from ._probe import Snapshot, probe  # noqa: F401
from ._tuner import *  # noqa: F401,F403
from ._bench import *  # noqa: F401,F403
from ._audit import *  # noqa: F401,F403
from ._diff import *  # noqa: F401,F403
from ._knobs import Knobs, knobs  # noqa: F401
from . import _tuner, _bench, _audit, _diff

__all__ = [
    "Error", "InputError", "ProfileError", "NotPermitted", "ApplyError", "TransactionError",
    "Record", "Snapshot", "probe", "__version__", "Knobs", "knobs",
] + list(_tuner.__all__) + list(_bench.__all__) + list(_audit.__all__) + list(_diff.__all__)
from ._status import Status, status  # noqa: E402,F401
__all__ += ["Status", "status"]
