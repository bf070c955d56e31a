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
MIN_HOTPLUG_MEMORY_BYTES = 1 << 30


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
    """How a live-updatable field is judged before it is propagated to the running VMI."""

    ALWAYS = "always"
    SOCKETS_WITHIN_MAX = "sockets-within-max"
    GUEST_WITHIN_MAX = "guest-within-max"
    HOTPLUG_ONLY = "hotplug-only"


@dataclass(frozen=True, slots=True)
class LiveUpdatableField:
    """A field under ``spec.template.spec`` that LiveUpdate propagates without a restart."""

    path: tuple[str, ...]
    check: LiveUpdateCheck
    via_migration: bool
    reason: str
    upstream: str


LIVE_UPDATABLE: tuple[LiveUpdatableField, ...] = (
    LiveUpdatableField(
        ("domain", "cpu", "sockets"),
        LiveUpdateCheck.SOCKETS_WITHIN_MAX,
        True,
        "vCPU hotplug adds sockets up to maxSockets; fewer sockets need a restart",
        "kubevirt pkg/virt-controller/watch/vm/vm.go addRestartRequiredIfNeeded, handleCPUChangeRequest",
    ),
    LiveUpdatableField(
        ("domain", "memory", "guest"),
        LiveUpdateCheck.GUEST_WITHIN_MAX,
        True,
        "memory hotplug grows guest memory up to maxGuest, from at least 1Gi, never below the boot size",
        "kubevirt pkg/virt-controller/watch/vm/vm.go handleMemoryHotplugRequest",
    ),
    LiveUpdatableField(
        ("nodeSelector",),
        LiveUpdateCheck.ALWAYS,
        True,
        "placement changes are carried out by migrating to a matching node",
        "kubevirt pkg/virt-controller/watch/vm/vm.go handleAffinityChangeRequest",
    ),
    LiveUpdatableField(
        ("affinity",),
        LiveUpdateCheck.ALWAYS,
        True,
        "placement changes are carried out by migrating to a matching node",
        "kubevirt pkg/virt-controller/watch/vm/vm.go handleAffinityChangeRequest",
    ),
    LiveUpdatableField(
        ("tolerations",),
        LiveUpdateCheck.ALWAYS,
        True,
        "placement changes are carried out by migrating to a matching node",
        "kubevirt pkg/virt-controller/watch/vm/vm.go handleTolerationsChangeRequest",
    ),
    LiveUpdatableField(
        ("volumes",),
        LiveUpdateCheck.HOTPLUG_ONLY,
        False,
        "only volumes marked hotpluggable may be added or removed on a running VM",
        "kubevirt pkg/virt-controller/watch/vm/vm.go validLiveUpdateVolumes",
    ),
    LiveUpdatableField(
        ("domain", "devices", "disks"),
        LiveUpdateCheck.HOTPLUG_ONLY,
        False,
        "only disks of hotpluggable volumes may be added or removed on a running VM",
        "kubevirt pkg/virt-controller/watch/vm/vm.go validLiveUpdateDisks",
    ),
)

# Quantity-valued keys under a VM template: KubeVirt compares them by value (equality.Semantic).
QUANTITY_KEYS = frozenset(
    {"memory", "storage", "cpu", "guest", "maxGuest", "overcommitGuestOverhead", "pageSize"}
)
