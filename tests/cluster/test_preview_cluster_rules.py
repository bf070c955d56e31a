"""Cluster-dependent rules at preview: refused when the KubeVirt CR read from the cluster refuses them, a
warning naming the setting when the cluster cannot be read.

The dev cluster's KubeVirt CR names no vmRolloutStrategy, which means LiveUpdate (KubeVirt v1.9.0
pkg/virt-config/virt-config.go DefaultVMRolloutStrategy), so memory hot-plug rules apply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes.client import ApiClient

from .story_kit import Program, basic_fleet, kvplan, server_side_apply
from .test_preview import STACK, components_program, run_preview

SMALL_HOTPLUG = {"guest": "512Mi", "max_guest": "2Gi"}


@pytest.fixture
def applied(api_client: ApiClient, namespace: str, simulator: Any, tmp_path: Path) -> Program:
    program = Program(tmp_path / "fleet", STACK, basic_fleet(namespace)).write()
    server_side_apply(api_client, program.manifests())
    simulator.settle(namespace)
    return program


@pytest.fixture
def kubeconfig(cluster: Any) -> str:
    return str(cluster.kubeconfig_path)


def test_a_rule_the_cluster_settings_refuse_fails_the_preview_at_the_vm(
    applied: Program, kubeconfig: str
) -> None:
    applied.edit(["vms", "web", "memory"], SMALL_HOTPLUG)
    config = {"kubevirt:fleet": applied.fleet}

    result = run_preview(applied.fleet, config, kubeconfig=kubeconfig, factory=components_program)

    assert result.error is not None
    errors = [log for log in result.of("error") if log.message.startswith("kubevirt: args.memory.guest")]
    assert len(errors) == 1
    assert "needs at least 1Gi of guest memory" in errors[0].message
    assert errors[0].urn.endswith("/web")
    assert "args.memory.guest" in str(result.error)


def test_without_the_cluster_the_same_rule_is_a_warning(applied: Program, tmp_path: Path) -> None:
    applied.edit(["vms", "web", "memory"], SMALL_HOTPLUG)
    unreachable = tmp_path / "unreachable.kubeconfig"
    unreachable.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters: [{name: gone, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: me, user: {token: not-a-real-token}}]\n"
        "contexts: [{name: gone, context: {cluster: gone, user: me}}]\n",
        encoding="utf-8",
    )

    result = run_preview(
        applied.fleet,
        {"kubevirt:fleet": applied.fleet},
        kubeconfig=str(unreachable),
        factory=components_program,
    )

    assert result.error is None
    warnings = [
        log.message for log in result.of("warning") if log.message.startswith("kubevirt: args.memory")
    ]
    assert any("needs at least 1Gi" in w and "not known here" in w for w in warnings), warnings


def test_kvplan_plan_refuses_the_same_rule_against_the_cluster(applied: Program, kubeconfig: str) -> None:
    """kvplan validate can only warn; kvplan plan reads the KubeVirt CR and makes it a plan error, exit 1."""
    applied.edit(["vms", "web", "memory"], SMALL_HOTPLUG)

    run = kvplan("plan", str(applied.directory), "--stack", STACK, "--kubeconfig", kubeconfig)

    assert run.code == 1, run.out + run.err
    assert "x 1 error" in run.out
    assert "fleet.vms.web.memory.guest" in run.out
    assert "needs at least 1Gi of guest memory" in run.out
    assert "Traceback" not in run.err
