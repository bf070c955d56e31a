"""virt-controller's VM controller, simulated: defaults, run strategies, the VMI and its start revision.

Mirrors KubeVirt v1.9.0 ``pkg/virt-controller/watch/vm/vm.go`` ``sync`` in its order: the VM finalizer and
deletion, ``conditionallyBumpGenerationAnnotationOnVmi``, ``handleDataVolumes``, ``syncRunStrategy``
(``startVMI``/``stopVMI`` with ``cleanupRestartRequired``), ``syncRestartRequired``
(``sim_restart_required``), network and volume hot-plug and the LiveUpdate handlers (``sim_live_update``),
then ``updateStatus`` (``sim_vm_status``). Defaults come from virt-api's VM mutating webhook and
``firmware.go``. The VMI a VM starts from is recorded the way KubeVirt does it: a ControllerRevision holding
the VM spec, named by the VM's uid and generation; it changes only when a new VMI starts.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from pulumi_kubevirt_devcluster.sim_api import (
    DATA_VOLUME,
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_INSTANCE,
    JsonObject,
    JsonPatch,
)
from pulumi_kubevirt_devcluster.sim_infer import infer_matchers
from pulumi_kubevirt_devcluster.sim_live_update import (
    propagate_live_updates,
    sync_hotplug_volumes,
    sync_interfaces,
)
from pulumi_kubevirt_devcluster.sim_pass import (
    Key,
    PassSnapshot,
    add_missing,
    controller_kind,
    controller_uid,
    get_path,
    owner_reference,
    semantically_equal,
)
from pulumi_kubevirt_devcluster.sim_restart_required import needs_restart
from pulumi_kubevirt_devcluster.sim_tables import (
    PCI_TOPOLOGY_VERSION,
    PLATFORM_DEFAULTS,
    RESTART_REQUIRED_MESSAGE,
    VM_GENERATION_ANNOTATION,
    DataVolumePhase,
    Manager,
    RunStrategy,
    VmiPhase,
)
from pulumi_kubevirt_devcluster.sim_vm_status import (
    CLEAR_RESTART_REQUIRED,
    KEEP_RESTART_REQUIRED,
    RestartVerdict,
    run_strategy,
    write_vm_status,
)
from pulumi_kubevirt_devcluster.sim_vmi import (
    FINAL_PHASES,
    is_final,
    set_hotplug_limits,
    sync_vmi_status,
    vmi_status,
)

# kubevirt pkg/virt-controller/watch/vm/firmware.go: the namespace of CalculateLegacyFirmwareUUID.
FIRMWARE_UUID_NAMESPACE = uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895")


class SimulatorError(RuntimeError):
    """A request the simulated cluster cannot honour (for example restarting a VM that is not running)."""


def firmware_uuid(name: str) -> str:
    return str(uuid.uuid5(FIRMWARE_UUID_NAMESPACE, name))


def firmware_serial(namespace: str, name: str) -> str:
    return str(uuid.uuid5(FIRMWARE_UUID_NAMESPACE, f"{namespace}/{name}"))


def _default_value(path: tuple[str, ...], vm: JsonObject) -> str:
    namespace, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
    values = {
        "uuid": firmware_uuid(name),
        "serial": firmware_serial(namespace, name),
        "type": "q35",
        "architecture": "amd64",
    }
    return values.get(path[-1], PCI_TOPOLOGY_VERSION)


def reconcile_vms(snapshot: PassSnapshot) -> None:
    for key in sorted(snapshot.vms):
        reconcile_vm(snapshot, key)


def reconcile_vm(snapshot: PassSnapshot, key: Key, *, force_start: bool = False) -> None:
    """One ``sync`` of one VM; ``force_start`` is virtctl restart's fresh start."""
    vm = snapshot.vms[key]
    vmi = snapshot.vmis.get(key)
    if (
        vmi is not None
        and controller_kind(vmi) == VIRTUAL_MACHINE.kind
        and controller_uid(vmi) != vm["metadata"]["uid"]
    ):
        _delete_vmi(snapshot, key)
        vmi = None
    if vm["metadata"].get("deletionTimestamp"):
        if vmi is not None:
            _delete_vmi(snapshot, key)
        write_vm_status(snapshot, key, None, CLEAR_RESTART_REQUIRED)
        return
    infer_matchers(snapshot, key)
    vm = _write_defaults(snapshot, key)
    vmi = _bump_generation_annotation(snapshot, vm, vmi)
    strategy = run_strategy(vm)
    if not _ensure_template_data_volumes(snapshot, vm) and strategy != RunStrategy.HALTED:
        write_vm_status(snapshot, key, vmi, KEEP_RESTART_REQUIRED)
        return
    phase = vmi.get("status", {}).get("phase") if vmi is not None else None
    restart = KEEP_RESTART_REQUIRED
    if strategy == RunStrategy.HALTED:
        if vmi is not None:
            _delete_vmi(snapshot, key)
            vmi = None
            restart = CLEAR_RESTART_REQUIRED
    else:
        recreate = (strategy == RunStrategy.ALWAYS and phase in FINAL_PHASES) or (
            strategy == RunStrategy.RERUN_ON_FAILURE and phase == VmiPhase.FAILED
        )
        if recreate:
            _delete_vmi(snapshot, key)
            vmi = None
        wants_vmi = (
            strategy in (RunStrategy.ALWAYS, RunStrategy.RERUN_ON_FAILURE, RunStrategy.ONCE) or force_start
        )
        if vmi is None and wants_vmi:
            vmi = _start_vmi(snapshot, vm)
            restart = CLEAR_RESTART_REQUIRED
        elif vmi is not None:
            vm, vmi, restart = _sync_running_vmi(snapshot, vm, vmi)
    write_vm_status(snapshot, key, vmi, restart)


