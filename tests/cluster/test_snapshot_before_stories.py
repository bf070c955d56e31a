"""snapshot_before, retention and restores: the real API server, the simulator, the real dynamic host.

The CSI snapshot CRDs (``../shared/csi-snapshot``, kept apart from the KubeVirt bundle) are loaded for these
stories, with a VolumeSnapshotClass for the simulated provisioner and a storage class that has none.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient
from pulumi.runtime import proto, rpc

from pulumi_kubevirt.components.snapshot_before import SnapshotBeforeProvider
from pulumi_kubevirt.facts.ownership import SNAPSHOT_BEFORE_LABEL
from pulumi_kubevirt.plan.snapshots import before_apply_snapshot_name, restart_fingerprint

from .dynamic_host import DynamicHost
from .story_kit import PROJECT, Program, basic_fleet, delete, find, kvplan, request, server_side_apply

CSI_BUNDLE = Path(
    os.environ.get(
        "PULUMI_KUBEVIRT_CSI_BUNDLE", Path(__file__).resolve().parents[3] / "shared" / "csi-snapshot"
    )
)
SIMULATED_PROVISIONER = "kubevirt.io/simulated"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
SNAPSHOT_REF = {"apiVersion": "snapshot.kubevirt.io/v1beta1", "kind": "VirtualMachineSnapshot"}
SNAPSHOTS = "/apis/snapshot.kubevirt.io/v1beta1/namespaces/{namespace}/virtualmachinesnapshots"


def _create(api_client: ApiClient, path: str, body: dict[str, Any]) -> None:
    status, answer = request(api_client, "POST", path, body)
    assert status in (201, 409), f"POST {path} answered {status}: {answer}"


@pytest.fixture(scope="session")
def snapshot_classes(api_client: ApiClient) -> None:
    """The CSI snapshot CRDs, a VolumeSnapshotClass for the simulated provisioner, and a class without one."""
    for source in sorted((CSI_BUNDLE / "crds" / "k8s-1.20").glob("*.yaml")):
        _create(api_client, CRDS, yaml.safe_load(source.read_text(encoding="utf-8")))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status, _ = request(api_client, "GET", "/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses")
        if status == 200:
            break
        time.sleep(0.2)
    _create(
        api_client,
        "/apis/snapshot.storage.k8s.io/v1/volumesnapshotclasses",
        {
            "apiVersion": "snapshot.storage.k8s.io/v1",
            "kind": "VolumeSnapshotClass",
            "metadata": {"name": "simulated"},
            "driver": SIMULATED_PROVISIONER,
            "deletionPolicy": "Delete",
        },
    )
    _create(
        api_client,
        "/apis/storage.k8s.io/v1/storageclasses",
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": "no-snapshots"},
            "provisioner": "example.com/no-snapshots",
        },
    )


@contextlib.contextmanager
def controllers(simulator: Any, namespace: str) -> Iterator[None]:
    """The simulator running in the background, as KubeVirt's controllers do, while the apply step waits."""
    stop = threading.Event()
    worker = threading.Thread(target=simulator.run, args=(stop, 0.2, namespace), daemon=True)
    worker.start()
    try:
        yield
    finally:
        stop.set()
        worker.join(timeout=30)


@pytest.fixture
def host() -> Iterator[DynamicHost]:
    running = DynamicHost(SnapshotBeforeProvider())
    yield running
    running.close()


def _before_apply_snapshots(api_client: ApiClient, namespace: str, vm: str) -> list[str]:
    status, listed = request(
        api_client,
        "GET",
        SNAPSHOTS.format(namespace=namespace),
        query=[("labelSelector", f"{SNAPSHOT_BEFORE_LABEL}={vm}")],
    )
    assert status == 200
    return sorted(item["metadata"]["name"] for item in listed["items"])


def _props(vm: dict[str, Any], cluster: Any, keep: int) -> dict[str, Any]:
    """The inputs the VirtualMachine component gives its SnapshotBefore (components/snapshot_before.py)."""
    return {
        "namespace": vm["metadata"]["namespace"],
        "vm": vm["metadata"]["name"],
        "trigger": restart_fingerprint(vm),
        "keep": keep,
        "project": PROJECT,
        "stack": "dev",
        "kubeconfig": str(cluster.kubeconfig_path),
        "context": "",
        "timeout_seconds": 60,
    }


