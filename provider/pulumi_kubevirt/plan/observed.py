"""Cluster and per-VM facts the policy needs, parsed once from ``LiveState``.

Why: the same change is a live update on one cluster and a restart on another (rollout strategy, workload
update methods, feature gates, hot-plug limits, storage classes, run state). The policy reads these values,
never raw objects; the defaults they fall back to are platform facts (``facts.kubevirt``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.paths import value_at
from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt.facts import kubevirt as kv
from pulumi_kubevirt.facts.kinds import PVC, VMI
from pulumi_kubevirt.facts.kubevirt import RolloutStrategy
from pulumi_kubevirt.plan.model import PendingRestart
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

__all__ = [
    "DEFAULT_CLASS_ANNOTATION",
    "ClusterFacts",
    "RolloutStrategy",
    "VmFacts",
    "pending_restart",
    "pvc_key",
    "vmi_key",
]

DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Decimal | None:
    return quantity_or_none(text)


def _quantity(value: Any) -> Decimal | None:
    """A quantity or None; the few spellings a fleet uses (``2Gi``) are parsed once per process."""
    return _parsed(value) if isinstance(value, str) else quantity_or_none(value)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class ClusterFacts:
    """What the cluster's configuration says about how changes propagate."""

    cluster: str = ""
    kubevirt_found: bool = False
    rollout: RolloutStrategy = kv.DEFAULT_ROLLOUT.value
    workload_update_methods: tuple[str, ...] = ()
    max_hotplug_ratio: int = kv.DEFAULT_MAX_HOTPLUG_RATIO.value
    max_cpu_sockets: int | None = None
    max_guest: Decimal | None = None
    volume_hotplug_blocked_by: str = ""
    storage_expansion: Mapping[str, bool] = field(default_factory=dict)
    default_storage_class: str = ""

    @classmethod
    def from_live(cls, live: LiveState) -> ClusterFacts:
        config = value_at(live.kubevirt, "spec", "configuration") or {}
        rollout_raw = config.get("vmRolloutStrategy") if isinstance(config, Mapping) else None
        rollout = (
            RolloutStrategy(rollout_raw)
            if rollout_raw in tuple(RolloutStrategy)
            else kv.DEFAULT_ROLLOUT.value
        )
        methods = value_at(live.kubevirt, "spec", "workloadUpdateStrategy", "workloadUpdateMethods") or ()
        live_update = value_at(config, "liveUpdateConfiguration") or {}
        ratio = live_update.get("maxHotplugRatio")
        max_sockets = live_update.get("maxCpuSockets")
        enabled = _strings(value_at(config, "developerConfiguration", "featureGates"))
        disabled = _strings(value_at(config, "developerConfiguration", "disabledFeatureGates"))
        expansion: dict[str, bool] = {}
        default_class = ""
        for name, obj in sorted(live.storage_classes.items()):
            expansion[name] = bool(obj.get("allowVolumeExpansion", False))
            if (
                value_at(obj, "metadata", "annotations", DEFAULT_CLASS_ANNOTATION) == "true"
                and not default_class
            ):
                default_class = name
        return cls(
            cluster=live.cluster,
            kubevirt_found=live.kubevirt is not None,
            rollout=rollout,
            workload_update_methods=tuple(str(m) for m in methods),
            max_hotplug_ratio=ratio
            if isinstance(ratio, int) and ratio > 0
            else kv.DEFAULT_MAX_HOTPLUG_RATIO.value,
            max_cpu_sockets=max_sockets if isinstance(max_sockets, int) and max_sockets > 0 else None,
            max_guest=quantity_or_none(live_update.get("maxGuest")),
            volume_hotplug_blocked_by=_volume_hotplug_blocker(enabled, disabled),
            storage_expansion=expansion,
            default_storage_class=default_class,
        )

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


def _volume_hotplug_blocker(enabled: tuple[str, ...], disabled: tuple[str, ...]) -> str:
    """Why declarative volume hot-plug is off ("" when on): vm.go handleDeclarativeVolumeHotplug."""
    if kv.HOTPLUG_VOLUMES.enabled(enabled, disabled):
        return f"feature gate {kv.HOTPLUG_VOLUMES.name} is enabled"
    if not kv.DECLARATIVE_HOTPLUG_VOLUMES.enabled(enabled, disabled):
        return f"feature gate {kv.DECLARATIVE_HOTPLUG_VOLUMES.name} is disabled"
    return ""


