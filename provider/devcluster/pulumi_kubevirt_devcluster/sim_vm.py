"""virt-api's VM defaults, virt-controller's VM controller and virt-handler's VMI status, simulated.

Mirrors KubeVirt v1.9 ``pkg/virt-controller/watch/vm/vm.go`` (run strategies, ``addRestartRequiredIfNeeded``,
``handleCPUChangeRequest``, ``handleMemoryHotplugRequest``, ``setPrintableStatus``, ``syncConditions``,
``syncGenerationInfo``) and ``firmware.go``. The VMI a VM starts from is recorded the way KubeVirt does it: a
ControllerRevision holding the VM spec, named by the VM's uid and generation.
"""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt_devcluster.sim_api import (
    DATA_VOLUME,
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_INSTANCE,
    JsonObject,
    JsonPatch,
)
from pulumi_kubevirt_devcluster.sim_pass import (
    Key,
    PassSnapshot,
    add_missing,
    condition,
    controller_kind,
    controller_uid,
    failure_modes,
    find_condition,
    get_path,
    owner_reference,
    semantically_equal,
    stable_digest,
)
from pulumi_kubevirt_devcluster.sim_storage import VolumeState, volume_state
from pulumi_kubevirt_devcluster.sim_tables import (
    LIVE_UPDATABLE,
    MIN_HOTPLUG_MEMORY_BYTES,
    NODE_NAMES,
    PCI_TOPOLOGY_VERSION,
    PLATFORM_DEFAULTS,
    RESTART_REQUIRED_MESSAGE,
    VM_GENERATION_ANNOTATION,
    DataVolumePhase,
    FailureMode,
    LiveUpdateCheck,
    Manager,
    PrintableStatus,
    RolloutStrategy,
    RunStrategy,
    VmiPhase,
)

# kubevirt pkg/virt-controller/watch/vm/firmware.go: the namespace of CalculateLegacyFirmwareUUID.
FIRMWARE_UUID_NAMESPACE = uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895")
RESTART_REQUIRED = "RestartRequired"
_FINAL_PHASES = frozenset({VmiPhase.SUCCEEDED, VmiPhase.FAILED})
_TEMPLATE_SPEC = ("spec", "template", "spec")


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


def run_strategy(vm: JsonObject) -> RunStrategy:
    spec = vm.get("spec", {})
    if spec.get("runStrategy") in {strategy.value for strategy in RunStrategy}:
        return RunStrategy(spec["runStrategy"])
    return RunStrategy.ALWAYS if spec.get("running") else RunStrategy.HALTED


def strip_platform_defaults(template_spec: JsonObject | None) -> JsonObject:
    """A template spec without the fields KubeVirt itself writes, so they never count as a user's change."""
    stripped: JsonObject = copy.deepcopy(template_spec or {})
    for row in PLATFORM_DEFAULTS:
        if row.path[:3] != _TEMPLATE_SPEC:
            continue
        parent = get_path(stripped, row.path[3:-1])
        if isinstance(parent, dict):
            parent.pop(row.path[-1], None)
    domain = stripped.get("domain", {})
    for empty in ("firmware", "machine"):
        if domain.get(empty) == {}:
            del domain[empty]
    return stripped


def format_bytes(value: Decimal) -> str:
    for suffix, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if value % size == 0:
            return f"{int(value // size)}{suffix}"
    return str(int(value))


# Pass entry -------------------------------------------------------------------------------------------------


def reconcile_vms(snapshot: PassSnapshot) -> None:
    for key in sorted(snapshot.vms):
        reconcile_vm(snapshot, key)
    collect_garbage(snapshot)


