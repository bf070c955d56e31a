"""Path patterns as data: tuples of segment matchers, matched against paths that are tuples of segments.

A path is a tuple of ``core.paths`` segments (``Key``, ``Named``, ``Index``). A pattern is a tuple whose items
are a key name (``"spec"``), ``ITEM`` (any list item, named or by position), ``ANY_KEY`` (any one key) or
``REST`` (everything below). A pattern covers a path when it matches a prefix of it: a row about
``spec.template`` also covers ``spec.template.spec.domain``. No text is parsed here, on the hot path or
anywhere: rows are written as tuples.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from pulumi_kubevirt.core.paths import Index, Key, Named, Segment, format_path


class Wildcard(enum.Enum):
    """Pattern items that match more than one segment value."""

    ITEM = "[*]"
    ANY_KEY = "*"
    REST = "**"


ITEM = Wildcard.ITEM
ANY_KEY = Wildcard.ANY_KEY
REST = Wildcard.REST

PatternItem = str | Wildcard
Pattern = tuple[PatternItem, ...]
Path = tuple[Segment, ...]


def covers(pattern: Pattern, path: Sequence[Segment]) -> bool:
    """True when ``pattern`` matches ``path`` or one of its ancestors (descendants are covered)."""
    if len(path) < len(pattern) and REST not in pattern:
        return False
    for i, item in enumerate(pattern):
        if item is REST:
            return True
        if i >= len(path):
            return False
        seg = path[i]
        if type(item) is str:
            if type(seg) is not Key or seg.key != item:
                return False
        elif item is ITEM:
            if type(seg) is not Named and type(seg) is not Index:
                return False
        elif type(seg) is not Key:
            return False
    return True


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    """A pattern split into its leading literal keys and the rest, so most rows are rejected by one tuple
    comparison against the path's keys (``keys_of``) instead of a loop over segments."""

    prefix: tuple[str, ...]
    rest: Pattern

    @classmethod
    def of(cls, pattern: Pattern) -> CompiledPattern:
        literal = 0
        while literal < len(pattern) and type(pattern[literal]) is str:
            literal += 1
        return cls(tuple(str(item) for item in pattern[:literal]), pattern[literal:])

    def covers(self, keys: tuple[str | None, ...], path: Sequence[Segment]) -> bool:
        """``covers(pattern, path)``, given ``keys = keys_of(path)``."""
        size = len(self.prefix)
        if keys[:size] != self.prefix:
            return False
        return not self.rest or covers(self.rest, path[size:])


def keys_of(path: Sequence[Segment]) -> tuple[str | None, ...]:
    """The path's keys, ``None`` for list items: what ``CompiledPattern.covers`` compares prefixes with."""
    return tuple(seg.key if type(seg) is Key else None for seg in path)


def named(path: Sequence[Segment], after: str) -> str:
    """The name of the list item right after key ``after`` (``volumes[name=x]`` -> ``x``), or ``""``."""
    for i in range(len(path) - 1):
        seg, nxt = path[i], path[i + 1]
        if type(seg) is Key and seg.key == after and type(nxt) is Named:
            return nxt.value
    return ""


def last_key(path: Sequence[Segment]) -> str:
    """The last key of a path (``""`` when it ends with a list item or is empty)."""
    seg = path[-1] if path else None
    return seg.key if type(seg) is Key else ""


def ends_with_item(path: Sequence[Segment]) -> bool:
    """True when the path names a whole list item (``interfaces[name=x]``)."""
    return bool(path) and type(path[-1]) in (Named, Index)


def as_path(pattern: Pattern) -> Path:
    """A pattern without wildcards as a concrete path (for rows that name one field)."""
    if any(isinstance(item, Wildcard) for item in pattern):
        raise ValueError(f"pattern {format_pattern(pattern)} has wildcards: it names no single path")
    return tuple(Key(str(item)) for item in pattern)


def format_pattern(pattern: Pattern) -> str:
    """A pattern in the one path syntax, wildcards as ``*``, ``[*]`` and ``**`` (for docs and reports)."""
    out: list[str] = []
    for item in pattern:
        if item is ITEM:
            out.append("[*]")
        elif isinstance(item, Wildcard):
            out.append(("." if out else "") + item.value)
        else:
            text = format_path((Key(item),))
            out.append(("." if out and not text.startswith("[") else "") + text)
    return "".join(out)


def dotted(pattern: Pattern) -> str:
    """``("spec", "clusterIP")`` -> ``spec.clusterIP``, Pulumi's property path syntax (no wildcards)."""
    as_path(pattern)
    return ".".join(str(item) for item in pattern if not isinstance(item, Wildcard))
