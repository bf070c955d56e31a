"""A whole fleet: every object one stack declares, in apply order."""

from __future__ import annotations

from pulumi_kubevirt.compile.compiler import (
    Manifest,
    compile_disk,
    compile_namespace,
    compile_network,
    compile_vm,
)
from pulumi_kubevirt.compile.emit import sort_manifests
from pulumi_kubevirt.compile.mobility import compile_clone, compile_migration_policy, compile_pool
from pulumi_kubevirt.spec import FleetArgs, StackContext


def compile_fleet(fleet: FleetArgs, ctx: StackContext) -> list[Manifest]:
    """Every object of the fleet, in apply order (see ``emit.sort_manifests``)."""
    manifests: list[Manifest] = []
    for namespace in fleet.namespaces:
        manifests += compile_namespace(namespace, ctx)
    for network in fleet.networks:
        manifests += compile_network(network, ctx)
    for disk in fleet.disks:
        manifests += compile_disk(disk, ctx)
    for vm in fleet.vms:
        manifests += compile_vm(vm, ctx)
    for policy in fleet.migration_policies:
        manifests += compile_migration_policy(policy, ctx)
    for pool in fleet.pools:
        manifests += compile_pool(pool, ctx)
    for clone in fleet.clones:
        manifests += compile_clone(clone, ctx)
    return sort_manifests(manifests)
