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


Keys = tuple[str | None, ...]
"""A path reduced to what patterns look at: each key, or ``None`` for a list item (named or by position)."""


def keys_of(path: Sequence[Segment]) -> Keys:
    """The path's keys, ``None`` for list items."""
    return tuple(seg.key if type(seg) is Key else None for seg in path)


def covers_keys(pattern: Pattern, keys: Keys) -> bool:
    """True when ``pattern`` matches the path whose ``keys_of`` is ``keys``, or one of its ancestors.

    A match depends only on the keys and on where list items are, so callers may cache on ``keys``.
    """
    if len(keys) < len(pattern) and REST not in pattern:
        return False
    for i, item in enumerate(pattern):
        if item is REST:
            return True
        if i >= len(keys):
            return False
        key = keys[i]
        if type(item) is str:
            if key != item:
                return False
        elif item is ITEM:
            if key is not None:
                return False
        elif key is None:
            return False
    return True


def covers(pattern: Pattern, path: Sequence[Segment]) -> bool:
    """True when ``pattern`` matches ``path`` or one of its ancestors (descendants are covered)."""
    return covers_keys(pattern, keys_of(path))


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
