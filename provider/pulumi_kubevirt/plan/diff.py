"""A keyed structural diff: ``(op, path, before, after)`` with the path as a tuple of segments (kopf's shape).

Hand-rolled rather than DeepDiff: it must cost microseconds per object (DESIGN.md section 8) and key list
items by ``name`` so that removing one disk is one change, not a shift of every later index. Paths stay
data (``core.paths`` segments) through the engine; they become text only in reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core.paths import Key, Named, Segment, format_path
from pulumi_kubevirt.plan.model import ChangeOp
from pulumi_kubevirt.plan.normalise import is_keyed_list

Path = tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Diff:
    """One difference: ``before`` is live (None when added), ``after`` desired (None when removed)."""

    op: ChangeOp
    path: Path
    before: Any
    after: Any

    @property
    def text(self) -> str:
        """The path in the one path syntax, for reports."""
        return format_path(self.path)


def diff(before: Any, after: Any) -> tuple[Diff, ...]:
    """Every difference between two comparable objects, keyed lists matched by ``name``, in a stable order."""
    if before == after:
        return ()
    out: list[Diff] = []
    _walk(before, after, (), out)
    return tuple(out)


def _walk(before: Any, after: Any, base: Path, out: list[Diff]) -> None:
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict):
        for key in after:
            if key in before:
                _walk(before[key], after[key], (*base, Key(key)), out)
            else:
                out.append(Diff(ChangeOp.ADD, (*base, Key(key)), None, after[key]))
        for key in before:
            if key not in after:
                out.append(Diff(ChangeOp.REMOVE, (*base, Key(key)), before[key], None))
        return
    if isinstance(before, list) and isinstance(after, list) and _keyed_pair(before, after):
        old = {item["name"]: item for item in before}
        for item in after:
            name = str(item["name"])
            path = (*base, Named(name))
            if name in old:
                _walk(old[name], item, path, out)
            else:
                out.append(Diff(ChangeOp.ADD, path, None, item))
        new = {item["name"] for item in after}
        for item in before:
            if item["name"] not in new:
                out.append(Diff(ChangeOp.REMOVE, (*base, Named(str(item["name"]))), item, None))
        return
    out.append(Diff(ChangeOp.CHANGE, base, before, after))


def _keyed_pair(before: list[Any], after: list[Any]) -> bool:
    """Both keyed, or one keyed and the other empty."""
    keyed_before, keyed_after = is_keyed_list(before), is_keyed_list(after)
    return (keyed_before or not before) and (keyed_after or not after) and (keyed_before or keyed_after)
