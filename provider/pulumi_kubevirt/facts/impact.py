"""What a change does to a running workload: the vocabulary every fact row and the plan speak.

Ordered from harmless to destructive, so ``max()`` gives the worst of several changes.
"""

from __future__ import annotations

import enum


class Impact(enum.StrEnum):
    """What a change does to the running workload, ordered from harmless to destructive so ``max()`` works."""

    NONE = "none"
    NO_EFFECT = "no-effect"
    LIVE = "live"
    LIVE_MIGRATION = "live-migration"
    RESTART = "restart"
    REPLACE = "replace"
    DESTROYS_DATA = "destroys-data"

    @property
    def rank(self) -> int:
        """Position in the severity order (``none`` is 0)."""
        return _IMPACT_ORDER.index(self)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Impact):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Impact):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Impact):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Impact):
            return NotImplemented
        return self.rank >= other.rank

    __hash__ = enum.StrEnum.__hash__


_IMPACT_ORDER: tuple[Impact, ...] = tuple(Impact)
