"""plan.readiness: what a status means for a wait, what the guest reported, which fields need a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pulumi_kubevirt.compile import compile_vm
from pulumi_kubevirt.facts.vm_status import TERMINAL_STATUSES
from pulumi_kubevirt.plan.readiness import (
    RestartAction,
    WaitState,
    WaitTarget,
    applied_restart_fields,
    guest_info,
    judge,
    matching_addresses,
    restart_action,
    sources,
)
from pulumi_kubevirt.spec import (
    Cpu,
    IpFamily,
    Memory,
    RestartPolicy,
    StackContext,
    VirtualMachineArgs,
    WaitFor,
)

CTX = StackContext(project="p", stack="s")


def vm(
    status: str = "Running",
    conditions: list[dict[str, Any]] | None = None,
    run_strategy: str = "Always",
    generation: int = 1,
    seen: int | None = 1,
) -> dict[str, Any]:
    vm_status: dict[str, Any] = {"printableStatus": status, "conditions": conditions or []}
    if seen is not None:
        vm_status["desiredGeneration"] = seen
    return {
        "metadata": {"namespace": "ns", "name": "web", "generation": generation},
        "spec": {"runStrategy": run_strategy},
        "status": vm_status,
    }


def vmi(
    interfaces: list[dict[str, Any]] | None = None,
    conditions: list[dict[str, Any]] | None = None,
    uid: str = "uid-1",
) -> dict[str, Any]:
    return {
        "metadata": {"uid": uid},
        "status": {
            "phase": "Running",
            "nodeName": "node-a",
            "interfaces": interfaces or [],
            "conditions": conditions or [],
            "guestOSInfo": {"name": "Fedora Linux", "version": "40"},
        },
    }


READY = [{"type": "Ready", "status": "True"}]
AGENT = [{"type": "AgentConnected", "status": "True"}]
DEFAULT_IPS = [{"name": "default", "ipAddress": "10.0.0.5", "ipAddresses": ["10.0.0.5", "fd00::5"]}]


@pytest.mark.parametrize(
    ("target", "vm_obj", "vmi_obj", "state"),
    [
        (WaitTarget("ns", "web"), vm(conditions=READY), vmi(), WaitState.READY),
        (WaitTarget("ns", "web"), vm("Starting"), vmi(), WaitState.WAITING),
        (WaitTarget("ns", "web"), None, None, WaitState.WAITING),
        (WaitTarget("ns", "web"), vm("Stopped", run_strategy="Halted"), None, WaitState.SKIPPED),
        (WaitTarget("ns", "web"), vm("Stopped", run_strategy="Manual"), None, WaitState.SKIPPED),
        (WaitTarget("ns", "web", WaitFor.NONE), vm("Starting"), None, WaitState.SKIPPED),
        (WaitTarget("ns", "web", WaitFor.AGENT), vm(conditions=READY), vmi(), WaitState.WAITING),
        (WaitTarget("ns", "web", WaitFor.AGENT), vm(), vmi(conditions=AGENT), WaitState.READY),
        (WaitTarget("ns", "web", WaitFor.IP), vm(), vmi(), WaitState.WAITING),
        (WaitTarget("ns", "web", WaitFor.IP), vm(), vmi(DEFAULT_IPS), WaitState.READY),
        (WaitTarget("ns", "web", WaitFor.IP, interface="data"), vm(), vmi(DEFAULT_IPS), WaitState.WAITING),
        (
            WaitTarget("ns", "web", WaitFor.IP, cidr="192.168.0.0/16"),
            vm(),
            vmi(DEFAULT_IPS),
            WaitState.WAITING,
        ),
        (WaitTarget("ns", "web", after_vmi_uid="uid-1"), vm(conditions=READY), vmi(), WaitState.WAITING),
        (WaitTarget("ns", "web", after_vmi_uid="uid-0"), vm(conditions=READY), vmi(), WaitState.READY),
        (WaitTarget("ns", "web"), vm(conditions=READY, generation=2, seen=1), vmi(), WaitState.WAITING),
    ],
    ids=[
        "ready",
        "starting",
        "no-vm-yet",
        "halted-never-waits",
        "manual-never-waits",
        "wait-none",
        "agent-not-connected",
        "agent-connected",
        "ip-none-yet",
        "ip-on-default",
        "ip-other-interface",
        "ip-outside-cidr",
        "restart-old-vmi-still-there",
        "restart-new-vmi-ready",
        "controller-has-not-seen-the-update",
    ],
)
def test_judge(target: WaitTarget, vm_obj: Any, vmi_obj: Any, state: WaitState) -> None:
    assert judge(target, vm_obj, vmi_obj).state is state


@pytest.mark.parametrize("row", TERMINAL_STATUSES, ids=lambda row: row.status.value)
def test_every_terminal_status_fails_at_once_with_kubevirts_message(row: Any) -> None:
    explaining = row.explained_by[0].value
    conditions = [{"type": explaining, "status": "False", "reason": "X", "message": f"why {row.status}"}]
    verdict = judge(WaitTarget("ns", "web", WaitFor.IP), vm(row.status.value, conditions), None)
    assert verdict.state is WaitState.FAILED
    assert verdict.reason == row.status.value
    assert verdict.detail == f"why {row.status}"


def test_a_terminal_status_without_a_message_says_what_kubevirt_checks() -> None:
    verdict = judge(WaitTarget("ns", "web"), vm("DataVolumeError"), None)
    assert verdict.state is WaitState.FAILED
    assert "DataVolume" in verdict.detail


@pytest.mark.parametrize(
    ("family", "cidr", "expected"),
    [
        (None, None, ["10.0.0.5", "fd00::5"]),
        (IpFamily.IPV4, None, ["10.0.0.5"]),
        (IpFamily.IPV6, None, ["fd00::5"]),
        (None, "fd00::/8", ["fd00::5"]),
        (None, "10.1.0.0/16", []),
    ],
    ids=["any", "ipv4", "ipv6", "cidr-v6", "cidr-no-match"],
)
def test_matching_addresses(family: IpFamily | None, cidr: str | None, expected: list[str]) -> None:
    target = WaitTarget("ns", "web", WaitFor.IP, family=family, cidr=cidr)
    assert matching_addresses(["10.0.0.5", "fd00::5", "not-an-ip"], target) == expected


def test_guest_info_reports_what_kubevirt_and_the_agent_said() -> None:
    restart = [{"type": "RestartRequired", "status": "True", "message": "a non-live-updatable field"}]
    info = guest_info(vm(conditions=READY + restart), vmi(DEFAULT_IPS, AGENT))
    assert info.output() == {
        "printable_status": "Running",
        "node": "node-a",
        "ip_addresses": {"default": ["10.0.0.5", "fd00::5"]},
        "guest_os": {"name": "Fedora Linux", "version": "40"},
        "hostname": None,
        "ready": True,
        "agent_connected": True,
    }
    assert info.restart_required == "a non-live-updatable field"
    assert guest_info(None, None).output()["guest_os"] is None


def vm_manifest(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"cpu": Cpu(sockets=1, cores=1), "memory": Memory(guest="2Gi")}
    args = VirtualMachineArgs(namespace="ns", name="web", **{**base, **changes})
    (manifest,) = [m for m in compile_vm(args, CTX) if m["kind"] == "VirtualMachine"]
    return manifest


RUNNING_VMI = {"metadata": {"namespace": "ns", "name": "web"}, "status": {"phase": "Running"}}


@pytest.mark.parametrize(
    ("after", "vmi_obj", "expected"),
    [
        (vm_manifest(cpu=Cpu(sockets=1, cores=2)), RUNNING_VMI, ("spec.template.spec.domain.cpu.cores",)),
        (vm_manifest(labels={"team": "a"}), RUNNING_VMI, ()),
        (vm_manifest(cpu=Cpu(sockets=1, cores=2)), None, ()),
    ],
    ids=["cores-restart", "label-no-restart", "halted-vm-takes-it-at-start"],
)
def test_applied_restart_fields_come_from_the_plan_engine(
    after: dict[str, Any], vmi_obj: Any, expected: tuple[str, ...]
) -> None:
    found = applied_restart_fields(vm_manifest(), after, live_vm=None, live_vmi=vmi_obj, kubevirt=None)
    assert found == expected


def test_a_first_apply_needs_no_restart() -> None:
    assert (
        applied_restart_fields(None, vm_manifest(), live_vm=None, live_vmi=RUNNING_VMI, kubevirt=None) == ()
    )


@pytest.mark.parametrize(
    ("policy", "fields", "running", "action"),
    [
        (RestartPolicy.DEFER, ("f",), True, RestartAction.DEFER),
        (RestartPolicy.RESTART, ("f",), True, RestartAction.RESTART),
        (RestartPolicy.FAIL, ("f",), True, RestartAction.REFUSE),
        (RestartPolicy.FAIL, (), True, RestartAction.NONE),
        (RestartPolicy.RESTART, ("f",), False, RestartAction.NONE),
    ],
    ids=["defer", "restart", "fail", "nothing-to-restart", "not-running"],
)
def test_restart_action(
    policy: RestartPolicy, fields: tuple[str, ...], running: bool, action: RestartAction
) -> None:
    assert restart_action(policy, fields, running=running) is action


def test_every_readiness_rule_names_its_upstream_function_and_is_in_the_audit() -> None:
    audit = (Path(__file__).parents[3] / "docs" / "platform-facts.md").read_text(encoding="utf-8")
    for rule, source in sources():
        assert source.startswith("kubevirt/kubevirt@v1.9.0 "), rule
        assert len(source.split(" ")) >= 3, f"{rule}: no function named in {source}"
        assert source.split(" ", 1)[1] in audit, f"docs/platform-facts.md does not list {source}"
