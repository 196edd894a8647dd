"""Argument checks every public function shares, before anything reaches the native library.

A NUL byte would cut a string short on its way to the kernel: ``plan("/tmp/p.json\\0/etc/passwd")``
would plan /tmp/p.json, ``state_dir="/tmp/s\\0x"`` would create /tmp/s. So a str, bytes or
os.PathLike argument holding one (also inside a list, tuple or dict argument: ``only``,
``profile_path``, benchmark options) is refused with :class:`tunectl.InputError` naming the
function and the argument.
"""
from __future__ import annotations

import functools
import inspect
import os
from typing import Any, Callable, Iterable, Optional, TypeVar

from ._records import Record
from ._tunectl import InputError

F = TypeVar("F", bound=Callable[..., Any])


def _nul_offset(value: Any, paths_only: bool) -> Optional[int]:
    """Offset of the first NUL in a str/bytes/path inside `value`, or None. Containers are searched
    unless `paths_only`: such an argument is JSON data, sent as JSON text, where a NUL is escaped
    and arrives whole."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, (str, bytes)):
        i = value.find("\0" if isinstance(value, str) else b"\0")
        return None if i < 0 else i
    if paths_only or isinstance(value, Record):
        return None
    if isinstance(value, dict):
        items: Iterable[Any] = [x for kv in value.items() for x in kv]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        return None
    for item in items:
        at = _nul_offset(item, False)
        if at is not None:
            return at
    return None


def rejects_nul(data: Iterable[str] = ()) -> Callable[[F], F]:
    """Decorator: InputError "<function>: argument '<name>' contains a NUL byte at offset N" when
    an argument holds one. Arguments named in `data` (a dict or record of JSON results, or a path)
    are checked only when they are a path."""
    data = frozenset(data)

    def wrap(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            for name, value in signature.bind(*args, **kwargs).arguments.items():
                at = _nul_offset(value, name in data)
                if at is not None:
                    raise InputError(f"{fn.__name__}: argument '{name}' contains a NUL byte at offset {at}")
            return fn(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return wrap
