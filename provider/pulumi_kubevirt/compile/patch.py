"""The escape hatch: a user's patch merged into a compiled object, for fields the typed spec does not model.

Why: real VMs carry fields we do not type (GPUs, host devices, probes, sidecar hooks, vsock, fields of later
KubeVirt versions); an imported VM must lose none of them. The merge is Kubernetes' strategic merge as far as
these objects need it: mappings merge key by key, lists whose items all carry a ``name`` merge item by item
(``disks``, ``interfaces``, ``volumes``, ``networks``), any other list replaces the compiled one whole.
A patch may add fields, never change one the typed fields set: that is a conflict, reported with the typed
field to use instead. ``null`` in a patch is not a deletion (the typed fields decide what exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core import paths
from pulumi_kubevirt.core.quantity import quantities_equal


@dataclass(frozen=True, slots=True)
class PatchConflict:
    """The typed fields set ``path`` (in the compiled object) to ``compiled``; the patch says otherwise."""

    path: str
    compiled: Any
    patched: Any


def _is_named_list(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and bool(value)
        and all(isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in value)
    )


def _same(left: Any, right: Any) -> bool:
    if left == right:
        return True
    if isinstance(left, str | int) and isinstance(right, str | int) and not isinstance(left, bool):
        return quantities_equal(left, right)
    return False


def _merge(base: Any, patch: Any, segments: tuple[paths.Segment, ...], conflicts: list[PatchConflict]) -> Any:
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        merged = dict(base)
        for key, value in patch.items():
            if value is None:
                continue
            where = (*segments, paths.Key(str(key)))
            merged[key] = _merge(base[key], value, where, conflicts) if key in base else _copy(value)
        return merged
    if _is_named_list(base) and _is_named_list(patch):
        items = {item["name"]: item for item in base}
        order = [item["name"] for item in base]
        for item in patch:
            name = item["name"]
            where = (*segments, paths.Named(name))
            if name in items:
                items[name] = _merge(items[name], item, where, conflicts)
            else:
                items[name] = _copy(item)
                order.append(name)
        return [items[name] for name in order]
    if not _same(base, patch):
        conflicts.append(PatchConflict(paths.format_path(segments), base, patch))
    return base


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _copy(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [_copy(item) for item in value]
    return value


def apply_patch(
    manifest: Mapping[str, Any], patch: Mapping[str, Any]
) -> tuple[dict[str, Any], tuple[PatchConflict, ...]]:
    """The manifest with ``patch`` merged in, and the places where the patch contradicts the typed fields.

    On a conflict the typed value is kept, so the result is always what the typed fields say plus additions.
    """
    conflicts: list[PatchConflict] = []
    merged = _merge(manifest, patch, (), conflicts)
    return merged, tuple(conflicts)


def patch_leaves(patch: Any, base: tuple[paths.Segment, ...] = ()) -> list[tuple[str, Any]]:
    """Every leaf of a patch as (path, value), lists of named items addressed by name; for reports."""
    out: list[tuple[str, Any]] = []
    if isinstance(patch, Mapping) and patch:
        for key, value in patch.items():
            out.extend(patch_leaves(value, (*base, paths.Key(str(key)))))
    elif _is_named_list(patch):
        for item in patch:
            out.extend(patch_leaves(item, (*base, paths.Named(item["name"]))))
    elif isinstance(patch, list) and patch:
        for index, item in enumerate(patch):
            out.extend(patch_leaves(item, (*base, paths.Index(index))))
    else:
        out.append((paths.format_path(base), patch))
    return out
