"""Tuner API: profiles, plan, apply, rollback, verify, history."""
from . import _profile, _transaction
from ._profile import *  # noqa: F401,F403
from ._transaction import *  # noqa: F401,F403

__all__ = list(_profile.__all__) + list(_transaction.__all__)