def _sync_running_vmi(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject
) -> tuple[JsonObject, JsonObject, RestartVerdict]:
    """syncRestartRequired, then what reaches the VMI without a restart, then virt-handler's report."""
    if not is_final(vmi):
        vmi = sync_vmi_status(snapshot, vm, vmi)
    namespace = vm["metadata"]["namespace"]
    revision = snapshot.revisions.get(
        (namespace, str(vmi.get("status", {}).get("virtualMachineRevisionName")))
    )
    if revision is None:
        return vm, vmi, KEEP_RESTART_REQUIRED
    restart_needed = needs_restart(
        get_path(revision, ("data", "spec", "template", "spec")) or {},
        get_path(vm, ("spec", "template", "spec")) or {},
        vmi.get("spec", {}),
        snapshot.config.rollout,
        update_volumes_by_migration=get_path(vm, ("spec", "updateVolumesStrategy")) == "Migration",
    )
    message = RESTART_REQUIRED_MESSAGE if restart_needed else None
    if is_final(vmi):
        return vm, vmi, RestartVerdict(message)
    vm, synced = sync_interfaces(snapshot, vm, vmi)
    vmi = sync_hotplug_volumes(snapshot, vm, synced or vmi)
    if not restart_needed:
        message, vmi = propagate_live_updates(snapshot, vm, vmi)
    return vm, sync_vmi_status(snapshot, vm, vmi), RestartVerdict(message)