def _vm_resource(plan: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [
        r
        for r in plan["resources"]
        if r["object"]["kind"] == "VirtualMachine" and r["object"]["name"] == name
    ]
    return found


def test_snapshot_before_a_restart_is_taken_exactly_once_and_retention_deletes_the_oldest(  # noqa: PLR0917 (fixtures)
    api_client: ApiClient,
    namespace: str,
    simulator: Any,
    snapshot_classes: None,
    host: DynamicHost,
    tmp_path: Path,
    cluster: Any,
) -> None:
    fleet = basic_fleet(namespace)
    fleet["vms"]["db"].update({"snapshot_before": True, "snapshot_keep": 2})
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    applied = find(program.manifests(), "VirtualMachine", "db")
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    base = ("--stack", "dev", "--kubeconfig", str(cluster.kubeconfig_path))

    # The first apply creates the step: nothing to protect yet, no snapshot.
    id_, state = host.create(_props(dict(applied), cluster, 2))
    assert state["snapshot"] == ""
    assert _before_apply_snapshots(api_client, namespace, "db") == []

    # More guest memory: no field that restarts on every cluster, so no snapshot (db cannot migrate, so
    # the plan rates it a restart, and says this restart is not covered).
    program.edit(["vms", "db", "memory"], "6Gi")
    grown = dict(find(program.manifests(), "VirtualMachine", "db"))
    assert host.apply(id_, state, _props(grown, cluster, 2)) == state
    assert _before_apply_snapshots(api_client, namespace, "db") == []
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    assert not any("is taken before" in n for n in _vm_resource(planned.json, "db")["notes"])

    # cores: a restart. The plan names the snapshot the apply will take before it.
    program.edit(["vms", "db", "cpu", "cores"], 4)
    wanted = dict(find(program.manifests(), "VirtualMachine", "db"))
    name = before_apply_snapshot_name("db", restart_fingerprint(wanted))
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    db = _vm_resource(planned.json, "db")
    assert db["impact"] in ("restart", "replace"), db
    assert any(n.startswith(f"snapshot_before: VirtualMachineSnapshot {name} is taken") for n in db["notes"])
    assert db["errors"] == []

    with controllers(simulator, namespace):
        state = host.apply(id_, state, _props(wanted, cluster, 2))
    assert state["snapshot"] == name
    assert _before_apply_snapshots(api_client, namespace, "db") == [name]

    # pulumi up again with the same code: Diff finds nothing, no second snapshot.
    again = host.apply(id_, state, _props(wanted, cluster, 2))
    assert again == state
    assert _before_apply_snapshots(api_client, namespace, "db") == [name]

    # The VM update lands; the plan is empty and does not claim the before-apply snapshot.
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    assert planned.json["has_changes"] is False, planned.out

    # Two more restarts with keep 2: the oldest snapshot goes.
    taken = [name]
    for cores in (5, 6):
        time.sleep(1.1)  # creation timestamps have a one-second resolution
        program.edit(["vms", "db", "cpu", "cores"], cores)
        vm = dict(find(program.manifests(), "VirtualMachine", "db"))
        with controllers(simulator, namespace):
            state = host.apply(id_, state, _props(vm, cluster, 2))
        taken.append(state["snapshot"])
    assert state["deleted"] == [taken[0]]
    # pulumi refresh: the outputs stay, the inputs come back without them.
    refreshed = host.stub.Read(proto.ReadRequest(id=id_, urn=host.urn, properties=host.with_provider(state)))
    assert rpc.deserialize_properties(refreshed.properties)["snapshot"] == taken[-1]
    assert "snapshot" not in rpc.deserialize_properties(refreshed.inputs)
    assert _before_apply_snapshots(api_client, namespace, "db") == sorted(taken[1:])


def test_a_restore_is_planned_as_a_restart_with_its_disks_and_leaves_an_empty_plan(  # noqa: PLR0917 (fixtures)
    api_client: ApiClient,
    namespace: str,
    simulator: Any,
    snapshot_classes: None,
    tmp_path: Path,
    cluster: Any,
) -> None:
    fleet = basic_fleet(namespace)
    fleet["vms"]["db"]["snapshots"] = ["nightly-1", "nightly-2", "nightly-3"]
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    base = ("--stack", "dev", "--kubeconfig", str(cluster.kubeconfig_path))

    # Retention: keep the last two declared snapshots; the plan deletes the oldest and says why.
    program.edit(["vms", "db", "snapshot_keep"], 2)
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    deleted = [r for r in planned.json["resources"] if r["action"] == "delete"]
    assert [(r["object"]["kind"], r["object"]["name"]) for r in deleted] == [
        ("VirtualMachineSnapshot", "nightly-1")
    ]
    assert deleted[0]["notes"][0].startswith("retention: VirtualMachine db keeps its last 2 snapshots")

    # The restore: a restart, and exactly the disks that roll back.
    program.edit(["vms", "db", "restore"], {"snapshot": "nightly-3"})
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    (restore,) = [r for r in planned.json["resources"] if r["object"]["kind"] == "VirtualMachineRestore"]
    assert (restore["action"], restore["impact"]) == ("create", "restart")
    assert restore["notes"][0] == (
        f"rolls back the disks of VirtualMachine {namespace}/db to nightly-3: root (claim db-root), "
        "db-data (claim db-data); their current data is replaced by the snapshot's (restored in place, same "
        "claim names)"
    )
    assert planned.json["summary"]["restarts"] == 1, planned.json["summary"]
    text = kvplan("plan", str(program.directory), *base)
    assert "VirtualMachineRestore" in text.out
    assert "the VM restarts" in text.out

    # Applied (pulumi up deletes what left the code): the claims keep their names (InPlace), so the next
    # plan is empty.
    server_side_apply(api_client, program.manifests())
    delete(api_client, {**SNAPSHOT_REF, "metadata": {"namespace": namespace, "name": "nightly-1"}})
    simulator.settle(namespace)
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    assert planned.json["has_changes"] is False, planned.out


def test_a_disk_whose_storage_class_has_no_snapshot_class_is_reported_before_the_apply(
    api_client: ApiClient, namespace: str, snapshot_classes: None, tmp_path: Path, cluster: Any
) -> None:
    fleet = basic_fleet(namespace)
    fleet["disks"]["db-data"]["storage_class"] = "no-snapshots"
    fleet["vms"]["db"]["snapshots"] = ["before-upgrade"]
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    base = ("--stack", "dev", "--kubeconfig", str(cluster.kubeconfig_path))
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    (snapshot,) = [r for r in planned.json["resources"] if r["object"]["kind"] == "VirtualMachineSnapshot"]
    assert [(e["rule"], e["path"]) for e in snapshot["errors"]] == [
        ("snapshot-class-missing", "spec.template.spec.volumes[name=db-data]")
    ]
    assert "no VolumeSnapshotClass has driver example.com/no-snapshots" in snapshot["errors"][0]["message"]
    assert planned.code != 0
