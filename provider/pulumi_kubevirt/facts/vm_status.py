"""How a VirtualMachine tells what state it is in: printable status, conditions, guest reports, restarts.

Why here: readiness (``wait_for``), the guest outputs and the restart policy read KubeVirt's own vocabulary,
and a reader is only as good as the code it was read from. Each row names the upstream function that sets the
value (KubeVirt v1.9.0).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pulumi_kubevirt.facts.source import Upstream, kubevirt

_VM_GO = "pkg/virt-controller/watch/vm/vm.go"
_TYPES_GO = "staging/src/kubevirt.io/api/core/v1/types.go"
_CONTROLLER_GO = "pkg/controller/controller.go"


class PrintableStatus(enum.StrEnum):
    """``status.printableStatus`` (types.go VirtualMachinePrintableStatus); set by setPrintableStatus."""

    STOPPED = "Stopped"
    PROVISIONING = "Provisioning"
    STARTING = "Starting"
    RUNNING = "Running"
    PAUSED = "Paused"
    STOPPING = "Stopping"
    TERMINATING = "Terminating"
    CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
    MIGRATING = "Migrating"
    UNKNOWN = "Unknown"
    ERROR_UNSCHEDULABLE = "ErrorUnschedulable"
    ERR_IMAGE_PULL = "ErrImagePull"
    IMAGE_PULL_BACK_OFF = "ImagePullBackOff"
    ERROR_PVC_NOT_FOUND = "ErrorPvcNotFound"
    DATA_VOLUME_ERROR = "DataVolumeError"
    WAITING_FOR_VOLUME_BINDING = "WaitingForVolumeBinding"
    WAITING_FOR_RECEIVER = "WaitingForReceiver"


class Condition(enum.StrEnum):
    """Condition types a wait or the restart policy reads (VM and VMI ``status.conditions``)."""

    READY = "Ready"
    AGENT_CONNECTED = "AgentConnected"
    RESTART_REQUIRED = "RestartRequired"
    SYNCHRONIZED = "Synchronized"
    POD_SCHEDULED = "PodScheduled"


@dataclass(frozen=True, slots=True)
class TerminalStatus:
    """A printable status a wait gives up on at once: KubeVirt will not get past it without a change.

    ``explained_by`` are the VM conditions (copied from the VMI by syncConditions) whose message says why;
    ``reasons`` are the condition reasons that status is computed from.
    """

    status: PrintableStatus
    explained_by: tuple[Condition, ...]
    reasons: tuple[str, ...]
    rule: str
    source: Upstream


TERMINAL_STATUSES: tuple[TerminalStatus, ...] = (
    TerminalStatus(
        PrintableStatus.ERR_IMAGE_PULL,
        (Condition.SYNCHRONIZED,),
        ("ErrImagePull",),
        "the VMI's Synchronized condition is False with reason ErrImagePull (a container disk or the "
        "launcher image cannot be pulled)",
        kubevirt(
            _VM_GO, "isVirtualMachineStatusErrImagePull; pkg/controller/controller.go ErrImagePullReason"
        ),
    ),
    TerminalStatus(
        PrintableStatus.IMAGE_PULL_BACK_OFF,
        (Condition.SYNCHRONIZED,),
        ("ImagePullBackOff",),
        "the VMI's Synchronized condition is False with reason ImagePullBackOff",
        kubevirt(_VM_GO, f"isVirtualMachineStatusImagePullBackOff; {_CONTROLLER_GO} ImagePullBackOffReason"),
    ),
    TerminalStatus(
        PrintableStatus.ERROR_UNSCHEDULABLE,
        (Condition.POD_SCHEDULED,),
        ("Unschedulable",),
        "the VMI's PodScheduled condition is False with reason Unschedulable",
        kubevirt(_VM_GO, "isVirtualMachineStatusUnschedulable"),
    ),
    TerminalStatus(
        PrintableStatus.ERROR_PVC_NOT_FOUND,
        (Condition.SYNCHRONIZED,),
        ("FailedPvcNotFound",),
        "the VMI's Synchronized condition is False with reason FailedPvcNotFound",
        kubevirt(
            _VM_GO, "isVirtualMachineStatusPvcNotFound; pkg/controller/controller.go FailedPvcNotFoundReason"
        ),
    ),
    TerminalStatus(
        PrintableStatus.DATA_VOLUME_ERROR,
        (Condition.SYNCHRONIZED,),
        (),
        "a DataVolume the VM uses reports an error (storagetypes.HasDataVolumeErrors)",
        kubevirt(_VM_GO, "isVirtualMachineStatusDataVolumeError"),
    ),
    TerminalStatus(
        PrintableStatus.CRASH_LOOP_BACK_OFF,
        (Condition.READY,),
        (),
        "the VMI ended and status.startFailure counts consecutive failed starts under Always, RerunOnFailure "
        "or Once",
        kubevirt(_VM_GO, "isVirtualMachineStatusCrashLoopBackOff"),
    ),
)
"""Statuses a wait fails on at once, each with the conditions that explain it (setPrintableStatus)."""

TERMINAL_BY_STATUS = {row.status.value: row for row in TERMINAL_STATUSES}

PRINTABLE_STATUS_SOURCE = kubevirt(_VM_GO, "setPrintableStatus (first matching state wins)")
READY_SOURCE = kubevirt(_VM_GO, "syncReadyConditionFromVMI")
AGENT_SOURCE = kubevirt(_VM_GO, "syncConditions (VMI conditions but Ready, Failure, RestartRequired copied)")

RESTART_REQUIRED_SOURCE = kubevirt(_VM_GO, "syncRestartRequired; setRestartRequired")
RESTART_REQUIRED_CLEARED_ON_START = kubevirt(_VM_GO, "startVMI and stopVMI call cleanupRestartRequired")
"""KubeVirt removes RestartRequired when it starts (or stops) the VMI: a restart clears it."""

_SUBRESOURCES = "/apis/subresources.kubevirt.io/v1/namespaces/{namespace}"
RESTART_SUBRESOURCE = _SUBRESOURCES + "/virtualmachines/{name}/restart"
RESTART_SUBRESOURCE_SOURCE = kubevirt(
    "pkg/virt-api/api.go", "restartRouteBuilder (PUT); pkg/virt-api/rest/lifecycle.go RestartVMRequestHandler"
)
"""``PUT`` restarts a VM (virtctl restart). Served by virt-api, an aggregated API: a bare API server has none.
RestartVMRequestHandler refuses (409) a VM whose run strategy is Halted or Once, or that has no VMI."""

RESTARTABLE_RUN_STRATEGIES = frozenset({"Always", "Manual", "RerunOnFailure"})
RESTARTABLE_SOURCE = kubevirt("pkg/virt-api/rest/lifecycle.go", "RestartVMRequestHandler")

RECREATED_WHEN_DELETED = frozenset({"Always", "RerunOnFailure"})
"""Run strategies under which virt-controller starts a new VMI when the old one is gone (deleting the VMI is
then a restart; under RerunOnFailure only a failed VMI is rerun, so only Always is a safe fallback)."""
RECREATED_SOURCE = kubevirt(_VM_GO, "syncRunStrategy")

NOT_STARTED_RUN_STRATEGIES = frozenset({"Halted", "Manual"})
"""A VM KubeVirt does not start by itself: waiting for it to be Ready would wait forever."""
NOT_STARTED_SOURCE = kubevirt(_VM_GO, "syncRunStrategy (Halted stops, Manual leaves the VMI as it is)")

GUEST_OS_INFO_SOURCE = kubevirt("pkg/virt-handler/vm.go", "updateGuestInfoFromDomain (status.guestOSInfo)")
GUEST_AGENT_INFO = _SUBRESOURCES + "/virtualmachineinstances/{name}/guestosinfo"
GUEST_AGENT_INFO_SOURCE = kubevirt(
    _TYPES_GO, "VirtualMachineInstanceGuestAgentInfo.Hostname; pkg/virt-api/api.go guestosinfo route"
)
"""The agent's hostname is not in the VMI's status: only virt-api's ``guestosinfo`` subresource carries it."""

INTERFACES_SOURCE = kubevirt(
    _TYPES_GO, "VirtualMachineInstanceNetworkInterface (ipAddress, ipAddresses, name)"
)

GENERATION_SEEN_SOURCE = kubevirt(
    _VM_GO, "syncGenerationInfo (status.desiredGeneration = metadata.generation)"
)
"""virt-controller has judged the VM's latest spec (RestartRequired included) once
``status.desiredGeneration`` equals ``metadata.generation``."""
