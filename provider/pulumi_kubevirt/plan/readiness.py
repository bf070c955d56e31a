"""Is a VM ready, still coming up, or stuck for good? And which of its changes need a restart? Pure.

Why pure: the waiting loop (``live.guests``) and the dynamic resource (``components.guest_readiness``) do the
I/O; what a VM's status means, when a wait gives up at once, what the guest reported and which applied
fields need a restart are decided here, from KubeVirt's own vocabulary (``facts.vm_status``) and the plan
engine's classification (``planner.make_plan``), so there is no second copy of either.

Each behaviour relied on is a row of ``facts.vm_status.READINESS_FACTS`` (or ``TERMINAL_STATUSES``) with its
source; :func:`sources` lists them for the docs and the tests.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_kubevirt.facts.impact import Impact
from pulumi_kubevirt.facts.vm_status import (
    NOT_STARTED_RUN_STRATEGIES,
    READINESS_FACTS,
    TERMINAL_BY_STATUS,
    TERMINAL_STATUSES,
    Condition,
    PrintableStatus,
)
from pulumi_kubevirt.plan.model import ResourcePlan
from pulumi_kubevirt.plan.observed import vmi_key
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.state import LiveState, ObjectKey
from pulumi_kubevirt.spec.model import IpFamily, RestartPolicy, WaitFor

Manifest = Mapping[str, Any]
RUNNING_STATUSES = frozenset({PrintableStatus.RUNNING.value, PrintableStatus.MIGRATING.value})
"""A VM counts as up only once virt-controller says so (the VMI's own status may be ahead of the VM's)."""


class WaitState(enum.StrEnum):
    """Where one VM's wait stands after a look at the cluster."""

    READY = "ready"
    WAITING = "waiting"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class WaitTarget:
    """What to wait for on one VM; ``after_vmi_uid`` makes a restart's wait ignore the old instance."""

    namespace: str
    name: str
    wait_for: WaitFor = WaitFor.RUNNING
    interface: str = "default"
    family: IpFamily | None = None
    cidr: str | None = None
    after_vmi_uid: str | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def goal(self) -> str:
        """The wait in words, for messages."""
        if self.wait_for is WaitFor.IP:
            within = f" inside {self.cidr}" if self.cidr else f" ({self.family})" if self.family else ""
            return f"an IP address{within} on interface {self.interface!r}"
        if self.wait_for is WaitFor.AGENT:
            return "the guest agent to connect (AgentConnected)"
        return "the VM to be Ready"


@dataclass(frozen=True, slots=True)
class Verdict:
    state: WaitState
    detail: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class GuestInfo:
    """What KubeVirt reports about one VM and its guest: the outputs a VM publishes."""

    printable_status: str | None = None
    node: str | None = None
    interfaces: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    os_name: str | None = None
    os_version: str | None = None
    hostname: str | None = None
    ready: bool = False
    agent_connected: bool = False
    restart_required: str | None = None
    vmi_uid: str | None = None

    def output(self) -> dict[str, Any]:
        """The plain-data form the dynamic resource returns (sorted, so outputs are stable)."""
        return {
            "printable_status": self.printable_status,
            "node": self.node,
            "ip_addresses": {name: list(ips) for name, ips in sorted(self.interfaces.items())},
            "guest_os": {"name": self.os_name, "version": self.os_version} if self.os_name else None,
            "hostname": self.hostname,
            "ready": self.ready,
            "agent_connected": self.agent_connected,
        }


def _conditions(obj: Manifest | None) -> dict[str, Mapping[str, Any]]:
    found = ((obj or {}).get("status") or {}).get("conditions") or []
    return {str(c.get("type")): c for c in found if isinstance(c, Mapping)}


def _true(obj: Manifest | None, condition: Condition) -> bool:
    return str(_conditions(obj).get(condition.value, {}).get("status")) == "True"


