"""What the platform writes: fields the API server and KubeVirt set on objects that we never declare.

A plan must not show them as changes (they are dropped, or pruned because we do not declare them) and drift
lists them only on request. The simulator in the development cluster keeps its own copy on purpose: it plays
KubeVirt and must not share our beliefs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pulumi_kubevirt.facts.kinds import VM
from pulumi_kubevirt.facts.pattern import ITEM, Pattern
from pulumi_kubevirt.facts.source import Upstream, kubevirt

_META = Upstream("kubernetes/apimachinery", "pkg/apis/meta/v1/types.go", "ObjectMeta")


@dataclass(frozen=True, slots=True)
class DroppedField:
    """A top-level or metadata field removed from live objects before any comparison."""

    path: Pattern
    reason: str
    source: Upstream


SERVER_METADATA: tuple[DroppedField, ...] = (
    DroppedField(
        ("status",),
        "observed state, written by controllers",
        Upstream("kubernetes", "API conventions", "status"),
    ),
    DroppedField(("metadata", "uid"), "assigned by the API server", _META),
    DroppedField(("metadata", "resourceVersion"), "changes on every write", _META),
    DroppedField(("metadata", "generation"), "incremented by the API server", _META),
    DroppedField(
        ("metadata", "managedFields"),
        "field ownership, read for drift only",
        Upstream("kubernetes", "server-side apply", "managedFields"),
    ),
    DroppedField(("metadata", "creationTimestamp"), "assigned by the API server", _META),
    DroppedField(
        ("metadata", "selfLink"), "legacy, server-written", Upstream("kubernetes/enhancements", "KEP-1164")
    ),
    DroppedField(
        ("metadata", "ownerReferences"),
        "we never set owners (disks are standalone); controllers that adopt objects write them",
        Upstream("pulumi-kubevirt", "DESIGN.md", "disks are standalone DataVolumes"),
    ),
    DroppedField(
        ("metadata", "finalizers"),
        "written by controllers (kubevirt.io/virtualMachineControllerFinalize, CDI, pvc-protection); "
        "never set by us",
        kubevirt("pkg/virt-controller/watch/vm/vm.go", "addVMFinalizer"),
    ),
    DroppedField(("metadata", "deletionTimestamp"), "set while an object is going away", _META),
    DroppedField(("metadata", "deletionGracePeriodSeconds"), "set while an object is going away", _META),
)

DROPPED_TOP = frozenset(str(f.path[0]) for f in SERVER_METADATA if len(f.path) == 1)
DROPPED_METADATA = frozenset(str(f.path[1]) for f in SERVER_METADATA if f.path[0] == "metadata")


class Treatment(enum.StrEnum):
    """How a platform-written field is neutralised."""

    WRITTEN = "written"
    REMOVED_AFTER_UNPLUG = "removed-after-unplug"
    REPORTED = "reported"
    INFERRED = "inferred"


@dataclass(frozen=True, slots=True)
class PlatformField:
    """A field KubeVirt writes itself: never a change in a plan, a ``platform`` drift finding on request."""

    kind: str
    pattern: Pattern
    treatment: Treatment
    reason: str
    source: Upstream


_TEMPLATE = ("spec", "template", "spec")
_INFER_HANDLER = "pkg/instancetype/infer/handler.go"
_INFER_MUTATOR = "pkg/instancetype/webhooks/vm/mutator.go"
INFERRED_MATCHERS = ("instancetype", "preference")
"""The VM matchers KubeVirt can infer from a volume (``spec.<matcher>.inferFromVolume``)."""
INFER_IGNORE = "Ignore"
"""The failure policy under which a failed inference drops the matcher and a successful one the memory."""
_MUTATOR = "pkg/virt-api/webhooks/mutating-webhook/mutators/vm-mutator.go"
PLATFORM_FIELDS: tuple[PlatformField, ...] = (
    PlatformField(
        VM,
        (*_TEMPLATE, "domain", "firmware", "uuid"),
        Treatment.WRITTEN,
        "the VM mutating webhook generates a firmware UUID when the VM is created (the VM controller's "
        "firmware synchronizer persists a name-derived one for older VMs)",
        kubevirt(_MUTATOR, "setFirmwareDefaultsIfEmpty; pkg/virt-controller/watch/vm/firmware.go Sync"),
    ),
    PlatformField(
        VM,
        (*_TEMPLATE, "domain", "firmware", "serial"),
        Treatment.WRITTEN,
        "the VM mutating webhook generates a firmware serial alongside the UUID when the VM is created",
        kubevirt(_MUTATOR, "setFirmwareDefaultsIfEmpty"),
    ),
    PlatformField(
        VM,
        (*_TEMPLATE, "domain", "machine", "type"),
        Treatment.WRITTEN,
        "the default machine type of the VM's architecture is filled in",
        kubevirt("pkg/defaults/defaults.go", "setVMDefaultMachineType"),
    ),
    PlatformField(
        VM,
        (*_TEMPLATE, "architecture"),
        Treatment.WRITTEN,
        "the default architecture (or the one labelled on the boot DataSource) is filled in",
        kubevirt("pkg/defaults/defaults.go", "setDefaultArchitecture; setDefaultArchitectureFromDataSource"),
    ),
    PlatformField(
        VM,
        ("spec", "template", "metadata", "annotations", "kubevirt.io/pci-topology-version"),
        Treatment.WRITTEN,
        "records the PCI topology version so device addresses stay stable across restarts",
        kubevirt(
            _MUTATOR,
            "setDefaultPciTopologyVersion; pkg/virt-controller/watch/vm/vm.go syncPCITopologyAnnotationsToVM",
        ),
    ),
    PlatformField(
        VM,
        ("spec", "instancetype", "revisionName"),
        Treatment.WRITTEN,
        "KubeVirt before v1.5 stored the instancetype's ControllerRevision here; v1.9 stores it in "
        "status.instancetypeRef and still honours a revisionName already present",
        kubevirt("pkg/instancetype/find/revision.go", "revision lookup; pkg/instancetype/revision/store.go"),
    ),
    PlatformField(
        VM,
        ("spec", "preference", "revisionName"),
        Treatment.WRITTEN,
        "KubeVirt before v1.5 stored the preference's ControllerRevision here; v1.9 stores it in "
        "status.preferenceRef and still honours a revisionName already present",
        kubevirt("pkg/instancetype/find/revision.go", "revision lookup; pkg/instancetype/revision/store.go"),
    ),
    *(
        PlatformField(
            VM,
            ("spec", matcher, field),
            Treatment.INFERRED,
            f"asked for with inferFromVolume, the {matcher} is written by KubeVirt's VM mutating webhook on "
            "every create and update: it replaces inferFromVolume (and its failure policy) with the name and "
            "kind labelled on the volume's DataVolume, DataSource or PVC (instancetype.kubevirt.io/"
            f"default-{matcher}{'' if field == 'name' else '-kind'}); under failure policy Ignore it drops "
            "the matcher when no label is found",
            kubevirt(_INFER_HANDLER, f"{matcher.capitalize()}; {_INFER_MUTATOR} inferMatchers"),
        )
        for matcher in INFERRED_MATCHERS
        for field in ("name", "kind")
    ),
    PlatformField(
        VM,
        (*_TEMPLATE, "domain", "memory"),
        Treatment.INFERRED,
        "with an instancetype inferred under failure policy Ignore, the webhook drops the fallback memory "
        "once it has found the instancetype (which sizes the VM instead)",
        kubevirt(_INFER_HANDLER, "Instancetype"),
    ),
    PlatformField(
        VM,
        (*_TEMPLATE, "domain", "devices", "interfaces", ITEM),
        Treatment.REMOVED_AFTER_UNPLUG,
        "an interface marked state: absent is removed from the VM once it has been unplugged",
        kubevirt("pkg/network/controllers/vm.go", "clearDetachedIfacesFromVM"),
    ),
    PlatformField(
        VM,
        (*_TEMPLATE, "networks", ITEM),
        Treatment.REMOVED_AFTER_UNPLUG,
        "the network of an unplugged interface is removed with it",
        kubevirt("pkg/network/controllers/vm.go", "clearDetachedIfacesFromVM"),
    ),
    PlatformField(
        VM,
        ("spec", "runStrategy"),
        Treatment.REPORTED,
        "virtctl start/stop flips the run strategy: this is drift owned by another manager, reported",
        kubevirt("pkg/virt-api/rest/lifecycle.go", "StartVMRequestHandler; StopVMRequestHandler"),
    ),
)
