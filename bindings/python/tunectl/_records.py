"""Attribute access over the library's JSON results, with ``to_dict()`` giving the exact JSON."""
from __future__ import annotations

import json
from typing import Any, Dict, Iterator


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Record(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class Record:
    """A read-only view of a JSON object: ``r.field``, ``r["field"]``, ``r.to_dict()``.

    Keys that are not Python identifiers (``"net.ipv4.tcp_fin_timeout"``) are reached with
    ``r["..."]``.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Dict[str, Any]):
        object.__setattr__(self, "_data", data)

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._data[key])

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is read-only")

    def __dir__(self):
        return list(self._data.keys())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Record) and self._data == other._data

    def __repr__(self) -> str:
        keys = ", ".join(list(self._data)[:8])
        return f"<{type(self).__name__} {keys}{', ...' if len(self._data) > 8 else ''}>"

    def get(self, key: str, default: Any = None) -> Any:
        return _wrap(self._data.get(key, default))

    def keys(self):
        return self._data.keys()

    def to_dict(self) -> Dict[str, Any]:
        """The exact JSON object (a deep copy), as the CLI's ``--json`` prints it."""
        return json.loads(json.dumps(self._data))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._data, indent=indent)


class RecordList(list):
    """A list of records that came as one field of a JSON object (``history()``'s
    ``transactions``, ``rollback()``'s ``rolled_back``): it is that list, the object's other
    fields are attributes (``history().corrupt``, ``rollback().nothing_to_do``) and ``to_dict()``
    gives the whole object, exactly as the CLI's ``--json`` prints it."""

    def __init__(self, data: Dict[str, Any], key: str, item_type: type = Record):
        super().__init__(item_type(x) for x in data[key])
        self._data = data
        self._key = key

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return _wrap(self._data[name])
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(json.dumps(self._data))

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self._data, indent=indent)
