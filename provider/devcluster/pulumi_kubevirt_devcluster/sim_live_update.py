"""virt-controller's live updates, simulated: what a template change does to the running VMI's spec.

Mirrors the second half of KubeVirt v1.9.0 ``pkg/virt-controller/watch/vm/vm.go`` ``sync``. Under every
rollout strategy: network hot-plug (``pkg/network/controllers/vm.go`` VMController.Sync) and declarative
volume hot-plug (``pkg/storage/hotplug/hotplug.go`` HandleDeclarativeVolumes). Only under LiveUpdate and only
when no restart is required: ``handleCPUChangeRequest``, ``handleAffinityChangeRequest``,
``handleTolerationsChangeRequest`` and ``handleMemoryHotplugRequest``, in that order. Each handler patches the
VMI spec or answers with the RestartRequired message KubeVirt writes. None of them migrates: the VMI
controller turns a patched spec into a hot-plug condition and the workload updater acts on it
(``sim_workload_updater``).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt_devcluster.sim_api import (
    VIRTUAL_MACHINE,
    VIRTUAL_MACHINE_INSTANCE,
    JsonObject,
    JsonPatch,
)
from pulumi_kubevirt_devcluster.sim_pass import PassSnapshot, find_condition, get_path, semantically_equal
from pulumi_kubevirt_devcluster.sim_restart_required import is_hotplug_volume
from pulumi_kubevirt_devcluster.sim_tables import HotplugCondition, Manager, RolloutStrategy
from pulumi_kubevirt_devcluster.sim_vmi import format_bytes, is_migratable, is_running, memory_hotplug_problem

DEFAULT_CPU_ALLOCATION_RATIO = 10
"""pkg/virt-config/virt-config.go DefaultCPUAllocationRatio: a vCPU requests 1/10 of a core."""

_TEMPLATE_SPEC = ("spec", "template", "spec")


def _by_name(items: Any) -> dict[str, JsonObject]:
    return {str(item.get("name")): item for item in items or []}


def _has_condition(vmi: JsonObject, condition_type: str, status: str) -> bool:
    found = find_condition(vmi, condition_type)
    return found is not None and found.get("status") == status


def is_migrating(vmi: JsonObject) -> bool:
    """migrations.IsMigrating: a migration has started and not finished."""
    state = vmi.get("status", {}).get("migrationState") or {}
    return bool(state) and not state.get("completed") and not state.get("failed")


def _patch_vmi(snapshot: PassSnapshot, vmi: JsonObject, patch: JsonPatch) -> JsonObject:
    key = (vmi["metadata"]["namespace"], vmi["metadata"]["name"])
    patched = snapshot.door.patch_custom(VIRTUAL_MACHINE_INSTANCE, *key, patch, Manager.VIRT_CONTROLLER)
    snapshot.vmis[key] = patched
    return patched


def _replace_or_remove(pointer: str, running: Any, wanted: Any) -> JsonPatch:
    """VMNodeSelectorPatch / VMIAffinityPatch / vmiTolerationsPatch: add, replace or remove one field."""
    if wanted is None:
        return [{"op": "remove", "path": pointer}] if running is not None else []
    return [{"op": "add", "path": pointer, "value": copy.deepcopy(wanted)}]


# Under every rollout strategy -------------------------------------------------------------------------------


def sync_interfaces(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject | None
) -> tuple[JsonObject, JsonObject | None]:
    """VMController.Sync: hot-plug new bridge/SR-IOV interfaces, pass state changes and NAD names to the VMI,
    then drop unplugged interfaces (``state: absent`` and gone from the guest) from the VMI and the VM."""
    template = get_path(vm, _TEMPLATE_SPEC) or {}
    wanted_interfaces = get_path(template, ("domain", "devices", "interfaces")) or []
    wanted_networks = _by_name(template.get("networks"))
    plugged: dict[str, JsonObject] = {}
    running_spec: JsonObject | None = None
    if vmi is not None and not vmi["metadata"].get("deletionTimestamp"):
        plugged = _by_name(vmi.get("status", {}).get("interfaces"))
        spec = vmi.get("spec", {})
        interfaces = copy.deepcopy(get_path(spec, ("domain", "devices", "interfaces")) or [])
        networks = copy.deepcopy(spec.get("networks") or [])
        running = _by_name(interfaces)
        for wanted in wanted_interfaces:
            name = str(wanted.get("name"))
            current = running.get(name)
            if current is None:
                if wanted.get("state") != "absent" and ("bridge" in wanted or "sriov" in wanted):
                    interfaces.append(copy.deepcopy(wanted))
                    if name in wanted_networks:
                        networks.append(copy.deepcopy(wanted_networks[name]))
            elif wanted.get("state") != current.get("state") and current.get("state") != "absent":
                if wanted.get("state") is None:
                    current.pop("state", None)
                else:
                    current["state"] = wanted["state"]
        detached = {
            str(i.get("name"))
            for i in interfaces
            if i.get("state") == "absent" and str(i.get("name")) not in plugged
        }
        interfaces = [i for i in interfaces if str(i.get("name")) not in detached]
        networks = [n for n in networks if str(n.get("name")) not in detached]
        for network in networks:
            wanted_network = wanted_networks.get(str(network.get("name"))) or {}
            if "multus" in network and "multus" in wanted_network:
                network["multus"]["networkName"] = wanted_network["multus"].get("networkName")
        old_interfaces = get_path(spec, ("domain", "devices", "interfaces")) or []
        if interfaces != old_interfaces or networks != (spec.get("networks") or []):
            patch: JsonPatch = [
                {"op": "add", "path": "/spec/networks", "value": networks},
                {"op": "add", "path": "/spec/domain/devices/interfaces", "value": interfaces},
            ]
            vmi = _patch_vmi(snapshot, vmi, patch)
        running_spec = vmi.get("spec", {})
    running_names = set(_by_name(get_path(running_spec or {}, ("domain", "devices", "interfaces"))))
    retained = [
        i
        for i in wanted_interfaces
        if i.get("state") != "absent" or str(i.get("name")) in running_names or str(i.get("name")) in plugged
    ]
    if len(retained) != len(wanted_interfaces):
        names = {str(i.get("name")) for i in retained}
        vm_networks = [n for n in template.get("networks") or [] if str(n.get("name")) in names]
        key = (vm["metadata"]["namespace"], vm["metadata"]["name"])
        patch = [
            {"op": "add", "path": "/spec/template/spec/domain/devices/interfaces", "value": retained},
            {"op": "add", "path": "/spec/template/spec/networks", "value": vm_networks},
        ]
        vm = snapshot.door.patch_custom(VIRTUAL_MACHINE, *key, patch, Manager.VIRT_CONTROLLER)
        snapshot.vms[key] = vm
    return vm, vmi


def sync_hotplug_volumes(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    """HandleDeclarativeVolumes (gate DeclarativeHotplugVolumes, Beta in v1.9.0, so on by default): the VMI's
    hot-plug volumes and their disks follow the VM's; other volumes stay as the VMI started."""
    if not is_running(vmi) or get_path(vm, ("spec", "updateVolumesStrategy")) == "Migration":
        return vmi
    template = get_path(vm, _TEMPLATE_SPEC) or {}
    spec = vmi.get("spec", {})
    wanted_volumes = _by_name(template.get("volumes"))
    running_volumes = spec.get("volumes") or []
    volumes = [v for v in running_volumes if not is_hotplug_volume(v) or str(v.get("name")) in wanted_volumes]
    running_names = {str(v.get("name")) for v in running_volumes}
    volumes += [
        copy.deepcopy(v)
        for v in template.get("volumes") or []
        if is_hotplug_volume(v) and str(v.get("name")) not in running_names
    ]
    volume_names = {str(v.get("name")) for v in volumes}
    running_disks = get_path(spec, ("domain", "devices", "disks")) or []
    hotplug_names = {str(v.get("name")) for v in volumes if is_hotplug_volume(v)}
    disks = [
        d
        for d in running_disks
        if str(d.get("name")) not in hotplug_names or str(d.get("name")) in volume_names
    ]
    disk_names = {str(d.get("name")) for d in disks}
    disks += [
        copy.deepcopy(d)
        for d in get_path(template, ("domain", "devices", "disks")) or []
        if str(d.get("name")) in hotplug_names and str(d.get("name")) not in disk_names
    ]
    if semantically_equal(volumes, running_volumes) and semantically_equal(disks, running_disks):
        return vmi
    patch: JsonPatch = [
        {"op": "add", "path": "/spec/volumes", "value": volumes},
        {"op": "add", "path": "/spec/domain/devices/disks", "value": disks},
    ]
    return _patch_vmi(snapshot, vmi, patch)