def _bump_generation_annotation(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject | None
) -> JsonObject | None:
    """conditionallyBumpGenerationAnnotationOnVmi: the VMI observes the VM's generation only while the VM's
    whole template (metadata too) equals the one the VMI started from; live updates do not change that."""
    if vmi is None:
        return vmi
    generation = str(vm["metadata"].get("generation", 1))
    if (vmi.get("metadata", {}).get("annotations") or {}).get(VM_GENERATION_ANNOTATION) == generation:
        return vmi
    namespace = vm["metadata"]["namespace"]
    revision = snapshot.revisions.get(
        (namespace, str(vmi.get("status", {}).get("virtualMachineRevisionName")))
    )
    if revision is None:
        return vmi
    if not semantically_equal(
        get_path(revision, ("data", "spec", "template")), get_path(vm, ("spec", "template"))
    ):
        return vmi
    key = (namespace, vm["metadata"]["name"])
    patch: JsonPatch = [
        {"op": "add", "path": "/metadata/annotations/kubevirt.io~1vm-generation", "value": generation}
    ]
    patched = snapshot.door.patch_custom(VIRTUAL_MACHINE_INSTANCE, *key, patch, Manager.VIRT_CONTROLLER)
    snapshot.vmis[key] = patched
    return patched


def collect_garbage(snapshot: PassSnapshot) -> None:
    """The garbage collector's part (no kube-controller-manager runs): objects whose VM is gone."""
    vm_uids = {str(vm["metadata"]["uid"]) for vm in snapshot.vms.values()}
    for key, vmi in sorted(snapshot.vmis.items()):
        if controller_kind(vmi) == VIRTUAL_MACHINE.kind and controller_uid(vmi) not in vm_uids:
            _delete_vmi(snapshot, key)
    for key, data_volume in sorted(snapshot.data_volumes.items()):
        if (
            controller_kind(data_volume) == VIRTUAL_MACHINE.kind
            and controller_uid(data_volume) not in vm_uids
        ):
            snapshot.door.delete_custom(DATA_VOLUME, *key)
            del snapshot.data_volumes[key]
    for key, revision in sorted(snapshot.revisions.items()):
        if controller_kind(revision) == VIRTUAL_MACHINE.kind and controller_uid(revision) not in vm_uids:
            snapshot.door.delete_revision(*key)
            del snapshot.revisions[key]


# Defaults and dataVolumeTemplates ---------------------------------------------------------------------------


def _write_defaults(snapshot: PassSnapshot, key: Key) -> JsonObject:
    """Fill missing platform defaults, one JSON patch per component (webhook first, then controller)."""
    vm = snapshot.vms[key]
    for manager in (Manager.VIRT_API, Manager.VIRT_CONTROLLER):
        working = copy.deepcopy(vm)
        patch: JsonPatch = []
        for row in PLATFORM_DEFAULTS:
            if row.manager == manager and get_path(working, row.path) in (None, ""):
                patch.extend(add_missing(working, row.path, _default_value(row.path, vm)))
        if patch:
            vm = snapshot.door.patch_custom(VIRTUAL_MACHINE, *key, patch, manager)
            snapshot.vms[key] = vm
    return vm


def _ensure_template_data_volumes(snapshot: PassSnapshot, vm: JsonObject) -> bool:
    """Create missing DataVolumes from ``dataVolumeTemplates``; True when all of them have succeeded."""
    namespace = vm["metadata"]["namespace"]
    ready = True
    for template in vm.get("spec", {}).get("dataVolumeTemplates") or []:
        name = template.get("metadata", {}).get("name", "")
        existing = snapshot.data_volumes.get((namespace, name))
        if existing is None:
            metadata: JsonObject = {
                "name": name,
                "namespace": namespace,
                "ownerReferences": [owner_reference(vm, VIRTUAL_MACHINE.api_version, VIRTUAL_MACHINE.kind)],
            }
            for field in ("labels", "annotations"):
                if template.get("metadata", {}).get(field):
                    metadata[field] = dict(template["metadata"][field])
            body = {
                "apiVersion": DATA_VOLUME.api_version,
                "kind": DATA_VOLUME.kind,
                "metadata": metadata,
                "spec": copy.deepcopy(template.get("spec", {})),
            }
            existing = snapshot.door.create_custom(DATA_VOLUME, namespace, body, Manager.VIRT_CONTROLLER)
            snapshot.data_volumes[(namespace, name)] = existing
        if existing.get("status", {}).get("phase") != DataVolumePhase.SUCCEEDED:
            ready = False
    return ready


