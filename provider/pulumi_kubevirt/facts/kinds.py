"""The kinds we emit, the order they are applied in, and which of them hold a disk's data.

One table for the apply order: ``compile.emit`` sorts rendered manifests with it and the planner orders a
plan with it; deletes run in the reverse order. A kind not in the table goes after every kind in it (it may
reference any of them), ordered by its name.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_kubevirt.facts.source import THIS_PROJECT, Upstream, kubevirt

NAMESPACE = "Namespace"
NAD = "NetworkAttachmentDefinition"
CONFIG_MAP = "ConfigMap"
SECRET = "Secret"
PVC = "PersistentVolumeClaim"
DV = "DataVolume"
VM = "VirtualMachine"
VMI = "VirtualMachineInstance"
SERVICE = "Service"
MIGRATION_POLICY = "MigrationPolicy"
VM_POOL = "VirtualMachinePool"
VM_CLONE = "VirtualMachineClone"


@dataclass(frozen=True, slots=True)
class ApplyStep:
    """One kind's place in the apply order and why it comes there."""

    kind: str
    reason: str
    source: Upstream


APPLY_ORDER: tuple[ApplyStep, ...] = (
    ApplyStep(
        NAMESPACE, "everything else lives in it", Upstream("kubernetes", "API conventions: namespaces")
    ),
    ApplyStep(
        NAD,
        "a VM whose network names a missing attachment cannot start its pod",
        kubevirt("pkg/network/vmispec", "multus network lookup"),
    ),
    ApplyStep(CONFIG_MAP, "VMs mount them as volumes", kubevirt("pkg/virt-controller/services/template.go")),
    ApplyStep(
        SECRET,
        "cloud-init and SSH-key Secrets must exist before the VM that reads them starts",
        kubevirt("pkg/virt-controller/services/template.go", "secret volume sources"),
    ),
    ApplyStep(PVC, "a VM's disk claims exist before the VM", kubevirt("pkg/virt-controller/watch/vm/vm.go")),
    ApplyStep(
        DV,
        "a VM waits for its DataVolumes (handleDataVolumes); creating them first starts the import early",
        kubevirt("pkg/virt-controller/watch/vm/vm.go", "handleDataVolumes"),
    ),
    ApplyStep(
        MIGRATION_POLICY,
        "cluster-wide and read when a migration starts: in place before the VMs it selects can migrate",
        kubevirt("pkg/virt-controller/watch/migration/migration.go", "resolveMigrationConfig"),
    ),
    ApplyStep(VM, "after what it references", Upstream(THIS_PROJECT, "DESIGN.md", "apply order")),
    ApplyStep(
        VM_POOL,
        "its members reference the same Secrets and networks a VM does",
        kubevirt("pkg/virt-controller/watch/pool/pool.go", "scaleOut"),
    ),
    ApplyStep(
        VM_CLONE,
        "a clone waits for its source VM (or snapshot): created after the VMs it copies",
        kubevirt("pkg/virt-controller/watch/clone/clone.go", "sync (ErrSourceDoesntExist)"),
    ),
    ApplyStep(
        SERVICE,
        "selects the VM's pods by the template label; nothing references it",
        Upstream(THIS_PROJECT, "DESIGN.md", "apply order"),
    ),
)

KIND_RANK: dict[str, int] = {step.kind: rank for rank, step in enumerate(APPLY_ORDER)}
UNKNOWN_KIND_RANK = len(APPLY_ORDER)
"""Kinds not in ``APPLY_ORDER`` go after every known kind."""


def kind_rank(kind: str) -> int:
    """The apply rank of a kind; unknown kinds share the last rank (callers then order them by name)."""
    return KIND_RANK.get(kind, UNKNOWN_KIND_RANK)


@dataclass(frozen=True, slots=True)
class DataKind:
    """A kind whose deletion or replacement deletes a disk's data: the components ``protect`` it."""

    kind: str
    reason: str
    source: Upstream


DATA_KINDS: tuple[DataKind, ...] = (
    DataKind(
        DV,
        "deleting a DataVolume deletes the claim it owns, and with it the disk",
        Upstream(
            "kubevirt/containerized-data-importer",
            "pkg/controller/datavolume/controller-base.go",
            "claim owned by the DataVolume",
        ),
    ),
    DataKind(
        PVC,
        "deleting a claim releases its volume; with the usual Delete reclaim policy the data is gone",
        Upstream(
            "kubernetes/kubernetes",
            "pkg/controller/volume/persistentvolume/pv_controller.go",
            "reclaimVolume",
        ),
    ),
)
DATA_KIND_NAMES = frozenset(d.kind for d in DATA_KINDS)
