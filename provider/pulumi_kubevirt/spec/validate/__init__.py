"""Semantic checks on typed specs: every problem at once, each with its path and a fix.

Each check protects against a platform rule; ``rules.RULES`` lists them with their upstream source, and
``docs/validation-rules.md`` is generated from it. The JSON Schemas in ``schemas/`` check the shape of
config-driven input first (see ``spec.fleet``); these checks also hold for programs that build dataclasses.
Modules, by what they check: ``common`` (names, labels, quantities), ``network`` (CNI), ``disk`` (CDI, PVC),
``vm`` (KubeVirt admitters, Service, Secret), ``content`` (cloud-init data), ``references`` (across a fleet),
``cluster`` (rules that depend on the cluster's settings), ``objects`` (the same rules on compiled or raw
Kubernetes objects).
"""

from __future__ import annotations

from pulumi_kubevirt.core.errors import raise_if_problems
from pulumi_kubevirt.spec.validate.cluster import (
    ClusterFindings,
    ClusterSettings,
    check_cluster,
    check_vms,
    cluster_settings,
)
from pulumi_kubevirt.spec.validate.common import VM_LABEL_KEY
from pulumi_kubevirt.spec.validate.content import network_data_problems, user_data_problems
from pulumi_kubevirt.spec.validate.disk import validate_disk
from pulumi_kubevirt.spec.validate.mobility import validate_clone, validate_migration_policy, validate_pool
from pulumi_kubevirt.spec.validate.network import validate_network
from pulumi_kubevirt.spec.validate.references import validate_fleet
from pulumi_kubevirt.spec.validate.rules import RULES, Rule
from pulumi_kubevirt.spec.validate.vm import (
    CLOUD_INIT_DEVICE,
    CLOUD_INIT_SECRET_MAX_BYTES,
    ROOT_DEVICE,
    validate_vm,
)

__all__ = [
    "CLOUD_INIT_DEVICE",
    "CLOUD_INIT_SECRET_MAX_BYTES",
    "ROOT_DEVICE",
    "RULES",
    "VM_LABEL_KEY",
    "ClusterFindings",
    "ClusterSettings",
    "Rule",
    "check_cluster",
    "check_vms",
    "cluster_settings",
    "network_data_problems",
    "raise_if_problems",
    "user_data_problems",
    "validate_clone",
    "validate_disk",
    "validate_fleet",
    "validate_migration_policy",
    "validate_network",
    "validate_pool",
    "validate_vm",
]
