"""Walking a source object field by field: what was taken into typed config, and what is left for the patch.

Every importer marks the fields it carried over (``take``); whatever it did not take is either dropped with a
reason or becomes the resource's escape-hatch patch, so no field is lost silently and every field has a row in
the report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.importers.report import FieldRecord, FieldStatus


def _named(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in value)
    )


def leaves(value: Any, base: tuple[paths.Segment, ...] = ()) -> list[tuple[str, Any]]:
    """Every leaf as (path, value); named list items by name, empty mappings and lists are leaves."""
    out: list[tuple[str, Any]] = []
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            out += leaves(item, (*base, paths.Key(str(key))))
    elif _named(value):
        for item in value:
            rest = {k: v for k, v in item.items() if k != "name"}
            out += (
                leaves(rest, (*base, paths.Named(item["name"])))
                if rest
                else [(paths.format_path((*base, paths.Named(item["name"]))), {})]
            )
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            out += leaves(item, (*base, paths.Index(index)))
    else:
        out.append((paths.format_path(base), value))
    return out


def lookup(obj: Any, path: str) -> tuple[bool, Any]:
    """(found, value) at ``path`` in ``obj``."""
    node = obj
    for segment in paths.parse_path(path) if path else ():
        if isinstance(segment, paths.Key) and isinstance(node, Mapping) and segment.key in node:
            node = node[segment.key]
        elif isinstance(segment, paths.Named) and isinstance(node, list):
            match = [i for i in node if isinstance(i, Mapping) and i.get(segment.field) == segment.value]
            if not match:
                return False, None
            node = match[0]
        elif isinstance(segment, paths.Index) and isinstance(node, list) and segment.index < len(node):
            node = node[segment.index]
        else:
            return False, None
    return True, node


def covers(prefix: str, path: str) -> bool:
    """True when ``path`` is ``prefix`` or lies under it."""
    return path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "[")


@dataclass
class Walk:
    """One source object being imported: the rows written so far and the paths already accounted for."""

    obj: Mapping[str, Any]
    source: str
    target: str
    """Where the object went in the stack config (``fleet.vms.web``)."""
    records: list[FieldRecord] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)

    def get(self, path: str, default: Any = None) -> Any:
        found, value = lookup(self.obj, path)
        return value if found else default

    def has(self, path: str) -> bool:
        return lookup(self.obj, path)[0]

    def is_taken(self, path: str) -> bool:
        return any(covers(prefix, path) for prefix in self.taken)

    def take(
        self,
        path: str,
        target: str = "",
        status: FieldStatus = FieldStatus.MAPPED,
        message: str = "",
    ) -> Any:
        """Account for ``path`` (and everything under it) with one report row; returns its value."""
        found, value = lookup(self.obj, path)
        if not found and status is FieldStatus.MAPPED:
            return None
        # Not found and not mapped: a field the source leaves out but we write (a default unlike ours).
        if not self.is_taken(path):
            self.taken.append(path)
        full_target = f"{self.target}.{target}" if target and not target.startswith("fleet.") else target
        self.records.append(FieldRecord(self.source, path, status, full_target, message))
        return value

    def drop(self, path: str, message: str) -> None:
        self.take(path, "", FieldStatus.DROPPED, message)

    def rest(self, under: str) -> list[tuple[str, Any]]:
        """The leaves under ``under`` nobody took."""
        found, value = lookup(self.obj, under)
        if not found:
            return []
        return [(p, v) for p, v in leaves(value, paths.parse_path(under)) if not self.is_taken(p)]

    def residual(self, under: str) -> Any:
        """The subtree under ``under`` without the taken parts (named items keep their name), or None."""
        found, value = lookup(self.obj, under)
        if not found:
            return None
        return self._residual(value, paths.parse_path(under))

    def _residual(self, value: Any, base: tuple[paths.Segment, ...]) -> Any:
        here = paths.format_path(base)
        if self.is_taken(here):
            return None
        if isinstance(value, Mapping) and value:
            out = {}
            for key, item in value.items():
                kept = self._residual(item, (*base, paths.Key(str(key))))
                if kept is not None:
                    out[str(key)] = kept
            return out or None
        if _named(value):
            items = []
            for item in value:
                inner = (*base, paths.Named(item["name"]))
                if self.is_taken(paths.format_path(inner)):
                    continue
                rest = {k: v for k, v in item.items() if k != "name"}
                kept = self._residual(rest, inner) if rest else {}
                if kept is not None:
                    items.append({"name": item["name"], **kept})
            return items or None
        return value