def guest_info(vm: Manifest | None, vmi: Manifest | None, hostname: str | None = None) -> GuestInfo:
    """The guest outputs from the live VM and VMI (``status.interfaces``, ``status.guestOSInfo``)."""
    vmi_status = (vmi or {}).get("status") or {}
    interfaces: dict[str, tuple[str, ...]] = {}
    for entry in vmi_status.get("interfaces") or []:
        name = str(entry.get("name") or entry.get("interfaceName") or "")
        addresses = list(entry.get("ipAddresses") or ())
        if entry.get("ipAddress") and entry["ipAddress"] not in addresses:
            addresses.insert(0, entry["ipAddress"])
        if name:
            interfaces[name] = tuple(str(a).split("/")[0] for a in addresses)
    os_info = vmi_status.get("guestOSInfo") or {}
    restart = _conditions(vm).get(Condition.RESTART_REQUIRED.value)
    return GuestInfo(
        printable_status=((vm or {}).get("status") or {}).get("printableStatus"),
        node=vmi_status.get("nodeName"),
        interfaces=interfaces,
        os_name=os_info.get("name") or None,
        os_version=os_info.get("version") or os_info.get("versionId") or None,
        hostname=hostname,
        ready=_true(vm, Condition.READY),
        agent_connected=_true(vmi, Condition.AGENT_CONNECTED) or _true(vm, Condition.AGENT_CONNECTED),
        restart_required=(
            str(restart.get("message") or "") if restart and restart.get("status") == "True" else None
        ),
        vmi_uid=((vmi or {}).get("metadata") or {}).get("uid"),
    )


def run_strategy(vm: Manifest | None) -> str:
    spec = (vm or {}).get("spec") or {}
    if spec.get("runStrategy"):
        return str(spec["runStrategy"])
    return "Always" if spec.get("running") else "Halted"


def matching_addresses(addresses: Sequence[str], target: WaitTarget) -> list[str]:
    """The addresses that satisfy ``wait_for: ip``'s family and CIDR."""
    network = ipaddress.ip_network(target.cidr, strict=False) if target.cidr else None
    found: list[str] = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            continue
        if target.family is IpFamily.IPV4 and address.version != 4:
            continue
        if target.family is IpFamily.IPV6 and address.version != 6:
            continue
        if network is not None and address not in network:
            continue
        found.append(text)
    return found


def judge(target: WaitTarget, vm: Manifest | None, vmi: Manifest | None) -> Verdict:
    """Where ``target``'s wait stands, given the live VM and VMI (either may be missing).

    A VM KubeVirt does not start (Halted, Manual) never waits; a terminal printable status fails at once
    with the message of the condition KubeVirt computed it from (``facts.vm_status.TERMINAL_STATUSES``).
    """
    if vm is None:
        return Verdict(WaitState.WAITING, "the VirtualMachine does not exist yet")
    strategy = run_strategy(vm)
    if strategy in NOT_STARTED_RUN_STRATEGIES:
        return Verdict(WaitState.SKIPPED, f"run strategy {strategy}: KubeVirt does not start it")
    if target.wait_for is WaitFor.NONE:
        return Verdict(WaitState.SKIPPED, "wait_for: none")
    vm_status = vm.get("status") or {}
    status = str(vm_status.get("printableStatus") or "")
    generation = (vm.get("metadata") or {}).get("generation")
    seen = vm_status.get("desiredGeneration")
    if generation is not None and seen is not None and int(seen) < int(generation):
        return Verdict(WaitState.WAITING, "virt-controller has not seen the latest spec yet")
    terminal = TERMINAL_BY_STATUS.get(status)
    if terminal is not None:
        conditions = _conditions(vm) | _conditions(vmi)
        messages = [
            str(conditions[c.value].get("message"))
            for c in terminal.explained_by
            if c.value in conditions
            and conditions[c.value].get("status") != "True"
            and conditions[c.value].get("message")
        ]
        detail = messages[0] if messages else terminal.rule
        return Verdict(WaitState.FAILED, detail, status)
    uid = ((vmi or {}).get("metadata") or {}).get("uid")
    if vmi is None or (target.after_vmi_uid is not None and uid == target.after_vmi_uid):
        return Verdict(WaitState.WAITING, f"no new VirtualMachineInstance yet (status {status or 'unknown'})")
    info = guest_info(vm, vmi)
    if status not in RUNNING_STATUSES:
        return Verdict(WaitState.WAITING, f"status {status or 'not reported yet'}")
    if target.wait_for is WaitFor.RUNNING:
        ready = info.ready or _true(vmi, Condition.READY)
        return (
            Verdict(WaitState.READY) if ready else Verdict(WaitState.WAITING, f"status {status}, not Ready")
        )
    if target.wait_for is WaitFor.AGENT:
        if info.agent_connected:
            return Verdict(WaitState.READY)
        return Verdict(WaitState.WAITING, f"status {status}, guest agent not connected")
    if target.interface not in info.interfaces:
        reported = ", ".join(sorted(info.interfaces)) or "none"
        return Verdict(
            WaitState.WAITING, f"interface {target.interface!r} not reported (reported: {reported})"
        )
    addresses = info.interfaces[target.interface]
    if matching_addresses(addresses, target):
        return Verdict(WaitState.READY)
    shown = ", ".join(addresses) or "no address"
    return Verdict(WaitState.WAITING, f"interface {target.interface!r} has {shown}")


