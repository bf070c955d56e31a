"""virt-controller's VM status, simulated: printable status, conditions, generations.

Mirrors KubeVirt v1.9.0 ``pkg/virt-controller/watch/vm/vm.go`` ``updateStatus``, ``setPrintableStatus`` (its
``isVirtualMachineStatus*`` checks in their order), ``syncConditions`` (every VMI condition but Ready, Failure
and RestartRequired is copied onto the VM) and ``syncGenerationInfo``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pulumi_kubevirt_devcluster.sim_api import VIRTUAL_MACHINE, JsonObject
from pulumi_kubevirt_devcluster.sim_pass import Key, PassSnapshot, condition, find_condition, get_path
from pulumi_kubevirt_devcluster.sim_storage import VolumeState, volume_state
from pulumi_kubevirt_devcluster.sim_tables import (
    VM_GENERATION_ANNOTATION,
    DataVolumePhase,
    Manager,
    PrintableStatus,
    RunStrategy,
    VmiPhase,
)
from pulumi_kubevirt_devcluster.sim_vmi import FINAL_PHASES

RESTART_REQUIRED = "RestartRequired"
_TEMPLATE_SPEC = ("spec", "template", "spec")


@dataclass(frozen=True, slots=True)
class RestartVerdict:
    """RestartRequired after a pass: set with ``message``, left as it was (``keep``), or removed (neither).

    KubeVirt judges it on every sync that has a VMI (syncRestartRequired, which also removes a condition that
    no longer holds), removes it when it starts or stops a VMI (cleanupRestartRequired), and leaves it alone
    when the sync ends early (for example while DataVolumes are not ready).
    """

    message: str | None = None
    keep: bool = False


KEEP_RESTART_REQUIRED = RestartVerdict(keep=True)
CLEAR_RESTART_REQUIRED = RestartVerdict()


def _restart_required(vm: JsonObject, message: str) -> JsonObject:
    """setRestartRequired: ``UpdateCondition`` keeps a True condition as it is (its first message and time).

    KubeVirt stamps ``lastTransitionTime`` with ``metav1.Now()`` (vm.go setRestartRequired;
    pkg/controller/conditions.go UpdateCondition replaces a condition only when its status or reason
    changes). The simulator reads no clock: it stamps the time the API server recorded for the latest spec
    write (``managedFields``), the change that made the restart necessary.
    """
    existing = find_condition(vm, RESTART_REQUIRED)
    if existing is not None and existing.get("status") == "True" and not existing.get("reason"):
        return existing
    stamped = condition(RESTART_REQUIRED, True, message=message)
    times = [
        str(entry["time"])
        for entry in vm.get("metadata", {}).get("managedFields") or []
        if entry.get("time") and not entry.get("subresource")
    ]
    if times:
        stamped["lastTransitionTime"] = max(times)
    return stamped


def run_strategy(vm: JsonObject) -> RunStrategy:
    spec = vm.get("spec", {})
    if spec.get("runStrategy") in {strategy.value for strategy in RunStrategy}:
        return RunStrategy(spec["runStrategy"])
    return RunStrategy.ALWAYS if spec.get("running") else RunStrategy.HALTED


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
    final = phase in FINAL_PHASES
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


def write_vm_status(
    snapshot: PassSnapshot,
    key: Key,
    vmi: JsonObject | None,
    restart: RestartVerdict,
) -> None:
    """Write the VM's status; ``restart`` says whether RestartRequired was judged in this pass, and how."""
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
    restart_required = find_condition(vm, RESTART_REQUIRED) if restart.keep else None
    if restart.message is not None:
        restart_required = _restart_required(vm, restart.message)
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
