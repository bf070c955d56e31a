"""Drift: live differs from desired on a field we own, and who changed it when (from ``managedFields``).

Same scope as the plan (the desired field set, quantities by value, platform fields neutralised). Fields
KubeVirt writes itself are ``platform`` findings, which renderers show only on request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_kubevirt.core.paths import Key, Named, Segment, format_path
from pulumi_kubevirt.facts.pattern import Wildcard, as_path
from pulumi_kubevirt.facts.platform import INFERRED_MATCHERS, PLATFORM_FIELDS, Treatment
from pulumi_kubevirt.plan.diff import diff
from pulumi_kubevirt.plan.model import ChangeOp, DriftFinding, DriftKind
from pulumi_kubevirt.plan.normalise import (
    OUR_MANAGER_PREFIX,
    comparable_live,
    normalise,
    parse_fields_v1,
    platform_field,
)
from pulumi_kubevirt.plan.planner import order_key_for
from pulumi_kubevirt.plan.policy import is_sensitive
from pulumi_kubevirt.plan.state import LiveState, ObjectKey


@dataclass(frozen=True, slots=True)
class Ownership:
    """One field manager's claim on a path."""

    manager: str
    operation: str
    time: str

    @property
    def ours(self) -> bool:
        return self.manager.startswith(OUR_MANAGER_PREFIX)


Path = tuple[Segment, ...]


def _owned_paths(tree: Mapping[Any, Any], base: Path, out: dict[Path, bool]) -> None:
    """Paths a manager owns; the value says whether it is a leaf (a whole value, an atomic list)."""
    for key, sub in tree.items():
        if isinstance(key, str):
            seg: Segment = Key(key)
        elif key[0] == "name":
            seg = Named(str(key[1]))
        else:
            continue
        path = (*base, seg)
        out[path] = not sub
        if sub:
            _owned_paths(sub, path, out)


OwnershipTable = dict[Path, list[tuple[Ownership, bool]]]
"""Path -> ``(manager, owns it as a whole value)`` for every manager whose field set contains the path."""


def ownership(live: Mapping[str, Any]) -> OwnershipTable:
    """Who owns which path, parsed from ``metadata.managedFields``."""
    table: OwnershipTable = {}
    for entry in (live.get("metadata") or {}).get("managedFields") or []:
        if not isinstance(entry, Mapping):
            continue
        owner = Ownership(
            str(entry.get("manager", "")), str(entry.get("operation", "")), str(entry.get("time", ""))
        )
        paths: dict[Path, bool] = {}
        _owned_paths(parse_fields_v1(entry.get("fieldsV1") or {}), (), paths)
        for path, leaf in paths.items():
            table.setdefault(path, []).append((owner, leaf))
    return table


def who_changed(path: Path, table: OwnershipTable) -> Ownership | None:
    """The latest manager other than ours that owns ``path``, or owns a value holding it as a whole.

    Containers (``spec``) are owned by every manager that set anything below them, so they say nothing.
    None when only our own manager owns it (someone changed it without taking ownership) or nobody does.
    """
    candidates = [owner for owner, _ in table.get(path, ())]
    for cut in range(len(path) - 1, 0, -1):
        candidates += [owner for owner, leaf in table.get(path[:cut], ()) if leaf]
    others = [c for c in candidates if not c.ours]
    if not others:
        return None
    return max(others, key=lambda c: (c.time, c.manager))


def detect_drift(desired: Sequence[Mapping[str, Any]], live: LiveState) -> tuple[DriftFinding, ...]:
    """Every drift finding for the desired objects, in apply order then path order."""
    findings: list[tuple[tuple[Any, ...], DriftFinding]] = []
    for manifest in desired:
        key = ObjectKey.of(manifest)
        order = order_key_for(key)
        current = live.objects.get(key)
        if current is None:
            reason = "not found in the cluster: deleted outside the code, or never applied"
            findings.append((order, DriftFinding(key, DriftKind.DELETED, reason=reason)))
            continue
        for finding in object_drift(key, manifest, current):
            findings.append((order, finding))
    findings.sort(key=lambda pair: (pair[0], pair[1].kind != DriftKind.MODIFIED, pair[1].path))
    return tuple(f for _, f in findings)


def object_drift(
    key: ObjectKey, manifest: Mapping[str, Any], current: Mapping[str, Any]
) -> list[DriftFinding]:
    """Modified findings on the desired field set, then platform-written fields."""
    want = normalise(manifest)
    comparable = comparable_live(current, want)
    table = ownership(current)
    out: list[DriftFinding] = []
    if comparable != want:
        for change in diff(comparable, want):
            value = change.after if change.after is not None else change.before
            secret = is_sensitive(key.kind, change.path, value)
            owner = who_changed(change.path, table)
            platform = platform_field(key.kind, change.path)
            reason = {
                ChangeOp.ADD: "missing in the cluster",
                ChangeOp.REMOVE: "present in the cluster, not in the code",
                ChangeOp.CHANGE: "changed in the cluster",
            }[change.op]
            if platform is not None and platform.treatment is Treatment.REPORTED:
                reason = f"{reason}: {platform.reason}"
            out.append(
                DriftFinding(
                    key=key,
                    kind=DriftKind.MODIFIED,
                    path=format_path(change.path),
                    desired=None if secret else change.after,
                    live=None if secret else change.before,
                    manager=owner.manager if owner else "",
                    operation=owner.operation if owner else "",
                    time=owner.time if owner else "",
                    secret=secret,
                    reason=reason,
                )
            )
    out.extend(platform_drift(key, normalise(current), want, table))
    return out


def _lookup(obj: Any, segments: Sequence[Segment]) -> tuple[bool, Any]:
    for seg in segments:
        if isinstance(seg, Key) and isinstance(obj, Mapping) and seg.key in obj:
            obj = obj[seg.key]
        elif isinstance(seg, Named) and isinstance(obj, list):
            found = [i for i in obj if isinstance(i, Mapping) and i.get(seg.field) == seg.value]
            if not found:
                return False, None
            obj = found[0]
        else:
            return False, None
    return True, obj


def platform_drift(
    key: ObjectKey, current: Mapping[str, Any], want: Mapping[str, Any], table: OwnershipTable
) -> list[DriftFinding]:
    """Fields KubeVirt wrote that the code does not declare: listed on request, never a change.

    The instancetype or preference KubeVirt inferred is listed too, where the code asked for inference.
    """
    out: list[DriftFinding] = []
    for row in PLATFORM_FIELDS:
        if row.kind != key.kind:
            continue
        if row.treatment is Treatment.INFERRED:
            matcher = str(row.pattern[1])
            if (
                matcher not in INFERRED_MATCHERS
                or not _lookup(want, as_path(("spec", matcher, "inferFromVolume")))[0]
            ):
                continue
        elif row.treatment is not Treatment.WRITTEN:
            continue
        if any(isinstance(item, Wildcard) for item in row.pattern):
            continue
        segments = as_path(row.pattern)
        present, value = _lookup(current, segments)
        declared, _ = _lookup(want, segments)
        if not present or declared:
            continue
        owner = who_changed(segments, table)
        out.append(
            DriftFinding(
                key=key,
                kind=DriftKind.PLATFORM,
                path=format_path(segments),
                live=value,
                manager=owner.manager if owner else "",
                operation=owner.operation if owner else "",
                time=owner.time if owner else "",
                reason=row.reason,
            )
        )
    return out
