"""CDI's DataVolume controller, the PV binder, the volume resizer and PVC protection, as the simulator plays.

Mirrors CDI v1.66 (pkg/controller/datavolume) and kube-controller-manager's persistentvolume and pvcprotection
controllers: a DataVolume moves one phase per pass and owns a PVC of its name; PVCs bind at once and grow only
when their StorageClass allows expansion.
"""

from __future__ import annotations

import enum
import math
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt_devcluster.sim_api import DATA_VOLUME, JsonObject
from pulumi_kubevirt_devcluster.sim_pass import (
    Key,
    PassSnapshot,
    condition,
    controller_kind,
    controller_uid,
    failure_modes,
    owner_reference,
)
from pulumi_kubevirt_devcluster.sim_tables import (
    CDI_ALIGN_BYTES,
    CDI_FILESYSTEM_OVERHEAD,
    DATA_VOLUME_SOURCES,
    DataVolumePhase,
    FailureMode,
    Manager,
    SourceFlow,
)

PVC_PROTECTION_FINALIZER = "kubernetes.io/pvc-protection"
FALLBACK_SIZE = "1Gi"
IMPORT_ERROR_MESSAGE = (
    "Unable to connect to http data source: expected status code 200, got 404. Status: 404 Not Found"
)
_TERMINAL = frozenset({DataVolumePhase.SUCCEEDED, DataVolumePhase.FAILED, DataVolumePhase.UPLOAD_READY})


class VolumeState(enum.StrEnum):
    """What a VM volume's storage looks like to the VM controller."""

    READY = "ready"
    PROVISIONING = "provisioning"
    DATA_VOLUME_ERROR = "data-volume-error"
    PVC_NOT_FOUND = "pvc-not-found"
    UNBOUND = "unbound"


def reconcile_storage(snapshot: PassSnapshot) -> None:
    failing_by_vm = _data_volumes_failed_by_vm(snapshot)
    for key in sorted(snapshot.data_volumes):
        _reconcile_data_volume(snapshot, key, failing_by_vm)
    for key in sorted(snapshot.pvcs):
        _reconcile_pvc(snapshot, key)


def volume_state(snapshot: PassSnapshot, namespace: str, volume: JsonObject) -> VolumeState:
    """Readiness of one VM volume, as virt-controller reads DataVolumes and PVCs before starting a VMI."""
    if "dataVolume" in volume:
        name = str(volume["dataVolume"].get("name", ""))
        data_volume = snapshot.data_volumes.get((namespace, name))
        if data_volume is not None:
            phase = data_volume.get("status", {}).get("phase")
            if phase == DataVolumePhase.FAILED:
                return VolumeState.DATA_VOLUME_ERROR
            if phase != DataVolumePhase.SUCCEEDED:
                return VolumeState.PROVISIONING
        return _claim_state(snapshot, namespace, name)
    if "persistentVolumeClaim" in volume:
        name = str(volume["persistentVolumeClaim"].get("claimName", ""))
        if (namespace, name) not in snapshot.pvcs and (namespace, name) in snapshot.data_volumes:
            return VolumeState.PROVISIONING
        return _claim_state(snapshot, namespace, name)
    return VolumeState.READY


def _claim_state(snapshot: PassSnapshot, namespace: str, name: str) -> VolumeState:
    claim = snapshot.pvcs.get((namespace, name))
    if claim is None:
        return VolumeState.PVC_NOT_FOUND
    if claim.get("status", {}).get("phase") != "Bound":
        return VolumeState.UNBOUND
    return VolumeState.READY


def _data_volumes_failed_by_vm(snapshot: PassSnapshot) -> set[Key]:
    """DataVolumes referenced by a VM that carries the import-error failure mode."""
    failing: set[Key] = set()
    for (namespace, _), vm in snapshot.vms.items():
        if FailureMode.IMPORT_ERROR not in failure_modes(vm):
            continue
        for volume in vm.get("spec", {}).get("template", {}).get("spec", {}).get("volumes") or []:
            if "dataVolume" in volume:
                failing.add((namespace, str(volume["dataVolume"].get("name", ""))))
    return failing


def source_flow(spec: JsonObject) -> SourceFlow:
    if "sourceRef" in spec:
        return SourceFlow.IMMEDIATE
    source = spec.get("source") or {}
    for rule in DATA_VOLUME_SOURCES:
        if rule.source in source:
            return rule.flow
    return SourceFlow.IMPORT


def requested_claim(spec: JsonObject, default_class: str | None) -> JsonObject:
    """The PVC spec CDI creates for a DataVolume, from ``spec.storage`` or ``spec.pvc``, CDI defaults."""
    wanted: JsonObject = spec.get("storage") or spec.get("pvc") or {}
    size = (wanted.get("resources") or {}).get("requests", {}).get("storage", FALLBACK_SIZE)
    volume_mode = wanted.get("volumeMode") or "Filesystem"
    if "storage" in spec and volume_mode == "Filesystem":
        size = _inflated(size)
    claim: JsonObject = {
        "accessModes": list(wanted.get("accessModes") or ["ReadWriteOnce"]),
        "volumeMode": volume_mode,
        "resources": {"requests": {"storage": size}},
    }
    storage_class = wanted.get("storageClassName") or default_class
    if storage_class:
        claim["storageClassName"] = storage_class
    return claim


