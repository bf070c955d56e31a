"""Snapshots in the plan: snapshot_before, retention, restores, disks without a snapshot class."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from pulumi_kubevirt.compile.snapshots import SNAPSHOT_BEFORE_ANNOTATION, SNAPSHOT_KEEP_ANNOTATION
from pulumi_kubevirt.facts.ownership import SNAPSHOT_BEFORE_LABEL
from pulumi_kubevirt.plan.model import Action, Impact, Plan, ResourcePlan
from pulumi_kubevirt.plan.planner import make_plan
from pulumi_kubevirt.plan.snapshots import (
    before_apply_snapshot_name,
    restart_fingerprint,
    retention_victims,
    snapshot_class_for,
)
from pulumi_kubevirt.plan.state import LiveState, ObjectKey

from . import builders as b

SNAPSHOT_API = "snapshot.kubevirt.io/v1beta1"
CSI_DRIVER = "rancher.io/local-path"


def _guarded(keep: int | None = None, **vm_args: Any) -> dict[str, Any]:
    vm = b.vm(**vm_args)
    annotations = {SNAPSHOT_BEFORE_ANNOTATION: "true"}
    if keep is not None:
        annotations[SNAPSHOT_KEEP_ANNOTATION] = str(keep)
    vm["metadata"]["annotations"] = annotations
    return vm


def _snapshot_class(name: str, driver: str = CSI_DRIVER, *, default: bool = False) -> dict[str, Any]:
    annotations = {"snapshot.storage.kubernetes.io/is-default-class": "true"} if default else {}
    return {
        "metadata": {"name": name, "annotations": annotations},
        "driver": driver,
        "deletionPolicy": "Delete",
    }


def _vm_snapshot(name: str, vm: str, created: str, *, before: bool = False, **status: Any) -> dict[str, Any]:
    labels = {**b.LABELS, SNAPSHOT_BEFORE_LABEL: vm} if before else {}
    return {
        "apiVersion": SNAPSHOT_API,
        "kind": "VirtualMachineSnapshot",
        "metadata": {"name": name, "namespace": b.NS, "labels": labels, "creationTimestamp": created},
        "spec": {"source": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": vm}},
        "status": {"readyToUse": True, **status},
    }


def _state(
    live_objects: Sequence[Mapping[str, Any]],
    *,
    classes: tuple[dict[str, Any], ...] | None = (_snapshot_class("local"),),
    snapshots: tuple[dict[str, Any], ...] = (),
) -> LiveState:
    return dataclasses.replace(
        b.state(live_objects),
        snapshot_classes=classes,
        snapshots={ObjectKey.of(s): s for s in snapshots},
    )


def _vm_plan(plan: Plan, name: str = "web") -> ResourcePlan:
    return next(r for r in plan.resources if r.key.kind == "VirtualMachine" and r.key.name == name)


def _plan(desired: list[dict[str, Any]], live: LiveState) -> Plan:
    return make_plan(desired, live, project=b.PROJECT, stack=b.STACK)


# --- the fingerprint the apply step and the plan share -----------------------------------------------


@pytest.mark.parametrize(
    ("edit", "changes"),
    [
        pytest.param({"cores": 2}, True, id="cores-restart"),
        pytest.param({"disks": ("root", "data")}, True, id="plain-disk-added-restart"),
        pytest.param({"sockets": 4}, False, id="sockets-live"),
        pytest.param({"memory": "4Gi"}, False, id="memory-live"),
        pytest.param({"tier": "b"}, False, id="template-label-no-effect"),
        pytest.param({"hotplug": ("scratch",)}, False, id="hotplug-disk-live"),
        pytest.param({"run_strategy": "Halted"}, False, id="run-strategy"),
    ],
)
def test_the_restart_fingerprint_changes_exactly_with_fields_that_restart_on_any_cluster(
    edit: dict[str, Any], changes: bool
) -> None:
    assert (restart_fingerprint(b.vm()) != restart_fingerprint(b.vm(**edit))) is changes


def test_the_fingerprint_ignores_key_order() -> None:
    shuffled = copy.deepcopy(b.vm())
    domain = shuffled["spec"]["template"]["spec"]["domain"]
    shuffled["spec"]["template"]["spec"]["domain"] = dict(reversed(list(domain.items())))
    assert restart_fingerprint(shuffled) == restart_fingerprint(b.vm())


# --- snapshot_before in the plan ----------------------------------------------------------------------


def test_a_restart_of_a_guarded_vm_names_the_snapshot_taken_first() -> None:
    desired = _guarded(cores=2)
    live = _state(b.running([_guarded()]))
    res = _vm_plan(_plan([desired], live))
    name = before_apply_snapshot_name("web", restart_fingerprint(desired))
    assert res.impact is Impact.RESTART
    assert any(
        n.startswith(f"snapshot_before: VirtualMachineSnapshot {name} is taken before this update")
        and "spec.template.spec.domain.cpu.cores" in n
        for n in res.notes
    ), res.notes
    assert res.errors == ()


def test_a_live_change_of_a_guarded_vm_takes_no_snapshot() -> None:
    res = _vm_plan(_plan([_guarded(sockets=4)], _state(b.running([_guarded()]))))
    assert res.impact < Impact.RESTART
    assert not any("snapshot_before" in n for n in res.notes)


def test_a_restart_from_a_cluster_dependent_rule_says_no_snapshot_is_taken() -> None:
    live_objects = b.running([_guarded()], max_sockets=2)
    res = _vm_plan(_plan([_guarded(sockets=4)], _state(live_objects)))
    assert res.impact is Impact.RESTART
    assert any(n.startswith("snapshot_before: no snapshot is taken") for n in res.notes), res.notes


def test_an_unguarded_vm_gets_no_snapshot_note() -> None:
    res = _vm_plan(_plan([b.vm(cores=2)], _state(b.running([b.vm()]))))
    assert not any("snapshot" in n for n in res.notes)


def test_retention_names_the_oldest_before_apply_snapshots_it_deletes() -> None:
    taken = (
        _vm_snapshot("web-before-1", "web", "2026-11-01T00:00:00Z", before=True),
        _vm_snapshot("web-before-3", "web", "2026-11-03T00:00:00Z", before=True),
        _vm_snapshot("web-before-2", "web", "2026-11-02T00:00:00Z", before=True),
        _vm_snapshot("db-before-0", "db", "2026-10-01T00:00:00Z", before=True),
        _vm_snapshot("manual", "web", "2026-10-01T00:00:00Z"),
    )
    res = _vm_plan(_plan([_guarded(keep=2, cores=2)], _state(b.running([_guarded(keep=2)]), snapshots=taken)))
    assert "retention (keep 2): then deletes web-before-1, web-before-2" in res.notes


def test_before_apply_snapshots_are_never_planned_for_deletion() -> None:
    taken = _vm_snapshot("web-before-1", "web", "2026-11-01T00:00:00Z", before=True)
    plan = _plan([_guarded()], _state([*b.running([_guarded()]), taken]))
    assert [r.key.name for r in plan.resources if r.action is Action.DELETE] == []


@pytest.mark.parametrize(
    ("existing", "keep", "adding", "victims"),
    [
        pytest.param(3, None, 1, [], id="no-retention"),
        pytest.param(3, 3, 1, ["s0"], id="one-over"),
        pytest.param(3, 1, 1, ["s0", "s1", "s2"], id="keep-only-the-new"),
        pytest.param(1, 3, 1, [], id="under-the-limit"),
        pytest.param(4, 2, 0, ["s0", "s1"], id="nothing-added"),
    ],
)
def test_retention_victims(existing: int, keep: int | None, adding: int, victims: list[str]) -> None:
    objs = [_vm_snapshot(f"s{i}", "web", f"2026-11-0{i + 1}T00:00:00Z") for i in range(existing)]
    assert retention_victims(list(reversed(objs)), keep, adding) == victims


# --- which disks can be snapshotted (KubeVirt's getVolumeSnapshotClassName) -----------------------------


@pytest.mark.parametrize(
    ("classes", "profile_class", "chosen", "why"),
    [
        pytest.param((_snapshot_class("local"),), None, "local", "", id="one-class-for-the-driver"),
        pytest.param(
            (_snapshot_class("a"), _snapshot_class("b", default=True)), None, "b", "", id="default-of-several"
        ),
        pytest.param(
            (_snapshot_class("a"), _snapshot_class("b")),
            None,
            "",
            "2 VolumeSnapshotClasses",
            id="several-none-default",
        ),
        pytest.param(
            (_snapshot_class("other", "ceph.csi"),),
            None,
            "",
            "no VolumeSnapshotClass has driver",
            id="none-matches",
        ),
        pytest.param((_snapshot_class("p", "ceph.csi"),), "p", "p", "", id="storage-profile-wins"),
        pytest.param((), "gone", "", "which does not exist", id="storage-profile-names-a-missing-class"),
        pytest.param(None, None, "", "does not serve VolumeSnapshotClass", id="no-csi-snapshot-crds"),
    ],
)
def test_the_snapshot_class_of_a_storage_class(
    classes: tuple[dict[str, Any], ...] | None, profile_class: str | None, chosen: str, why: str
) -> None:
    profiles = {"standard": {"status": {"snapshotClass": profile_class}}} if profile_class else {}
    live = dataclasses.replace(b.state([]), snapshot_classes=classes, storage_profiles=profiles)
    got, reason = snapshot_class_for("standard", live)
    assert got == chosen
    assert (why in reason) if why else reason == ""


def test_a_disk_without_a_snapshot_class_is_an_error_before_the_snapshot() -> None:
    desired = [b.data_volume(), _guarded(cores=2)]
    live = _state(b.running([b.data_volume(), _guarded()]), classes=())
    res = _vm_plan(_plan(desired, live))
    assert [(e.rule, e.path) for e in res.errors] == [
        ("snapshot-class-missing", "spec.template.spec.volumes[name=root]")
    ]
    assert "restore would not roll it back" in res.errors[0].message


# --- declared snapshots, retention of declared ones, restores -----------------------------------------


def _declared(name: str, vm: str = "web") -> dict[str, Any]:
    snap = _vm_snapshot(name, vm, "2026-11-01T00:00:00Z")
    snap["metadata"]["labels"] = dict(b.LABELS)
    del snap["status"], snap["metadata"]["creationTimestamp"]
    return snap


def test_a_snapshot_that_left_the_code_by_retention_says_why() -> None:
    vm = b.vm()
    vm["metadata"]["annotations"] = {SNAPSHOT_KEEP_ANNOTATION: "1"}
    plan = _plan(
        [vm, _declared("nightly-2")], _state(b.running([vm, _declared("nightly-1"), _declared("nightly-2")]))
    )
    deleted = next(r for r in plan.resources if r.action is Action.DELETE)
    assert deleted.key.name == "nightly-1"
    assert deleted.impact is Impact.NO_EFFECT
    assert deleted.notes[0].startswith("retention: VirtualMachine web keeps its last 1 snapshots")


def _restore(snapshot: str = "nightly-1") -> dict[str, Any]:
    return {
        "apiVersion": SNAPSHOT_API,
        "kind": "VirtualMachineRestore",
        "metadata": {"name": f"web-restore-{snapshot}", "namespace": b.NS, "labels": dict(b.LABELS)},
        "spec": {
            "target": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": "web"},
            "virtualMachineSnapshotName": snapshot,
            "targetReadinessPolicy": "StopTarget",
            "volumeRestorePolicy": "InPlace",
        },
    }


def test_a_restore_is_a_restart_that_lists_the_disks_it_rolls_back() -> None:
    vm = b.vm(disks=("root", "data"))
    snapshot = _vm_snapshot(
        "nightly-1",
        "web",
        "2026-11-01T00:00:00Z",
        snapshotVolumes={"includedVolumes": ["root"], "excludedVolumes": ["data"]},
    )
    plan = _plan([vm, _restore()], _state(b.running([vm]), snapshots=(snapshot,)))
    res = next(r for r in plan.resources if r.key.kind == "VirtualMachineRestore")
    assert (res.action, res.impact) == (Action.CREATE, Impact.RESTART)
    assert res.notes[0].startswith(
        "rolls back the disks of VirtualMachine prod/web to nightly-1: root (claim web-root)"
    )
    assert res.notes[1].startswith("the VM restarts")
    assert res.notes[2] == "not in the snapshot, so not rolled back: data"
    assert plan.summary().restarts == 1


def test_a_restore_of_a_stopped_vm_is_no_restart() -> None:
    vm = b.vm(run_strategy="Halted")
    snapshot = _vm_snapshot("nightly-1", "web", "2026-11-01T00:00:00Z")
    plan = _plan([vm, _restore()], _state([b.live(vm)], snapshots=(snapshot,)))
    res = next(r for r in plan.resources if r.key.kind == "VirtualMachineRestore")
    assert res.impact is Impact.NONE
    assert "the VM is not running" in res.notes[1]


def test_a_restore_from_a_missing_snapshot_is_an_error() -> None:
    vm = b.vm()
    plan = _plan([vm, _restore("nope")], _state(b.running([vm])))
    assert [e.rule for e in plan.all_errors] == ["restore-snapshot-missing"]


def test_every_snapshot_fact_cites_kubevirt_code_at_the_pinned_version() -> None:
    from pulumi_kubevirt.facts.snapshots import SNAPSHOT_FACTS

    assert len(SNAPSHOT_FACTS) == 8
    for fact in SNAPSHOT_FACTS:
        assert (fact.source.repo, fact.source.pinned) == ("kubevirt/kubevirt", "v1.9.0"), fact.rule
        assert fact.source.file.startswith("pkg/storage/"), fact.rule
        assert fact.source.function, fact.rule
