"""KubeVirt's snapshot and restore controllers (virt-controller, pkg/storage/snapshot), as far as a plan sees.

A VirtualMachineSnapshot becomes ready, listing the VM's claim-backed volumes in ``status.snapshotVolumes``:
when the cluster serves VolumeSnapshotClass, a volume whose storage class's provisioner no class drives is
excluded and the snapshot marked Partial (``getVolumeSnapshotClassName`` and
``updateSnapshotSnapshotableVolumes`` in pkg/storage/snapshot/snapshot.go); no VolumeSnapshots are made. A
VirtualMachineRestore creates one PVC per claim-backed volume of its target VM, the way
``CreateRestorePVCDefFromVMRestore`` (kubevirt/kubevirt v1.9.0 pkg/storage/snapshot/restore.go) does: named
``restore-<restore uid>-<volume>``, carrying the source PVC's labels (so, a stack's labels too) plus the
restore's own label and annotation. Not played: the rewrite of the VM's volumes to those PVCs.
"""

from __future__ import annotations

from typing import Any

from pulumi_kubevirt_devcluster.sim_api import (
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_RESTORE,
    VIRTUAL_MACHINE_SNAPSHOT,
    VOLUME_SNAPSHOT_CLASS,
    ClusterDoor,
    JsonObject,
)
from pulumi_kubevirt_devcluster.sim_tables import Manager

RESTORE_NAME_ANNOTATION = "restore.kubevirt.io/name"
RESTORE_SOURCE_NAME_LABEL = "restore.kubevirt.io/source-vm-name"
RESTORE_SOURCE_NAMESPACE_LABEL = "restore.kubevirt.io/source-vm-namespace"


def _claim(volume: JsonObject) -> str | None:
    name = (volume.get("persistentVolumeClaim") or {}).get("claimName") or (
        volume.get("dataVolume") or {}
    ).get("name")
    return str(name) if name else None


def reconcile_snapshots(door: ClusterDoor, namespace: str | None) -> None:
    """Mark each new VirtualMachineSnapshot ready, and carry out each new VirtualMachineRestore."""
    pending = [
        s
        for s in door.list_custom(VIRTUAL_MACHINE_SNAPSHOT, namespace)
        if not (s.get("status") or {}).get("readyToUse")
    ]
    pvcs = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in door.list_pvcs(namespace)}
    if pending:
        drivers = _snapshot_drivers(door)
        for snapshot in pending:
            _take(door, snapshot, pvcs, drivers)
    for restore in door.list_custom(VIRTUAL_MACHINE_RESTORE, namespace):
        if (restore.get("status") or {}).get("complete"):
            continue
        _restore(door, restore, pvcs)


def _snapshot_drivers(door: ClusterDoor) -> dict[str, bool] | None:
    """Storage class -> whether a VolumeSnapshotClass has its provisioner as driver (``None``: not served)."""
    classes = door.list_custom_if_served(VOLUME_SNAPSHOT_CLASS)
    if classes is None:
        return None
    drivers = {c.get("driver") for c in classes}
    return {sc["metadata"]["name"]: sc.get("provisioner") in drivers for sc in door.list_storage_classes()}


def _take(
    door: ClusterDoor,
    snapshot: JsonObject,
    pvcs: dict[tuple[str, str], JsonObject],
    drivers: dict[str, bool] | None,
) -> None:
    meta = snapshot["metadata"]
    namespace = meta["namespace"]
    vm = door.get_custom(VIRTUAL_MACHINE, namespace, snapshot["spec"]["source"]["name"])
    volumes = ((((vm or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
    included, excluded = [], []
    for volume in volumes:
        claim = _claim(volume)
        pvc = pvcs.get((namespace, claim)) if claim else None
        storage_class = ((pvc or {}).get("spec") or {}).get("storageClassName")
        if claim and (drivers is None or drivers.get(str(storage_class), False)):
            included.append(volume["name"])
        else:
            excluded.append(volume["name"])
    status: dict[str, Any] = {
        "readyToUse": True,
        "phase": "Succeeded",
        "sourceUID": (vm or {}).get("metadata", {}).get("uid", ""),
        "snapshotVolumes": {"includedVolumes": included, "excludedVolumes": excluded},
    }
    if any(_claim(v) for v in volumes if v["name"] in excluded):
        status["indications"] = ["Partial"]
    door.patch_custom(
        VIRTUAL_MACHINE_SNAPSHOT,
        namespace,
        meta["name"],
        {"status": status},
        Manager.VIRT_CONTROLLER,
        status=True,
    )


def _restore(door: ClusterDoor, restore: JsonObject, pvcs: dict[tuple[str, str], JsonObject]) -> None:
    meta = restore["metadata"]
    namespace, target = meta["namespace"], restore["spec"]["target"]["name"]
    vm = door.get_custom(VIRTUAL_MACHINE, namespace, target)
    snapshot = door.get_custom(
        VIRTUAL_MACHINE_SNAPSHOT, namespace, restore["spec"]["virtualMachineSnapshotName"]
    )
    snapshot_uid = str(((snapshot or {}).get("metadata") or {}).get("uid", ""))
    included = (((snapshot or {}).get("status") or {}).get("snapshotVolumes") or {}).get("includedVolumes")
    in_place = restore["spec"].get("volumeRestorePolicy") == "InPlace"
    restored: list[dict[str, Any]] = []
    volumes = ((((vm or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get("volumes") or []
    for volume in volumes:
        claim = _claim(volume)
        source = pvcs.get((namespace, claim)) if claim else None
        if source is None or (included is not None and volume["name"] not in included):
            continue
        name = claim if in_place and claim else f"restore-{meta['uid']}-{volume['name']}"
        labels = {
            **(source["metadata"].get("labels") or {}),
            RESTORE_SOURCE_NAME_LABEL: target,
            RESTORE_SOURCE_NAMESPACE_LABEL: namespace,
        }
        spec = {
            k: source["spec"][k]
            for k in ("accessModes", "resources", "storageClassName", "volumeMode")
            if k in source["spec"]
        }
        body = {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {
                "name": name,
                "labels": labels,
                "annotations": {RESTORE_NAME_ANNOTATION: meta["name"]},
            },
            "spec": spec,
        }
        if (namespace, name) not in pvcs:
            door.create_pvc(namespace, body, Manager.VIRT_CONTROLLER)
        restored.append(
            {
                "volumeName": volume["name"],
                "persistentVolumeClaim": name,
                # snapshot.go: the VolumeSnapshot of each volume is vmsnapshot-<snapshot uid>-volume-<volume>
                "volumeSnapshotName": f"vmsnapshot-{snapshot_uid}-volume-{volume['name']}",
            }
        )
    status = {"status": {"complete": True, "restores": restored}}
    door.patch_custom(
        VIRTUAL_MACHINE_RESTORE, namespace, meta["name"], status, Manager.VIRT_CONTROLLER, status=True
    )
