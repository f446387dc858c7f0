"""Each role's data policy: whether figures are suppressed and what the role may see, download or do.

Pages ask this module; they never decide a policy themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from data_access.contract import Role


@dataclass(frozen=True)
class Policy:
    """What one role may do with the data."""

    role: Role
    suppressed: bool
    may_download: bool
    may_compare_schools: bool
    may_present: bool
    may_choose_snapshot: bool
    may_administer: bool


POLICIES: Final[dict[str, Policy]] = {
    "councillor": Policy("councillor", True, False, False, False, False, False),
    "commissioner": Policy("commissioner", True, True, True, False, False, False),
    "allchild": Policy("allchild", False, True, True, True, True, False),
    "admin": Policy("admin", False, True, True, True, True, True),
}


def policy_for(role: str) -> Policy:
    """The policy of ``role``; an unknown role gets the most restricted policy (councillor's)."""
    return POLICIES.get(role, POLICIES["councillor"])