def _inflated(size: Any) -> Any:
    """CDI's InflateSizeWithOverhead -> GetRequiredSpace: align up to 1 MiB, add the filesystem overhead.

    (pkg/controller/datavolume/util.go renderPvcSpecVolumeSize, for the storage API on Filesystem volumes.)
    """
    parsed = quantity_or_none(size)
    if parsed is None:
        return size
    aligned = -(-math.ceil(parsed) // CDI_ALIGN_BYTES) * CDI_ALIGN_BYTES
    return str(math.ceil(aligned * (1 + Decimal(CDI_FILESYSTEM_OVERHEAD))))


def _phase_status(
    name: str, phase: DataVolumePhase, progress: str, *, failed_import: bool = False
) -> JsonObject:
    bound = phase != DataVolumePhase.PENDING
    running = phase in (DataVolumePhase.IMPORT_IN_PROGRESS, DataVolumePhase.UPLOAD_READY)
    if phase == DataVolumePhase.SUCCEEDED:
        running_condition = condition("Running", False, "Completed", "Import Complete")
    elif failed_import:
        running_condition = condition("Running", False, "Error", IMPORT_ERROR_MESSAGE)
    elif running:
        running_condition = condition("Running", True, "Pod is running")
    else:
        running_condition = condition("Running", False)
    return {
        "phase": phase.value,
        "progress": progress,
        "claimName": name,
        "conditions": [
            condition(
                "Bound",
                bound,
                "Bound" if bound else "Pending",
                f"PVC {name} {'Bound' if bound else 'Pending'}",
            ),
            condition("Ready", phase == DataVolumePhase.SUCCEEDED),
            running_condition,
        ],
    }


def _next_phase(current: str | None, flow: SourceFlow, fails: bool) -> tuple[DataVolumePhase, str]:
    if current is None:
        return DataVolumePhase.PENDING, "N/A"
    if flow == SourceFlow.IMMEDIATE:
        return DataVolumePhase.SUCCEEDED, "100.0%"
    if flow == SourceFlow.UPLOAD:
        if current == DataVolumePhase.PENDING:
            return DataVolumePhase.UPLOAD_SCHEDULED, "N/A"
        return DataVolumePhase.UPLOAD_READY, "N/A"
    if current == DataVolumePhase.PENDING:
        return DataVolumePhase.IMPORT_SCHEDULED, "N/A"
    if current == DataVolumePhase.IMPORT_SCHEDULED:
        return DataVolumePhase.IMPORT_IN_PROGRESS, "N/A" if fails else "50.00%"
    if fails:
        return DataVolumePhase.FAILED, "N/A"
    return DataVolumePhase.SUCCEEDED, "100.0%"


def _reconcile_data_volume(snapshot: PassSnapshot, key: Key, failing_by_vm: set[Key]) -> None:
    data_volume = snapshot.data_volumes[key]
    namespace, name = key
    if data_volume.get("metadata", {}).get("deletionTimestamp"):
        return
    spec = data_volume.get("spec", {})
    if key not in snapshot.pvcs:
        _create_claim(snapshot, data_volume, spec)
    current = data_volume.get("status", {}).get("phase")
    if current in _TERMINAL:
        return
    claim = snapshot.pvcs.get(key)
    claim_bound = claim is not None and claim.get("status", {}).get("phase") == "Bound"
    if current is not None and not claim_bound:
        return
    fails = FailureMode.IMPORT_ERROR in failure_modes(data_volume) or key in failing_by_vm
    phase, progress = _next_phase(current, source_flow(spec), fails)
    status = _phase_status(name, phase, progress, failed_import=phase == DataVolumePhase.FAILED)
    status["restartCount"] = 0
    patched = snapshot.door.patch_custom(
        DATA_VOLUME,
        namespace,
        name,
        [{"op": "add", "path": "/status", "value": status}],
        Manager.CDI_CONTROLLER,
        status=True,
    )
    snapshot.data_volumes[key] = patched


def _create_claim(snapshot: PassSnapshot, data_volume: JsonObject, spec: JsonObject) -> None:
    namespace, name = data_volume["metadata"]["namespace"], data_volume["metadata"]["name"]
    content_type = spec.get("contentType") or "kubevirt"
    body: JsonObject = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {
                "app": "containerized-data-importer",
                "app.kubernetes.io/component": "storage",
                "app.kubernetes.io/managed-by": "cdi-controller",
            },
            "annotations": {
                "cdi.kubevirt.io/storage.contentType": content_type,
                "cdi.kubevirt.io/createdForDataVolume": data_volume["metadata"]["uid"],
            },
            "ownerReferences": [owner_reference(data_volume, DATA_VOLUME.api_version, DATA_VOLUME.kind)],
        },
        "spec": requested_claim(spec, snapshot.default_class),
    }
    snapshot.pvcs[(namespace, name)] = snapshot.door.create_pvc(namespace, body, Manager.CDI_CONTROLLER)


