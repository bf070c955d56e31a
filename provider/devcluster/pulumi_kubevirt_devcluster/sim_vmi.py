"""virt-handler and the VMI controller, simulated: the status of a VirtualMachineInstance.

A VMI's status is what its virt-launcher pod and the guest report: phase, node, interfaces, the CPU topology
and memory the guest runs with, and conditions. What the guest runs with changes only when it starts or when a
migration lands it on a new node (virt-handler's migration target); a patched VMI spec alone (a hot-plug
request) shows up as a hot-plug condition for the workload updater to act on.

Mirrors KubeVirt v1.9.0 ``pkg/defaults/defaults.go`` (setCurrentCPUTopologyStatus, setGuestMemoryStatus,
setupCPUHotplug, setupMemoryHotplug), ``pkg/virt-controller/watch/vmi/lifecycle.go`` (requireCPUHotplug,
requireMemoryHotplug, syncMigrationRequiredCondition) and ``pkg/network/migration/evaluator.go``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pulumi_kubevirt.core.quantity import quantity_or_none
from pulumi_kubevirt_devcluster.sim_api import VIRTUAL_MACHINE_INSTANCE, JsonObject
from pulumi_kubevirt_devcluster.sim_pass import (
    PassSnapshot,
    condition,
    failure_modes,
    find_condition,
    get_path,
    stable_digest,
)
from pulumi_kubevirt_devcluster.sim_storage import VolumeState, volume_state
from pulumi_kubevirt_devcluster.sim_tables import (
    HOTPLUG_BLOCK_ALIGNMENT_BYTES,
    MAX_HOTPLUG_VCPUS,
    MIN_HOTPLUG_MEMORY_BYTES,
    NODE_NAMES,
    FailureMode,
    HotplugCondition,
    Manager,
    RolloutStrategy,
    VmiPhase,
)

GUEST_OS_INFO = {
    "id": "fedora",
    "kernelRelease": "6.8.5-301.fc40.x86_64",
    "machine": "x86_64",
    "name": "Fedora Linux",
    "prettyName": "Fedora Linux 40 (Cloud Edition)",
    "version": "40 (Cloud Edition)",
    "versionId": "40",
}
"""What the guest agent reports (virt-handler's updateGuestInfoFromDomain copies it to status.guestOSInfo)."""
FINAL_PHASES = frozenset({VmiPhase.SUCCEEDED, VmiPhase.FAILED})
AUTO_MIGRATION_REASON = "AutoMigrationDueToLiveUpdate"


def format_bytes(value: Decimal) -> str:
    for suffix, size in (("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if value % size == 0:
            return f"{int(value // size)}{suffix}"
    return str(int(value))


def is_final(vmi: JsonObject) -> bool:
    return bool(vmi.get("status", {}).get("phase") in FINAL_PHASES)


def is_running(vmi: JsonObject) -> bool:
    return bool(vmi.get("status", {}).get("phase") == VmiPhase.RUNNING)


def is_migratable(vmi: JsonObject) -> bool:
    """VirtualMachineInstance.IsMigratable: the LiveMigratable condition is True."""
    found = find_condition(vmi, "LiveMigratable") or {}
    return bool(found.get("status") == "True")


# virt-api's VMI defaults: hot-plug limits -------------------------------------------------------------------


def memory_hotplug_problem(spec: JsonObject, max_guest: Decimal | None) -> str | None:
    """memory.ValidateLiveUpdateMemory (pkg/liveupdate/memory/memory.go): why memory cannot be hot-plugged."""
    domain = spec.get("domain", {}) or {}
    cpu = domain.get("cpu") or {}
    memory = domain.get("memory") or {}
    if cpu.get("realtime") is not None:
        return "Memory hotplug is not compatible with realtime VMs"
    if (cpu.get("numa") or {}).get("guestMappingPassthrough") is not None:
        return "Memory hotplug is not compatible with guest mapping passthrough"
    if domain.get("launchSecurity") is not None:
        return "Memory hotplug is not compatible with encrypted VMs"
    alignment = (
        (1 << 30)
        if (memory.get("hugepages") or {}).get("pageSize") == "1Gi"
        else HOTPLUG_BLOCK_ALIGNMENT_BYTES
    )
    guest = quantity_or_none(memory.get("guest"))
    if guest is None:
        return "Guest memory must be configured when memory hotplug is enabled"
    if max_guest is None:
        return "Max guest memory must be configured when memory hotplug is enabled"
    if guest > max_guest:
        return "Guest memory is greater than the configured maxGuest memory"
    if guest % alignment != 0:
        return f"Guest memory must be {format_bytes(Decimal(alignment))} aligned"
    if max_guest % alignment != 0:
        return f"MaxGuest must be {format_bytes(Decimal(alignment))} aligned"
    if spec.get("architecture", "amd64") != "amd64":
        return "Memory hotplug is only available for x86_64 VMs"
    if guest < MIN_HOTPLUG_MEMORY_BYTES:
        return "Memory hotplug is only available for VMs with at least 1Gi of guest memory"
    return None


def set_hotplug_limits(snapshot: PassSnapshot, spec: JsonObject) -> None:
    """setupHotplug: under LiveUpdate only, maxSockets always and maxGuest when memory hot-plug can work."""
    if snapshot.config.rollout != RolloutStrategy.LIVE_UPDATE or spec.get("architecture") == "arm64":
        return
    config = snapshot.config
    cpu = spec.setdefault("domain", {}).setdefault("cpu", {})
    sockets, cores, threads = (int(cpu.get(part, 1)) for part in ("sockets", "cores", "threads"))
    if not cpu.get("maxSockets"):
        configured = int(config.max_cpu_sockets or 0)
        if configured:
            cpu["maxSockets"] = max(configured, sockets)
        else:
            max_sockets = sockets * config.hotplug_ratio
            if max_sockets * cores * threads > MAX_HOTPLUG_VCPUS:
                max_sockets = max(MAX_HOTPLUG_VCPUS // (cores * threads), sockets)
            cpu["maxSockets"] = max_sockets
    memory = spec["domain"].get("memory") or {}
    if memory.get("maxGuest") is not None:
        return
    guest = quantity_or_none(memory.get("guest"))
    max_guest = quantity_or_none(config.max_guest)
    if max_guest is None and guest is not None:
        max_guest = guest * config.hotplug_ratio
    if memory_hotplug_problem(spec, max_guest) is None and max_guest is not None:
        memory["maxGuest"] = format_bytes(max_guest)


# What the guest reports -------------------------------------------------------------------------------------


def node_for(namespace: str, name: str) -> str:
    return NODE_NAMES[stable_digest(namespace, name, "node")[0] % len(NODE_NAMES)]


def _address(prefix: str, *parts: str) -> str:
    digest = stable_digest(*parts)
    return f"{prefix}.{digest[0]}.{1 + digest[1] % 254}"


def _mac(*parts: str) -> str:
    digest = stable_digest(*parts, "mac")
    return "02:" + ":".join(f"{byte:02x}" for byte in digest[:5])


def _declared_interfaces(spec: JsonObject) -> tuple[list[JsonObject], dict[Any, JsonObject]]:
    devices = spec.get("domain", {}).get("devices", {}) or {}
    declared = list(devices.get("interfaces") or [])
    networks = {network.get("name"): network for network in spec.get("networks") or []}
    if not declared and not networks and devices.get("autoattachPodInterface", True) is not False:
        declared = [{"name": "default", "masquerade": {}}]
        networks = {"default": {"name": "default", "pod": {}}}
    return declared, networks


def interface_statuses(
    namespace: str, name: str, spec: JsonObject, modes: frozenset[FailureMode], only: set[str] | None
) -> list[JsonObject]:
    """Interfaces the guest has: all declared ones at start; later only those already plugged (``only``)."""
    declared, networks = _declared_interfaces(spec)
    agent = FailureMode.NO_AGENT not in modes
    reported: list[JsonObject] = []
    for position, interface in enumerate(declared):
        interface_name = str(interface.get("name", ""))
        if interface.get("state") == "absent" or (only is not None and interface_name not in only):
            continue
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


def cpu_topology(spec: JsonObject) -> JsonObject:
    cpu = spec.get("domain", {}).get("cpu") or {}
    return {part: int(cpu.get(part, 1)) for part in ("sockets", "cores", "threads")}


def _vcpus(topology: JsonObject) -> int:
    return int(topology.get("sockets", 1)) * int(topology.get("cores", 1)) * int(topology.get("threads", 1))


def _live_migratable(snapshot: PassSnapshot, namespace: str, spec: JsonObject) -> JsonObject:
    """LiveMigratable: PVCs must be shared (ReadWriteMany), the pod network must not use plain bridge."""
    for volume in spec.get("volumes") or []:
        claim_name = (volume.get("persistentVolumeClaim") or {}).get("claimName") or (
            volume.get("dataVolume") or {}
        ).get("name")
        if not claim_name:
            continue
        claim = snapshot.pvcs.get((namespace, claim_name))
        access_modes = (claim or {}).get("spec", {}).get("accessModes") or []
        if claim is not None and "ReadWriteMany" not in access_modes:
            message = (
                f"cannot migrate VMI: PVC {claim_name} is not shared, live migration requires that all PVCs "
                "must be shared (using ReadWriteMany access mode)"
            )
            return condition("LiveMigratable", False, "DisksNotLiveMigratable", message)
    declared, networks = _declared_interfaces(spec)
    for interface in declared:
        if "bridge" in interface and "pod" in networks.get(interface.get("name"), {}):
            message = "cannot migrate VMI which does not use masquerade to connect to the pod network"
            return condition("LiveMigratable", False, "InterfaceNotLiveMigratable", message)
    return condition("LiveMigratable", True)


def _hotplug_conditions(spec: JsonObject, status: JsonObject) -> list[JsonObject]:
    """requireCPUHotplug, requireMemoryHotplug and the network migration evaluator, on a running VMI."""
    found: list[JsonObject] = []
    cpu = spec.get("domain", {}).get("cpu") or {}
    if cpu.get("maxSockets") and _vcpus(cpu_topology(spec)) != _vcpus(status.get("currentCPUTopology") or {}):
        found.append(condition(HotplugCondition.VCPU_CHANGE, True))
    memory = spec.get("domain", {}).get("memory") or {}
    requested = quantity_or_none((status.get("memory") or {}).get("guestRequested"))
    guest = quantity_or_none(memory.get("guest"))
    if memory.get("maxGuest") is not None and guest is not None and guest != requested:
        found.append(condition(HotplugCondition.MEMORY_CHANGE, True))
    if _interface_waits_for_migration(spec, status):
        found.append(condition(HotplugCondition.MIGRATION_REQUIRED, True, AUTO_MIGRATION_REASON))
    return found


def _interface_waits_for_migration(spec: JsonObject, status: JsonObject) -> bool:
    """shouldMigrateOnIfaceHotplug: a Multus interface in the spec that the guest does not have yet.

    Upstream waits DynamicNetworkControllerGracePeriod (15 s) for a dynamic-networks controller to plug a
    bridge interface in place; this cluster has none and the simulator has no clock, so it asks at once.
    """
    declared, networks = _declared_interfaces(spec)
    plugged = {str(entry.get("name")) for entry in status.get("interfaces") or []}
    return any(
        "multus" in networks.get(interface.get("name"), {})
        and not (networks.get(interface.get("name"), {}).get("multus") or {}).get("default")
        and interface.get("state") != "absent"
        and str(interface.get("name")) not in plugged
        for interface in declared
    )


def vmi_status(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    """The status virt-handler (and the VMI controller before it) would report for this VMI now.

    A VMI that already runs keeps running: its pod holds its volumes, and scheduling faults no longer apply.
    What the guest runs with (CPU topology, memory, plugged interfaces) carries over from the last status.
    """
    namespace, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
    previous: JsonObject = vmi.get("status") or {}
    spec = vmi.get("spec", {})
    modes = failure_modes(vm)
    states = [(volume, volume_state(snapshot, namespace, volume)) for volume in spec.get("volumes") or []]
    not_ready = condition("Ready", False, "PodNotExists", "virt-launcher pod has not yet been scheduled")
    status: JsonObject = {}
    for keep in ("virtualMachineRevisionName", "migrationState", "currentCPUTopology", "memory"):
        if keep in previous:
            status[keep] = previous[keep]
    already_running = previous.get("phase") == VmiPhase.RUNNING
    if already_running:
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
    plugged = (
        {str(entry.get("name")) for entry in previous.get("interfaces") or []} if already_running else None
    )
    status.setdefault("currentCPUTopology", cpu_topology(spec))
    guest = get_path(spec, ("domain", "memory", "guest"))
    if guest is not None and "memory" not in status:
        status["memory"] = {"guestAtBoot": guest, "guestCurrent": guest, "guestRequested": guest}
    status["interfaces"] = interface_statuses(namespace, name, spec, modes, plugged)
    conditions = [condition("Ready", True), _live_migratable(snapshot, namespace, spec)]
    if FailureMode.NO_AGENT not in modes:
        conditions.append(condition("AgentConnected", True))
        status["guestOSInfo"] = dict(GUEST_OS_INFO)
    conditions.extend(_hotplug_conditions(spec, status))
    domain = spec.get("domain", {})
    status.update(
        {
            "phase": VmiPhase.RUNNING.value,
            "nodeName": previous.get("nodeName") or node_for(namespace, name),
            "conditions": conditions,
            "machine": {"type": str((domain.get("machine") or {}).get("type", "q35"))},
            "qosClass": "Burstable",
        }
    )
    return status


def sync_vmi_status(snapshot: PassSnapshot, vm: JsonObject, vmi: JsonObject) -> JsonObject:
    wanted = vmi_status(snapshot, vm, vmi)
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
