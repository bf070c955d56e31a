"""What one reconcile pass reads once and shares between the storage and VM controllers, plus small helpers.

Why one snapshot per pass: the real controllers work from informer caches; here one LIST per kind per pass
plays that role, and the controllers keep it up to date with their own writes so later steps see them.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt_devcluster.sim_api import ClusterDoor, JsonObject, JsonPatch, object_key
from pulumi_kubevirt_devcluster.sim_tables import (
    DEFAULT_CLASS_ANNOTATION,
    DEFAULT_HOTPLUG_RATIO,
    FAILURE_ANNOTATION,
    QUANTITY_KEYS,
    FailureMode,
    RolloutStrategy,
    WorkloadUpdateMethod,
)

Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """The parts of the KubeVirt CR the VM controller and the workload updater act on.

    Defaults are KubeVirt's: an unset ``vmRolloutStrategy`` means LiveUpdate (pkg/virt-config/virt-config.go
    IsVMRolloutStrategyLiveUpdate, DefaultVMRolloutStrategy), an empty ``workloadUpdateMethods`` means no
    automated migration or eviction (KubeVirt CRD, WorkloadUpdateStrategy).
    """

    rollout: RolloutStrategy = RolloutStrategy.LIVE_UPDATE
    workload_update_methods: frozenset[WorkloadUpdateMethod] = frozenset()
    hotplug_ratio: int = DEFAULT_HOTPLUG_RATIO
    max_cpu_sockets: int | None = None
    max_guest: str | None = None


@dataclass(slots=True)
class PassSnapshot:
    """The objects of one namespace (or all) as this pass sees them, indexed by (namespace, name)."""

    door: ClusterDoor
    config: ClusterConfig
    storage_classes: dict[str, JsonObject]
    default_class: str | None
    vms: dict[Key, JsonObject] = field(default_factory=dict)
    vmis: dict[Key, JsonObject] = field(default_factory=dict)
    data_volumes: dict[Key, JsonObject] = field(default_factory=dict)
    pvcs: dict[Key, JsonObject] = field(default_factory=dict)
    revisions: dict[Key, JsonObject] = field(default_factory=dict)
    migrations: dict[Key, JsonObject] = field(default_factory=dict)
    event_names: set[Key] = field(default_factory=set)


def index(items: Iterable[JsonObject]) -> dict[Key, JsonObject]:
    return {object_key(item): item for item in items}


def read_cluster_config(kubevirt: JsonObject | None) -> ClusterConfig:
    """Rollout strategy, workload update methods and hot-plug limits from the KubeVirt CR."""
    if kubevirt is None:
        return ClusterConfig()
    spec = kubevirt.get("spec", {}) or {}
    configuration = spec.get("configuration", {}) or {}
    rollout = (
        RolloutStrategy.STAGE
        if configuration.get("vmRolloutStrategy") == RolloutStrategy.STAGE
        else RolloutStrategy.LIVE_UPDATE
    )
    methods = (spec.get("workloadUpdateStrategy", {}) or {}).get("workloadUpdateMethods") or []
    known = {method.value for method in WorkloadUpdateMethod}
    live = configuration.get("liveUpdateConfiguration", {}) or {}
    return ClusterConfig(
        rollout=rollout,
        workload_update_methods=frozenset(WorkloadUpdateMethod(m) for m in methods if m in known),
        hotplug_ratio=int(live.get("maxHotplugRatio", DEFAULT_HOTPLUG_RATIO)),
        max_cpu_sockets=live.get("maxCpuSockets"),
        max_guest=live.get("maxGuest"),
    )


def default_storage_class(classes: dict[str, JsonObject]) -> str | None:
    for name, storage_class in sorted(classes.items()):
        annotations = storage_class.get("metadata", {}).get("annotations") or {}
        if annotations.get(DEFAULT_CLASS_ANNOTATION) == "true":
            return name
    return None


def failure_modes(obj: JsonObject) -> frozenset[FailureMode]:
    """Failure modes switched on by annotation; unknown words are ignored (``fail`` refuses them up front)."""
    annotations = obj.get("metadata", {}).get("annotations") or {}
    words = str(annotations.get(FAILURE_ANNOTATION, "")).replace(",", " ").split()
    known = {mode.value for mode in FailureMode}
    return frozenset(FailureMode(word) for word in words if word in known)


def stable_digest(*parts: str) -> bytes:
    return hashlib.sha256("/".join(parts).encode()).digest()


def owner_reference(owner: JsonObject, api_version: str, kind: str) -> JsonObject:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_uid(obj: JsonObject) -> str | None:
    for reference in obj.get("metadata", {}).get("ownerReferences") or []:
        if reference.get("controller"):
            return str(reference.get("uid"))
    return None


def controller_kind(obj: JsonObject) -> str | None:
    for reference in obj.get("metadata", {}).get("ownerReferences") or []:
        if reference.get("controller"):
            return str(reference.get("kind"))
    return None


def condition(condition_type: str, status: bool, reason: str = "", message: str = "") -> JsonObject:
    """A condition without timestamps: the simulator never reads the clock, so its writes are reproducible."""
    value: JsonObject = {"type": condition_type, "status": "True" if status else "False"}
    if reason:
        value["reason"] = reason
    if message:
        value["message"] = message
    return value


def find_condition(obj: JsonObject, condition_type: str) -> JsonObject | None:
    for existing in obj.get("status", {}).get("conditions") or []:
        if existing.get("type") == condition_type:
            return dict(existing)
    return None


def json_pointer(path: Iterable[str]) -> str:
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


def add_missing(obj: JsonObject, path: tuple[str, ...], value: Any) -> JsonPatch:
    """JSON patch ops that set ``path`` to ``value``, creating missing parents; mutates ``obj`` to match."""
    node: Any = obj
    for depth, part in enumerate(path[:-1]):
        child = node.get(part)
        if not isinstance(child, dict):
            nested: Any = value
            for inner in reversed(path[depth + 1 :]):
                nested = {inner: nested}
            node[part] = copy.deepcopy(nested)
            return [{"op": "add", "path": json_pointer(path[: depth + 1]), "value": nested}]
        node = child
    node[path[-1]] = copy.deepcopy(value)
    return [{"op": "add", "path": json_pointer(path), "value": value}]


def get_path(obj: Any, path: Iterable[str]) -> Any:
    node = obj
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def semantically_equal(left: Any, right: Any, key: str = "") -> bool:
    """KubeVirt's equality.Semantic for what matters here: quantities compare by value, not by spelling."""
    if isinstance(left, dict) and isinstance(right, dict):
        if left.keys() != right.keys():
            return False
        return all(semantically_equal(left[name], right[name], name) for name in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            semantically_equal(a, b, key) for a, b in zip(left, right, strict=True)
        )
    if left == right:
        return True
    if key in QUANTITY_KEYS:
        left_value, right_value = quantity_or_none(left), quantity_or_none(right)
        return left_value is not None and left_value == right_value
    return False
