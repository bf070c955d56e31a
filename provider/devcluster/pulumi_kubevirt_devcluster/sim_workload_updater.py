"""virt-controller's workload updater and a migration that lands, simulated: who moves a hot-plugged VMI.

Mirrors KubeVirt v1.9.0 ``pkg/virt-controller/watch/workload-updater/workload-updater.go`` (getUpdateData,
doesRequireMigration, isHotplugInProgress, sync): a running VMI with a hot-plug condition (``HotVCPUChange``,
``HotMemoryChange=True``, ``MigrationRequired=True``) is migrated when ``LiveMigrate`` is among the KubeVirt
CR's ``workloadUpdateMethods`` and the VMI is live-migratable, else evicted when ``Evict`` is, else left as
it is (the change waits). The migration is a real VirtualMachineInstanceMigration object; on the next pass it
completes as virt-handler's migration target reports it (``pkg/virt-handler/migration-target.go``): the guest
now runs with the hot-plugged CPUs, memory and interfaces, on the other node.
"""

from __future__ import annotations

from pulumi_kubevirt_devcluster.sim_api import (
    VIRTUAL_MACHINE_INSTANCE,
    VIRTUAL_MACHINE_INSTANCE_MIGRATION,
    JsonObject,
    JsonPatch,
)
from pulumi_kubevirt_devcluster.sim_live_update import is_migrating
from pulumi_kubevirt_devcluster.sim_pass import PassSnapshot, condition, failure_modes, find_condition
from pulumi_kubevirt_devcluster.sim_tables import (
    NODE_NAMES,
    WORKLOAD_UPDATE_ANNOTATION,
    WORKLOAD_UPDATE_NAME_PREFIX,
    HotplugCondition,
    Manager,
    VmiPhase,
    WorkloadUpdateMethod,
)
from pulumi_kubevirt_devcluster.sim_vmi import cpu_topology, interface_statuses, is_migratable, is_running

MIGRATION_SUCCEEDED = "Succeeded"
MIGRATION_FAILED = "Failed"
USER_TRIGGERED_PRIORITY = "user-triggered"
EVICTED_MESSAGE = "the virt-launcher pod was evicted by the workload updater"


def hotplug_in_progress(vmi: JsonObject) -> bool:
    """isHotplugInProgress: any HotVCPUChange, or HotMemoryChange / MigrationRequired that is True."""
    if find_condition(vmi, HotplugCondition.VCPU_CHANGE) is not None:
        return True
    return any(
        (found := find_condition(vmi, kind)) is not None and found.get("status") == "True"
        for kind in (HotplugCondition.MEMORY_CHANGE, HotplugCondition.MIGRATION_REQUIRED)
    )


def _finished(migration: JsonObject) -> bool:
    return migration.get("status", {}).get("phase") in (MIGRATION_SUCCEEDED, MIGRATION_FAILED)


def _other_node(source: str) -> str:
    if source not in NODE_NAMES:
        return NODE_NAMES[0]
    return NODE_NAMES[(NODE_NAMES.index(source) + 1) % len(NODE_NAMES)]


def _set_migration_phase(snapshot: PassSnapshot, migration: JsonObject, status: JsonObject) -> None:
    key = (migration["metadata"]["namespace"], migration["metadata"]["name"])
    snapshot.migrations[key] = snapshot.door.patch_custom(
        VIRTUAL_MACHINE_INSTANCE_MIGRATION,
        *key,
        [{"op": "add", "path": "/status", "value": status}],
        Manager.VIRT_CONTROLLER,
        status=True,
    )


