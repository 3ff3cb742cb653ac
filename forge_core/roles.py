"""The roles a live set publishes under and the registry aliases that give them, declared once.

A version's aliases give its role: ``champion`` and ``challenger`` are their own roles, every other alias
(``previous_champion``, ``shadow_<member>``) publishes as a shadow. SQL names a role through ``read_sql``'s
markers (``/*champion_role*/`` is ``'champion'``), as it names the quantile columns.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A publishing role, strongest first (``rank`` 0 is the champion)."""

    CHAMPION = "champion"
    CHALLENGER = "challenger"
    SHADOW = "shadow"

    @property
    def rank(self) -> int:
        """0 for the champion, 1 for the challenger, 2 for a shadow: a version publishes under its lowest."""
        return list(Role).index(self)

    @classmethod
    def of_alias(cls, alias: str) -> Role:
        """The role an alias gives: champion, challenger, or shadow (every other alias)."""
        return cls(alias) if alias in (cls.CHAMPION, cls.CHALLENGER) else cls.SHADOW


CHAMPION, CHALLENGER = Role.CHAMPION.value, Role.CHALLENGER.value  # the aliases of those roles
PREVIOUS_CHAMPION = "previous_champion"  # the champion before the last promotion (rollback, fallback)
SHADOW_PREFIX = "shadow_"  # shadow_<member>: the latest retraining's set of each member