def reconcile_vm(snapshot: PassSnapshot, key: Key, *, force_start: bool = False) -> None:
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
        _write_vm_status(snapshot, key, None, clear_restart_required=True)
        return
    vm = _write_defaults(snapshot, key)
    templates_ready = _ensure_template_data_volumes(snapshot, vm)
    strategy = run_strategy(vm)
    phase = vmi.get("status", {}).get("phase") if vmi is not None else None
    started = False
    if strategy == RunStrategy.HALTED:
        if vmi is not None:
            _delete_vmi(snapshot, key)
            vmi = None
    elif templates_ready:
        recreate = (strategy == RunStrategy.ALWAYS and phase in _FINAL_PHASES) or (
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
            started = True
    restart_message: str | None = None
    if vmi is not None and vmi.get("status", {}).get("phase") not in _FINAL_PHASES:
        vmi = _sync_vmi_status(snapshot, vm, vmi)
        if not started:
            restart_message, vmi = _restart_required_or_live_update(snapshot, vm, vmi)
    _write_vm_status(
        snapshot,
        key,
        vmi,
        clear_restart_required=started or vmi is None,
        restart_message=restart_message,
    )


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
    """Store the VM spec a VMI starts from (or was live-updated to); drop this VM's older revisions."""
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


def _hotplug_limits(snapshot: PassSnapshot, spec: JsonObject) -> None:
    """maxSockets and maxGuest as KubeVirt sets them on the VMI under LiveUpdate."""
    config = snapshot.config
    domain = spec.setdefault("domain", {})
    cpu = domain.setdefault("cpu", {})
    sockets = int(cpu.get("sockets", 1))
    if "maxSockets" not in cpu:
        if config.max_cpu_sockets is not None:
            cpu["maxSockets"] = max(int(config.max_cpu_sockets), sockets)
        else:
            cpu["maxSockets"] = sockets * config.hotplug_ratio
    memory = domain.get("memory") or {}
    guest = quantity_or_none(memory.get("guest"))
    if guest is not None and "maxGuest" not in memory:
        configured = quantity_or_none(config.max_guest)
        memory["maxGuest"] = format_bytes(
            configured if configured is not None else guest * config.hotplug_ratio
        )


def _guest_memory(domain: JsonObject) -> Any:
    memory = domain.get("memory") or {}
    return memory.get("guest") or ((domain.get("resources") or {}).get("requests") or {}).get("memory")


def _vmi_spec(snapshot: PassSnapshot, vm: JsonObject) -> JsonObject:
    spec: JsonObject = copy.deepcopy(vm.get("spec", {}).get("template", {}).get("spec", {}))
    domain = spec.setdefault("domain", {})
    guest = _guest_memory(domain)
    if guest is not None:
        domain.setdefault("memory", {})["guest"] = guest
    if snapshot.config.rollout == RolloutStrategy.LIVE_UPDATE:
        _hotplug_limits(snapshot, spec)
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
    body["status"] = _vmi_status(snapshot, vm, body)
    body["status"]["virtualMachineRevisionName"] = revision
    created = snapshot.door.create_custom(VIRTUAL_MACHINE_INSTANCE, namespace, body, Manager.VIRT_CONTROLLER)
    snapshot.vmis[(namespace, name)] = created
    return created


# virt-handler: the VMI's status -----------------------------------------------------------------------------


def _node_for(namespace: str, name: str) -> str:
    return NODE_NAMES[stable_digest(namespace, name, "node")[0] % len(NODE_NAMES)]


def _address(prefix: str, *parts: str) -> str:
    digest = stable_digest(*parts)
    return f"{prefix}.{digest[0]}.{1 + digest[1] % 254}"


def _mac(*parts: str) -> str:
    digest = stable_digest(*parts, "mac")
    return "02:" + ":".join(f"{byte:02x}" for byte in digest[:5])


def _interfaces(vm: JsonObject, vmi: JsonObject, modes: frozenset[FailureMode]) -> list[JsonObject]:
    namespace, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
    spec = vmi.get("spec", {})
    declared = (spec.get("domain", {}).get("devices", {}) or {}).get("interfaces")
    networks = {network.get("name"): network for network in spec.get("networks") or []}
    autoattach = (spec.get("domain", {}).get("devices", {}) or {}).get("autoattachPodInterface", True)
    if not declared and not networks and autoattach is not False:
        declared = [{"name": "default", "masquerade": {}}]
        networks = {"default": {"name": "default", "pod": {}}}
    agent = FailureMode.NO_AGENT not in modes
    reported: list[JsonObject] = []
    for position, interface in enumerate(declared or []):
        if interface.get("state") == "absent":
            continue
        interface_name = str(interface.get("name", ""))
        network = networks.get(interface_name, {})
        entry: JsonObject = {
            "name": interface_name,
            "mac": interface.get("macAddress") or _mac(namespace, name, interface_name),
            "infoSource": "domain, guest-agent" if agent else "domain",
            "linkState": "up",
            "queueCount": 1,
        }
        if agent:
            entry["interfaceName"] = f"eth{position}"
        address: str | None = None
        if "pod" in network:
            entry["podInterfaceName"] = "eth0"
            address = _address("10.244", namespace, name, interface_name)
        elif agent:
            address = _address("192.168", namespace, name, interface_name)
        if address is not None and FailureMode.NO_IP not in modes:
            entry["ipAddress"] = address
            entry["ipAddresses"] = [address]
        reported.append(entry)
    return reported


def _migratable(snapshot: PassSnapshot, namespace: str, spec: JsonObject) -> JsonObject:
    """LiveMigratable: PVCs must be shared (ReadWriteMany), the pod network must not use plain bridge."""
    for volume in spec.get("volumes") or []:
        claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName") or (
            volume.get("dataVolume") or {}
        ).get("name")
        if not claim_name:
            continue
        claim = snapshot.pvcs.get((namespace, claim_name))
        modes = (claim or {}).get("spec", {}).get("accessModes") or []
        if claim is not None and "ReadWriteMany" not in modes:
            message = (
                f"cannot migrate VMI: PVC {claim_name} is not shared, live migration requires that all PVCs "
                "must be shared (using ReadWriteMany access mode)"
            )
            return condition("LiveMigratable", False, "DisksNotLiveMigratable", message)
    networks = {network.get("name"): network for network in spec.get("networks") or []}
    for interface in (spec.get("domain", {}).get("devices", {}) or {}).get("interfaces") or []:
        if "bridge" in interface and "pod" in networks.get(interface.get("name"), {}):
            message = "cannot migrate VMI which does not use masquerade to connect to the pod network"
            return condition("LiveMigratable", False, "InterfaceNotLiveMigratable", message)
    return condition("LiveMigratable", True)


