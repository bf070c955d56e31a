"""KubeVirt VM snapshots and restores (snapshot.kubevirt.io/v1beta1, v1.9.0), as far as a plan relies on them.

Why: a snapshot before a risky apply, retention and an explicit restore are only honest if the plan knows what
KubeVirt will do with them: which disks a snapshot can hold, that a snapshot's spec never changes, and that a
restore stops the VM, rolls its disks back and starts it again. One row per fact, with the code read.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_kubevirt.facts.source import Upstream, kubevirt

SNAPSHOT_API = "snapshot.kubevirt.io/v1beta1"
VM_SNAPSHOT = "VirtualMachineSnapshot"
VM_RESTORE = "VirtualMachineRestore"

DEFAULT_CLASS_ANNOTATION = "snapshot.storage.kubernetes.io/is-default-class"

_SNAPSHOT_GO = "pkg/storage/snapshot/snapshot.go"
_RESTORE_GO = "pkg/storage/snapshot/restore.go"


@dataclass(frozen=True, slots=True)
class SnapshotFact:
    """One behaviour of KubeVirt's snapshot or restore controller: the rule, why it matters, its source."""

    rule: str
    reason: str
    source: Upstream


SNAPSHOT_CLASS_FOR_DISK = SnapshotFact(
    "a disk's claim can be snapshotted when its storage class has a VolumeSnapshotClass: the one its CDI "
    "StorageProfile names in status.snapshotClass, else the only class whose driver is the storage class's "
    "provisioner, else the one of those annotated as the default; none (or several, none default) means no",
    "KubeVirt asks for one VolumeSnapshot per claim with that class; a claim without one is not snapshotted",
    kubevirt(_SNAPSHOT_GO, "VMSnapshotController.getVolumeSnapshotClassName"),
)

SNAPSHOTTABLE_VOLUMES = SnapshotFact(
    "only persistentVolumeClaim, dataVolume and memoryDump volumes are snapshotted; containerDisk, cloud-init"
    " "
    "and other volumes are not part of a snapshot",
    "the restore brings back the claims only; the rest comes from the VM spec kept in the snapshot",
    kubevirt(_SNAPSHOT_GO, "VMSnapshotController.isVolumeSnapshottable"),
)

EXCLUDED_DISK_MAKES_PARTIAL = SnapshotFact(
    "a snapshottable disk without a VolumeSnapshotClass is left out and the snapshot still succeeds, marked "
    "with the Partial indication (status.snapshotVolumes.excludedVolumes)",
    "a restore from it would not roll that disk back: the plan must say so before the snapshot is taken",
    kubevirt(_SNAPSHOT_GO, "VMSnapshotController.updateSnapshotSnapshotableVolumes"),
)

SNAPSHOT_SPEC_IMMUTABLE = SnapshotFact(
    "a VirtualMachineSnapshot's spec cannot change after creation (the admitter answers 'spec in immutable "
    "after creation'); the same holds for a VirtualMachineRestore's spec",
    "a changed snapshot or restore is a new object: delete and create",
    kubevirt(
        "pkg/storage/admitters/vmsnapshot.go",
        "VMSnapshotAdmitter.Admit; vmrestore.go VMRestoreAdmitter.Admit",
    ),
)

SNAPSHOT_DELETES_CONTENT = SnapshotFact(
    "deleting a VirtualMachineSnapshot deletes its content and VolumeSnapshots unless spec.deletionPolicy "
    "is Retain",
    "retention frees the storage the oldest snapshots hold",
    kubevirt(_SNAPSHOT_GO, "deleteContentPolicy; shouldDeleteContent"),
)

RESTORE_NEEDS_STOPPED_VM = SnapshotFact(
    "a restore proceeds only when the target VM has no VMI; with targetReadinessPolicy StopTarget the "
    "restore "
    "controller stops the VM itself (the default, WaitGracePeriod, waits and then fails)",
    "restoring a running VM is a restart: the guest stops, the disks roll back, the VM starts again",
    kubevirt(_RESTORE_GO, "vmRestoreTarget.Ready; VMRestoreController.handleVMRestoreTargetNotReady"),
)

RESTORE_KEEPS_RUN_STRATEGY = SnapshotFact(
    "the restored VM takes the snapshot's spec but keeps its own run strategy, so an Always VM starts again",
    "the restart completes by itself",
    kubevirt(_RESTORE_GO, "vmRestoreTarget.Reconcile (make sure an existing VM keeps the same run strategy)"),
)

RESTORE_IN_PLACE = SnapshotFact(
    "volumeRestorePolicy InPlace deletes each snapshotted claim and restores it under the same name; the "
    "default, RandomizeNames, restores into new restore-<uid>-<volume> claims and repoints the VM's volumes",
    "with InPlace the VM keeps the volume names the code declares, so the next plan is empty; with "
    "RandomizeNames the next apply would point the VM back at the old claims",
    kubevirt(_RESTORE_GO, "isVolumeRestorePolicyInPlace; CreateRestorePVCDefFromVMRestore"),
)

SNAPSHOT_FACTS: tuple[SnapshotFact, ...] = (
    SNAPSHOT_CLASS_FOR_DISK,
    SNAPSHOTTABLE_VOLUMES,
    EXCLUDED_DISK_MAKES_PARTIAL,
    SNAPSHOT_SPEC_IMMUTABLE,
    SNAPSHOT_DELETES_CONTENT,
    RESTORE_NEEDS_STOPPED_VM,
    RESTORE_KEEPS_RUN_STRATEGY,
    RESTORE_IN_PLACE,
)

SNAPSHOTTABLE_VOLUME_SOURCES = ("persistentVolumeClaim", "dataVolume")
"""The volume sources of a compiled VM that a snapshot holds (``SNAPSHOTTABLE_VOLUMES``; we emit no
memoryDump)."""

RESTORE_TARGET_READINESS = "StopTarget"
RESTORE_VOLUME_POLICY = "InPlace"