def finish_migrations(snapshot: PassSnapshot) -> None:
    """Every unfinished migration lands: the VMI runs on the other node with what its spec asked for."""
    for key, migration in sorted(snapshot.migrations.items()):
        if _finished(migration):
            continue
        vmi_key = (key[0], str(migration.get("spec", {}).get("vmiName", "")))
        vmi = snapshot.vmis.get(vmi_key)
        vm = snapshot.vms.get(vmi_key)
        if vmi is None or vm is None or not is_running(vmi):
            _set_migration_phase(snapshot, migration, {"phase": MIGRATION_FAILED})
            continue
        status = vmi.get("status", {})
        source = str(status.get("nodeName") or NODE_NAMES[0])
        state = {
            "completed": True,
            "mode": "PreCopy",
            "migrationUid": migration["metadata"]["uid"],
            "sourceNode": source,
            "targetNode": _other_node(source),
        }
        spec = vmi.get("spec", {})
        patch: JsonPatch = [
            {"op": "add", "path": "/status/migrationState", "value": state},
            {"op": "add", "path": "/status/nodeName", "value": state["targetNode"]},
            {"op": "add", "path": "/status/currentCPUTopology", "value": cpu_topology(spec)},
            {
                "op": "add",
                "path": "/status/interfaces",
                "value": interface_statuses(*vmi_key, spec, failure_modes(vm), None),
            },
        ]
        guest = (spec.get("domain", {}).get("memory") or {}).get("guest")
        if guest is not None and "memory" in status:
            memory = {**status["memory"], "guestCurrent": guest, "guestRequested": guest}
            patch.append({"op": "add", "path": "/status/memory", "value": memory})
        snapshot.vmis[vmi_key] = snapshot.door.patch_custom(
            VIRTUAL_MACHINE_INSTANCE, *vmi_key, patch, Manager.VIRT_HANDLER
        )
        _set_migration_phase(snapshot, migration, {"phase": MIGRATION_SUCCEEDED, "migrationState": state})


def _start_migration(snapshot: PassSnapshot, vmi: JsonObject) -> None:
    namespace = vmi["metadata"]["namespace"]
    body: JsonObject = {
        "apiVersion": VIRTUAL_MACHINE_INSTANCE_MIGRATION.api_version,
        "kind": VIRTUAL_MACHINE_INSTANCE_MIGRATION.kind,
        "metadata": {
            "generateName": WORKLOAD_UPDATE_NAME_PREFIX,
            "namespace": namespace,
            "annotations": {WORKLOAD_UPDATE_ANNOTATION: ""},
        },
        "spec": {"vmiName": vmi["metadata"]["name"], "priority": USER_TRIGGERED_PRIORITY},
    }
    created = snapshot.door.create_custom(
        VIRTUAL_MACHINE_INSTANCE_MIGRATION, namespace, body, Manager.VIRT_CONTROLLER
    )
    snapshot.migrations[(namespace, created["metadata"]["name"])] = created


def _evict(snapshot: PassSnapshot, vmi: JsonObject) -> None:
    """The pod is evicted, the VMI fails; the VM's run strategy decides whether a new one starts."""
    key = (vmi["metadata"]["namespace"], vmi["metadata"]["name"])
    status = {
        **vmi.get("status", {}),
        "phase": VmiPhase.FAILED.value,
        "conditions": [condition("Ready", False, "PodTerminating", EVICTED_MESSAGE)],
    }
    snapshot.vmis[key] = snapshot.door.patch_custom(
        VIRTUAL_MACHINE_INSTANCE,
        *key,
        [{"op": "add", "path": "/status", "value": status}],
        Manager.VIRT_HANDLER,
    )


def update_workloads(snapshot: PassSnapshot) -> None:
    """getUpdateData and sync: migrate or evict each running VMI a hot-plug waits on, as the methods allow."""
    methods = snapshot.config.workload_update_methods
    busy = {
        (key[0], str(migration.get("spec", {}).get("vmiName", "")))
        for key, migration in snapshot.migrations.items()
        if not _finished(migration)
    }
    for key, vmi in sorted(snapshot.vmis.items()):
        if not is_running(vmi) or vmi["metadata"].get("deletionTimestamp"):
            continue
        if not hotplug_in_progress(vmi) or is_migrating(vmi) or key in busy:
            continue
        if WorkloadUpdateMethod.LIVE_MIGRATE in methods and is_migratable(vmi):
            _start_migration(snapshot, vmi)
        elif WorkloadUpdateMethod.EVICT in methods:
            _evict(snapshot, vmi)