def _vmi_status(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    """The status virt-handler (and the VMI controller before it) would report for this VMI now.

    A VMI that already runs keeps running: its pod holds its volumes, and scheduling faults no longer apply.
    """
    namespace, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
    previous: JsonObject = vmi.get("status") or {}
    spec = vmi.get("spec", {})
    modes = failure_modes(vm)
    states = [(volume, volume_state(snapshot, namespace, volume)) for volume in spec.get("volumes") or []]
    not_ready = condition("Ready", False, "PodNotExists", "virt-launcher pod has not yet been scheduled")
    status: JsonObject = {}
    for keep in ("virtualMachineRevisionName", "migrationState"):
        if keep in previous:
            status[keep] = previous[keep]
    if previous.get("phase") == VmiPhase.RUNNING:
        states = []
        modes = modes - {FailureMode.UNSCHEDULABLE, FailureMode.ERR_IMAGE_PULL}
    missing = [volume for volume, state in states if state == VolumeState.PVC_NOT_FOUND]
    waiting = [
        state
        for _, state in states
        if state in (VolumeState.PROVISIONING, VolumeState.DATA_VOLUME_ERROR, VolumeState.UNBOUND)
    ]
    if missing:
        claim = (missing[0].get("persistentVolumeClaim") or {}).get("claimName") or (
            missing[0].get("dataVolume") or {}
        ).get("name")
        message = f"PVC {namespace}/{claim} does not exist, waiting for it to appear"
        status["phase"] = VmiPhase.PENDING.value
        status["conditions"] = [not_ready, condition("Synchronized", False, "FailedPvcNotFound", message)]
        return status
    if waiting:
        status["phase"] = VmiPhase.PENDING.value
        status["conditions"] = [not_ready]
        return status
    if FailureMode.UNSCHEDULABLE in modes:
        message = "0/2 nodes are available: 2 Insufficient devices.kubevirt.io/kvm."
        status["phase"] = VmiPhase.SCHEDULING.value
        status["conditions"] = [not_ready, condition("PodScheduled", False, "Unschedulable", message)]
        return status
    if FailureMode.ERR_IMAGE_PULL in modes:
        images = [
            str(volume["containerDisk"].get("image", ""))
            for volume in spec.get("volumes") or []
            if "containerDisk" in volume
        ]
        image = images[0] if images else "virt-launcher"
        message = f'failed to pull and unpack image "{image}": not found'
        status["phase"] = VmiPhase.SCHEDULING.value
        status["conditions"] = [not_ready, condition("Synchronized", False, "ErrImagePull", message)]
        return status
    domain = spec.get("domain", {})
    cpu = domain.get("cpu") or {}
    conditions = [condition("Ready", True), _migratable(snapshot, namespace, spec)]
    if FailureMode.NO_AGENT not in modes:
        conditions.append(condition("AgentConnected", True))
    status.update(
        {
            "phase": VmiPhase.RUNNING.value,
            "nodeName": previous.get("nodeName") or _node_for(namespace, name),
            "conditions": conditions,
            "interfaces": _interfaces(vm, vmi, modes),
            "currentCPUTopology": {
                "sockets": int(cpu.get("sockets", 1)),
                "cores": int(cpu.get("cores", 1)),
                "threads": int(cpu.get("threads", 1)),
            },
            "machine": {"type": str((domain.get("machine") or {}).get("type", "q35"))},
            "qosClass": "Burstable",
        }
    )
    guest = (domain.get("memory") or {}).get("guest")
    if guest is not None:
        at_boot = (previous.get("memory") or {}).get("guestAtBoot", guest)
        status["memory"] = {"guestAtBoot": at_boot, "guestCurrent": guest, "guestRequested": guest}
    return status


def _sync_vmi_status(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    wanted = _vmi_status(snapshot, vm, vmi)
    if wanted == vmi.get("status"):
        return vmi
    key = (vm["metadata"]["namespace"], vm["metadata"]["name"])
    patched = snapshot.door.patch_custom(
        VIRTUAL_MACHINE_INSTANCE,
        *key,
        [{"op": "add", "path": "/status", "value": wanted}],
        Manager.VIRT_HANDLER,
    )
    snapshot.vmis[key] = patched
    return patched


# RestartRequired and live updates ---------------------------------------------------------------------------


def _is_hotplug(volume: JsonObject | None) -> bool:
    if volume is None:
        return False
    return any(
        bool((volume.get(source) or {}).get("hotpluggable"))
        for source in ("dataVolume", "persistentVolumeClaim")
    )


def _only_hotplug_changes(
    old: list[JsonObject], new: list[JsonObject], volumes_old: Any, volumes_new: Any
) -> bool:
    """validLiveUpdateVolumes/Disks: entries may change only when their volume is hotpluggable."""
    old_by_name = {str(item.get("name")): item for item in old}
    new_volumes = {str(item.get("name")): item for item in volumes_new or []}
    old_volumes = {str(item.get("name")): item for item in volumes_old or []}
    for item in new:
        item_name = str(item.get("name"))
        if _is_hotplug(new_volumes.get(item_name)):
            old_by_name.pop(item_name, None)
            continue
        previous = old_by_name.pop(item_name, None)
        if previous is None or not semantically_equal(previous, item):
            return False
    return all(_is_hotplug(old_volumes.get(item_name)) for item_name in old_by_name)


def _copy_live_updatable(last: JsonObject, current: JsonObject) -> None:
    """Overwrite, in ``last``, every field LIVE_UPDATABLE lets through, so only the other changes remain."""
    for row in LIVE_UPDATABLE:
        if row.check == LiveUpdateCheck.HOTPLUG_ONLY:
            old_items = get_path(last, row.path) or []
            new_items = get_path(current, row.path) or []
            if not _only_hotplug_changes(old_items, new_items, last.get("volumes"), current.get("volumes")):
                continue
        elif row.check == LiveUpdateCheck.SOCKETS_WITHIN_MAX and not (
            isinstance(get_path(last, row.path[:-1]), dict)
            and isinstance(get_path(current, row.path[:-1]), dict)
        ):
            continue
        _set_or_remove(last, row.path, get_path(current, row.path))


def _set_or_remove(obj: JsonObject, path: tuple[str, ...], value: Any) -> None:
    node = obj
    for part in path[:-1]:
        if not isinstance(node.get(part), dict):
            if value is None:
                return
            node[part] = {}
        node = node[part]
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)


def _restart_required_or_live_update(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject
) -> tuple[str | None, JsonObject]:
    """The RestartRequired message this pass adds (None if none), after propagating what LiveUpdate allows."""
    namespace = vm["metadata"]["namespace"]
    revision_name = vmi.get("status", {}).get("virtualMachineRevisionName")
    revision = snapshot.revisions.get((namespace, str(revision_name)))
    if revision is None or vmi.get("status", {}).get("phase") != VmiPhase.RUNNING:
        return None, vmi
    last = strip_platform_defaults(get_path(revision, ("data", "spec", "template", "spec")))
    current = strip_platform_defaults(get_path(vm, _TEMPLATE_SPEC))
    live_update = snapshot.config.rollout == RolloutStrategy.LIVE_UPDATE
    if live_update:
        _copy_live_updatable(last, current)
    if not semantically_equal(last, current):
        return RESTART_REQUIRED_MESSAGE, vmi
    already = find_condition(vm, RESTART_REQUIRED)
    if already is not None and already.get("status") == "True":
        return None, vmi
    if live_update:
        message, vmi = _propagate(snapshot, vm, vmi)
        if message is not None:
            return message, vmi
    return None, _bump_generation(snapshot, vm, vmi)


def _bump_generation(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    """conditionallyBumpGenerationAnnotationOnVmi: the running VMI reflects the VM's current generation."""
    generation = str(vm["metadata"].get("generation", 1))
    if (vmi.get("metadata", {}).get("annotations") or {}).get(VM_GENERATION_ANNOTATION) == generation:
        return vmi
    key = (vm["metadata"]["namespace"], vm["metadata"]["name"])
    revision = _record_revision(snapshot, vm)
    patch: JsonPatch = [
        {"op": "add", "path": "/metadata/annotations/kubevirt.io~1vm-generation", "value": generation},
        {"op": "add", "path": "/status/virtualMachineRevisionName", "value": revision},
    ]
    vmi = snapshot.door.patch_custom(VIRTUAL_MACHINE_INSTANCE, *key, patch, Manager.VIRT_CONTROLLER)
    snapshot.vmis[key] = vmi
    return vmi


def _propagate(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> tuple[str | None, JsonObject]:
    """handleCPUChangeRequest, handleMemoryHotplugRequest, placement and hotplug volumes, in that order."""
    current = get_path(vm, _TEMPLATE_SPEC) or {}
    vmi_spec = vmi.get("spec", {})
    migratable = find_condition(vmi, "LiveMigratable") or {}
    is_migratable = migratable.get("status") == "True"
    patch: JsonPatch = []
    migrate = False

    wanted_sockets = int(get_path(current, ("domain", "cpu", "sockets")) or 1)
    running_sockets = int(get_path(vmi_spec, ("domain", "cpu", "sockets")) or 1)
    if wanted_sockets != running_sockets:
        max_sockets = int(get_path(vmi_spec, ("domain", "cpu", "maxSockets")) or running_sockets)
        if wanted_sockets < running_sockets:
            return "Reduction of CPU socket count requires a restart", vmi
        if not is_migratable:
            return (
                "CPU sockets updated in template spec; the VMI is not migratable so it needs a restart",
                vmi,
            )
        if wanted_sockets > max_sockets:
            return "CPU sockets updated in template spec to a value higher than what's available", vmi
        patch.append({"op": "add", "path": "/spec/domain/cpu/sockets", "value": wanted_sockets})
        migrate = True

    wanted_guest = quantity_or_none(get_path(current, ("domain", "memory", "guest")))
    running_guest = quantity_or_none(get_path(vmi_spec, ("domain", "memory", "guest")))
    if wanted_guest is not None and running_guest is not None and wanted_guest != running_guest:
        max_guest = quantity_or_none(get_path(vmi_spec, ("domain", "memory", "maxGuest")))
        at_boot = quantity_or_none(get_path(vmi, ("status", "memory", "guestAtBoot"))) or running_guest
        if not is_migratable:
            return "memory updated in template spec. Memory-hotplug is only available for migratable VMs", vmi
        if max_guest is None:
            return (
                "memory updated in template spec. Memory-hotplug is not available for this VM configuration",
                vmi,
            )
        if at_boot < MIN_HOTPLUG_MEMORY_BYTES:
            return "memory hotplug not supported, VM must have at least 1Gi of guest memory", vmi
        if wanted_guest < at_boot:
            return "memory updated in template spec to a value lower than what the VM started with", vmi
        if wanted_guest > max_guest:
            return "memory updated in template spec to a value higher than what's available", vmi
        guest_text = str(get_path(current, ("domain", "memory", "guest")))
        patch.append({"op": "add", "path": "/spec/domain/memory/guest", "value": guest_text})
        requested = quantity_or_none(get_path(vmi_spec, ("domain", "resources", "requests", "memory")))
        if requested is not None:
            new_request = format_bytes(max(requested + wanted_guest - running_guest, wanted_guest))
            patch.append(
                {"op": "add", "path": "/spec/domain/resources/requests/memory", "value": new_request}
            )
        migrate = True

    for row in LIVE_UPDATABLE:
        if row.check not in (LiveUpdateCheck.ALWAYS, LiveUpdateCheck.HOTPLUG_ONLY):
            continue
        wanted, running = get_path(current, row.path), get_path(vmi_spec, row.path)
        if semantically_equal(wanted, running) or (wanted in (None, [], {}) and running in (None, [], {})):
            continue
        pointer = "/spec/" + "/".join(row.path)
        if wanted is None:
            patch.append({"op": "remove", "path": pointer})
        else:
            patch.append({"op": "add", "path": pointer, "value": wanted})
        migrate = migrate or row.via_migration

    if not patch:
        return None, vmi
    key = (vm["metadata"]["namespace"], vm["metadata"]["name"])
    vmi = snapshot.door.patch_custom(VIRTUAL_MACHINE_INSTANCE, *key, patch, Manager.VIRT_CONTROLLER)
    snapshot.vmis[key] = vmi
    if migrate:
        vmi = _migrate(snapshot, vm, vmi)
    vmi = _sync_vmi_status(snapshot, vm, vmi)
    return None, vmi


def _migrate(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    """A completed live migration to the other node, as virt-handler reports it on the VMI."""
    key = (vm["metadata"]["namespace"], vm["metadata"]["name"])
    status = vmi.get("status", {})
    source = str(status.get("nodeName") or NODE_NAMES[0])
    target = (
        NODE_NAMES[(NODE_NAMES.index(source) + 1) % len(NODE_NAMES)]
        if source in NODE_NAMES
        else NODE_NAMES[0]
    )
    generation = str(vm["metadata"].get("generation", 1))
    migration = {
        "completed": True,
        "mode": "PreCopy",
        "migrationUid": str(uuid.uuid5(FIRMWARE_UUID_NAMESPACE, f"{vmi['metadata']['uid']}/{generation}")),
        "sourceNode": source,
        "targetNode": target,
    }
    patch: JsonPatch = [
        {"op": "add", "path": "/status/migrationState", "value": migration},
        {"op": "add", "path": "/status/nodeName", "value": target},
    ]
    vmi = snapshot.door.patch_custom(VIRTUAL_MACHINE_INSTANCE, *key, patch, Manager.VIRT_HANDLER)
    snapshot.vmis[key] = vmi
    return vmi


# virt-controller: the VM's status ---------------------------------------------------------------------------


def _template_data_volume_phases(snapshot: PassSnapshot, vm: JsonObject) -> list[str | None]:
    namespace = vm["metadata"]["namespace"]
    phases: list[str | None] = []
    for volume in get_path(vm, (*_TEMPLATE_SPEC, "volumes")) or []:
        if "dataVolume" in volume:
            data_volume = snapshot.data_volumes.get((namespace, str(volume["dataVolume"].get("name", ""))))
            if data_volume is not None:
                phases.append(data_volume.get("status", {}).get("phase"))
    return phases


def _has_condition(
    vmi: JsonObject | None, condition_type: str, status: str, reason: str | None = None
) -> bool:
    if vmi is None:
        return False
    found = find_condition(vmi, condition_type)
    return (
        found is not None
        and found.get("status") == status
        and (reason is None or found.get("reason") == reason)
    )


def printable_status(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject | None) -> PrintableStatus:
    """setPrintableStatus: the first matching state wins, in KubeVirt's order."""
    strategy = run_strategy(vm)
    start_expected = strategy in (RunStrategy.ALWAYS, RunStrategy.RERUN_ON_FAILURE, RunStrategy.ONCE)
    phase = vmi.get("status", {}).get("phase") if vmi is not None else None
    final = phase in _FINAL_PHASES
    dv_phases = _template_data_volume_phases(snapshot, vm)
    namespace = vm["metadata"]["namespace"]
    volumes = get_path(vm, (*_TEMPLATE_SPEC, "volumes")) or []
    if vm["metadata"].get("deletionTimestamp"):
        return PrintableStatus.TERMINATING
    if vmi is not None and not final and strategy == RunStrategy.HALTED:
        return PrintableStatus.STOPPING
    if phase == VmiPhase.RUNNING:
        return PrintableStatus.RUNNING
    if _has_condition(vmi, "Synchronized", "False", "FailedPvcNotFound"):
        return PrintableStatus.ERROR_PVC_NOT_FOUND
    if DataVolumePhase.FAILED in dv_phases:
        return PrintableStatus.DATA_VOLUME_ERROR
    if _has_condition(vmi, "PodScheduled", "False", "Unschedulable"):
        return PrintableStatus.ERROR_UNSCHEDULABLE
    if any(phase not in (DataVolumePhase.SUCCEEDED, DataVolumePhase.FAILED) for phase in dv_phases):
        return PrintableStatus.PROVISIONING
    if (vmi is not None or start_expected) and any(
        volume_state(snapshot, namespace, volume) == VolumeState.UNBOUND for volume in volumes
    ):
        return PrintableStatus.WAITING_FOR_VOLUME_BINDING
    if _has_condition(vmi, "Synchronized", "False", "ErrImagePull"):
        return PrintableStatus.ERR_IMAGE_PULL
    if (
        vmi is None
        and start_expected
        and not (strategy == RunStrategy.ONCE and vm.get("status", {}).get("created"))
    ) or (vmi is not None and phase in (None, VmiPhase.PENDING, VmiPhase.SCHEDULING)):
        return PrintableStatus.STARTING
    return PrintableStatus.STOPPED


def _write_vm_status(
    snapshot: PassSnapshot,
    key: Key,
    vmi: JsonObject | None,
    *,
    clear_restart_required: bool,
    restart_message: str | None = None,
) -> None:
    vm = snapshot.vms[key]
    previous: JsonObject = vm.get("status") or {}
    status: JsonObject = {}
    created = vmi is not None
    ready = _has_condition(vmi, "Ready", "True")
    if created:
        status["created"] = True
    if ready:
        status["ready"] = True
    status["printableStatus"] = printable_status(snapshot, vm, vmi).value
    if previous.get("runStrategy") or created:
        status["runStrategy"] = run_strategy(vm).value
    for field in ("observedGeneration", "desiredGeneration"):
        if field in previous:
            status[field] = previous[field]
    if vmi is not None:
        annotation = (vmi.get("metadata", {}).get("annotations") or {}).get(VM_GENERATION_ANNOTATION)
        if annotation is not None:
            status["observedGeneration"] = int(annotation)
        status["desiredGeneration"] = int(vm["metadata"].get("generation", 1))
    conditions: list[JsonObject] = []
    if vmi is None:
        conditions.append(condition("Ready", False, "VMINotExists", "VMI does not exist"))
    else:
        vmi_ready = find_condition(vmi, "Ready")
        conditions.append(
            vmi_ready
            if vmi_ready is not None
            else condition("Ready", False, "VMIConditionMissing", "VMI is missing the Ready condition")
        )
        for vmi_condition in vmi.get("status", {}).get("conditions") or []:
            if vmi_condition.get("type") not in ("Ready", "Failure", RESTART_REQUIRED):
                conditions.append(dict(vmi_condition))
    restart_required = None if clear_restart_required else find_condition(vm, RESTART_REQUIRED)
    if restart_required is None and restart_message is not None and not clear_restart_required:
        restart_required = condition(RESTART_REQUIRED, True, message=restart_message)
    if restart_required is not None:
        conditions.append(restart_required)
    status["conditions"] = conditions
    for kept in ("volumeSnapshotStatuses", "stateChangeRequests", "volumeRequests", "startFailure"):
        if kept in previous:
            status[kept] = previous[kept]
    if status == previous:
        return
    snapshot.vms[key] = snapshot.door.patch_custom(
        VIRTUAL_MACHINE,
        *key,
        [{"op": "add", "path": "/status", "value": status}],
        Manager.VIRT_CONTROLLER,
        status=True,
    )
