"""Story: VMs sized by the golden image they boot from, the way common-instancetypes clusters do it.

The stack asks KubeVirt to infer the instancetype and preference from the root disk (``inferFromVolume:
root``); the DataSource carries ``instancetype.kubevirt.io/default-instancetype`` and
``default-preference``. On the real API server, the simulator plays KubeVirt's VM mutating webhook (v1.9.0
pkg/instancetype/infer), which writes the names it found in place of ``inferFromVolume``. kvplan must then
see no change and no drift, after the first apply and after applying the same stack again, and list the
inferred names as platform fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from .story_kit import Program, find, kvplan, request, server_side_apply

DEFAULT_INSTANCETYPE = "instancetype.kubevirt.io/default-instancetype"
DEFAULT_INSTANCETYPE_KIND = "instancetype.kubevirt.io/default-instancetype-kind"
DEFAULT_PREFERENCE = "instancetype.kubevirt.io/default-preference"


def data_source(namespace: str, name: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "cdi.kubevirt.io/v1beta1",
        "kind": "DataSource",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"source": {"pvc": {"name": f"{name}-golden", "namespace": namespace}}},
    }


def golden_fleet(namespace: str) -> dict[str, Any]:
    """``web`` infers both from a labelled image; ``legacy`` boots an unlabelled one, memory its fallback."""
    return {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "vms": {
            "web": {
                "instancetype": {"infer_from_root_disk": True},
                "preference": {"infer_from_root_disk": True},
                "root_disk": {"image": {"data_source": {"name": "fedora"}}, "size": "30Gi"},
            },
            "legacy": {
                "instancetype": {"infer_from_root_disk": True, "on_failure": "Ignore"},
                "memory": "2Gi",
                "root_disk": {"image": {"data_source": {"name": "centos-stream"}}, "size": "30Gi"},
            },
        },
    }


@pytest.fixture
def golden(api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path) -> Program:
    """The two DataSources, then the stack applied as ``pulumi up`` would, admitted and running."""
    labelled = data_source(
        namespace,
        "fedora",
        {
            DEFAULT_INSTANCETYPE: "u1.medium",
            DEFAULT_INSTANCETYPE_KIND: "VirtualMachineClusterInstancetype",
            DEFAULT_PREFERENCE: "fedora",
        },
    )
    for source in (labelled, data_source(namespace, "centos-stream", {})):
        status, body = request(
            api_client, "POST", f"/apis/cdi.kubevirt.io/v1beta1/namespaces/{namespace}/datasources", source
        )
        assert status == 201, body
    program = Program(tmp_path / "golden", "dev", golden_fleet(namespace)).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    return program


def live_vm(api_client: ApiClient, namespace: str, name: str) -> dict[str, Any]:
    status, body = request(
        api_client, "GET", f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}"
    )
    assert status == 200
    vm: dict[str, Any] = body
    return vm


def no_changes_and_no_drift(program: Program, kubeconfig: str) -> list[dict[str, Any]]:
    """kvplan's plan and drift for the stack; returns the platform fields drift lists on request."""
    where = [str(program.directory), "--stack", program.stack, "--kubeconfig", kubeconfig]
    plan = kvplan("plan", *where, "--format", "json", "--detailed-exitcode")
    assert plan.code == 0, plan.out + plan.err
    assert not plan.json["has_changes"]
    drift = kvplan("drift", *where, "--format", "json", "--verbose")
    assert drift.code == 0, drift.out + drift.err
    findings: list[dict[str, Any]] = drift.json["findings"]
    assert {f["kind"] for f in findings} == {"platform"}
    return findings


def test_kubevirt_names_the_instancetype_from_the_image_and_the_plan_sees_no_change(
    golden: Program, api_client: ApiClient, namespace: str, cluster: Any
) -> None:
    desired = find(golden.manifests(), "VirtualMachine", "web")
    assert desired["spec"]["instancetype"] == {"inferFromVolume": "root"}

    web = live_vm(api_client, namespace, "web")
    assert web["spec"]["instancetype"] == {"name": "u1.medium", "kind": "VirtualMachineClusterInstancetype"}
    assert web["spec"]["preference"] == {"name": "fedora"}
    legacy = live_vm(api_client, namespace, "legacy")
    assert "instancetype" not in legacy["spec"]
    assert legacy["spec"]["template"]["spec"]["domain"]["memory"] == {"guest": "2Gi"}

    platform = no_changes_and_no_drift(golden, str(cluster.kubeconfig_path))

    inferred = {
        (f["object"]["name"], f["path"]): f["live"] for f in platform if "inferFromVolume" in f["reason"]
    }
    assert inferred[("web", "spec.instancetype.name")] == "u1.medium"
    assert inferred[("web", "spec.preference.name")] == "fedora"
    assert not any(name == "legacy" for name, _ in inferred)


def test_applying_the_same_stack_again_is_inferred_again_and_still_no_change(
    golden: Program, api_client: ApiClient, namespace: str, simulator: Any, cluster: Any
) -> None:
    server_side_apply(api_client, golden.manifests())
    reapplied = live_vm(api_client, namespace, "web")
    assert reapplied["spec"]["instancetype"]["inferFromVolume"] == "root"  # before the webhook's turn

    no_changes_and_no_drift(golden, str(cluster.kubeconfig_path))
    simulator.settle(namespace)

    assert live_vm(api_client, namespace, "web")["spec"]["instancetype"] == {
        "name": "u1.medium",
        "kind": "VirtualMachineClusterInstancetype",
    }
    no_changes_and_no_drift(golden, str(cluster.kubeconfig_path))


def test_naming_another_instancetype_is_planned_as_a_restart(
    golden: Program, namespace: str, cluster: Any
) -> None:
    golden.edit(["vms", "web", "instancetype"], "u1.large")

    run = kvplan(
        "plan",
        str(golden.directory),
        "--stack",
        "dev",
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--format",
        "json",
    )

    assert run.code == 0, run.err
    (vm_plan,) = [
        r
        for r in run.json["resources"]
        if r["object"]["kind"] == "VirtualMachine" and r["object"]["name"] == "web"
    ]
    assert vm_plan["impact"] == "restart"
    assert [(c["path"], c["before"], c["after"]) for c in vm_plan["changes"]] == [
        ("spec.instancetype.name", "u1.medium", "u1.large")
    ]


def test_a_new_revision_of_the_golden_image_touches_no_existing_disk(
    golden: Program, api_client: ApiClient, namespace: str, simulator: Any, cluster: Any
) -> None:
    """A DataImportCron moves the DataSource to the newest import: only the DataSource changes."""
    path = f"/apis/cdi.kubevirt.io/v1beta1/namespaces/{namespace}/datasources/fedora"
    status, body = request(
        api_client,
        "PATCH",
        path,
        {"spec": {"source": {"pvc": {"name": "fedora-golden-v2", "namespace": namespace}}}},
        content_type="application/merge-patch+json",
        query=[("fieldManager", "cdi-dataimportcron")],
    )
    assert status == 200, body
    simulator.settle(namespace)

    no_changes_and_no_drift(golden, str(cluster.kubeconfig_path))
    status, root = request(
        api_client, "GET", f"/apis/cdi.kubevirt.io/v1beta1/namespaces/{namespace}/datavolumes/web-root"
    )
    assert status == 200
    assert root["spec"]["sourceRef"] == {"kind": "DataSource", "name": "fedora"}
