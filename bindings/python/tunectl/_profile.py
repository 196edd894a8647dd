"""load_profile(), plan(), verify(), list_profiles(): the same results as ``tunectl profiles|plan|verify
--json``.

Every function that takes a profile accepts the same forms (:data:`ProfileRef`): a name
(``"latency"``), a path (``str`` or :class:`pathlib.Path`), a :class:`Profile` from
:func:`load_profile`, or a ``dict`` holding a profile body (validated like a file; its
``extends`` are looked up in the search path). ``root`` and ``state_dir`` take ``str`` or ``Path``.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _tunectl
from ._args import rejects_nul
from ._records import Record

__all__ = ["Profile", "Plan", "VerifyReport", "ProfileRef", "load_profile", "list_profiles", "show_profile",
           "plan", "verify"]


class Profile(Record):
    """A validated profile, resolved (``extends`` merged): ``name``, ``path``, ``description``,
    ``files`` (merge order), ``digest`` (sha256 of ``resolved``), ``resolved`` (every setting as
    ``{"value", "why", "source", "when"?}``). Conditions are evaluated only against a host:
    see :func:`show_profile`, :func:`plan`."""


class Plan(Record):
    """What applying a profile would change: ``changes`` (apply order), ``already`` (as desired),
    ``skipped`` (not settable / missing, with ``reason``), ``irq_map``, ``excluded`` (left out
    by conditions), ``notes``, ``warnings`` (what the host would silently not get: a NIC glob
    matching nothing, ...; ``strict=True`` refuses them), ``digest`` (pass it to
    ``apply(expect_plan=...)``), ``profile_digest``, ``root``. Each change has ``knob``,
    ``current``, ``desired``, ``value``, ``why``, ``source``, ``status``, ``per_netns``."""


class VerifyReport(Record):
    """Drift report: ``ok``, ``strict``, ``summary`` (status -> count), ``warnings`` and ``items``
    with ``knob``, ``expected``, ``actual``, ``effective``, ``status`` (ok, drift, pending,
    pending-reboot, not-settable, missing) and ``detail``."""


#: A profile, in any of the forms every function accepts: name, path, Profile or dict.
ProfileRef = Union[str, "os.PathLike[str]", Profile, Dict[str, Any]]
ProfilePath = Union[None, str, "os.PathLike[str]", Sequence[Union[str, "os.PathLike[str]"]]]


def _profile_arg(profile: ProfileRef) -> Tuple[str, Optional[str]]:
    """(name or path, None), or (label, JSON text) for a profile that is not a file."""
    if isinstance(profile, Profile):
        if profile.path and not profile.path.startswith("<"):
            return profile.path, None  # planned from its file, validated again by the native side
        body = dict(profile.resolved.to_dict())
        if profile.get("description"):
            body["description"] = profile.description
        return profile.path or "<profile>", json.dumps(body)
    if isinstance(profile, dict):
        return "<dict>", json.dumps(profile)
    if isinstance(profile, (str, bytes, os.PathLike)):
        return os.fspath(profile), None  # bytes: a path that is not UTF-8, passed through as bytes
    raise _tunectl.InputError(
        f"profile must be a name, a path, a tunectl.Profile or a dict, not {type(profile).__name__}")


def _path(value: Union[None, str, "os.PathLike[str]"]) -> Optional[str]:
    """``root=``/``state_dir=`` as the native side takes them."""
    return None if value is None else os.fspath(value)


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
def load_profile(name_or_path: ProfileRef, profile_path: ProfilePath = None) -> Profile:
    """Load a profile by name ("latency", looked up in ``profile_path``, /etc/tunectl/profiles,
    the built-ins), a profile file by path (anything with a '/' or ending in .json), or a dict
    holding a profile body (its ``name`` is then ``<dict>``).
    ``shadows`` lists the same-named files later in the search path; ``conflicts`` the settings
    two parents of an ``extends`` list set differently. Raises :class:`tunectl.ProfileError` with
    "<file>: <json pointer>: <reason>" when it does not validate, :class:`tunectl.NotPermitted`
    when, as root, a profile file or its directory can be changed by someone else."""
    ref, text = _profile_arg(name_or_path)
    return Profile(json.loads(_tunectl.load_profile_json(ref, _profile_path(profile_path), text)))


@rejects_nul()
def list_profiles(root: Union[str, "os.PathLike[str]"] = "/", profile_path: ProfilePath = None) -> List[Record]:
    """Every profile name in the search path (``profile_path``, /etc/tunectl/profiles, the
    built-ins), exactly as ``tunectl profiles list --json``: a loadable one as
    :func:`show_profile` gives it plus ``dir``; one that does not load with ``name``, ``path``,
    ``dir``, ``shadows`` and ``error``. Conditions are evaluated against ``root``."""
    return [Record(p) for p in json.loads(_tunectl.list_profiles_json(_path(root), _profile_path(profile_path)))]


@rejects_nul()
def show_profile(profile: ProfileRef, root: Union[str, "os.PathLike[str]"] = "/",
                 profile_path: ProfilePath = None) -> Record:
    """The profile evaluated against the host at ``root``: ``effective`` settings, ``excluded``
    ones with reasons (``tunectl profiles show NAME --json``)."""
    ref, text = _profile_arg(profile)
    return Record(json.loads(_tunectl.show_profile_json(ref, _path(root), _profile_path(profile_path), text)))


@rejects_nul()
def plan(profile: ProfileRef, root: Union[str, "os.PathLike[str]"] = "/", profile_path: ProfilePath = None) -> Plan:
    """Plan ``profile`` against the host at ``root``. Pure: nothing is written. Same JSON as
    ``tunectl plan -p PROFILE --root ROOT --json``."""
    ref, text = _profile_arg(profile)
    return Plan(json.loads(_tunectl.plan_json(ref, _path(root), _profile_path(profile_path), text)))


@rejects_nul()
def verify(profile: ProfileRef, root: Union[str, "os.PathLike[str]"] = "/", profile_path: ProfilePath = None,
           strict: bool = False) -> VerifyReport:
    """Check the host at ``root`` against ``profile``. ``report.ok`` is False on drift (the CLI
    exits 1). Not-settable and missing knobs are what :func:`apply` skips, so they fail only with
    ``strict=True`` (with the plan's warnings), as ``apply(strict=True)`` refuses them; pending
    effects never fail, and kernel parameters waiting for a reboot (``pending-reboot``) fail only
    with ``strict=True``."""
    ref, text = _profile_arg(profile)
    return VerifyReport(json.loads(_tunectl.verify_json(ref, _path(root), _profile_path(profile_path), text, strict)))
