"""Adoption stories against the real API server and the simulator.

A VM with its disk, network and Service is made by hand (server-side apply as ``kubectl``), imported
from the cluster with ``kvplan import``, and the generated stack is applied the way pulumi-kubernetes does
it (server-side apply under its manager). Nothing is recreated (same UIDs), the plan is empty and nothing
drifted; labels and annotations another manager wrote (Forklift) are not claimed by us and never show up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from pulumi_kubevirt.live.kinds import object_path

from .story_kit import FLEET_PROGRAM, desired_state_of_stack, kvplan, request, server_side_apply

FORKLIFT_LABELS = {"vmID": "vm-1234", "migration": "7f3c1e2a", "plan": "9d1b7f3e"}
FORKLIFT_ANNOTATIONS = {"forklift.konveyor.io/source-vm-id": "vm-1234"}


def hand_made(namespace: str, *, forklift: bool) -> list[dict[str, Any]]:
    """What a team (or Forklift) created without pulumi-kubevirt."""
    labels = {"app": "legacy", **(FORKLIFT_LABELS if forklift else {})}
    annotations = FORKLIFT_ANNOTATIONS if forklift else {}
    nad_config = {"cniVersion": "0.3.1", "name": "lan", "type": "bridge", "bridge": "br0", "vlan": 20}
    return [
        {
            "apiVersion": "k8s.cni.cncf.io/v1",
            "kind": "NetworkAttachmentDefinition",
            "metadata": {"name": "lan", "namespace": namespace},
            "spec": {"config": json.dumps(nad_config)},
        },
        {
            "apiVersion": "cdi.kubevirt.io/v1beta1",
            "kind": "DataVolume",
            "metadata": {"name": "legacy-root", "namespace": namespace},
            "spec": {
                "source": {"http": {"url": "https://images.example.com/legacy.qcow2"}},
                "storage": {"resources": {"requests": {"storage": "10Gi"}}},
            },
        },
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "metadata": {
                "name": "legacy",
                "namespace": namespace,
                "labels": labels,
                "annotations": annotations,
            },
            "spec": {
                "runStrategy": "Always",
                "template": {
                    "metadata": {"labels": {"app": "legacy"}},
                    "spec": {
                        "evictionStrategy": "LiveMigrate",
                        "terminationGracePeriodSeconds": 30,
                        "domain": {
                            "cpu": {"sockets": 2, "cores": 1, "threads": 1},
                            "memory": {"guest": "2Gi"},
                            "devices": {
                                "disks": [{"name": "rootdisk", "disk": {"bus": "virtio"}, "bootOrder": 1}],
                                "interfaces": [
                                    {"name": "default", "masquerade": {}},
                                    {"name": "lan", "bridge": {}, "macAddress": "02:00:00:00:00:20"},
                                ],
                            },
                        },
                        "networks": [
                            {"name": "default", "pod": {}},
                            {"name": "lan", "multus": {"networkName": "lan"}},
                        ],
                        "volumes": [{"name": "rootdisk", "dataVolume": {"name": "legacy-root"}}],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "legacy-ssh", "namespace": namespace},
            "spec": {
                "selector": {"app": "legacy"},
                "ports": [{"name": "ssh", "port": 22, "targetPort": 22, "protocol": "TCP"}],
            },
        },
    ]


def uids(api_client: ApiClient, objects: list[dict[str, Any]]) -> dict[str, str]:
    out = {}
    for obj in objects:
        status, body = request(api_client, "GET", object_path(obj))
        assert status == 200
        out[f"{obj['kind']}/{obj['metadata']['name']}"] = body["metadata"]["uid"]
    return out


def adopt(tmp_path: Path, kubeconfig: str, namespace: str) -> tuple[Path, dict[str, Any]]:
    """``kvplan import`` from the cluster into a stack beside the fleet program."""
    project = tmp_path / "adopted"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(f"name: story\nruntime: python\nmain: {FLEET_PROGRAM}\n")
    report = tmp_path / "report.json"
    run = kvplan(
        "import", "--kubeconfig", kubeconfig, "--namespace", namespace, "legacy",
        "-o", str(project / "Pulumi.dev.yaml"), "--report", str(report),
    )  # fmt: skip
    assert run.code == 0, run.err
    return project, json.loads(report.read_text())


@pytest.mark.parametrize("forklift", [False, True], ids=["by-hand", "forklift-labels"])
def test_an_imported_vm_is_adopted_in_place_with_an_empty_plan(  # noqa: PLR0917 (fixtures)
    forklift: bool, api_client: ApiClient, cluster: Any, namespace: str, simulator: Any, tmp_path: Path
) -> None:
    kubeconfig = str(cluster.kubeconfig_path)
    objects = hand_made(namespace, forklift=forklift)
    server_side_apply(api_client, objects, manager="kubectl")
    simulator.settle(namespace)
    before = uids(api_client, objects)

    project, report = adopt(tmp_path, kubeconfig, namespace)
    fleet = yaml.safe_load((project / "Pulumi.dev.yaml").read_text())["config"]["kubevirt:fleet"]
    vm = fleet["vms"]["legacy"]
    assert vm["adopt"] is True
    assert vm["service"] == {
        "name": "legacy-ssh",
        "selector": {"app": "legacy"},
        "ports": [{"name": "ssh", "port": 22}],
    }
    assert vm["disks"] == [
        {"disk": "legacy-root", "name": "rootdisk", "kind": "datavolume", "bus": "virtio", "boot_order": 1}
    ]
    # Other managers' metadata is reported as dropped, never copied into the config.
    assert "labels" not in vm or not set(FORKLIFT_LABELS) & set(vm["labels"])
    if forklift:
        dropped = {r["path"] for r in report["fields"] if r["status"] == "dropped"}
        assert 'metadata.annotations["forklift.konveyor.io/source-vm-id"]' in dropped
        assert "metadata.labels.vmID" in dropped

    by_selector = kvplan("import", "--kubeconfig", kubeconfig, "--namespace", namespace, "-l", "app=legacy")
    assert by_selector.code == 0, by_selector.err
    assert yaml.safe_load(by_selector.out)["config"]["kubevirt:fleet"] == fleet
    none_selected = kvplan("import", "--kubeconfig", kubeconfig, "--namespace", namespace, "-l", "app=other")
    assert none_selected.code == 0
    assert yaml.safe_load(none_selected.out)["config"]["kubevirt:fleet"] == {}

    rendered = desired_state_of_stack(project, "dev", runtime=True)  # the components register the options
    adopted = {r.type.rsplit(":", 1)[-1]: r.options for r in rendered.resources if r.is_kubernetes_object}
    for kind in ("VirtualMachine", "DataVolume", "NetworkAttachmentDefinition", "Service"):
        name = {"VirtualMachine": "legacy", "DataVolume": "legacy-root", "Service": "legacy-ssh"}.get(
            kind, "lan"
        )
        assert adopted[kind].import_id == f"{namespace}/{name}", kind
    assert adopted["DataVolume"].protect  # adopted disks are protected
    server_side_apply(api_client, rendered.manifests)
    simulator.settle(namespace)

    assert uids(api_client, objects) == before  # nothing recreated
    planned = kvplan(
        "plan", str(project), "--stack", "dev", "--kubeconfig", kubeconfig, "--detailed-exitcode"
    )
    assert planned.code == 0, planned.out + planned.err
    drifted = kvplan("drift", str(project), "--stack", "dev", "--kubeconfig", kubeconfig)
    assert drifted.code == 0, drifted.out + drifted.err
    status, live = request(api_client, "GET", object_path(objects[2]))
    assert status == 200
    if forklift:  # still there, still owned by their writer
        assert FORKLIFT_LABELS.items() <= live["metadata"]["labels"].items()
        assert FORKLIFT_ANNOTATIONS.items() <= live["metadata"]["annotations"].items()
