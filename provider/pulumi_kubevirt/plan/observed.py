"""Cluster and per-VM facts the policy needs, parsed once from ``LiveState``.

Why: the same change is a live update on one cluster and a restart on another (rollout strategy, hot-plug
limits, storage classes, run state). The policy reads these values, never raw objects.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

DEFAULT_MAX_HOTPLUG_RATIO = 4
"""KubeVirt's default ``liveUpdateConfiguration.maxHotplugRatio`` (source: kubevirt/kubevirt
pkg/virt-config/virt-config.go DefaultMaxHotplugRatio)."""

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


class RolloutStrategy(enum.StrEnum):
    """``spec.configuration.vmRolloutStrategy`` of the KubeVirt CR."""

    STAGE = "Stage"
    LIVE_UPDATE = "LiveUpdate"


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


@dataclass(frozen=True, slots=True)
class ClusterFacts:
    """What the cluster's configuration says about how changes propagate."""

    cluster: str = ""
    kubevirt_found: bool = False
    rollout: RolloutStrategy = RolloutStrategy.STAGE
    workload_update_methods: tuple[str, ...] = ()
    max_hotplug_ratio: int = DEFAULT_MAX_HOTPLUG_RATIO
    storage_expansion: Mapping[str, bool] = field(default_factory=dict)
    default_storage_class: str = ""

    @classmethod
    def from_live(cls, live: LiveState) -> ClusterFacts:
        config = _get(live.kubevirt, "spec", "configuration") or {}
        rollout_raw = config.get("vmRolloutStrategy") if isinstance(config, Mapping) else None
        rollout = RolloutStrategy.LIVE_UPDATE if rollout_raw == "LiveUpdate" else RolloutStrategy.STAGE
        methods = _get(live.kubevirt, "spec", "workloadUpdateStrategy", "workloadUpdateMethods") or ()
        ratio = _get(config, "liveUpdateConfiguration", "maxHotplugRatio")
        expansion: dict[str, bool] = {}
        default_class = ""
        for name, obj in sorted(live.storage_classes.items()):
            expansion[name] = bool(obj.get("allowVolumeExpansion", False))
            if _get(obj, "metadata", "annotations", DEFAULT_CLASS_ANNOTATION) == "true" and not default_class:
                default_class = name
        return cls(
            cluster=live.cluster,
            kubevirt_found=live.kubevirt is not None,
            rollout=rollout,
            workload_update_methods=tuple(str(m) for m in methods),
            max_hotplug_ratio=int(ratio)
            if isinstance(ratio, int) and ratio > 0
            else DEFAULT_MAX_HOTPLUG_RATIO,
            storage_expansion=expansion,
            default_storage_class=default_class,
        )

    @property
    def live_migrate(self) -> bool:
        """Whether KubeVirt migrates running VMIs to carry out live updates."""
        return "LiveMigrate" in self.workload_update_methods

    def summary(self) -> tuple[tuple[str, str], ...]:
        """Sorted ``(name, value)`` pairs for the plan header and JSON."""
        pairs = {
            "rollout": str(self.rollout)
            if self.kubevirt_found
            else f"{self.rollout} (KubeVirt CR not found)",
            "workload-update-methods": ",".join(self.workload_update_methods) or "none",
        }
        if self.default_storage_class:
            pairs["default-storage-class"] = self.default_storage_class
        return tuple(sorted(pairs.items()))


@dataclass(frozen=True, slots=True)
class VmFacts:
    """The running state and hot-plug limits of one VM, from its live VM and VMI."""

    running: bool = False
    printable_status: str = ""
    restart_pending: bool = False
    migratable: bool = True
    sockets: int | None = None
    max_sockets: int | None = None
    guest: Decimal | None = None
    max_guest: Decimal | None = None

    @classmethod
    def from_live(cls, vm: Mapping[str, Any] | None, vmi: Mapping[str, Any] | None, ratio: int) -> VmFacts:
        phase = _get(vmi, "status", "phase")
        running = vmi is not None and phase not in ("Succeeded", "Failed")
        conditions = _get(vm, "status", "conditions") or []
        restart_pending = any(
            isinstance(c, Mapping) and c.get("type") == "RestartRequired" and c.get("status") == "True"
            for c in conditions
        )
        vmi_conditions = _get(vmi, "status", "conditions") or []
        migratable = not any(
            isinstance(c, Mapping) and c.get("type") == "LiveMigratable" and c.get("status") == "False"
            for c in vmi_conditions
        )
        source = vmi if vmi is not None else _get(vm, "spec", "template")
        cpu = _get(source, "spec", "domain", "cpu") or {}
        memory = _get(source, "spec", "domain", "memory") or {}
        sockets = cpu.get("sockets") if isinstance(cpu.get("sockets"), int) else None
        max_sockets = cpu.get("maxSockets") if isinstance(cpu.get("maxSockets"), int) else None
        if max_sockets is None and sockets is not None:
            max_sockets = sockets * ratio
        guest = quantity_or_none(memory.get("guest"))
        max_guest = quantity_or_none(memory.get("maxGuest"))
        if max_guest is None and guest is not None:
            max_guest = guest * ratio
        return cls(
            running=running,
            printable_status=str(_get(vm, "status", "printableStatus") or ""),
            restart_pending=restart_pending,
            migratable=migratable,
            sockets=sockets,
            max_sockets=max_sockets,
            guest=guest,
            max_guest=max_guest,
        )


def vmi_key(vm_key: ObjectKey) -> ObjectKey:
    """The VirtualMachineInstance behind a VirtualMachine (same namespace and name)."""
    return ObjectKey("kubevirt.io", "VirtualMachineInstance", vm_key.namespace, vm_key.name)


def pvc_key(dv_key: ObjectKey) -> ObjectKey:
    """The PersistentVolumeClaim behind a DataVolume (same namespace and name)."""
    return ObjectKey("", "PersistentVolumeClaim", dv_key.namespace, dv_key.name)
