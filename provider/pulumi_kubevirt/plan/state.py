"""What the live reader hands the plan engine: raw objects keyed by identity, and the cluster around them.

This is the one contract between the I/O edge (``pulumi_kubevirt.live``) and the pure engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Manifest = Mapping[str, Any]


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    """An object's identity: API group (``""`` for core), kind, namespace (``""`` if cluster-scoped), name."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, manifest: Manifest) -> ObjectKey:
        api_version = str(manifest.get("apiVersion", ""))
        group = api_version.rpartition("/")[0]
        metadata = manifest.get("metadata") or {}
        kind = str(manifest.get("kind", ""))
        return cls(group, kind, str(metadata.get("namespace", "")), str(metadata["name"]))

    def display(self) -> str:
        """``VirtualMachine prod/web``."""
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


@dataclass(frozen=True, slots=True)
class LiveState:
    """Everything read from the cluster for one plan, read with one LIST per kind and namespace.

    ``objects`` holds the stack's objects and the ones found by desired name (raw, as the API returned them),
    plus the VMIs and PVCs behind them. ``unmanaged`` lists those found by name that lack this stack's labels.
    """

    objects: Mapping[ObjectKey, Manifest] = field(default_factory=dict)
    kubevirt: Manifest | None = None
    storage_classes: Mapping[str, Manifest] = field(default_factory=dict)
    snapshots: Mapping[ObjectKey, Manifest] = field(default_factory=dict)
    """Every VirtualMachineSnapshot in the stack's namespaces, ours or not (read only when the stack uses
    snapshots): what a restore restores from, what retention counts."""
    snapshot_classes: tuple[Manifest, ...] | None = ()
    """The cluster's VolumeSnapshotClasses; ``None`` when it does not serve the kind."""
    storage_profiles: Mapping[str, Manifest] = field(default_factory=dict)
    """CDI StorageProfiles by storage class name (their ``status.snapshotClass``)."""
    unmanaged: frozenset[ObjectKey] = frozenset()
    missing_kinds: tuple[str, ...] = ()
    missing_namespaces: tuple[str, ...] = ()
    cluster: str = ""