def _reconcile_pvc(snapshot: PassSnapshot, key: Key) -> None:
    claim = snapshot.pvcs[key]
    metadata = claim.get("metadata", {})
    if metadata.get("deletionTimestamp"):
        _release_protection(snapshot, key, claim)
        return
    if controller_kind(claim) == DATA_VOLUME.kind and controller_uid(claim) not in _data_volume_uids(
        snapshot, key[0]
    ):
        snapshot.door.delete_pvc(*key)
        del snapshot.pvcs[key]
        return
    status = claim.get("status") or {}
    spec = claim.get("spec") or {}
    requested = (spec.get("resources") or {}).get("requests", {}).get("storage")
    if status.get("phase") != "Bound":
        _bind(snapshot, key, claim, spec, requested)
        return
    _resize(snapshot, key, claim, spec, requested)


def _data_volume_uids(snapshot: PassSnapshot, namespace: str) -> set[str]:
    return {
        str(dv["metadata"]["uid"])
        for (dv_namespace, _), dv in snapshot.data_volumes.items()
        if dv_namespace == namespace
    }


def _bind(snapshot: PassSnapshot, key: Key, claim: JsonObject, spec: JsonObject, requested: Any) -> None:
    """Bind at once (dynamic provisioning, Immediate binding), unless the claim's class does not exist."""
    class_name = spec.get("storageClassName")
    if not class_name or class_name not in snapshot.storage_classes or requested is None:
        return
    status = {
        "phase": "Bound",
        "accessModes": list(spec.get("accessModes") or ["ReadWriteOnce"]),
        "capacity": {"storage": requested},
    }
    patch = [{"op": "add", "path": "/status", "value": status}]
    snapshot.pvcs[key] = snapshot.door.patch_pvc_status(*key, patch, Manager.PV_BINDER)


def _resize(snapshot: PassSnapshot, key: Key, claim: JsonObject, spec: JsonObject, requested: Any) -> None:
    capacity = (claim.get("status", {}).get("capacity") or {}).get("storage")
    wanted, current = quantity_or_none(requested), quantity_or_none(capacity)
    if wanted is None or current is None or wanted <= current:
        return
    class_name = str(spec.get("storageClassName", ""))
    storage_class = snapshot.storage_classes.get(class_name, {})
    if storage_class.get("allowVolumeExpansion"):
        patch = [{"op": "add", "path": "/status/capacity", "value": {"storage": requested}}]
        snapshot.pvcs[key] = snapshot.door.patch_pvc_status(*key, patch, Manager.RESIZER)
        return
    _record_resize_refused(snapshot, key, claim, class_name)


def _record_resize_refused(snapshot: PassSnapshot, key: Key, claim: JsonObject, class_name: str) -> None:
    """A Warning event once per claim, as the resizer records when the class cannot expand."""
    namespace, name = key
    event_name = f"{name}.volume-resize-failed"
    if (namespace, event_name) in snapshot.event_names:
        return
    snapshot.event_names.add((namespace, event_name))
    body: JsonObject = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": event_name, "namespace": namespace},
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "name": name,
            "namespace": namespace,
            "uid": claim["metadata"]["uid"],
        },
        "reason": "VolumeResizeFailed",
        "type": "Warning",
        "message": f'storageclass "{class_name}" does not allow volume expansion; capacity unchanged',
        "source": {"component": Manager.RESIZER.value},
        "count": 1,
    }
    snapshot.door.create_event(namespace, body, Manager.RESIZER)


def _release_protection(snapshot: PassSnapshot, key: Key, claim: JsonObject) -> None:
    """The pvc-protection controller drops its finalizer once no running VMI uses the claim."""
    finalizers = list(claim.get("metadata", {}).get("finalizers") or [])
    if PVC_PROTECTION_FINALIZER not in finalizers:
        return
    namespace, name = key
    for (vmi_namespace, _), vmi in snapshot.vmis.items():
        if vmi_namespace != namespace:
            continue
        for volume in vmi.get("spec", {}).get("volumes") or []:
            claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName") or (
                volume.get("dataVolume") or {}
            ).get("name")
            if claim_name == name:
                return
    remaining = [finalizer for finalizer in finalizers if finalizer != PVC_PROTECTION_FINALIZER]
    patch = [
        {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
        {"op": "replace", "path": "/metadata/finalizers", "value": remaining},
    ]
    snapshot.door.patch_pvc(namespace, name, patch, Manager.PV_BINDER)
