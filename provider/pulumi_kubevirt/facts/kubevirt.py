"""KubeVirt's cluster configuration as it matters to a plan: rollout strategy, workload updates, feature gates
and the hot-plug limits, with their defaults at the pinned version.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from pulumi_kubevirt.facts.source import Upstream, kubevirt

T = TypeVar("T")


class RolloutStrategy(enum.StrEnum):
    """``spec.configuration.vmRolloutStrategy`` of the KubeVirt CR."""

    STAGE = "Stage"
    LIVE_UPDATE = "LiveUpdate"


class WorkloadUpdateMethod(enum.StrEnum):
    """``spec.workloadUpdateStrategy.workloadUpdateMethods`` of the KubeVirt CR."""

    LIVE_MIGRATE = "LiveMigrate"
    EVICT = "Evict"


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    """A default or a limit: its value, the rule it expresses, why, and where upstream sets it."""

    value: T
    rule: str
    reason: str
    source: Upstream


_VIRT_CONFIG = "pkg/virt-config/virt-config.go"
_VM_GO = "pkg/virt-controller/watch/vm/vm.go"

DEFAULT_ROLLOUT: Setting[RolloutStrategy] = Setting(
    RolloutStrategy.LIVE_UPDATE,
    "a KubeVirt CR that names no vmRolloutStrategy means LiveUpdate",
    "IsVMRolloutStrategyLiveUpdate returns true when the setting is nil; the default configuration sets "
    "DefaultVMRolloutStrategy = LiveUpdate (since v1.6)",
    kubevirt(_VIRT_CONFIG, "DefaultVMRolloutStrategy; ClusterConfig.IsVMRolloutStrategyLiveUpdate"),
)

DEFAULT_MAX_HOTPLUG_RATIO: Setting[int] = Setting(
    4,
    "without maxCpuSockets/maxGuest, a VMI may grow to 4x its boot sockets and guest memory",
    "the default liveUpdateConfiguration has MaxHotplugRatio = DefaultMaxHotplugRatio",
    kubevirt(_VIRT_CONFIG, "DefaultMaxHotplugRatio; pkg/virt-config/configuration.go defaultClusterConfig"),
)

MAX_DEFAULT_VCPUS: Setting[int] = Setting(
    512,
    "a computed maxSockets is capped so that maxSockets x cores x threads stays within 512 vCPUs",
    "each machine type has its own vCPU maximum; KubeVirt picks 512 as the upper bound",
    kubevirt("pkg/defaults/defaults.go", "setupCPUHotplug"),
)

MIN_HOTPLUG_MEMORY: Setting[Decimal] = Setting(
    Decimal(2**30),
    "memory hot-plug needs at least 1Gi of guest memory",
    "enough for the guest kernel's data structures and swiotlb, and the PCI hole lies in the first 1Gi",
    kubevirt("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory (requiredMinGuestMemory)"),
)

HOTPLUG_MEMORY_ALIGNMENT: Setting[Decimal] = Setting(
    Decimal(2 * 2**20),
    "guest memory and maxGuest must be multiples of 2Mi for hot-plug (1Gi with 1Gi hugepages)",
    "virtio-mem blocks must be at least a transparent hugepage (2MiB on x86_64)",
    kubevirt("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory (HotplugBlockAlignmentBytes)"),
)

HOTPLUG_MEMORY_ALIGNMENT_1G_HUGEPAGES: Setting[Decimal] = Setting(
    Decimal(2**30),
    "with 1Gi hugepages, guest memory and maxGuest must be multiples of 1Gi for hot-plug",
    "virtio-mem blocks must be at least a hugepage",
    kubevirt(
        "pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory (Hotplug1GHugePagesBlockAlignmentBytes)"
    ),
)

MEMORY_HOTPLUG_ARCHITECTURES: Setting[frozenset[str]] = Setting(
    frozenset({"amd64"}),
    "memory hot-plug is only available for x86_64 VMs",
    "ValidateLiveUpdateMemory rejects any other architecture",
    kubevirt("pkg/liveupdate/memory/memory.go", "ValidateLiveUpdateMemory"),
)

CPU_HOTPLUG_UNSUPPORTED_ARCHITECTURES: Setting[frozenset[str]] = Setting(
    frozenset({"arm64"}),
    "CPU hot-plug is not available on ARM",
    'handleCPUChangeRequest sets RestartRequired ("ARM doesn\'t support CPU hotplug"); defaults skip '
    "setupHotplug on ARM64",
    kubevirt("pkg/virt-controller/watch/vm/vm.go", "handleCPUChangeRequest; pkg/defaults/defaults.go"),
)

HOTPLUG_INTERFACE_BINDINGS: Setting[frozenset[str]] = Setting(
    frozenset({"bridge", "sriov"}),
    "only bridge and SR-IOV interfaces are hot-plugged into a running VMI",
    "the VM network synchronizer adds a new interface to the VMI only for these bindings",
    kubevirt("pkg/network/controllers/vm.go", "applyDynamicIfaceRequestOnVMI"),
)

UNPLUG_INTERFACE_BINDINGS: Setting[frozenset[str]] = Setting(
    frozenset({"bridge"}),
    "state: absent (hot-unplug) is accepted only for bridge interfaces on a secondary network",
    "the admitter rejects absent on other bindings and on the default network",
    kubevirt("pkg/network/admitter/admit.go", "validateInterfaceStateValue"),
)


RESTART_REQUIRED: Setting[str] = Setting(
    "RestartRequired",
    "a VM whose template changed in a way the running VMI cannot take has the condition "
    "RestartRequired=True; its message says why; it stays until the VMI is created again",
    "syncRestartRequired sets it (message: a non-live-updatable field was changed in the template spec), as "
    "do the CPU and memory hot-plug handlers with their own messages; cleanupRestartRequired removes it when "
    "a VMI is started or stopped",
    kubevirt(_VM_GO, "setRestartRequired; syncRestartRequired; cleanupRestartRequired"),
)


class GateState(enum.StrEnum):
    """Maturity of a KubeVirt feature gate; Beta gates are on unless disabled (Alpha ones are off)."""

    BETA = "Beta"
    GA = "GA"
    DEPRECATED = "Deprecated"


@dataclass(frozen=True, slots=True)
class FeatureGate:
    """A KubeVirt feature gate the plan depends on, and its state at the pinned version."""

    name: str
    state: GateState
    reason: str
    source: Upstream

    def enabled(self, enabled: Collection[str], disabled: Collection[str]) -> bool:
        """GA is always on; then an explicit enable, an explicit disable, Beta on by default, else off."""
        if self.state is GateState.GA:
            return True
        if self.name in enabled:
            return True
        if self.name in disabled:
            return False
        return self.state is GateState.BETA


_GATES = "pkg/virt-config/featuregate"
DECLARATIVE_HOTPLUG_VOLUMES = FeatureGate(
    "DeclarativeHotplugVolumes",
    GateState.BETA,
    "adding or removing a hotpluggable volume in the VM spec attaches or detaches it live",
    kubevirt(f"{_GATES}/active.go", "DeclarativeHotplugVolumesGate; featuregate.IsEnabled"),
)
HOTPLUG_VOLUMES = FeatureGate(
    "HotplugVolumes",
    GateState.DEPRECATED,
    "the older virtctl addvolume flow; when enabled, the VM controller skips declarative hot-plug",
    kubevirt(
        f"{_GATES}/inactive.go",
        "HotplugVolumesGate; pkg/virt-controller/watch/vm/vm.go handleDeclarativeVolumeHotplug",
    ),
)
