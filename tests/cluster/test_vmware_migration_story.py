"""Moving a vSphere VM, warm, told through ``kvplan`` on the real API server (simulator for KubeVirt and CDI).

The VM comes from the corpus's govc JSON (with Changed Block Tracking switched on, as a warm copy needs),
imported with ``kvplan import --warm``; each ``pulumi up`` is a server-side apply of what the fleet program
renders. The plan must show each appended checkpoint as a live update of the same DataVolume (CDI admits it:
containerized-data-importer v1.66.0 pkg/apiserver/webhooks/datavolume-validate.go ``Admit``), the cutover as
the step where downtime starts, and the switch to virtio as a planned restart.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from pulumi_kubevirt.live.kinds import object_path

from .story_kit import Program, kvplan, request, server_side_apply

REPO = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("PULUMI_KUBEVIRT_CORPUS", REPO.parent / "shared" / "corpus")) / "vmware"


@pytest.fixture
def kubeconfig(cluster: Any) -> str:
    return str(cluster.kubeconfig_path)


@pytest.fixture
def imported(tmp_path: Path, namespace: str) -> Program:
    """``kvplan import --warm snapshot-101`` of the photon VM, as the fleet program's stack file."""
    source = json.loads((CORPUS / "govc-vminfo-config-photon.json").read_text(encoding="utf-8"))
    source["changeTrackingEnabled"] = True
    vm_json = tmp_path / "photon.json"
    vm_json.write_text(json.dumps(source), encoding="utf-8")
    network_map = tmp_path / "networks.yaml"
    network_map.write_text(yaml.safe_dump({"networks": {"VM Network": "pod"}}), encoding="utf-8")
    storage_map = tmp_path / "storage.yaml"
    storage_map.write_text(yaml.safe_dump({"datastores": {"*": "standard"}}), encoding="utf-8")
    stack_file = tmp_path / "imported.yaml"
    run = kvplan(
        "import", str(vm_json), "--namespace", namespace, "--warm", "snapshot-101",
        "--network-map", str(network_map), "--storage-map", str(storage_map),
        "--vddk-url", "https://vcenter.example.com/sdk", "--vddk-secret", "vcenter-credentials",
        "--vddk-thumbprint", "31:3A:4B:5C", "-o", str(stack_file),
    )  # fmt: skip
    assert run.code == 0, run.err
    fleet = yaml.safe_load(stack_file.read_text(encoding="utf-8"))["config"]["kubevirt:fleet"]
    return Program(tmp_path / "fleet", "migrated", fleet).write()


def plan(program: Program, kubeconfig: str) -> dict[str, Any]:
    run = kvplan("plan", str(program.directory), "--stack", program.stack, "--kubeconfig", kubeconfig,
                 "--format", "json")  # fmt: skip
    assert run.err == ""
    document: dict[str, Any] = run.json
    return document


def changes(document: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    return {
        (r["object"]["kind"], r["object"]["name"]): (r["action"], r["impact"])
        for r in document["resources"]
        if r["action"] != "no-op"
    }


def uid(api_client: ApiClient, manifest: dict[str, Any]) -> str:
    status, body = request(api_client, "GET", object_path(manifest))
    assert status == 200
    return str(body["metadata"]["uid"])


def test_warm_migration_checkpoints_cutover_and_virtio(
    imported: Program, api_client: ApiClient, simulator: Any, namespace: str, kubeconfig: str
) -> None:
    first = plan(imported, kubeconfig)
    assert changes(first) == {
        ("DataVolume", "test-disk1"): ("create", "none"),
        ("VirtualMachine", "test"): ("create", "none"),
    }
    server_side_apply(api_client, imported.manifests())
    simulator.settle(namespace)
    assert changes(plan(imported, kubeconfig)) == {}
    [data_volume] = [m for m in imported.manifests() if m["kind"] == "DataVolume"]
    before = uid(api_client, data_volume)

    # A second pre-copy: one more checkpoint, the source VM still running.
    checkpoints = [
        {"previous": "", "current": "snapshot-101"},
        {"previous": "snapshot-101", "current": "snapshot-102"},
    ]
    imported.edit(["disks", "test-disk1", "checkpoints"], checkpoints)
    second = plan(imported, kubeconfig)
    assert changes(second) == {("DataVolume", "test-disk1"): ("update", "live")}
    server_side_apply(api_client, imported.manifests())
    assert uid(api_client, data_volume) == before  # updated in place, not replaced

    # Cutover: the last checkpoint from the powered-off source, then the VM starts.
    checkpoints.append({"previous": "snapshot-102", "current": "snapshot-103"})
    imported.edit(["disks", "test-disk1", "checkpoints"], checkpoints)
    imported.edit(["disks", "test-disk1", "final_checkpoint"], True)
    imported.edit(["vms", "test", "run_strategy"], "Always")
    cutover = plan(imported, kubeconfig)
    assert changes(cutover) == {
        ("DataVolume", "test-disk1"): ("update", "live"),
        ("VirtualMachine", "test"): ("update", "live"),
    }
    [dv_plan] = [r for r in cutover["resources"] if r["object"]["kind"] == "DataVolume"]
    assert any("CUTOVER" in note for note in dv_plan["notes"]), dv_plan
    server_side_apply(api_client, imported.manifests())
    simulator.settle(namespace)
    assert uid(api_client, data_volume) == before
    assert changes(plan(imported, kubeconfig)) == {}

    # Second step, virtio drivers installed in the guest: virtio disk and NIC, a planned restart.
    vm = imported.fleet["vms"]["test"]
    imported.edit(["vms", "test", "disks"], [{**vm["disks"][0], "bus": "virtio"}])
    imported.edit(["vms", "test", "nics"], [{**vm["nics"][0], "model": "virtio"}])
    virtio = plan(imported, kubeconfig)
    assert changes(virtio) == {("VirtualMachine", "test"): ("update", "restart")}
