"""``kvplan import --verify``: render what was generated and compare it with the source, field by field.

Every source field must come back with the same value (quantities by value) or be explained by a report row
that is not ``mapped``. What is left is printed. DeepDiff does the comparison (a cold path, run once per
import): both sides are flattened to ``{path: value}`` in our one path syntax first, so its findings are our
paths and list items are matched by name, not by position.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deepdiff import DeepDiff

from pulumi_kubevirt.compile import compile_fleet
from pulumi_kubevirt.core.quantity import QuantityError, parse_quantity
from pulumi_kubevirt.facts.quantities import is_quantity_key
from pulumi_kubevirt.importers.kube_mapping import SourceObject
from pulumi_kubevirt.importers.report import FieldRecord, FieldStatus
from pulumi_kubevirt.importers.walk import covers, leaves
from pulumi_kubevirt.spec import FleetArgs, StackContext


@dataclass(frozen=True, slots=True)
class Difference:
    """A source field that did not come back and that no report row explains."""

    source: str
    kind: str
    name: str
    path: str
    before: Any
    after: Any

    def line(self) -> str:
        if self.before is _MISSING:
            return f"{self.source}: {self.kind} {self.name}: {self.path}: added as {self.after!r}"
        after = "(missing)" if self.after is _MISSING else repr(self.after)
        return f"{self.source}: {self.kind} {self.name}: {self.path}: {self.before!r} became {after}"


_MISSING: Any = "<missing>"


def _comparable(path: str, value: Any) -> Any:
    last = path.rsplit(".", 1)[-1]
    if is_quantity_key(last) or path.endswith(("storage", "memory")):
        try:
            return parse_quantity(value)
        except (QuantityError, TypeError, ValueError):
            return value
    return value


def _flat(obj: Any) -> dict[str, Any]:
    return {path: _comparable(path, value) for path, value in leaves(obj)}


def _cni_as_data(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    config = (obj.get("spec") or {}).get("config")
    if obj.get("kind") == "NetworkAttachmentDefinition" and isinstance(config, str):
        try:
            return {**obj, "spec": {**obj["spec"], "config": json.loads(config)}}
        except json.JSONDecodeError:
            return obj
    return obj


def _explained(records: Sequence[FieldRecord], source: str, path: str) -> bool:
    return any(
        r.source == source and r.status is not FieldStatus.MAPPED and covers(r.path, path) for r in records
    )


def _rendered_for(item: SourceObject, rendered: Sequence[Mapping[str, Any]], namespace: str) -> Any:
    for obj in rendered:
        meta = obj.get("metadata") or {}
        if (
            obj.get("kind") == item.kind
            and meta.get("name") == item.name
            and meta.get("namespace") == namespace
        ):
            return obj
    return None


def verify(
    objects: Sequence[SourceObject],
    fleet: FleetArgs,
    records: Sequence[FieldRecord],
    *,
    default_namespace: str,
    rendered: Sequence[Mapping[str, Any]] | None = None,
) -> list[Difference]:
    """Differences between the source objects and what the generated config renders to, unexplained ones only.

    ``rendered`` is what a program rendered (the fleet program under the mock runtime); without it the fleet
    is compiled directly, which is what the fleet program does.
    """
    out = list(rendered) if rendered is not None else compile_fleet(fleet, StackContext("import", "verify"))
    differences: list[Difference] = []
    for item in objects:
        if item.kind not in (
            "VirtualMachine",
            "DataVolume",
            "PersistentVolumeClaim",
            "NetworkAttachmentDefinition",
        ):
            continue
        namespace = item.namespace(default_namespace)
        target = _rendered_for(item, out, namespace)
        if target is None and item.kind == "PersistentVolumeClaim":
            continue  # created by a DataVolume and imported as it (reported)
        before = _flat(_cni_as_data(item.obj))
        after = _flat(_cni_as_data(target)) if target is not None else {}
        # threshold 0: always compare key by key, never report the whole object as replaced.
        diff = DeepDiff(before, after, verbose_level=2, threshold_to_diff_deeper=0)
        changed = dict(diff.get("values_changed", {}))
        changed.update(diff.get("type_changes", {}))
        for key, change in changed.items():
            path = _key(key)
            if not _explained(records, item.source, path):
                differences.append(
                    Difference(
                        item.source, item.kind, item.name, path, change["old_value"], change["new_value"]
                    )
                )
        for key, value in diff.get("dictionary_item_removed", {}).items():
            path = _key(key)
            filled = value in ({}, []) and any(covers(path, other) for other in after)
            if not filled and not _explained(records, item.source, path):
                differences.append(Difference(item.source, item.kind, item.name, path, value, _MISSING))
        for key, value in diff.get("dictionary_item_added", {}).items():
            path = _key(key)
            if _added_and_explained(path, before, records, item.source):
                continue
            differences.append(Difference(item.source, item.kind, item.name, path, _MISSING, value))
    return sorted(differences, key=lambda d: (d.source, d.kind, d.name, d.path))


def _added_and_explained(
    path: str, before: dict[str, Any], records: Sequence[FieldRecord], source: str
) -> bool:
    """A field the output has and the source lacks is fine when it is ours (metadata), fills a field the
    source left empty (``disk: {}`` gets ``bus``), or a report row says why it is written."""
    if path.startswith("metadata."):
        return True  # our stack labels and await annotations: object metadata, never seen by the guest
    if any(before.get(prefix) in ({}, []) and covers(prefix, path) for prefix in before):
        return True
    return _explained(records, source, path)


def _key(deepdiff_path: str) -> str:
    """``root['spec.x']`` to ``spec.x`` (the flattened dicts have one level)."""
    inner = deepdiff_path[len("root[") : -1]
    if inner.startswith(("'", '"')):
        inner = inner[1:-1]
    return inner.replace("\\'", "'")
