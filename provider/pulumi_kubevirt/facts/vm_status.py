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

_SUBRESOURCES = "/apis/subresources.kubevirt.io/v1/namespaces/{namespace}"
RESTART_SUBRESOURCE = _SUBRESOURCES + "/virtualmachines/{name}/restart"
"""``PUT`` restarts a VM (virtctl restart); served by virt-api, not by a bare API server."""
GUEST_AGENT_INFO = _SUBRESOURCES + "/virtualmachineinstances/{name}/guestosinfo"
"""The agent's hostname is not in the VMI's status: only virt-api's ``guestosinfo`` subresource carries it."""

RESTARTABLE_RUN_STRATEGIES = frozenset({"Always", "Manual", "RerunOnFailure"})
"""RestartVMRequestHandler refuses (409) Halted and Once, and a VM without a VMI."""
RECREATED_WHEN_DELETED = frozenset({"Always"})
"""Deleting the VMI restarts the VM only where virt-controller starts a new one for a VMI that is simply gone:
Always (RerunOnFailure reruns only a failed VMI, Manual never)."""
NOT_STARTED_RUN_STRATEGIES = frozenset({"Halted", "Manual"})
"""A VM KubeVirt does not start by itself: waiting for it to be Ready would wait forever."""


@dataclass(frozen=True, slots=True)
class StatusFact:
    """One behaviour readiness or the restart policy relies on: the rule and where KubeVirt implements it."""

    rule: str
    source: Upstream


READINESS_FACTS: tuple[StatusFact, ...] = (
    StatusFact(
        "printableStatus is the first matching state in a fixed order (Terminating ... WaitingForReceiver)",
        kubevirt(_VM_GO, "setPrintableStatus"),
    ),
    StatusFact(
        "the VM's Ready condition copies the VMI's Ready", kubevirt(_VM_GO, "syncReadyConditionFromVMI")
    ),
    StatusFact(
        "every VMI condition but Ready, Failure and RestartRequired (AgentConnected, Synchronized, "
        "PodScheduled) is copied onto the VM",
        kubevirt(_VM_GO, "syncConditions"),
    ),
    StatusFact(
        "RestartRequired is set with a message when a non-live-updatable template field changed",
        kubevirt(_VM_GO, "syncRestartRequired; setRestartRequired"),
    ),
    StatusFact(
        "RestartRequired is removed when virt-controller starts or stops the VMI (a restart clears it)",
        kubevirt(_VM_GO, "startVMI; stopVMI (cleanupRestartRequired)"),
    ),
    StatusFact(
        "status.desiredGeneration = metadata.generation once virt-controller has judged the latest spec",
        kubevirt(_VM_GO, "syncGenerationInfo"),
    ),
    StatusFact(
        "PUT .../virtualmachines/NAME/restart restarts a VM; Halted and Once, or no VMI, answer 409",
        kubevirt("pkg/virt-api/rest/lifecycle.go", "RestartVMRequestHandler (route: pkg/virt-api/api.go)"),
    ),
    StatusFact(
        "under Always a VM whose VMI is gone gets a new VMI; Halted and Manual are not started",
        kubevirt(_VM_GO, "syncRunStrategy"),
    ),
    StatusFact(
        "status.guestOSInfo (name, version, ...) comes from the guest agent through the domain",
        kubevirt("pkg/virt-handler/vm.go", "updateGuestInfoFromDomain"),
    ),
    StatusFact(
        "the agent's hostname is only in the guestosinfo subresource (VirtualMachineInstanceGuestAgentInfo)",
        kubevirt(_TYPES_GO, "VirtualMachineInstanceGuestAgentInfo"),
    ),
    StatusFact(
        "guest addresses are status.interfaces[].ipAddress/ipAddresses by interface name",
        kubevirt(_TYPES_GO, "VirtualMachineInstanceNetworkInterface"),
    ),
)
"""What ``plan.readiness`` and ``live.guests`` rely on, each with its source (listed in platform-facts.md)."""