# Only under LiveUpdate, and only while no restart is required -----------------------------------------------


def _milli(value: Any) -> Decimal:
    parsed = quantity_or_none(value)
    return (parsed or Decimal(0)) * 1000


def _cpu_text(milli: Decimal) -> str:
    return str(int(milli // 1000)) if milli % 1000 == 0 else f"{int(milli)}m"


def handle_cpu_change(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject
) -> tuple[str | None, JsonObject]:
    """handleCPUChangeRequest: more sockets up to the VMI's maxSockets are patched into its spec."""
    wanted_cpu = get_path(vm, (*_TEMPLATE_SPEC, "domain", "cpu"))
    running_cpu = get_path(vmi, ("spec", "domain", "cpu"))
    if not isinstance(wanted_cpu, dict) or not isinstance(running_cpu, dict):
        return None, vmi
    wanted, running = int(wanted_cpu.get("sockets", 1)), int(running_cpu.get("sockets", 1))
    if wanted == running:
        return None, vmi
    if _has_condition(vmi, HotplugCondition.VCPU_CHANGE, "True") or is_migrating(vmi):
        return None, vmi
    if wanted > int(running_cpu.get("maxSockets", 0)):
        return "CPU sockets updated in template spec to a value higher than what's available", vmi
    if wanted < running:
        return "Reduction of CPU socket count requires a restart", vmi
    if get_path(vm, (*_TEMPLATE_SPEC, "architecture")) == "arm64":
        return "ARM doesn't support CPU hotplug", vmi
    patch: JsonPatch = [{"op": "add", "path": "/spec/domain/cpu/sockets", "value": wanted}]
    vcpus_delta = (wanted - running) * int(wanted_cpu.get("cores", 1)) * int(wanted_cpu.get("threads", 1))
    delta = Decimal(vcpus_delta * 1000 // DEFAULT_CPU_ALLOCATION_RATIO)
    for kind in ("requests", "limits"):
        if get_path(vm, (*_TEMPLATE_SPEC, "domain", "resources", kind, "cpu")) is not None:
            running_value = _milli(get_path(vmi, ("spec", "domain", "resources", kind, "cpu")))
            patch.append(
                {
                    "op": "add",
                    "path": f"/spec/domain/resources/{kind}/cpu",
                    "value": _cpu_text(running_value + delta),
                }
            )
    return None, _patch_vmi(snapshot, vmi, patch)


def handle_placement_change(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    """handleAffinityChangeRequest, handleTolerationsChangeRequest: copied into the VMI spec; no move."""
    patch: JsonPatch = []
    for field in ("affinity", "nodeSelector", "tolerations"):
        wanted = get_path(vm, (*_TEMPLATE_SPEC, field))
        running = get_path(vmi, ("spec", field))
        if not semantically_equal(wanted, running):
            patch.extend(_replace_or_remove(f"/spec/{field}", running, wanted))
    if not patch or is_migrating(vmi):
        return vmi
    return _patch_vmi(snapshot, vmi, patch)


def handle_memory_change(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject
) -> tuple[str | None, JsonObject]:
    """handleMemoryHotplugRequest: more guest memory, up to the VMI's maxGuest, is patched into its spec."""
    template = get_path(vm, _TEMPLATE_SPEC) or {}
    wanted = quantity_or_none(get_path(template, ("domain", "memory", "guest")))
    running = quantity_or_none(get_path(vmi, ("spec", "domain", "memory", "guest")))
    status_memory = vmi.get("status", {}).get("memory") or {}
    current = quantity_or_none(status_memory.get("guestCurrent"))
    if wanted is None or running is None or current is None:
        return None, vmi
    if _has_condition(vmi, HotplugCondition.MEMORY_CHANGE, "False"):
        message = "memory updated in template spec. Memory-hotplug failed and is not available for this VM "
        return message + "configuration", vmi
    if wanted == running:
        return None, vmi
    if not is_migratable(vmi):
        return "memory updated in template spec. Memory-hotplug is only available for migratable VMs", vmi
    max_guest = quantity_or_none(get_path(vmi, ("spec", "domain", "memory", "maxGuest")))
    if max_guest is None:
        return (
            "memory updated in template spec. Memory-hotplug is not available for this VM configuration",
            vmi,
        )
    if _has_condition(vmi, HotplugCondition.MEMORY_CHANGE, "True") or is_migrating(vmi):
        return None, vmi
    problem = memory_hotplug_problem(template, max_guest)
    if problem is not None:
        return f"memory hotplug not supported, {problem}", vmi
    at_boot = quantity_or_none(status_memory.get("guestAtBoot"))
    if at_boot is not None and wanted < at_boot:
        return "memory updated in template spec to a value lower than what the VM started with", vmi
    delta = wanted - current
    patch: JsonPatch = [
        {
            "op": "add",
            "path": "/spec/domain/memory/guest",
            "value": str(get_path(template, ("domain", "memory", "guest"))),
        }
    ]
    requested = quantity_or_none(get_path(vmi, ("spec", "domain", "resources", "requests", "memory")))
    if requested:
        new_request = requested + delta
        if new_request < wanted:
            new_request, delta = wanted, wanted - new_request
        patch.append(
            {
                "op": "add",
                "path": "/spec/domain/resources/requests/memory",
                "value": format_bytes(new_request),
            }
        )
    if quantity_or_none(get_path(template, ("domain", "resources", "limits", "memory"))):
        limit = quantity_or_none(
            get_path(vmi, ("spec", "domain", "resources", "limits", "memory"))
        ) or Decimal(0)
        patch.append(
            {
                "op": "add",
                "path": "/spec/domain/resources/limits/memory",
                "value": format_bytes(limit + delta),
            }
        )
    return None, _patch_vmi(snapshot, vmi, patch)


def propagate_live_updates(
    snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject
) -> tuple[str | None, JsonObject]:
    """The LiveUpdate block of ``sync``: every handler runs; the last RestartRequired message set wins."""
    if snapshot.config.rollout != RolloutStrategy.LIVE_UPDATE or not is_running(vmi):
        return None, vmi
    cpu_message, vmi = handle_cpu_change(snapshot, vm, vmi)
    vmi = handle_placement_change(snapshot, vm, vmi)
    memory_message, vmi = handle_memory_change(snapshot, vm, vmi)
    return memory_message or cpu_message, vmi
