"""``kvplan plan --drain NODE``: before maintenance, what draining a node does to each VM, from live state.

The fleet has one VM per eviction strategy and storage access mode; the simulator (playing virt-handler) sets
each VMI's LiveMigratable condition from its claims' access modes and places it on a node.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from .story_kit import Program, Run, kvplan, request, server_side_apply

# name: (eviction strategy, root disk access mode, what a drain must do)
FLEET = {
    "mig": ("LiveMigrate", "ReadWriteMany", "migrates"),
    "pin": ("LiveMigrate", "ReadWriteOnce", "blocks-drain"),
    "soft": ("LiveMigrateIfPossible", "ReadWriteOnce", "shuts-down"),
    "soft-rwx": ("LiveMigrateIfPossible", "ReadWriteMany", "migrates"),
    "ext": ("External", "ReadWriteMany", "waits-for-external"),
    "none-rwx": ("None", "ReadWriteMany", "shuts-down"),
}


def fleet(namespace: str) -> dict[str, Any]:
    return {
        "defaults": {"namespace": namespace, "wait_for": "none"},
        "vms": {
            name: {
                "cpu": {"sockets": 1, "cores": 1},
                "memory": "1Gi",
                "eviction_strategy": strategy,
                "root_disk": {
                    "image": {"http": {"url": f"https://images.example/{name}.qcow2"}},
                    "size": "10Gi",
                    "access_modes": [mode],
                },
            }
            for name, (strategy, mode, _) in FLEET.items()
        },
    }


@pytest.fixture
def applied(api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path) -> Program:
    program = Program(tmp_path / "fleet", "dev", fleet(namespace)).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    return program


def nodes_of(api_client: ApiClient, namespace: str) -> dict[str, str]:
    status, body = request(
        api_client, "GET", f"/apis/kubevirt.io/v1/namespaces/{namespace}/virtualmachineinstances"
    )
    assert status == 200
    return {item["metadata"]["name"]: item["status"]["nodeName"] for item in body["items"]}


def drain(program: Program, kubeconfig: str, node: str, *extra: str) -> Run:
    return kvplan(
        "plan", str(program.directory), "--stack", "dev", "--kubeconfig", kubeconfig, "--drain", node, *extra
    )


def test_each_strategy_and_access_mode_gets_its_drain_outcome(
    applied: Program, api_client: ApiClient, namespace: str, cluster: Any
) -> None:
    kubeconfig = str(cluster.kubeconfig_path)
    placement = nodes_of(api_client, namespace)
    assert sorted(placement) == sorted(FLEET)

    outcomes: dict[str, str] = {}
    for node in sorted(set(placement.values())):
        run = drain(applied, kubeconfig, node, "--format", "json")
        assert run.code == 0, run.err
        document = run.json["drain"]
        assert document["node"] == node
        assert document["on_other_nodes"] == sum(1 for n in placement.values() if n != node)
        for vm in document["vms"]:
            outcomes[vm["object"]["name"]] = vm["outcome"]
            expected_mode = FLEET[vm["object"]["name"]][1]
            assert [d["access_modes"] for d in vm["disks"]] == [[expected_mode]]

    assert outcomes == {name: outcome for name, (_, _, outcome) in FLEET.items()}


def test_the_text_report_says_why_a_vm_blocks_the_drain(
    applied: Program, api_client: ApiClient, namespace: str, cluster: Any
) -> None:
    node = nodes_of(api_client, namespace)["pin"]
    run = drain(applied, str(cluster.kubeconfig_path), node)
    assert run.code == 0, run.err
    assert f"Drain of node {node}" in run.out
    assert f"!! VirtualMachine {namespace}/pin: blocks-drain" in run.out
    assert "disks: pin-root (ReadWriteOnce)" in run.out
    assert "not live-migratable: cannot migrate VMI: PVC" in run.out
    assert "The drain will not finish on its own" in run.out


def test_a_node_without_stack_vms_says_so(applied: Program, cluster: Any) -> None:
    run = drain(applied, str(cluster.kubeconfig_path), "no-such-node")
    assert run.code == 0, run.err
    assert "none of the stack's VMs runs on this node" in run.out
    assert f"Drain summary: nothing on the node; {len(FLEET)} on other nodes, 0 not running." in run.out
    markdown = drain(applied, str(cluster.kubeconfig_path), "no-such-node", "--format", "markdown")
    assert markdown.code == 0, markdown.err
    assert "#### Drain of `no-such-node`\n\n```\nDrain of node no-such-node" in markdown.out
