"""load_profile(), plan(), verify(): the same results as ``tunectl profiles|plan|verify --json``."""
from __future__ import annotations

import json
from typing import List, Union

from . import _tunectl
from ._records import Record

__all__ = ["Profile", "Plan", "VerifyReport", "load_profile", "list_profiles", "show_profile",
           "plan", "verify"]


class Profile(Record):
    """A validated profile, resolved (``extends`` merged): ``name``, ``path``, ``description``,
    ``files`` (merge order), ``digest`` (sha256 of ``resolved``), ``resolved`` (every setting as
    ``{"value", "why", "source", "when"?}``). Conditions are evaluated only against a host:
    see :func:`show_profile`, :func:`plan`."""


class Plan(Record):
    """What applying a profile would change: ``changes`` (apply order), ``already`` (as desired),
    ``skipped`` (not settable / missing, with ``reason``), ``irq_map``, ``excluded`` (left out
    by conditions), ``notes``, ``profile_digest``, ``root``. Each change has ``knob``,
    ``current``, ``desired``, ``value``, ``why``, ``source``, ``status``, ``per_netns``,
    ``action`` ("write" or "mkdir")."""


class VerifyReport(Record):
    """Drift report: ``ok``, ``summary`` (status -> count) and ``items`` with ``knob``,
    ``expected``, ``actual``, ``effective``, ``status`` (ok, drift, pending, not-settable,
    missing) and ``detail``."""


ProfileRef = Union[str, Profile]


def _ref(profile: ProfileRef) -> str:
    # A loaded Profile is planned from its file, so the native side validates it again.
    return profile.path if isinstance(profile, Profile) else str(profile)


def load_profile(name_or_path: str) -> Profile:
    """Load a built-in profile by name ("latency") or a profile file by path (anything with a
    '/' or ending in .json). Raises :class:`tunectl.ProfileError` with
    "<file>: <json pointer>: <reason>" when it does not validate."""
    return Profile(json.loads(_tunectl.load_profile_json(name_or_path)))


def list_profiles() -> List[str]:
    """Names of the built-in profiles."""
    return list(_tunectl.list_profiles())


def show_profile(profile: ProfileRef, root: str = "/") -> Record:
    """The profile evaluated against the host at ``root``: ``effective`` settings, ``excluded``
    ones with reasons (``tunectl profiles show NAME --json``)."""
    return Record(json.loads(_tunectl.show_profile_json(_ref(profile), root)))


def plan(profile: ProfileRef, root: str = "/") -> Plan:
    """Plan ``profile`` (a name, a path or a :class:`Profile`) against the host at ``root``.
    Pure: nothing is written. Same JSON as ``tunectl plan -p PROFILE --root ROOT --json``."""
    return Plan(json.loads(_tunectl.plan_json(_ref(profile), root)))


def verify(profile: ProfileRef, root: str = "/") -> VerifyReport:
    """Check the host at ``root`` against ``profile``. ``report.ok`` is False on drift or a
    missing file (the CLI exits 1); pending effects and not-settable knobs do not fail."""
    return VerifyReport(json.loads(_tunectl.verify_json(_ref(profile), root)))