# Starting and stopping --------------------------------------------------------------------------------------


def _delete_vmi(snapshot: PassSnapshot, key: Key) -> None:
    snapshot.door.delete_custom(VIRTUAL_MACHINE_INSTANCE, *key)
    snapshot.vmis.pop(key, None)


def _revision_name(vm: JsonObject) -> str:
    return f"revision-start-vm-{vm['metadata']['uid']}-{vm['metadata'].get('generation', 1)}"


def _record_revision(snapshot: PassSnapshot, vm: JsonObject) -> str:
    """createVMRevision and deleteOlderVMRevision: store the VM spec a new VMI starts from."""
    namespace = vm["metadata"]["namespace"]
    name = _revision_name(vm)
    if (namespace, name) not in snapshot.revisions:
        body: JsonObject = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "ownerReferences": [owner_reference(vm, VIRTUAL_MACHINE.api_version, VIRTUAL_MACHINE.kind)],
            },
            "data": {"spec": copy.deepcopy(vm.get("spec", {}))},
            "revision": int(vm["metadata"].get("generation", 1)),
        }
        snapshot.door.create_revision(namespace, body, Manager.VIRT_CONTROLLER)
        snapshot.revisions[(namespace, name)] = body
    prefix = f"revision-start-vm-{vm['metadata']['uid']}-"
    for key in sorted(snapshot.revisions):
        if key[0] == namespace and key[1].startswith(prefix) and key[1] != name:
            snapshot.door.delete_revision(*key)
            del snapshot.revisions[key]
    return name


def _guest_memory(domain: JsonObject) -> Any:
    memory = domain.get("memory") or {}
    return memory.get("guest") or ((domain.get("resources") or {}).get("requests") or {}).get("memory")


def _vmi_spec(snapshot: PassSnapshot, vm: JsonObject) -> JsonObject:
    spec: JsonObject = copy.deepcopy(vm.get("spec", {}).get("template", {}).get("spec", {}))
    domain = spec.setdefault("domain", {})
    guest = _guest_memory(domain)
    if guest is not None:
        domain.setdefault("memory", {})["guest"] = guest
    set_hotplug_limits(snapshot, spec)
    return spec


def _start_vmi(snapshot: PassSnapshot, vm: JsonObject) -> JsonObject:
    namespace, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
    template_metadata = vm.get("spec", {}).get("template", {}).get("metadata", {}) or {}
    revision = _record_revision(snapshot, vm)
    annotations = dict(template_metadata.get("annotations") or {})
    annotations[VM_GENERATION_ANNOTATION] = str(vm["metadata"].get("generation", 1))
    annotations["kubevirt.io/latest-observed-api-version"] = "v1"
    annotations["kubevirt.io/storage-observed-api-version"] = "v1"
    metadata: JsonObject = {
        "name": name,
        "namespace": namespace,
        "annotations": annotations,
        "ownerReferences": [owner_reference(vm, VIRTUAL_MACHINE.api_version, VIRTUAL_MACHINE.kind)],
    }
    if template_metadata.get("labels"):
        metadata["labels"] = dict(template_metadata["labels"])
    body: JsonObject = {
        "apiVersion": VIRTUAL_MACHINE_INSTANCE.api_version,
        "kind": VIRTUAL_MACHINE_INSTANCE.kind,
        "metadata": metadata,
        "spec": _vmi_spec(snapshot, vm),
    }
    body["status"] = vmi_status(snapshot, vm, body)
    body["status"]["virtualMachineRevisionName"] = revision
    created = snapshot.door.create_custom(VIRTUAL_MACHINE_INSTANCE, namespace, body, Manager.VIRT_CONTROLLER)
    snapshot.vmis[(namespace, name)] = created
    return created
