"""Stories of issue 14 (second half) on the real API server: a MigrationPolicy's selection shown by ``kvplan
plan``, a clone that creates its target VM with new MAC addresses, a pool change classified for every member.

KubeVirt's clone and pool controllers are played by the simulator (``sim_mobility``) through the API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from pulumi_kubevirt_devcluster.sim_mobility import pool_mac

from .story_kit import Program, delete, find, kvplan, patch, request, server_side_apply

FEDORA = {"name": "root", "image": "quay.io/containerdisks/fedora:41"}


@pytest.fixture
def kubeconfig(cluster: Any) -> str:
    return str(cluster.kubeconfig_path)


def _vm(**extra: Any) -> dict[str, Any]:
    return {"cpu": {"vcpus": 1}, "memory": "1Gi", "container_disks": [FEDORA], **extra}


def _plan(program: Program, kubeconfig: str, *extra: str) -> Any:
    run = kvplan("plan", str(program.directory), "--stack", program.stack, "--kubeconfig", kubeconfig, *extra)
    assert "Traceback" not in run.out + run.err
    return run


def _apply(api_client: ApiClient, program: Program, simulator: Any, namespace: str) -> None:
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)


def _vm_object(api_client: ApiClient, namespace: str, name: str) -> dict[str, Any]:
    status, body = request(
        api_client, "GET", f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachines/{name}"
    )
    assert status == 200, body
    found: dict[str, Any] = body
    return found


# --- migration policies ---------------------------------------------------------------------------------


def test_the_plan_says_which_vms_each_migration_policy_selects(
    api_client: ApiClient, namespace: str, simulator: Any, kubeconfig: str, tmp_path: Path
) -> None:
    """The most specific policy wins per VM; the namespace's live labels count; applying changes nothing."""
    fleet = {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "vms": {
            "web": _vm(template_labels={"app": "web", "tier": "front"}),
            "batch": _vm(template_labels={"app": "batch"}),
        },
        "migration_policies": {
            f"{namespace}-all": {"namespace_selector": {"team": "shop"}, "allow_auto_converge": True},
            f"{namespace}-web": {
                "vm_selector": {"app": "web"},
                "namespace_selector": {"team": "shop"},
                "bandwidth_per_migration": "256Mi",
                "allow_post_copy": True,
            },
        },
    }
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    namespace_object = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    patch(api_client, namespace_object, {"metadata": {"labels": {"team": "shop"}}}, "kubectl-label")

    document = _plan(program, kubeconfig, "--format", "json").json
    section = document["migration_policies"]
    by_policy = {p["policy"]: p for p in section["policies"]}
    assert by_policy[f"{namespace}-web"]["selects"] == [f"{namespace}/web"]
    assert by_policy[f"{namespace}-all"]["selects"] == [f"{namespace}/batch"]
    assert by_policy[f"{namespace}-all"]["outranked_on"] == [f"{namespace}/web"]
    assert all(vm["namespace_labels_known"] for vm in section["vms"])

    text = _plan(program, kubeconfig).out
    assert f"{namespace}-web (this stack): {namespace}/web\n" in text

    _apply(api_client, program, simulator, namespace)
    after = _plan(program, kubeconfig, "--detailed-exitcode")
    assert after.code == 0, after.out
    assert f"{namespace}-web (this stack): {namespace}/web\n" in after.out


# --- clones ---------------------------------------------------------------------------------------------


