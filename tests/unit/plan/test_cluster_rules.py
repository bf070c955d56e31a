"""kvplan plan checks a config-driven fleet's cluster-dependent rules against the KubeVirt CR it read."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_kubevirt.plan.cluster_rules import RULE, cluster_rule_errors
from pulumi_kubevirt.plan.state import LiveState
from pulumi_kubevirt.spec.fleet import load_fleet


def fleet_with_memory(guest: str, max_guest: str) -> Any:
    return load_fleet(
        {
            "namespaces": ["prod"],
            "vms": {
                "web": {
                    "namespace": "prod",
                    "cpu": {"vcpus": 2},
                    "memory": {"guest": guest, "max_guest": max_guest},
                    "root_disk": {
                        "image": {"registry": "docker://quay.io/containerdisks/fedora:40"},
                        "size": "20Gi",
                    },
                }
            },
        }
    )


def kubevirt_cr(configuration: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "kubevirt.io/v1", "kind": "KubeVirt", "spec": {"configuration": configuration}}


@pytest.mark.parametrize(
    ("guest", "max_guest", "configuration", "expected_paths"),
    [
        pytest.param("4Gi", "16Gi", {}, [], id="hot-plug-on-default-amd64-liveupdate-is-fine"),
        pytest.param(
            "4Gi",
            "16Gi",
            {"architectureConfiguration": {"defaultArchitecture": "arm64"}},
            ["fleet.vms.web.memory.max_guest"],
            id="hot-plug-on-an-arm64-cluster-is-refused",
        ),
        pytest.param(
            "512Mi",
            "4Gi",
            {},
            ["fleet.vms.web.memory.guest"],
            id="below-1Gi-refused-under-default-liveupdate",
        ),
        pytest.param("512Mi", "4Gi", {"vmRolloutStrategy": "Stage"}, [], id="stage-does-not-check-hot-plug"),
    ],
)
def test_the_cluster_settings_decide_which_rules_refuse(
    guest: str, max_guest: str, configuration: dict[str, Any], expected_paths: list[str]
) -> None:
    live = LiveState(objects={}, kubevirt=kubevirt_cr(configuration))
    errors = cluster_rule_errors(fleet_with_memory(guest, max_guest), live)
    assert [error.path for error in errors] == expected_paths
    assert all(error.rule == RULE and error.fix for error in errors)


def test_an_unread_kubevirt_cr_refuses_nothing() -> None:
    """Without the CR the settings are unknown: kvplan validate's warnings stand, nothing is an error."""
    assert cluster_rule_errors(fleet_with_memory("512Mi", "4Gi"), LiveState(objects={})) == ()