@dataclass(frozen=True, slots=True)
class VmFacts:
    """The running state and hot-plug limits of one VM, from its live VM and VMI.

    A running VMI carries the limits KubeVirt computed at boot (``pkg/defaults`` setupHotplug); a VMI without
    ``maxGuest`` has memory hot-plug disabled. Without a VMI the limits are computed the same way, from the
    template and the cluster configuration.
    """

    running: bool = False
    printable_status: str = ""
    restart_pending: bool = False
    migratable: bool = True
    architecture: str = ""
    hugepages_1g: bool = False
    sockets: int | None = None
    max_sockets: int | None = None
    guest: Decimal | None = None
    guest_at_boot: Decimal | None = None
    max_guest: Decimal | None = None

    @classmethod
    def from_live(
        cls, vm: Mapping[str, Any] | None, vmi: Mapping[str, Any] | None, cluster: ClusterFacts
    ) -> VmFacts:
        phase = value_at(vmi, "status", "phase")
        running = vmi is not None and phase not in ("Succeeded", "Failed")
        restart = _restart_condition(vm)
        vmi_conditions = value_at(vmi, "status", "conditions") or []
        migratable = not any(
            isinstance(c, Mapping) and c.get("type") == "LiveMigratable" and c.get("status") == "False"
            for c in vmi_conditions
        )
        source = vmi if vmi is not None else value_at(vm, "spec", "template")
        domain = value_at(source, "spec", "domain") or {}
        cpu = domain.get("cpu") or {}
        memory = domain.get("memory") or {}
        sockets = cpu.get("sockets") if isinstance(cpu.get("sockets"), int) else None
        max_sockets = cpu.get("maxSockets") if isinstance(cpu.get("maxSockets"), int) else None
        guest = _quantity(memory.get("guest"))
        max_guest = _quantity(memory.get("maxGuest"))
        if vmi is None:
            max_sockets = max_sockets or _default_max_sockets(cpu, cluster)
            if max_guest is None and guest is not None:
                max_guest = cluster.max_guest or guest * cluster.max_hotplug_ratio
        return cls(
            running=running,
            printable_status=str(value_at(vm, "status", "printableStatus") or ""),
            restart_pending=restart is not None,
            migratable=migratable,
            architecture=str(
                value_at(source, "spec", "architecture")
                or value_at(vm, "spec", "template", "spec", "architecture")
                or ""
            ),
            hugepages_1g=value_at(memory, "hugepages", "pageSize") == "1Gi",
            sockets=sockets,
            max_sockets=max_sockets,
            guest=guest,
            guest_at_boot=_quantity(value_at(vmi, "status", "memory", "guestAtBoot")),
            max_guest=max_guest,
        )


def _default_max_sockets(cpu: Mapping[str, Any], cluster: ClusterFacts) -> int | None:
    """maxSockets as ``pkg/defaults`` setupCPUHotplug computes it for a VMI that names none."""
    sockets = cpu.get("sockets")
    if not isinstance(sockets, int):
        return None
    if cluster.max_cpu_sockets:
        return max(cluster.max_cpu_sockets, sockets)
    computed = sockets * cluster.max_hotplug_ratio
    per_socket = (cpu.get("cores") or 1) * (cpu.get("threads") or 1)
    if isinstance(per_socket, int) and computed * per_socket > kv.MAX_DEFAULT_VCPUS.value:
        computed = max(kv.MAX_DEFAULT_VCPUS.value // per_socket, sockets)
    return computed


def pending_restart(vm: Mapping[str, Any]) -> PendingRestart | None:
    """The restart an earlier apply left behind: the VM's ``RestartRequired`` condition, when true."""
    condition = _restart_condition(vm)
    if condition is None:
        return None
    return PendingRestart(str(condition.get("message") or ""), str(condition.get("lastTransitionTime") or ""))


def _restart_condition(vm: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The VM's ``RestartRequired`` condition when true (``facts.kubevirt`` RESTART_REQUIRED)."""
    for condition in value_at(vm, "status", "conditions") or []:
        if (
            isinstance(condition, Mapping)
            and condition.get("type") == kv.RESTART_REQUIRED.value
            and condition.get("status") == "True"
        ):
            return condition
    return None


def vmi_key(vm_key: ObjectKey) -> ObjectKey:
    """The VirtualMachineInstance behind a VirtualMachine (same namespace and name)."""
    return ObjectKey("kubevirt.io", VMI, vm_key.namespace, vm_key.name)


def pvc_key(dv_key: ObjectKey) -> ObjectKey:
    """The PersistentVolumeClaim behind a DataVolume (same namespace and name)."""
    return ObjectKey("", PVC, dv_key.namespace, dv_key.name)