def test_a_clone_creates_its_target_with_new_macs_and_is_one_shot(
    api_client: ApiClient, namespace: str, simulator: Any, kubeconfig: str, tmp_path: Path
) -> None:
    """The target gets new MACs (one chosen, one from the pool), a new serial, none of the stack's labels;
    editing the clone later is planned as no effect, and the target is neither drift nor a deletion."""
    nics = [
        {"name": "default", "mac_address": "02:00:00:aa:bb:01"},
    ]
    fleet: dict[str, Any] = {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "vms": {"golden": _vm(nics=nics, template_labels={"app": "golden"})},
    }
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    _apply(api_client, program, simulator, namespace)
    source = _vm_object(api_client, namespace, "golden")

    program.edit(["clones", "golden-copy"], {"source": "golden", "target": "golden-2"})
    planned = _plan(program, kubeconfig, "--format", "json").json
    assert [(r["object"]["kind"], r["action"]) for r in planned["resources"] if r["action"] != "no-op"] == [
        ("VirtualMachineClone", "create")
    ]
    _apply(api_client, program, simulator, namespace)

    target = _vm_object(api_client, namespace, "golden-2")
    interface = target["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"][0]
    assert interface["macAddress"] == pool_mac(namespace, "golden-2", "default")
    assert interface["macAddress"] != "02:00:00:aa:bb:01"
    firmware = target["spec"]["template"]["spec"]["domain"]["firmware"]
    assert firmware["serial"] != source["spec"]["template"]["spec"]["domain"]["firmware"]["serial"]
    assert not any(key.startswith("pulumi-kubevirt/") for key in target["metadata"].get("labels", {}))
    assert target["spec"]["template"]["metadata"]["labels"] == {"app": "golden"}

    settled = _plan(program, kubeconfig, "--detailed-exitcode")
    assert settled.code == 0, settled.out
    drift = kvplan("drift", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig)
    assert "golden-2" not in drift.out

    program.edit(["clones", "golden-copy", "new_smbios_serial"], "SERIAL-2")
    edited = _plan(program, kubeconfig, "--format", "json").json
    (clone,) = [r for r in edited["resources"] if r["object"]["kind"] == "VirtualMachineClone"]
    assert (clone["action"], clone["impact"]) == ("update", "no-effect")

    # Deleting the target makes KubeVirt delete the clone: the next plan clones again.
    program.edit(["clones", "golden-copy", "new_smbios_serial"], None)
    delete(api_client, target)
    simulator.settle(namespace)
    again = _plan(program, kubeconfig, "--format", "json").json
    (clone,) = [r for r in again["resources"] if r["object"]["kind"] == "VirtualMachineClone"]
    assert clone["action"] == "create"
    assert clone["notes"][0].startswith(f"creates VirtualMachine {namespace}/golden-2 from VirtualMachine")


# --- pools ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("update", "expected"),
    [("proactive", "restart"), ("opportunistic", "restart"), ("unmanaged", "no-effect")],
    ids=["proactive", "opportunistic", "unmanaged"],
)
def test_a_pool_change_is_classified_for_every_member(  # noqa: PLR0917 (one parametrized row)
    api_client: ApiClient,
    namespace: str,
    simulator: Any,
    kubeconfig: str,
    tmp_path: Path,
    update: str,
    expected: str,
) -> None:
    """Three running members, a cores change: each member is planned; the controller then does that."""
    fleet: dict[str, Any] = {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "pools": {"front": {"replicas": 3, "update": update, "vm": _vm()}},
    }
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    _apply(api_client, program, simulator, namespace)
    assert _plan(program, kubeconfig, "--detailed-exitcode").code == 0

    program.edit(["pools", "front", "vm", "cpu"], {"sockets": 1, "cores": 2})
    document = _plan(program, kubeconfig, "--format", "json").json
    members = {
        r["object"]["name"]: r for r in document["resources"] if r["object"]["kind"] == "VirtualMachine"
    }
    assert sorted(members) == ["front-0", "front-1", "front-2"]
    assert {m["impact"] for m in members.values()} == {expected}
    assert {c["path"] for m in members.values() for c in m["changes"]} == {
        "spec.template.spec.domain.cpu.cores"
    }
    pool = next(r for r in document["resources"] if r["object"]["kind"] == "VirtualMachinePool")
    assert pool["impact"] == expected

    before = {name: _vmi_uid(api_client, namespace, name) for name in members}
    _apply(api_client, program, simulator, namespace)
    after = {name: _vmi_uid(api_client, namespace, name) for name in members}
    restarted = {name for name in members if before[name] != after[name]}
    assert restarted == (set(members) if update == "proactive" else set())
    cores = {
        name: _vm_object(api_client, namespace, name)["spec"]["template"]["spec"]["domain"]["cpu"]["cores"]
        for name in members
    }
    assert set(cores.values()) == ({1} if update == "unmanaged" else {2})


def test_scaling_a_pool_names_the_new_members(
    api_client: ApiClient, namespace: str, simulator: Any, kubeconfig: str, tmp_path: Path
) -> None:
    fleet: dict[str, Any] = {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "pools": {"front": {"replicas": 2, "vm": _vm()}},
    }
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    _apply(api_client, program, simulator, namespace)
    program.edit(["pools", "front", "replicas"], 4)
    document = _plan(program, kubeconfig, "--format", "json").json
    created = sorted(
        r["object"]["name"]
        for r in document["resources"]
        if r["object"]["kind"] == "VirtualMachine" and r["action"] == "create"
    )
    assert created == ["front-2", "front-3"]
    _apply(api_client, program, simulator, namespace)
    assert _vm_object(api_client, namespace, "front-3")["metadata"]["ownerReferences"][0]["name"] == "front"
    assert _plan(program, kubeconfig, "--detailed-exitcode").code == 0
    find(program.manifests(), "VirtualMachinePool", "front")


def _vmi_uid(api_client: ApiClient, namespace: str, name: str) -> str:
    status, body = request(
        api_client, "GET", f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances/{name}"
    )
    assert status == 200, body
    return str(body["metadata"]["uid"])
