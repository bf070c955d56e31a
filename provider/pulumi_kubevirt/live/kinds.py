"""Which kinds the live reader lists, where they are served, and how it selects them: policy as data.

Known kinds skip API discovery (no extra request); any other kind found in desired manifests is resolved once
per group/version through discovery, so a kind nobody installed shows up as missing, never as an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class KindRef:
    """Where a kind is served: enough to build its collection URL."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def collection_path(self, namespace: str = "") -> str:
        """``/apis/kubevirt.io/v1/namespaces/prod/virtualmachines``; without a namespace: all of them."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            return f"{root}/namespaces/{namespace}/{self.plural}"
        return f"{root}/{self.plural}"

    def display(self) -> str:
        """``VirtualMachine (kubevirt.io/v1)``."""
        return f"{self.kind} ({self.api_version})"

    def with_version(self, version: str) -> KindRef:
        return replace(self, version=version)


class Selection(StrEnum):
    """How a kind's objects are picked out of a namespace."""

    LABELLED = "labelled"
    """LIST with the stack's label selector; one unfiltered LIST more only when a wanted name is missing."""
    UNFILTERED = "unfiltered"
    """LIST without a selector and keep only the names we need: others create these objects, unlabelled."""


@dataclass(frozen=True, slots=True)
class KnownKind:
    ref: KindRef
    selection: Selection
    reason: str
    source: str


VIRTUAL_MACHINE = KindRef("kubevirt.io", "v1", "VirtualMachine", "virtualmachines", True)
VIRTUAL_MACHINE_INSTANCE = KindRef(
    "kubevirt.io", "v1", "VirtualMachineInstance", "virtualmachineinstances", True
)
DATA_VOLUME = KindRef("cdi.kubevirt.io", "v1beta1", "DataVolume", "datavolumes", True)
PERSISTENT_VOLUME_CLAIM = KindRef("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", True)
NETWORK_ATTACHMENT_DEFINITION = KindRef(
    "k8s.cni.cncf.io", "v1", "NetworkAttachmentDefinition", "network-attachment-definitions", True
)
SECRET = KindRef("", "v1", "Secret", "secrets", True)
SERVICE = KindRef("", "v1", "Service", "services", True)
CONFIG_MAP = KindRef("", "v1", "ConfigMap", "configmaps", True)
KUBEVIRT = KindRef("kubevirt.io", "v1", "KubeVirt", "kubevirts", True)
STORAGE_CLASS = KindRef("storage.k8s.io", "v1", "StorageClass", "storageclasses", False)
NAMESPACE = KindRef("", "v1", "Namespace", "namespaces", False)
VIRTUAL_MACHINE_SNAPSHOT = KindRef(
    "snapshot.kubevirt.io", "v1beta1", "VirtualMachineSnapshot", "virtualmachinesnapshots", True
)
VIRTUAL_MACHINE_RESTORE = KindRef(
    "snapshot.kubevirt.io", "v1beta1", "VirtualMachineRestore", "virtualmachinerestores", True
)
VOLUME_SNAPSHOT_CLASS = KindRef(
    "snapshot.storage.k8s.io", "v1", "VolumeSnapshotClass", "volumesnapshotclasses", False
)
STORAGE_PROFILE = KindRef("cdi.kubevirt.io", "v1beta1", "StorageProfile", "storageprofiles", False)
SNAPSHOT_CONTEXT: tuple[KindRef, ...] = (VIRTUAL_MACHINE_SNAPSHOT, VOLUME_SNAPSHOT_CLASS, STORAGE_PROFILE)
"""Read only for a stack that uses snapshots: every VM snapshot in its namespaces (ours, virtctl's, a backup
tool's: what a restore restores from), and which storage classes can be snapshotted."""
MIGRATION_POLICY = KindRef(
    "migrations.kubevirt.io", "v1alpha1", "MigrationPolicy", "migrationpolicies", False
)
VIRTUAL_MACHINE_POOL = KindRef(
    "pool.kubevirt.io", "v1beta1", "VirtualMachinePool", "virtualmachinepools", True
)
VIRTUAL_MACHINE_CLONE = KindRef(
    "clone.kubevirt.io", "v1beta1", "VirtualMachineClone", "virtualmachineclones", True
)

