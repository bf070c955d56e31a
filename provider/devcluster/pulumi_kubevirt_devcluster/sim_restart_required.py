"""virt-controller's RestartRequired condition, simulated: does this template change need a new VMI?

Mirrors KubeVirt v1.9.0 ``pkg/virt-controller/watch/vm/vm.go`` ``syncRestartRequired``: the VM's template spec
is compared with the one the running VMI started from (its ControllerRevision), after the fields that can
change on a running VMI are copied over (table ``LIVE_UPDATABLE``). Hot-plug volumes and disks and network
hot-plug are let through under every rollout strategy; CPU sockets, guest memory and placement only under
LiveUpdate. The comparison runs on every pass, so a reverted change clears the condition again.
"""

from __future__ import annotations

import copy
from typing import Any

from pulumi_kubevirt_devcluster.sim_api import JsonObject
from pulumi_kubevirt_devcluster.sim_pass import get_path, semantically_equal
from pulumi_kubevirt_devcluster.sim_tables import (
    LIVE_UPDATABLE,
    LiveUpdateCheck,
    RolloutStrategy,
)


def is_hotplug_volume(volume: JsonObject | None) -> bool:
    """storagetypes.IsHotplugVolume: a DataVolume or PVC volume marked hotpluggable."""
    if volume is None:
        return False
    return any(
        bool((volume.get(source) or {}).get("hotpluggable"))
        for source in ("dataVolume", "persistentVolumeClaim")
    )


def _by_name(items: Any) -> dict[str, JsonObject]:
    return {str(item.get("name")): item for item in items or []}


def _volumes_changed_only_by_hotplug(
    last: JsonObject, current: JsonObject, update_by_migration: bool
) -> bool:
    """validLiveUpdateVolumes."""
    old_volumes = _by_name(last.get("volumes"))
    for volume in current.get("volumes") or []:
        name = str(volume.get("name"))
        previous = old_volumes.pop(name, None)
        if is_hotplug_volume(volume):
            continue
        if previous is None:
            return False
        claim_backed = "persistentVolumeClaim" in volume or "dataVolume" in volume
        if not (claim_backed and update_by_migration) and not semantically_equal(previous, volume):
            return False
    return all(is_hotplug_volume(volume) for volume in old_volumes.values())


def _disks_changed_only_by_hotplug(last: JsonObject, current: JsonObject) -> bool:
    """validLiveUpdateDisks."""
    old_disks = _by_name(get_path(last, ("domain", "devices", "disks")))
    old_volumes = _by_name(last.get("volumes"))
    new_volumes = _by_name(current.get("volumes"))
    new_disks = _by_name(get_path(current, ("domain", "devices", "disks")))
    for disk in get_path(current, ("domain", "devices", "disks")) or []:
        name = str(disk.get("name"))
        previous = old_disks.pop(name, None)
        if is_hotplug_volume(new_volumes.get(name)):
            continue
        if previous is None or not semantically_equal(previous, disk):
            return False
    for name, disk in old_disks.items():
        if name in old_volumes and not is_hotplug_volume(old_volumes[name]):
            return False
        if "cdrom" in disk and name not in new_disks:
            return False
    return True


def _without(item: JsonObject, *keys: str) -> JsonObject:
    return {key: value for key, value in item.items() if key not in keys}


def _without_nad_name(network: JsonObject) -> JsonObject:
    if "multus" not in network:
        return network
    return {**network, "multus": _without(network.get("multus") or {}, "networkName")}


def network_change_needs_restart(current: JsonObject, vmi_spec: JsonObject) -> bool:
    """pkg/network/vmliveupdate/restart.go IsRestartRequired: VM template against the running VMI's spec.

    Interfaces the VMI has may not disappear or change (``state`` aside); networks may not disappear or
    change (a Multus ``networkName`` aside); a pod network may not appear. New interfaces are hot-plugged.
    """
    desired_interfaces = _by_name(get_path(current, ("domain", "devices", "interfaces")))
    for name, running in _by_name(get_path(vmi_spec, ("domain", "devices", "interfaces"))).items():
        wanted = desired_interfaces.get(name)
        if wanted is None or _without(wanted, "state") != _without(running, "state"):
            return True
    desired_networks = _by_name(current.get("networks"))
    running_networks = _by_name(vmi_spec.get("networks"))

    def has_pod(networks: dict[str, JsonObject]) -> bool:
        return any("pod" in network for network in networks.values())

    if has_pod(desired_networks) and not has_pod(running_networks):
        return True
    for name, running in running_networks.items():
        wanted = desired_networks.get(name)
        if wanted is None or _without_nad_name(wanted) != _without_nad_name(running):
            return True
    return False


def _let_through(
    check: LiveUpdateCheck, last: JsonObject, current: JsonObject, vmi_spec: JsonObject, by_migration: bool
) -> bool:
    if check == LiveUpdateCheck.HOTPLUG_VOLUMES_ONLY:
        return _volumes_changed_only_by_hotplug(last, current, by_migration)
    if check == LiveUpdateCheck.HOTPLUG_DISKS_ONLY:
        return _disks_changed_only_by_hotplug(last, current)
    if check == LiveUpdateCheck.NETWORK_HOTPLUG_ONLY:
        return not network_change_needs_restart(current, vmi_spec)
    if check == LiveUpdateCheck.CPU_ON_BOTH:
        return isinstance(get_path(last, ("domain", "cpu")), dict) and isinstance(
            get_path(current, ("domain", "cpu")), dict
        )
    if check == LiveUpdateCheck.GUEST_SET:
        return get_path(current, ("domain", "memory", "guest")) is not None
    return True


def _copy_field(target: JsonObject, source: JsonObject, path: tuple[str, ...]) -> None:
    value = get_path(source, path)
    node = target
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


def needs_restart(
    last_template_spec: JsonObject,
    current_template_spec: JsonObject,
    vmi_spec: JsonObject,
    rollout: RolloutStrategy,
    *,
    update_volumes_by_migration: bool = False,
) -> bool:
    """syncRestartRequired's verdict: True when a field that cannot reach the running VMI has changed."""
    last = copy.deepcopy(last_template_spec)
    current = current_template_spec
    for row in LIVE_UPDATABLE:
        if row.live_update_only and rollout != RolloutStrategy.LIVE_UPDATE:
            continue
        if _let_through(row.check, last_template_spec, current, vmi_spec, update_volumes_by_migration):
            _copy_field(last, current, row.path)
    running_uuid = get_path(vmi_spec, ("domain", "firmware", "uuid"))
    if running_uuid is not None and running_uuid == get_path(current, ("domain", "firmware", "uuid")):
        _copy_field(last, current, ("domain", "firmware", "uuid"))
    return not semantically_equal(last, current)
