"""What the simulator knows about KubeVirt v1.9 and CDI v1.66, as data: vocabularies, defaults, live updates.

These tables are the simulator's own reading of the upstream sources named on each row. They are deliberately
not shared with the plan engine: the simulator stands in for KubeVirt, so the engine's tests can catch the
engine disagreeing with it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

FAILURE_ANNOTATION = "simulator.pulumi-kubevirt/failure"
VM_GENERATION_ANNOTATION = "kubevirt.io/vm-generation"
PCI_TOPOLOGY_ANNOTATION = "kubevirt.io/pci-topology-version"
PCI_TOPOLOGY_VERSION = "v3"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
NODE_NAMES = ("sim-node-1", "sim-node-2")
RESTART_REQUIRED_MESSAGE = "a non-live-updatable field was changed in the template spec"
DEFAULT_HOTPLUG_RATIO = 4
CDI_FILESYSTEM_OVERHEAD = "0.06"
"""CDI v1.66.0 pkg/common/common.go DefaultGlobalOverhead (storage-API Filesystem claims)."""
CDI_ALIGN_BYTES = 1 << 20
"""CDI v1.66.0 pkg/util/util.go DefaultAlignBlockSize (GetRequiredSpace aligns the size up first)."""
MAX_HOTPLUG_VCPUS = 512
MIN_HOTPLUG_MEMORY_BYTES = 1 << 30
HOTPLUG_BLOCK_ALIGNMENT_BYTES = 1 << 21
WORKLOAD_UPDATE_ANNOTATION = "kubevirt.io/workloadUpdateMigration"
WORKLOAD_UPDATE_NAME_PREFIX = "kubevirt-workload-update-"


class Manager(enum.StrEnum):
    """Field managers the simulator writes under, one per upstream component it stands in for."""

    VIRT_CONTROLLER = "virt-controller"
    VIRT_HANDLER = "virt-handler"
    VIRT_API = "virt-api"
    CDI_CONTROLLER = "cdi-controller"
    PV_BINDER = "kube-controller-manager"
    RESIZER = "csi-resizer"
    VIRTCTL = "virtctl"
    FAILURE_INJECTOR = "simulator-failure-injector"


class RunStrategy(enum.StrEnum):
    ALWAYS = "Always"
    RERUN_ON_FAILURE = "RerunOnFailure"
    HALTED = "Halted"
    MANUAL = "Manual"
    ONCE = "Once"


class RolloutStrategy(enum.StrEnum):
    STAGE = "Stage"
    LIVE_UPDATE = "LiveUpdate"


class FailureMode(enum.StrEnum):
    """Faults a test switches on with the failure annotation on a VM or a DataVolume."""

    IMPORT_ERROR = "import-error"
    UNSCHEDULABLE = "unschedulable"
    ERR_IMAGE_PULL = "err-image-pull"
    NO_IP = "no-ip"
    NO_AGENT = "no-agent"


class PrintableStatus(enum.StrEnum):
    STOPPED = "Stopped"
    PROVISIONING = "Provisioning"
    STARTING = "Starting"
    RUNNING = "Running"
    STOPPING = "Stopping"
    TERMINATING = "Terminating"
    ERROR_UNSCHEDULABLE = "ErrorUnschedulable"
    ERR_IMAGE_PULL = "ErrImagePull"
    ERROR_PVC_NOT_FOUND = "ErrorPvcNotFound"
    DATA_VOLUME_ERROR = "DataVolumeError"
    WAITING_FOR_VOLUME_BINDING = "WaitingForVolumeBinding"


class VmiPhase(enum.StrEnum):
    PENDING = "Pending"
    SCHEDULING = "Scheduling"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class DataVolumePhase(enum.StrEnum):
    PENDING = "Pending"
    IMPORT_SCHEDULED = "ImportScheduled"
    IMPORT_IN_PROGRESS = "ImportInProgress"
    UPLOAD_SCHEDULED = "UploadScheduled"
    UPLOAD_READY = "UploadReady"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"


class SourceFlow(enum.StrEnum):
    """How CDI populates a DataVolume, by source kind."""

    IMPORT = "import"
    UPLOAD = "upload"
    IMMEDIATE = "immediate"


@dataclass(frozen=True, slots=True)
class SourceRule:
    source: str
    flow: SourceFlow
    reason: str
    upstream: str


DATA_VOLUME_SOURCES: tuple[SourceRule, ...] = (
    SourceRule(
        "http",
        SourceFlow.IMPORT,
        "an importer pod downloads the image",
        "cdi pkg/controller/import-controller.go",
    ),
    SourceRule(
        "registry",
        SourceFlow.IMPORT,
        "an importer pod pulls the image",
        "cdi pkg/controller/import-controller.go",
    ),
    SourceRule(
        "s3",
        SourceFlow.IMPORT,
        "an importer pod downloads the object",
        "cdi pkg/controller/import-controller.go",
    ),
    SourceRule(
        "gcs",
        SourceFlow.IMPORT,
        "an importer pod downloads the object",
        "cdi pkg/controller/import-controller.go",
    ),
    SourceRule(
        "imageio", SourceFlow.IMPORT, "an importer pod reads oVirt", "cdi pkg/controller/import-controller.go"
    ),
    SourceRule(
        "vddk", SourceFlow.IMPORT, "an importer pod reads vSphere", "cdi pkg/controller/import-controller.go"
    ),
    SourceRule(
        "upload",
        SourceFlow.UPLOAD,
        "waits for virtctl image-upload",
        "cdi pkg/controller/upload-controller.go",
    ),
    SourceRule(
        "blank", SourceFlow.IMMEDIATE, "nothing to copy", "cdi pkg/controller/datavolume/import-controller.go"
    ),
    SourceRule(
        "pvc",
        SourceFlow.IMMEDIATE,
        "a clone: host-assisted or smart",
        "cdi pkg/controller/datavolume/pvc-clone-controller.go",
    ),
    SourceRule(
        "snapshot",
        SourceFlow.IMMEDIATE,
        "a clone from a snapshot",
        "cdi pkg/controller/datavolume/snapshot-clone-controller.go",
    ),
)


@dataclass(frozen=True, slots=True)
class PlatformDefault:
    """A field KubeVirt writes into a VM when it is missing, with who writes it and why."""

    path: tuple[str, ...]
    manager: Manager
    reason: str
    upstream: str


PLATFORM_DEFAULTS: tuple[PlatformDefault, ...] = (
    PlatformDefault(
        ("spec", "template", "spec", "domain", "firmware", "uuid"),
        Manager.VIRT_CONTROLLER,
        "a stable SMBIOS UUID across restarts: uuid5 of the VM name in KubeVirt's fixed namespace",
        "kubevirt pkg/virt-controller/watch/vm/firmware.go CalculateLegacyFirmwareUUID",
    ),
    PlatformDefault(
        ("spec", "template", "spec", "domain", "firmware", "serial"),
        Manager.VIRT_CONTROLLER,
        "a stable SMBIOS serial, persisted with the UUID",
        "kubevirt pkg/virt-controller/watch/vm (firmware synchronizer)",
    ),
    PlatformDefault(
        ("spec", "template", "spec", "domain", "machine", "type"),
        Manager.VIRT_API,
        "the VM mutating webhook pins the emulated machine type of the cluster's architecture",
        "kubevirt pkg/virt-api/webhooks/mutating-webhook/mutators/vm-mutator.go setDefaultMachineType",
    ),
    PlatformDefault(
        ("spec", "template", "spec", "architecture"),
        Manager.VIRT_API,
        "the VM mutating webhook records the architecture the VM was defaulted for",
        "kubevirt pkg/virt-api/webhooks/mutating-webhook/mutators/vm-mutator.go setDefaultArchitecture",
    ),
    PlatformDefault(
        ("spec", "template", "metadata", "annotations", PCI_TOPOLOGY_ANNOTATION),
        Manager.VIRT_CONTROLLER,
        "freezes the PCI address layout so guests keep their device names across upgrades",
        "kubevirt pkg/virt-controller/watch/vm (pci topology, pci_topology_test.go)",
    ),
)


class LiveUpdateCheck(enum.StrEnum):
    """When ``syncRestartRequired`` lets a changed field through instead of asking for a restart."""

    CPU_ON_BOTH = "cpu-on-both"
    GUEST_SET = "guest-set"
    ALWAYS = "always"
    HOTPLUG_VOLUMES_ONLY = "hotplug-volumes-only"
    HOTPLUG_DISKS_ONLY = "hotplug-disks-only"
    NETWORK_HOTPLUG_ONLY = "network-hotplug-only"


class Propagation(enum.StrEnum):
    """What reaches the running VMI once a change got through, and whether it moves the guest."""

    HOTPLUG_BY_MIGRATION = (
        "the VMI spec is patched, a hot-plug condition is set, the workload updater migrates"
    )
    VMI_SPEC_ONLY = "the VMI spec is patched; nothing moves: the next migration's target pod uses it"
    ATTACHED_IN_PLACE = "the volume is attached to (or detached from) the running VMI, no migration"
    INTERFACE_BY_MIGRATION = (
        "the interface is added to the VMI spec; MigrationRequired makes the updater migrate"
    )


@dataclass(frozen=True, slots=True)
class LiveUpdatableField:
    """A field under ``spec.template.spec`` that ``syncRestartRequired`` does not count as a restart."""

    path: tuple[str, ...]
    check: LiveUpdateCheck
    live_update_only: bool
    propagation: Propagation
    reason: str
    upstream: str


_SYNC_RESTART_REQUIRED = "kubevirt pkg/virt-controller/watch/vm/vm.go syncRestartRequired"
LIVE_UPDATABLE: tuple[LiveUpdatableField, ...] = (
    LiveUpdatableField(
        ("volumes",),
        LiveUpdateCheck.HOTPLUG_VOLUMES_ONLY,
        False,
        Propagation.ATTACHED_IN_PLACE,
        "volumes may change only where hotpluggable (gate DeclarativeHotplugVolumes: Beta, on by default)",
        f"{_SYNC_RESTART_REQUIRED}, validLiveUpdateVolumes; pkg/storage/hotplug/hotplug.go "
        "HandleDeclarativeVolumes",
    ),
    LiveUpdatableField(
        ("domain", "devices", "disks"),
        LiveUpdateCheck.HOTPLUG_DISKS_ONLY,
        False,
        Propagation.ATTACHED_IN_PLACE,
        "disks may change only where their volume is hotpluggable; removing a CD-ROM restarts",
        f"{_SYNC_RESTART_REQUIRED}, validLiveUpdateDisks",
    ),
    LiveUpdatableField(
        ("domain", "devices", "interfaces"),
        LiveUpdateCheck.NETWORK_HOTPLUG_ONLY,
        False,
        Propagation.INTERFACE_BY_MIGRATION,
        "new interfaces and state changes are hot-plugged; changing or dropping a running one restarts",
        f"{_SYNC_RESTART_REQUIRED}; pkg/network/vmliveupdate/restart.go IsRestartRequired",
    ),
    LiveUpdatableField(
        ("networks",),
        LiveUpdateCheck.NETWORK_HOTPLUG_ONLY,
        False,
        Propagation.INTERFACE_BY_MIGRATION,
        "networks follow their interfaces; a Multus networkName may change (the VMI migrates to the new one)",
        f"{_SYNC_RESTART_REQUIRED}; pkg/network/vmliveupdate/restart.go haveNetsChangedIgnoringNADName",
    ),
    LiveUpdatableField(
        ("domain", "cpu", "sockets"),
        LiveUpdateCheck.CPU_ON_BOTH,
        True,
        Propagation.HOTPLUG_BY_MIGRATION,
        "vCPU hot-plug adds sockets up to maxSockets (only when both templates have a cpu block)",
        f"{_SYNC_RESTART_REQUIRED}; handleCPUChangeRequest",
    ),
    LiveUpdatableField(
        ("domain", "memory", "guest"),
        LiveUpdateCheck.GUEST_SET,
        True,
        Propagation.HOTPLUG_BY_MIGRATION,
        "memory hot-plug grows guest memory up to maxGuest, never below the boot size",
        f"{_SYNC_RESTART_REQUIRED}; handleMemoryHotplugRequest",
    ),
    LiveUpdatableField(
        ("nodeSelector",),
        LiveUpdateCheck.ALWAYS,
        True,
        Propagation.VMI_SPEC_ONLY,
        "copied to the VMI; the guest keeps its node (no hot-plug condition, so no migration)",
        f"{_SYNC_RESTART_REQUIRED}; handleAffinityChangeRequest, VMNodeSelectorPatch",
    ),
    LiveUpdatableField(
        ("affinity",),
        LiveUpdateCheck.ALWAYS,
        True,
        Propagation.VMI_SPEC_ONLY,
        "copied to the VMI; the guest keeps its node (no hot-plug condition, so no migration)",
        f"{_SYNC_RESTART_REQUIRED}; handleAffinityChangeRequest, VMIAffinityPatch",
    ),
    LiveUpdatableField(
        ("tolerations",),
        LiveUpdateCheck.ALWAYS,
        True,
        Propagation.VMI_SPEC_ONLY,
        "copied to the VMI; the guest keeps its node (no hot-plug condition, so no migration)",
        f"{_SYNC_RESTART_REQUIRED}; handleTolerationsChangeRequest, vmiTolerationsPatch",
    ),
)


class WorkloadUpdateMethod(enum.StrEnum):
    """``spec.workloadUpdateStrategy.workloadUpdateMethods`` of the KubeVirt CR; empty: nothing is done."""

    LIVE_MIGRATE = "LiveMigrate"
    EVICT = "Evict"


class HotplugCondition(enum.StrEnum):
    """VMI conditions that make the workload updater act (pkg/virt-controller/watch/workload-updater
    isHotplugInProgress)."""

    VCPU_CHANGE = "HotVCPUChange"
    MEMORY_CHANGE = "HotMemoryChange"
    MIGRATION_REQUIRED = "MigrationRequired"


# Quantity-valued keys under a VM template: KubeVirt compares them by value (equality.Semantic).
QUANTITY_KEYS = frozenset(
    {"memory", "storage", "cpu", "guest", "maxGuest", "overcommitGuestOverhead", "pageSize"}
)