KNOWN_KINDS: tuple[KnownKind, ...] = (
    KnownKind(
        VIRTUAL_MACHINE,
        Selection.LABELLED,
        "compiled VMs carry the stack labels",
        "crds/k8s-1.20/kubevirt.io_virtualmachines.yaml",
    ),
    KnownKind(
        VIRTUAL_MACHINE_INSTANCE,
        Selection.UNFILTERED,
        "a VMI carries its VM's template labels, and compiled templates carry only pulumi-kubevirt/vm (stack "
        "labels there would restart guests when they change); adopted VMs carry none: keep VMIs by VM name",
        "kubevirt pkg/virt-controller/watch/vm/vm.go setupVMIFromVM; compile.py template labels",
    ),
    KnownKind(
        DATA_VOLUME,
        Selection.LABELLED,
        "disks are standalone DataVolumes that carry the stack labels",
        "crds/k8s-1.20/cdi.kubevirt.io_datavolumes.yaml",
    ),
    KnownKind(
        PERSISTENT_VOLUME_CLAIM,
        Selection.UNFILTERED,
        "CDI creates the PVC behind a DataVolume; we cannot rely on it carrying our labels",
        "CDI pkg/controller/datavolume (PVC named after the DataVolume, owned by it)",
    ),
    KnownKind(
        NETWORK_ATTACHMENT_DEFINITION,
        Selection.LABELLED,
        "compiled networks carry the stack labels",
        "crds/k8s-1.20/k8s.cni.cncf.io_network-attachment-definitions.yaml",
    ),
    KnownKind(SECRET, Selection.LABELLED, "cloud-init secrets carry the stack labels", "core/v1 Secret"),
    KnownKind(SERVICE, Selection.LABELLED, "exposure services carry the stack labels", "core/v1 Service"),
    KnownKind(
        CONFIG_MAP, Selection.LABELLED, "compiled config maps carry the stack labels", "core/v1 ConfigMap"
    ),
    KnownKind(
        KUBEVIRT,
        Selection.UNFILTERED,
        "the KubeVirt CR belongs to the platform; its rollout strategy decides live updates",
        "crds/k8s-1.20/kubevirt.io_kubevirts.yaml",
    ),
    KnownKind(
        STORAGE_CLASS,
        Selection.UNFILTERED,
        "storage classes belong to the platform; expansion support decides disk growth",
        "storage.k8s.io/v1 StorageClass allowVolumeExpansion",
    ),
    KnownKind(
        VIRTUAL_MACHINE_SNAPSHOT,
        Selection.LABELLED,
        "declared snapshots carry the stack labels (the ones others take are read apart, for restores)",
        "crds/k8s-1.20/snapshot.kubevirt.io_virtualmachinesnapshots.yaml",
    ),
    KnownKind(
        VIRTUAL_MACHINE_RESTORE,
        Selection.LABELLED,
        "declared restores carry the stack labels",
        "crds/k8s-1.20/snapshot.kubevirt.io_virtualmachinerestores.yaml",
    ),
    KnownKind(
        NAMESPACE,
        Selection.UNFILTERED,
        "listed once anyway to find missing namespaces; ours are kept by name or by label, and the "
        "namespaces the stack's objects live in for their labels (migration policies select on them)",
        "core/v1 Namespace; kubevirt pkg/virt-controller/watch/migration/migrationpolicy.go matchPolicy",
    ),
    KnownKind(
        VIRTUAL_MACHINE_POOL,
        Selection.LABELLED,
        "compiled pools carry the stack labels, and so do their members (the pool's VM template)",
        "crds/k8s-1.20/pool.kubevirt.io_virtualmachinepools.yaml",
    ),
    KnownKind(
        VIRTUAL_MACHINE_CLONE,
        Selection.LABELLED,
        "compiled clones carry the stack labels (their target VMs do not)",
        "crds/k8s-1.20/clone.kubevirt.io_virtualmachineclones.yaml",
    ),
    KnownKind(
        MIGRATION_POLICY,
        Selection.UNFILTERED,
        "cluster-wide, and any policy (ours or not) may be the one a VM gets: all are kept when the stack "
        "declares one",
        "kubevirt pkg/virt-controller/watch/migration/migrationpolicy.go matchPolicy",
    ),
)

KNOWN_BY_GROUP_KIND: dict[tuple[str, str], KnownKind] = {(k.ref.group, k.ref.kind): k for k in KNOWN_KINDS}

ALWAYS_PER_NAMESPACE: tuple[KindRef, ...] = (
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_INSTANCE,
    DATA_VOLUME,
    PERSISTENT_VOLUME_CLAIM,
    NETWORK_ATTACHMENT_DEFINITION,
    SECRET,
    SERVICE,
)
"""Read in every namespace the desired manifests mention, even when desired holds none of them (deletes)."""

PROVIDERS: dict[str, str] = {
    "kubevirt.io": "KubeVirt",
    "instancetype.kubevirt.io": "KubeVirt",
    "snapshot.kubevirt.io": "KubeVirt",
    "pool.kubevirt.io": "KubeVirt",
    "clone.kubevirt.io": "KubeVirt",
    "export.kubevirt.io": "KubeVirt",
    "migrations.kubevirt.io": "KubeVirt",
    "cdi.kubevirt.io": "CDI (the Containerized Data Importer)",
    "k8s.cni.cncf.io": "Multus (its NetworkAttachmentDefinition CRD)",
}
"""Who installs a group, for the hint in a missing-kind message."""


def provider_of(group: str) -> str:
    return PROVIDERS.get(group, "the operator that provides it")


def selection_of(ref: KindRef) -> Selection:
    known = KNOWN_BY_GROUP_KIND.get((ref.group, ref.kind))
    return known.selection if known else Selection.LABELLED


def object_path(manifest: Mapping[str, Any]) -> str:
    """The REST path of one known object, at the API version its manifest names."""
    group, _, version = str(manifest["apiVersion"]).rpartition("/")
    ref = KNOWN_BY_GROUP_KIND[(group, str(manifest["kind"]))].ref.with_version(version)
    metadata = manifest["metadata"]
    return f"{ref.collection_path(str(metadata.get('namespace', '')))}/{metadata['name']}"