def sources() -> list[tuple[str, str]]:
    """Every rule readiness relies on, with its upstream source (for docs/platform-facts.md and its test)."""
    rows = [(fact.rule, str(fact.source)) for fact in READINESS_FACTS]
    rows += [(f"{row.status}: {row.rule}", str(row.source)) for row in TERMINAL_STATUSES]
    return rows


# --- restarts: which applied fields need one, and what the policy does about it -----------------------


def restart_fields(res: ResourcePlan) -> tuple[str, ...]:
    """The paths of ``res``'s changes that the plan engine classified as needing a restart."""
    return tuple(sorted({change.path for change in res.changes if change.impact is Impact.RESTART}))


def applied_restart_fields(
    before: Manifest | None,
    after: Manifest,
    *,
    live_vm: Manifest | None,
    live_vmi: Manifest | None,
    kubevirt: Manifest | None,
) -> tuple[str, ...]:
    """Which fields of the change ``before`` -> ``after`` of a VM need a restart, by the plan engine.

    ``before`` is the VM as last applied, with the live VM's status (running state, a restart already
    pending); the VMI and the KubeVirt CR give the running state and the rollout strategy, as in
    ``kvplan plan``. A VM applied for the first time needs no restart.
    """
    if before is None:
        return ()
    key = ObjectKey.of(after)
    prior = {**before, "status": (live_vm or {}).get("status") or {}}
    objects: dict[ObjectKey, Manifest] = {key: prior}
    if live_vmi is not None:
        objects[vmi_key(key)] = live_vmi
    plan = make_plan([after], LiveState(objects=objects, kubevirt=kubevirt), project="", stack="")
    found = next((res for res in plan.resources if res.key == key), None)
    return restart_fields(found) if found is not None else ()


class RestartAction(enum.StrEnum):
    NONE = "none"
    DEFER = "defer"
    RESTART = "restart"
    REFUSE = "refuse"


def restart_action(policy: RestartPolicy, fields: Sequence[str], *, running: bool) -> RestartAction:
    """What ``policy`` does with a change whose restart-needing ``fields`` are given (none: nothing)."""
    if not fields or not running:
        return RestartAction.NONE
    return {
        RestartPolicy.DEFER: RestartAction.DEFER,
        RestartPolicy.RESTART: RestartAction.RESTART,
        RestartPolicy.FAIL: RestartAction.REFUSE,
    }[policy]


def refusal_reason(key: str, fields: Sequence[str]) -> str:
    """The preview's message when ``restart_policy: fail`` meets a change that needs a restart."""
    return (
        f"VirtualMachine {key}: restart_policy is fail and this update needs a restart of the running VM "
        f"(fields: {', '.join(fields)}). Set restart_policy to defer (apply now, restart later) or restart "
        "(restart after the update), or keep these fields as they are."
    )
