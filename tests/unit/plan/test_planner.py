"""make_plan over small realistic fixtures: each row is a change a reviewer cares about, and what it says."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from pulumi_kubevirt.compile.claims import claim_request
from pulumi_kubevirt.core.quantity import parse_quantity
from pulumi_kubevirt.plan.model import Action, Impact, Plan, ResourcePlan
from pulumi_kubevirt.plan.planner import UNMANAGED_NOTE, make_plan
from pulumi_kubevirt.plan.policy import HALTED_NOTE, PENDING_NOTE
from pulumi_kubevirt.plan.state import ObjectKey

from . import builders as b

VM_KEY = ObjectKey("kubevirt.io", "VirtualMachine", b.NS, "web")
DV_KEY = ObjectKey("cdi.kubevirt.io", "DataVolume", b.NS, "web-root")
PVC_KEY = ObjectKey("", "PersistentVolumeClaim", b.NS, "web-data")
SECRET_KEY = ObjectKey("", "Secret", b.NS, "web-cloud-init")
SERVICE_KEY = ObjectKey("", "Service", b.NS, "web")


def plan_for(desired: list[dict[str, Any]], live: list[dict[str, Any]], **state_args: Any) -> Plan:
    return make_plan(desired, b.state(live, **state_args), project=b.PROJECT, stack=b.STACK)


def resource(plan: Plan, key: ObjectKey) -> ResourcePlan:
    found = [r for r in plan.resources if r.key == key]
    assert len(found) == 1, [r.key for r in plan.resources]
    return found[0]


def halted_live() -> list[dict[str, Any]]:
    """Applied stack whose VM is halted: no VMI."""
    return [b.live(m) for m in b.stack(run_strategy="Halted")]


def with_vm_condition(live: list[dict[str, Any]], condition: dict[str, str]) -> list[dict[str, Any]]:
    out = copy.deepcopy(live)
    for obj in out:
        if obj["kind"] == "VirtualMachine":
            obj["status"]["conditions"].append(condition)
    return out


def vm_with(**template_spec: Any) -> dict[str, Any]:
    manifest = b.vm()
    manifest["spec"]["template"]["spec"].update(template_spec)
    return manifest


@dataclass(frozen=True)
class Case:
    id: str
    desired: Callable[[], list[dict[str, Any]]]
    live: Callable[[], list[dict[str, Any]]]
    key: ObjectKey
    action: Action
    impact: Impact
    rule: str = ""
    note: str = ""
    error_rule: str = ""
    reason_contains: str = ""
    state: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        "sockets-up-within-max-live-update",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE_MIGRATION,
        rule="vm-cpu-sockets",
        reason_contains="maxSockets 8",
    ),
    Case(
        "sockets-up-beyond-max",
        lambda: b.stack(sockets=10),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="beyond maxSockets 8",
    ),
    Case(
        "sockets-up-explicit-vmi-limit",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack(), max_sockets=3),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="maxSockets 3",
    ),
    Case(
        "sockets-down-restarts",
        lambda: b.stack(sockets=1),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
    ),
    Case(
        "sockets-without-live-migrate-method",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="LiveMigrate",
        state={"methods": ()},
    ),
    Case(
        "sockets-vmi-not-migratable",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack(), migratable=False),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="not live-migratable",
    ),
    Case(
        "cores-restart",
        lambda: b.stack(cores=2),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-other",
    ),
    Case(
        "memory-up-within-max-guest",
        lambda: b.stack(memory="4Gi"),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE_MIGRATION,
        rule="vm-memory-guest",
        reason_contains="maxGuest 8Gi",
    ),
    Case(
        "halted-vm-sockets-next-start",
        lambda: b.stack(sockets=4, run_strategy="Halted"),
        halted_live,
        VM_KEY,
        Action.UPDATE,
        Impact.NONE,
        rule="vm-cpu-sockets",
        note=HALTED_NOTE,
    ),
    Case(
        "halted-vm-cores-next-start",
        lambda: b.stack(cores=4, run_strategy="Halted"),
        halted_live,
        VM_KEY,
        Action.UPDATE,
        Impact.NONE,
        rule="vm-cpu-other",
        note=HALTED_NOTE,
    ),
    Case(
        "stage-sockets-restart",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        reason_contains="Stage",
        state={"rollout": "Stage"},
    ),
    Case(
        # KubeVirt v1.9.0 pkg/virt-config IsVMRolloutStrategyLiveUpdate: unset means LiveUpdate (was: Stage).
        "live-update-by-default-without-config",
        lambda: b.stack(sockets=4),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE_MIGRATION,
        reason_contains="maxSockets 8",
        state={"rollout": None},
    ),
    Case(
        "stage-node-selector-restart",
        lambda: [b.secret(), b.data_volume(), vm_with(nodeSelector={"zone": "a"}), b.service()],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-scheduling",
        state={"rollout": "Stage"},
    ),
    Case(
        "live-update-node-selector-live",
        lambda: [b.secret(), b.data_volume(), vm_with(nodeSelector={"z": "a"}), b.service()],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-scheduling",
    ),
    Case(
        "restart-already-pending",
        lambda: b.stack(sockets=4),
        lambda: with_vm_condition(b.running(b.stack()), {"type": "RestartRequired", "status": "True"}),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-cpu-sockets",
        note=PENDING_NOTE,
    ),
    Case(
        "template-label-no-effect",
        lambda: b.stack(tier="b"),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="vm-template-metadata",
    ),
    Case(
        "unknown-template-path-restart",
        lambda: [b.secret(), b.data_volume(), vm_with(hostname="web-01"), b.service()],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-template-spec",
    ),
    Case(
        "run-strategy-halt-running-vm",
        lambda: b.stack(run_strategy="Halted"),
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-run-strategy",
        note="stops the VM",
    ),
    Case(
        "run-strategy-start-halted-vm",
        b.stack,
        halted_live,
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-run-strategy",
        note="starts the VM",
    ),
    Case(
        "hotplug-volume-added-live",
        lambda: [*b.stack(hotplug=["data"]), b.data_volume("web-data")],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="vm-volume-hotplug",
    ),
    Case(
        "plain-disk-added-restart",
        lambda: [*b.stack(disks=["root", "data"]), b.data_volume("web-data")],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.UPDATE,
        Impact.RESTART,
        rule="vm-disk-hotplug",
    ),
    Case(
        "grow-datavolume-in-place",
        lambda: [b.secret(), b.data_volume(size="20Gi"), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="datavolume-size",
        reason_contains="inside the guest, extend the partition and filesystem",
    ),
    Case(
        "shrink-datavolume-error",
        lambda: [b.secret(), b.data_volume(size="5Gi"), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="datavolume-size",
    ),
    Case(
        "grow-datavolume-class-not-expandable",
        lambda: [b.secret(), b.data_volume(size="20Gi"), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="datavolume-size",
        state={"expand": False},
    ),
    Case(
        "grow-datavolume-class-unknown",
        lambda: [b.secret(), b.data_volume(size="20Gi", storage_class="gone"), b.vm(), b.service()],
        lambda: b.running([b.secret(), b.data_volume(storage_class="gone"), b.vm(), b.service()]),
        DV_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="datavolume-size",
    ),
    Case(
        "grow-plain-pvc-in-place",
        lambda: [b.pvc(size="20Gi")],
        lambda: [b.live(b.pvc())],
        PVC_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="disk-size",
    ),
    Case(
        "shrink-plain-pvc-error",
        lambda: [b.pvc(size="5Gi")],
        lambda: [b.live(b.pvc())],
        PVC_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="disk-size",
    ),
    Case(
        "grow-disk-class-not-expandable",
        lambda: [b.secret(), b.data_volume(size="20Gi"), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="datavolume-size",
        state={"expand": False},
    ),
    Case(
        "shrink-disk-error",
        lambda: [b.secret(), b.data_volume(size="5Gi"), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.UPDATE,
        Impact.NONE,
        error_rule="datavolume-size",
    ),
    Case(
        "datavolume-source-change-replaces",
        lambda: [
            b.secret(),
            b.data_volume(url="https://images.example/alpine-3.21.qcow2"),
            b.vm(),
            b.service(),
        ],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        rule="datavolume-spec-immutable",
        error_rule="disk-data-loss-not-allowed",
    ),
    Case(
        "datavolume-source-change-allowed-to-lose-data",
        lambda: [
            b.secret(),
            allowing_data_loss(b.data_volume(url="https://images.example/alpine-3.21.qcow2")),
            b.vm(),
            b.service(),
        ],
        lambda: b.running([b.secret(), allowing_data_loss(b.data_volume()), b.vm(), b.service()]),
        DV_KEY,
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        rule="datavolume-spec-immutable",
    ),
    Case(
        "plain-pvc-class-change-names-the-option",
        lambda: [b.pvc(storage_class="fast")],
        lambda: [b.live(b.pvc())],
        PVC_KEY,
        Action.REPLACE,
        Impact.DESTROYS_DATA,
        rule="pvc-spec-immutable",
        error_rule="disk-data-loss-not-allowed",
    ),
    Case(
        "vm-removed-deleted",
        lambda: [b.secret(), b.data_volume(), b.service()],
        lambda: b.running(b.stack()),
        VM_KEY,
        Action.DELETE,
        Impact.RESTART,
    ),
    Case(
        "disk-removed-destroys-data",
        lambda: [b.secret(), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        DV_KEY,
        Action.DELETE,
        Impact.DESTROYS_DATA,
    ),
    Case(
        "cloud-init-secret-change-no-effect",
        lambda: [b.secret(user_data="#cloud-config\nnew: 1\n"), b.data_volume(), b.vm(), b.service()],
        lambda: b.running(b.stack()),
        SECRET_KEY,
        Action.UPDATE,
        Impact.NO_EFFECT,
        rule="secret-data",
    ),
    Case(
        "service-port-live",
        lambda: [b.secret(), b.data_volume(), b.vm(), b.service(port=8080)],
        lambda: b.running(b.stack()),
        SERVICE_KEY,
        Action.UPDATE,
        Impact.LIVE,
        rule="service-spec",
    ),
]


def allowing_data_loss(manifest: dict[str, Any]) -> dict[str, Any]:
    metadata = {**manifest["metadata"], "annotations": {"pulumi-kubevirt/allow-data-loss": "true"}}
    return {**manifest, "metadata": metadata}


def test_data_loss_error_names_the_disk_the_field_and_the_option() -> None:
    plan = plan_for([b.pvc(storage_class="fast")], [b.live(b.pvc())])
    [error] = resource(plan, PVC_KEY).errors
    assert "web-data" in error.message
    assert error.path == "spec.storageClassName"
    assert "spec.storageClassName" in error.message
    assert "allow_data_loss: true on disk web-data" in error.fix


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_policy_decision(case: Case) -> None:
    plan = plan_for(case.desired(), case.live(), **case.state)
    res = resource(plan, case.key)
    assert (res.action, res.impact) == (case.action, case.impact)
    if case.rule:
        assert case.rule in {c.rule for c in res.changes}
    if case.note:
        assert case.note in res.notes
    if case.error_rule:
        assert [e.rule for e in res.errors] == [case.error_rule]
        assert all(e.message and e.fix and e.path for e in res.errors)
    else:
        assert res.errors == ()
    if case.reason_contains:
        assert any(case.reason_contains in c.reason for c in res.changes), [c.reason for c in res.changes]


def test_applied_stack_with_server_fields_and_defaults_is_a_no_op() -> None:
    desired = b.stack()
    plan = plan_for(desired, b.running(desired))
    assert not plan.has_changes
    assert plan.max_impact is Impact.NONE
    assert plan.summary().unchanged == 4
    assert plan.summary().headlines() == ()
    assert {r.action for r in plan.resources} == {Action.NO_OP}


def test_quantities_compare_by_value() -> None:
    desired = b.stack(memory="1Gi")
    live = b.running(desired)
    vm = next(o for o in live if o["kind"] == "VirtualMachine")
    assert vm["spec"]["template"]["spec"]["domain"]["memory"]["guest"] == "1024Mi"
    assert not plan_for(desired, live).has_changes


def test_unplugged_interface_removed_by_kubevirt_is_not_a_change() -> None:
    desired_vm = b.vm()
    desired_vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"].append(
        {"name": "vlan10", "bridge": {}, "state": "absent"}
    )
    desired_vm["spec"]["template"]["spec"]["networks"].append(
        {"name": "vlan10", "multus": {"networkName": "vlan10"}}
    )
    desired = [b.secret(), b.data_volume(), desired_vm, b.service()]
    assert not plan_for(desired, b.running(b.stack())).has_changes


def test_label_we_applied_and_dropped_is_removed() -> None:
    before = b.stack()
    before[2]["metadata"]["labels"]["team"] = "payments"
    plan = plan_for(b.stack(), b.running(before))
    res = resource(plan, VM_KEY)
    assert [(c.path, c.op, c.impact) for c in res.changes] == [
        ("metadata.labels.team", "remove", Impact.NONE)
    ]


def test_label_added_by_someone_else_is_not_ours_to_plan() -> None:
    live = b.running(b.stack())
    next(o for o in live if o["kind"] == "VirtualMachine")["metadata"]["labels"]["owner"] = "ops"
    assert not plan_for(b.stack(), live).has_changes


def test_new_objects_are_created_in_apply_order() -> None:
    plan = plan_for([b.service(), b.vm(), b.data_volume(), b.secret(), b.network()], [])
    assert [r.key.kind for r in plan.resources] == [
        "NetworkAttachmentDefinition",
        "Secret",
        "DataVolume",
        "VirtualMachine",
        "Service",
    ]
    assert {r.action for r in plan.resources} == {Action.CREATE}
    assert plan.summary().created == 5


def test_deletes_come_last_in_reverse_order_and_skip_vmis_and_pvcs_behind_disks() -> None:
    live = b.running(b.stack())
    pvc = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "web-root", "namespace": b.NS, "labels": dict(b.LABELS)},
        "spec": {},
    }
    plan = plan_for([b.secret()], [*live, pvc])
    assert [(r.key.kind, r.action) for r in plan.resources] == [
        ("Secret", Action.NO_OP),
        ("Service", Action.DELETE),
        ("VirtualMachine", Action.DELETE),
        ("DataVolume", Action.DELETE),
    ]
    assert plan.summary().data_loss == 1


def _stack_namespace() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": b.NS, "labels": dict(b.LABELS)}}


@pytest.mark.parametrize(
    ("inside", "impact", "note"),
    [
        pytest.param(lambda: b.running(b.stack()), Impact.DESTROYS_DATA, "web-root", id="with-disks"),
        pytest.param(
            lambda: [o for o in b.running(b.stack()) if o["kind"] != "DataVolume"],
            Impact.RESTART,
            "running VMs in it: web",
            id="with-running-vm-only",
        ),
        pytest.param(lambda: [b.live(b.secret())], Impact.LIVE, "every object in it", id="with-secret-only"),
    ],
)
def test_deleting_a_namespace_is_rated_by_what_lives_in_it(
    inside: Callable[[], list[dict[str, Any]]], impact: Impact, note: str
) -> None:
    desired = [o for o in inside() if o["kind"] not in ("VirtualMachineInstance",)]
    plan = plan_for(desired, [b.live(_stack_namespace()), *inside()])
    (namespace,) = [r for r in plan.resources if r.key.kind == "Namespace"]
    assert (namespace.action, namespace.impact) == (Action.DELETE, impact)
    assert note in namespace.notes[0]


def test_objects_of_other_stacks_are_never_deleted() -> None:
    other = b.live(b.vm("other"))
    other["metadata"]["labels"]["pulumi-kubevirt/stack"] = "dev"
    plan = plan_for(b.stack(), [*b.running(b.stack()), other])
    assert all(r.key.name != "other" for r in plan.resources)


def test_unmanaged_object_found_by_name_is_noted() -> None:
    unmanaged = b.live(b.service())
    del unmanaged["metadata"]["labels"]
    plan = plan_for([b.service()], [unmanaged], unmanaged=[SERVICE_KEY])
    res = resource(plan, SERVICE_KEY)
    assert not res.managed
    assert UNMANAGED_NOTE in res.notes
    assert res.action is Action.UPDATE


def test_service_cluster_ip_change_replaces() -> None:
    svc = b.service()
    svc["spec"]["clusterIP"] = "10.96.0.50"
    res = resource(plan_for([svc], b.running([b.service()])), SERVICE_KEY)
    assert (res.action, res.impact) == (Action.REPLACE, Impact.REPLACE)
    assert all(c.forces_replacement for c in res.changes)


def test_secret_values_are_redacted_in_the_plan() -> None:
    plan = plan_for([b.secret(user_data="#cloud-config\npassword: n3w-s3cret\n")], b.running([b.secret()]))
    change = resource(plan, SECRET_KEY).changes[0]
    assert change.secret
    assert (change.before, change.after) == (None, None)


def test_duplicate_desired_objects_are_an_error() -> None:
    plan = plan_for([b.service(), b.service()], [])
    assert [e.rule for e in plan.errors] == ["duplicate-object"]


def test_running_and_run_strategy_together_is_an_error() -> None:
    vm = b.vm()
    vm["spec"]["running"] = True
    plan = plan_for([vm], [])
    assert [e.rule for e in plan.all_errors] == ["vm-running-and-run-strategy"]


def test_missing_kinds_and_namespaces_are_plan_errors() -> None:
    live = b.state([])
    live = type(live)(kubevirt=live.kubevirt, missing_kinds=("DataVolume",), missing_namespaces=("prod",))
    plan = make_plan([b.data_volume()], live, project=b.PROJECT, stack=b.STACK)
    assert [e.rule for e in plan.errors] == ["missing-kind", "missing-namespace"]
    assert all("Fix" not in e.message and e.fix for e in plan.errors)


def test_summary_counts_per_headline() -> None:
    desired = [
        b.secret(user_data="x"),
        b.data_volume(url="https://images.example/other.qcow2"),
        b.vm(cores=2),
        b.service(port=81),
        b.network(),
    ]
    summary = plan_for(desired, b.running(b.stack())).summary()
    assert (
        summary.data_loss,
        summary.restarts,
        summary.live_updates,
        summary.no_effect,
        summary.created,
    ) == (
        1,
        1,
        1,
        1,
        1,
    )


def _claim_of_root(size: str) -> dict[str, Any]:
    """The claim CDI made for the root DataVolume (CDI's labels are not ours: it is not a stack object)."""
    claim = b.live(b.pvc("web-root", size=size))
    claim["metadata"]["labels"] = {"app": "containerized-data-importer"}
    return claim


def _request_for(size: str) -> str:
    """The claim request the claim patch makes for a root DataVolume of ``size``, in bytes."""
    return str(claim_request(b.data_volume(size=size)))


@pytest.mark.parametrize(
    ("claim_size", "action"),
    [
        pytest.param(_request_for("20Gi"), Action.NO_OP, id="claim-at-the-patch-request-plan-empty"),
        pytest.param("30Gi", Action.NO_OP, id="claim-larger-plan-empty-but-error"),
        pytest.param("20Gi", Action.UPDATE, id="claim-at-the-bare-size-still-grows-by-the-overhead"),
        pytest.param(_request_for("10Gi"), Action.UPDATE, id="claim-not-grown-yet-live-update"),
    ],
)
def test_datavolume_size_is_read_from_its_claim_after_growth(claim_size: str, action: Action) -> None:
    desired = [b.secret(), b.data_volume(size="20Gi"), b.vm(), b.service()]
    live = [*b.running(b.stack()), _claim_of_root(claim_size)]
    res = resource(plan_for(desired, live), DV_KEY)
    assert res.action is action
    if action is Action.UPDATE:
        assert res.impact is Impact.LIVE
        assert res.errors == ()


def test_a_claim_larger_than_the_patch_would_ask_is_an_error_with_the_size_to_write() -> None:
    """Grown by hand (or by a larger CDI overhead): the claim patch would shrink it, which the API refuses."""
    desired = [b.secret(), b.data_volume(), b.vm(), b.service()]
    live = [*b.running(b.stack()), _claim_of_root("30Gi")]
    [error] = resource(plan_for(desired, live), DV_KEY).errors
    assert error.rule == "claim-larger-than-disk"
    assert "already requests 30Gi, more than the 10Gi written here" in error.message
    assert error.fix.startswith("Set the size of disk web-root to ")
    smallest = error.fix.removeprefix("Set the size of disk web-root to ").split(" ")[0]
    mebibytes = int(parse_quantity(smallest)) // 2**20
    assert (claim_request(b.data_volume(size=f"{mebibytes}Mi")) or 0) >= 30 * 2**30
    assert (claim_request(b.data_volume(size=f"{mebibytes - 1}Mi")) or 0) < 30 * 2**30


def test_a_shrink_is_refused_even_when_the_claim_is_bigger() -> None:
    desired = [b.secret(), b.data_volume(size="5Gi"), b.vm(), b.service()]
    live = [*b.running(b.stack()), _claim_of_root("11Gi")]
    res = resource(plan_for(desired, live), DV_KEY)
    assert [e.rule for e in res.errors] == ["datavolume-size"], "one error for a shrink, not two"
