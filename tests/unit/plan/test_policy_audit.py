"""The policy rows the upstream audit changed (docs/platform-facts.md), each as a planner case.

Every case names the KubeVirt v1.9.0 / CDI v1.66.0 / Kubernetes code it follows; the previous policy gave a
different answer for each of them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from pulumi_kubevirt.plan.model import Action, Impact
from pulumi_kubevirt.plan.policy import HELD_BACK_NOTE, PENDING_NOTE
from pulumi_kubevirt.plan.state import ObjectKey

from . import builders as b
from .test_planner import PVC_KEY, VM_KEY, Case, plan_for, resource, with_vm_condition

Manifest = dict[str, Any]
SSH_KEY = ObjectKey("", "Secret", b.NS, "web-ssh")


def _stack_with_vm(edit: Callable[[Manifest], None], **vm_args: Any) -> list[Manifest]:
    vm = b.vm(**vm_args)
    edit(vm)
    return [b.secret(), b.data_volume(), vm, b.service()]


def _tmpl(vm: Manifest) -> Manifest:
    spec: Manifest = vm["spec"]["template"]["spec"]
    return spec


def _cdrom(inserted: bool) -> Callable[[Manifest], None]:
    """A CD-ROM drive ``iso`` whose medium is a hotpluggable DataVolume when ``inserted``."""

    def edit(vm: Manifest) -> None:
        _tmpl(vm)["domain"]["devices"]["disks"].append({"name": "iso", "cdrom": {"bus": "sata"}})
        if inserted:
            _tmpl(vm)["volumes"].append(
                {"name": "iso", "dataVolume": {"name": "web-iso", "hotpluggable": True}}
            )

    return edit


def _live(desired: list[Manifest], edit_vmi: Callable[[Manifest], None] = lambda vmi: None) -> list[Manifest]:
    out = b.running(desired)
    for obj in out:
        if obj["kind"] == "VirtualMachineInstance":
            edit_vmi(obj)
    return out


def _booted_with(guest: str) -> Callable[[Manifest], None]:
    def edit(vmi: Manifest) -> None:
        vmi["status"]["memory"]["guestAtBoot"] = guest

    return edit


def _no_max_guest(vmi: Manifest) -> None:
    del vmi["spec"]["domain"]["memory"]["maxGuest"]


def _arm(vmi: Manifest) -> None:
    vmi["spec"]["architecture"] = "arm64"


def _ssh(method: str) -> Callable[[Manifest], None]:
    def edit(vm: Manifest) -> None:
        propagation = {"qemuGuestAgent": {"users": ["ops"]}} if method == "agent" else {"noCloud": {}}
        _tmpl(vm)["accessCredentials"] = [
            {
                "sshPublicKey": {
                    "source": {"secret": {"secretName": "web-ssh"}},
                    "propagationMethod": propagation,
                }
            }
        ]

    return edit


def _ssh_stack(method: str, key: str) -> list[Manifest]:
    keys = b.secret("web-ssh")
    keys["stringData"] = {"key1": key}
    return [*_stack_with_vm(_ssh(method)), keys]


def _add_interface(binding: str) -> Callable[[Manifest], None]:
    def edit(vm: Manifest) -> None:
        _tmpl(vm)["domain"]["devices"]["interfaces"].append({"name": "extra", binding: {}})
        _tmpl(vm)["networks"].append({"name": "extra", "multus": {"networkName": "vlan10"}})

    return edit


def _set_disk_bus(name: str, bus: str) -> Callable[[Manifest], None]:
    def edit(vm: Manifest) -> None:
        for disk in _tmpl(vm)["domain"]["devices"]["disks"]:
            if disk["name"] == name:
                disk["disk"]["bus"] = bus

    return edit


def _set_volume_source(name: str, data_volume: str) -> Callable[[Manifest], None]:
    def edit(vm: Manifest) -> None:
        for volume in _tmpl(vm)["volumes"]:
            if volume["name"] == name:
                volume["dataVolume"]["name"] = data_volume

    return edit


def _set_interface_state(name: str, state: str) -> Callable[[Manifest], None]:
    def edit(vm: Manifest) -> None:
        for iface in _tmpl(vm)["domain"]["devices"]["interfaces"]:
            if iface["name"] == name:
                iface["state"] = state

    return edit


def _pvc_with(**spec: Any) -> list[Manifest]:
    claim = b.pvc()
    claim["spec"].update(spec)
    return [claim]


def _set(*keys: str, value: Any) -> Callable[[Manifest], None]:
    def edit(vm: Manifest) -> None:
        node = vm
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value

    return edit


AUDIT_CASES = [
    Case(
        # vm.go sync: handleDeclarativeVolumeHotplug runs under either rollout strategy.
        "stage-hotplug-volume-still-attached-live",
        lambda: [*b.stack(hotplug=["data"]), b.data_volume("web-data")],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-volume-hotplug",
        state={"rollout": "Stage"},
    ),
    Case(
        # ... and also while RestartRequired is set (it is called before the gated LiveUpdate handlers).
        "pending-restart-hotplug-volume-still-live",
        lambda: [*b.stack(hotplug=["data"]), b.data_volume("web-data")],
        lambda: with_vm_condition(b.running(b.stack()), {"type": "RestartRequired", "status": "True"}),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-volume-hotplug",
    ),
    Case(
        # handleDeclarativeVolumeHotplug skips when the deprecated HotplugVolumes gate is enabled.
        "hotplug-volumes-gate-disables-declarative-hotplug",
        lambda: [*b.stack(hotplug=["data"]), b.data_volume("web-data")],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="vm-volume-hotplug",
        reason_contains="HotplugVolumes is enabled",
        state={"gates": ("HotplugVolumes",)},
    ),
    Case(
        # DeclarativeHotplugVolumes is Beta at v1.9.0: on unless disabled.
        "declarative-hotplug-disabled",
        lambda: [*b.stack(hotplug=["data"]), b.data_volume("web-data")],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="vm-volume-hotplug",
        reason_contains="DeclarativeHotplugVolumes is disabled",
        state={"disabled_gates": ("DeclarativeHotplugVolumes",)},
    ),
    Case(
        # hotplug.go filterHotplugVMIDisks keeps a CD-ROM drive whose medium is removed.
        "cdrom-eject-live",
        lambda: _stack_with_vm(_cdrom(inserted=False)),
        lambda: b.running(_stack_with_vm(_cdrom(inserted=True))),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-volume-hotplug",
        reason_contains="ejected",
    ),
    Case(
        "cdrom-inject-live",
        lambda: _stack_with_vm(_cdrom(inserted=True)),
        lambda: b.running(_stack_with_vm(_cdrom(inserted=False))),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-volume-hotplug",
        reason_contains="inserted",
    ),
    Case(
        # filterHotplugVMIDisks keeps the VMI's disk while its volume is unchanged (no restart either).
        "hotplug-disk-bus-change-waits",
        lambda: _stack_with_vm(_set_disk_bus("data", "virtio"), hotplug=["data"]),
        lambda: b.running(b.stack(hotplug=["data"])),
        VM_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="vm-disk-hotplug",
    ),
    Case(
        # filterHotplugVMIVolumes drops a changed hotplug volume from the VMI; it is plugged again.
        "hotplug-volume-source-change-replugs",
        lambda: _stack_with_vm(_set_volume_source("data", "web-data-2"), hotplug=["data"]),
        lambda: b.running(b.stack(hotplug=["data"])),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-volume-hotplug",
        reason_contains="plugged again",
    ),
    Case(
        # validLiveUpdateDisks: a removed CD-ROM drive requires a restart.
        "cdrom-drive-removed-restart",
        b.stack,
        lambda: b.running(_stack_with_vm(_cdrom(inserted=False))),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-disk-hotplug",
        reason_contains="CD-ROM",
    ),
    Case(
        # sync: the LiveUpdate handlers run only when syncRestartRequired found nothing needing a restart.
        "sockets-held-back-by-cores-change",
        lambda: b.stack(sockets=4, cores=2),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        note=HELD_BACK_NOTE,
    ),
    Case(
        # handleMemoryHotplugRequest: lowering guest memory is fine down to guestAtBoot (virtio-mem unplug).
        "memory-down-above-boot-size-migrates",
        lambda: b.stack(memory="3Gi"),
        lambda: _live(b.stack(memory="4Gi"), _booted_with("2Gi")),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE_MIGRATION,
        rule="vm-memory-guest",
        reason_contains="hot-unplugged",
    ),
    Case(
        "memory-below-boot-size-restart",
        lambda: b.stack(memory="2Gi"),
        lambda: _live(b.stack(memory="4Gi"), _booted_with("3Gi")),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-memory-guest",
        reason_contains="booted with",
    ),
    Case(
        # ValidateLiveUpdateMemory: guest memory must be 2Mi aligned.
        "memory-not-aligned-restart",
        lambda: b.stack(memory="3001Mi"),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-memory-guest",
        reason_contains="multiple of 2Mi",
    ),
    Case(
        # ValidateLiveUpdateMemory: at least 1Gi of (new) guest memory.
        "memory-target-below-1gi-restart",
        lambda: b.stack(memory="512Mi"),
        lambda: _live(b.stack(memory="2Gi"), _booted_with("256Mi")),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-memory-guest",
        reason_contains="at least 1Gi",
    ),
    Case(
        # handleMemoryHotplugRequest: a VMI without maxGuest booted without memory hot-plug.
        "memory-vmi-without-max-guest-restart",
        lambda: b.stack(memory="4Gi"),
        lambda: _live(b.stack(), _no_max_guest),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-memory-guest",
        reason_contains="no maxGuest",
    ),
    Case(
        # handleCPUChangeRequest: "ARM doesn't support CPU hotplug".
        "sockets-on-arm-restart",
        lambda: b.stack(sockets=4),
        lambda: _live(b.stack(), _arm),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="arm64",
    ),
    Case(
        # workload-updater getUpdateData: with Evict and no LiveMigrate, the VMI is shut down.
        "evict-only-method-restarts",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="Evict shuts the VM down",
        state={"methods": ("Evict",)},
    ),
    Case(
        # access_credentials.go watchSecrets: the guest agent writes new keys into the running guest.
        "ssh-keys-by-guest-agent-live",
        lambda: _ssh_stack("agent", "ssh-ed25519 BBBB ops"),
        lambda: b.running(_ssh_stack("agent", "ssh-ed25519 AAAA ops")),
        SSH_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="secret-data",
        reason_contains="guest agent",
    ),
    Case(
        # cloud-init.go resolveSSHPublicKeys: noCloud keys are read when the VMI starts (was: live).
        "ssh-keys-by-nocloud-no-effect",
        lambda: _ssh_stack("nocloud", "ssh-ed25519 BBBB ops"),
        lambda: b.running(_ssh_stack("nocloud", "ssh-ed25519 AAAA ops")),
        SSH_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="secret-data",
        reason_contains="noCloud",
    ),
    Case(
        # applyDynamicIfaceRequestOnVMI hot-plugs only bridge and SR-IOV; IsRestartRequired ignores additions.
        "masquerade-interface-added-waits",
        lambda: _stack_with_vm(_add_interface("masquerade")),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="vm-interface-hotplug",
    ),
    Case(
        # The network synchronizer runs under Stage too.
        "stage-bridge-interface-hotplug-migrates",
        lambda: _stack_with_vm(_add_interface("bridge")),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE_MIGRATION,
        rule="vm-interface-hotplug",
        state={"rollout": "Stage"},
    ),
    Case(
        # network admitter validateInterfaceStateValue: absent only for bridge bindings.
        "unplug-masquerade-interface-rejected",
        lambda: _stack_with_vm(_set_interface_state("default", "absent")),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="vm-interface-hotplug",
    ),
    Case(
        # syncRestartRequired expands instancetypes; the plan does not, so it stays conservative.
        "instancetype-switch-restart",
        lambda: _stack_with_vm(_set("spec", "instancetype", value={"name": "u1.large"})),
        lambda: b.running(_stack_with_vm(_set("spec", "instancetype", value={"name": "u1.medium"}))),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-instancetype",
    ),
    Case(
        # syncDynamicAnnotationsAndLabelsToVMI copies the descheduler annotations to the running VMI.
        "descheduler-annotation-live",
        lambda: _stack_with_vm(
            _set(
                "spec",
                "template",
                "metadata",
                "annotations",
                value={"descheduler.alpha.kubernetes.io/evict": "true"},
            )
        ),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-template-dynamic-annotation",
    ),
    Case(
        # ValidatePersistentVolumeClaimUpdate lets volumeAttributesClassName change (was: replace).
        "pvc-volume-attributes-class-live",
        lambda: _pvc_with(volumeAttributesClassName="gold"),
        lambda: [b.live(b.pvc())],
        PVC_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="pvc-volume-attributes-class",
    ),
    Case(
        # ... and forbids resources.limits: now in replace_on_changes too, so both tables agree.
        "pvc-limits-replace",
        lambda: _pvc_with(resources={"requests": {"storage": "10Gi"}, "limits": {"storage": "20Gi"}}),
        lambda: [b.live(b.pvc())],
        PVC_KEY,
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        rule="pvc-spec-immutable",
        # The disk does not allow data loss, so the replacement is also an error naming the option.
        error_rule="disk-data-loss-not-allowed",
    ),
    Case(
        # A PVC spec field without a row: the plan refuses to guess (was: replace, which the apply never did).
        "pvc-unknown-spec-field-error",
        lambda: _pvc_with(futureField="x"),
        lambda: [b.live(b.pvc())],
        PVC_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="storage-unknown",
    ),
]


@pytest.mark.parametrize("case", AUDIT_CASES, ids=[c.id for c in AUDIT_CASES])
def test_audited_policy_decision(case: Case) -> None:
    plan = plan_for(case.desired(), case.live(), **case.state)
    res = resource(plan, case.key)
    assert (res.action, res.impact) == (case.action, case.impact), [(c.path, c.reason) for c in res.changes]
    if case.rule:
        assert case.rule in {c.rule for c in res.changes}
    if case.note:
        assert case.note in res.notes
    if case.error_rule:
        assert [e.rule for e in res.errors] == [case.error_rule]
    else:
        assert res.errors == ()
    if case.reason_contains:
        assert any(case.reason_contains in c.reason for c in res.changes), [c.reason for c in res.changes]


def test_a_second_blocker_is_named_too() -> None:
    """No maxSockets (KubeVirt's own reason) and not migratable: the reason says both."""

    def no_max_sockets(vmi: Manifest) -> None:
        del vmi["spec"]["domain"]["cpu"]["maxSockets"]

    live = _live(b.stack(), no_max_sockets)
    for obj in live:
        if obj["kind"] == "VirtualMachineInstance":
            obj["status"]["conditions"] = [{"type": "LiveMigratable", "status": "False"}]
    (change,) = resource(plan_for(b.stack(sockets=4), live), VM_KEY).changes
    assert (change.impact, change.rule) == (Impact.RESTART, "vm-cpu-sockets")
    assert "no maxSockets" in change.reason
    assert "not live-migratable" in change.reason


def test_pending_restart_still_holds_back_live_update_handlers() -> None:
    live = with_vm_condition(b.running(b.stack()), {"type": "RestartRequired", "status": "True"})
    res = resource(plan_for(b.stack(sockets=4), live), VM_KEY)
    assert res.impact is Impact.RESTART
    assert PENDING_NOTE in res.notes


def test_halted_vm_makes_every_template_change_wait() -> None:
    halted = [b.live(m) for m in b.stack(run_strategy="Halted")]
    desired = copy.deepcopy(b.stack(run_strategy="Halted", hotplug=["data"], sockets=4))
    res = resource(plan_for([*desired, b.data_volume("web-data")], halted), VM_KEY)
    assert {c.impact for c in res.changes} == {Impact.NONE}
