"""Snapshots and restores made outside the stack (``virtctl``): never drift, and what they add is not ours.

KubeVirt's restore controller copies the source claim's labels onto the claims it restores, so they carry the
stack's labels; the plan must not claim them for deletion.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

from pulumi_kubevirt.core.labels import stack_labels

from .story_kit import PROJECT, Program, basic_fleet, kvplan, request, server_side_apply


def test_a_virtctl_snapshot_and_restore_are_not_drift_and_the_restore_claims_are_not_deleted(
    api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path, cluster: Any
) -> None:
    fleet = basic_fleet(namespace)
    fleet["disks"]["db-logs"] = {"size": "5Gi", "pvc_only": True}
    fleet["vms"]["db"]["disks"] = ["db-data", "db-logs"]
    # A stack that uses snapshots itself: the plan then reads every VM snapshot in the namespace.
    fleet["vms"]["db"].update({"snapshot_before": True, "snapshot_keep": 1})
    program = Program(tmp_path / "fleet", "dev", fleet).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)

    simulator.snapshot_vm(namespace, "db", "before-upgrade")
    simulator.settle(namespace)
    simulator.restore_vm(namespace, "db", "before-upgrade", "rollback")
    simulator.settle(namespace)

    status, claims = request(api_client, "GET", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims")
    assert status == 200
    restored = [c for c in claims["items"] if c["metadata"]["name"].startswith("restore-")]
    assert len(restored) == 3, "db's root disk and its two data disks are restored"
    labels = stack_labels(PROJECT, "dev")
    labelled = [c for c in restored if labels.items() <= c["metadata"]["labels"].items()]
    assert labelled, "the restore copies the source claims' labels, the stack's among them"

    base = ("--stack", "dev", "--kubeconfig", str(cluster.kubeconfig_path))
    planned = kvplan("plan", str(program.directory), *base, "--format", "json")
    drifted = kvplan("drift", str(program.directory), *base)

    assert planned.code == 0, planned.err
    deleted = [r["object"]["name"] for r in planned.json["resources"] if r["action"] == "delete"]
    assert deleted == []
    assert planned.json["has_changes"] is False
    assert drifted.code == 0, drifted.out
    assert "No drift" in drifted.out
