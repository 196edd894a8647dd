"""load_profile(), plan(), verify(): the same results as ``tunectl profiles|plan|verify --json``."""
from __future__ import annotations

import json
import os
from typing import List, Optional, Sequence, Union

from . import _tunectl
from ._args import rejects_nul
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
ProfilePath = Union[None, str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]


def _ref(profile: ProfileRef) -> str:
    # A loaded Profile is planned from its file, so the native side validates it again.
    return profile.path if isinstance(profile, Profile) else str(profile)


def _profile_path(profile_path: ProfilePath) -> Optional[str]:
    """``profile_path=`` of every function taking a profile, as ``--profile-path`` takes it: a
    colon-separated string or a list of directories; None: ``$TUNECTL_PROFILE_PATH``. Searched
    before /etc/tunectl/profiles and the built-ins."""
    if profile_path is None or isinstance(profile_path, str):
        return profile_path
    if isinstance(profile_path, os.PathLike):
        return os.fspath(profile_path)
    return ":".join(os.fspath(d) for d in profile_path)


@rejects_nul()
def load_profile(name_or_path: str, profile_path: ProfilePath = None) -> Profile:
    """Load a profile by name ("latency", looked up in ``profile_path``, /etc/tunectl/profiles,
    the built-ins) or a profile file by path (anything with a '/' or ending in .json).
    ``shadows`` lists the same-named files later in the search path; ``conflicts`` the settings
    two parents of an ``extends`` list set differently. Raises :class:`tunectl.ProfileError` with
    "<file>: <json pointer>: <reason>" when it does not validate, :class:`tunectl.NotPermitted`
    when, as root, a profile file or its directory can be changed by someone else."""
    return Profile(json.loads(_tunectl.load_profile_json(name_or_path, _profile_path(profile_path))))


@rejects_nul()
def list_profiles(profile_path: ProfilePath = None) -> List[str]:
    """Names of the profiles in the search path (``profile_path``, /etc/tunectl/profiles, the
    built-ins)."""
    return list(_tunectl.list_profiles(_profile_path(profile_path)))


@rejects_nul()
def show_profile(profile: ProfileRef, root: str = "/", profile_path: ProfilePath = None) -> Record:
    """The profile evaluated against the host at ``root``: ``effective`` settings, ``excluded``
    ones with reasons (``tunectl profiles show NAME --json``)."""
    return Record(json.loads(_tunectl.show_profile_json(_ref(profile), root, _profile_path(profile_path))))


@rejects_nul()
def plan(profile: ProfileRef, root: str = "/", profile_path: ProfilePath = None) -> Plan:
    """Plan ``profile`` (a name, a path or a :class:`Profile`) against the host at ``root``.
    Pure: nothing is written. Same JSON as ``tunectl plan -p PROFILE --root ROOT --json``."""
    return Plan(json.loads(_tunectl.plan_json(_ref(profile), root, _profile_path(profile_path))))


@rejects_nul()
def verify(profile: ProfileRef, root: str = "/", profile_path: ProfilePath = None) -> VerifyReport:
    """Check the host at ``root`` against ``profile``. ``report.ok`` is False on drift or a
    missing file (the CLI exits 1); pending effects and not-settable knobs do not fail."""
    return VerifyReport(json.loads(_tunectl.verify_json(_ref(profile), root, _profile_path(profile_path))))
