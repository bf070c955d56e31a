"""The cluster-dependent validation rules, checked by ``kvplan plan`` against the cluster it reads.

``kvplan validate`` and a preview without a cluster report these rules as warnings naming the setting they
depend on; with the KubeVirt CR read, the settings are known and a rule the cluster would refuse is a plan
error (the same rows as the preview's check, :mod:`pulumi_kubevirt.spec.validate.cluster`).
"""

from __future__ import annotations

from pulumi_kubevirt.plan.model import PlanError
from pulumi_kubevirt.plan.state import LiveState
from pulumi_kubevirt.spec.model import FleetArgs
from pulumi_kubevirt.spec.validate import check_cluster, cluster_settings

RULE = "cluster-settings"
TITLE = "Refused by this cluster's settings"


def cluster_rule_errors(fleet: FleetArgs, live: LiveState) -> tuple[PlanError, ...]:
    """Every problem of ``fleet`` that this cluster's KubeVirt settings refuse; none when the CR was not read
    (the settings are unknown, so nothing is known to be refused)."""
    if live.kubevirt is None:
        return ()
    findings = check_cluster(fleet, cluster_settings(live.kubevirt))
    return tuple(
        PlanError(problem.path, problem.message, problem.fix, RULE, TITLE) for problem in findings.errors
    )
